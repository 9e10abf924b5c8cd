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
# and reports their combined rate.  PyTorch runs bench/torch_steps.py mlp with 1
# and 2 threads (PYTHON, default /usr/bin/python3: Debian's python3-torch).
# Needs dataset-fashion-mnist.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
optselect=${1:-$here/optselect}
cfg=$here/configs/fashion-mnist-mlp.ini

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

o1=$(rate 1 0.001 1)
o2=$(rate 2 "0.001, 0.0005" 2)
t1=$(${PYTHON:-/usr/bin/python3} "$here/bench/torch_steps.py" mlp 1 1000)
t2=$(${PYTHON:-/usr/bin/python3} "$here/bench/torch_steps.py" mlp 2 1000)
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
printf '%-34s %10s\n' "" "steps/s"
printf '%-34s %10s\n' "optselect, 1 trial, 1 thread" "$o1"
printf '%-34s %10s\n' "optselect, 2 trials, 2 threads" "$o2"
printf '%-34s %10s\n' "PyTorch 1.13, 1 thread" "$t1"
printf '%-34s %10s\n' "PyTorch 1.13, 2 threads" "$t2"
awk -v a="$o1" -v b="$t1" -v c="$o2" -v d="$t2" 'BEGIN {
    printf "ratio, 1 thread:  %.2f x PyTorch\n", a / b
    printf "ratio, 2 threads: %.2f x PyTorch\n", c / d }'
