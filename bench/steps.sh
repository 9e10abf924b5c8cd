#!/bin/sh
# bench/steps.sh — training steps/s of the reference MLP (784-256-128-10,
# relu, Adam lr 1e-3, batch 128, Fashion-MNIST) for optselect and PyTorch.
#
#   bench/steps.sh [OPTSELECT]
#
# optselect's rate is measured by difference: the same single trial for
# 300 and 1300 steps, so loading and the (equal) evaluations cancel and
# 1000 training steps remain.  "2 trials" runs two candidates on two
# threads (one trial per thread, optselect's plan for many small trials)
# and reports their combined rate.  PyTorch runs bench/torch_steps.py mlp
# (PYTHON, default /usr/bin/python3: Debian's python3-torch) as
# bench/torch_env.sh runs it at its best: one process of one thread, and two
# such processes at once.  Last, the ceiling on any implementation: the
# steps/s of the step's products alone at one core's FMA peak
# (bench/fma_peak.c), as a ratio to PyTorch's.  Needs dataset-fashion-mnist.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
optselect=${1:-$here/optselect}
cfg=$here/configs/fashion-mnist-mlp.ini
. "$here/bench/torch_env.sh"
# OpenBLAS's own pick of kernels is faster here than the environment's
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_NUM_THREADS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

seconds() { # STEPS THREADS LR-LIST -> wall seconds of the trials
    "$optselect" --threads "$2" --set search.optimizers=adam --set search.lr="$3" \
        --set search.steps="$1" --set search.eval_every="$1" --set data.subset=0 "$cfg" |
        sed -n 's/^ran in \([0-9.]*\) s.*/\1/p'
}

rate() { # THREADS LR-LIST TRIALS
    a=$(seconds 300 "$1" "$2")
    b=$(seconds 1300 "$1" "$2")
    awk -v a="$a" -v b="$b" -v n="$3" 'BEGIN { printf "%.1f", n * 1000 / (b - a) }'
}

# These VMs' speed moves between minutes, and PyTorch's between runs of the
# same command: three rounds, each measured in every round, the best kept.
best() { sort -g | tail -n 1; }
for r in $(seq "${ROUNDS:-3}"); do
    echo "$(rate 1 0.001 1) $(rate 2 "0.001, 0.0005" 2)" >>"$tmp/o"
    # many trials on 2 cores: two PyTorch processes of one thread each, as
    # optselect runs two trials on two threads (faster here than one
    # process on two threads); their rates add up
    torch_run 1 "$here/bench/torch_steps.py" mlp 1 1000 >"$tmp/p1" &
    torch_run 1 "$here/bench/torch_steps.py" mlp 1 1000 >"$tmp/p2"
    wait
    echo "$(torch_run 1 "$here/bench/torch_steps.py" mlp 1 1000)" \
         "$(awk '{ s += $1 } END { printf "%.1f", s }' "$tmp/p1" "$tmp/p2")" >>"$tmp/t"
    echo "round $r: optselect $(tail -1 "$tmp/o"), PyTorch $(tail -1 "$tmp/t") (1 trial on 1 thread, 2 on 2)"
done
o1=$(cut -d' ' -f1 "$tmp/o" | best)
o2=$(cut -d' ' -f2 "$tmp/o" | best)
t1=$(cut -d' ' -f1 "$tmp/t" | best)
t2=$(cut -d' ' -f2 "$tmp/t" | best)
echo "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for both sides; best of ${ROUNDS:-3} rounds"
printf '%-34s %10s\n' "" "steps/s"
printf '%-34s %10s\n' "optselect, 1 trial, 1 thread" "$o1"
printf '%-34s %10s\n' "optselect, 2 trials, 2 threads" "$o2"
printf '%-34s %10s\n' "PyTorch 1.13, 1 trial, 1 thread" "$t1"
printf '%-34s %10s\n' "PyTorch 1.13, 2 trials, 2 threads" "$t2"
awk -v a="$o1" -v b="$t1" -v c="$o2" -v d="$t2" 'BEGIN {
    printf "ratio, 1 thread:  %.2f x PyTorch\n", a / b
    printf "ratio, 2 threads: %.2f x PyTorch\n", c / d }'
# The ceiling on any implementation: the step's matrix products alone at one
# core's FMA peak (bench/fma_peak.c).  The MLP 784-256-128-10 at batch 128:
# the forward, dW, and dX of every layer but the first, 2 FLOP a
# multiply-add.
peak=$(sh "$here/bench/fma_peak.sh")
if [ "$peak" != 0 ]; then
    awk -v p="$peak" -v b="$t1" -v d="$t2" 'BEGIN {
        mac = 784 * 256 + 256 * 128 + 128 * 10
        flops = 128 * 2 * (3 * mac - 784 * 256)
        s = p * 1e9 / flops
        printf "at the FMA peak of one core (%.1f GFLOP/s) the step'"'"'s products alone allow %.0f steps/s a core:\n", p, s
        printf "  %.2f x PyTorch on 1 thread, %.2f x on 2 threads\n", s / b, 2 * s / d }'
else
    echo "FMA peak not measured (no AVX2 and FMA here)"
fi
