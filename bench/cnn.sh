#!/bin/sh
# bench/cnn.sh — training steps/s of the LeNet-style CNN of
# configs/fashion-mnist-cnn.ini (conv 16@5x5 pad 2, pool, conv 32@5x5, pool,
# dense 120, 84, 10; relu), Adam lr 1e-3, batch 128, on one thread: optselect
# against PyTorch 1.13 (bench/torch_steps.py cnn) in the same run, and
# against the step's matrix products alone (bench/gemm_shapes.c, each
# convolution lowered over the whole batch: issue 18's yardstick, the
# ceiling of a step that lowers every convolution; optselect runs both
# layers in direct kernels instead, their gradients under pooling from dY's
# nonzeros alone and conv2's forward in Winograd's form, models/conv_*.c,
# and goes past it).
#
#   bench/cnn.sh [OPTSELECT]
#
# optselect's rate is measured by difference, as in bench/steps.sh: one
# trial for 100 and 400 steps, so loading and the (equal) evaluations
# cancel.  OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for both sides
# (OpenBLAS's own pick of kernels is faster here).  Needs
# dataset-fashion-mnist and python3-torch.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
optselect=${1:-$here/optselect}
. "$here/bench/torch_env.sh"
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_NUM_THREADS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

seconds() { # STEPS -> wall seconds of the trial
    "$optselect" --threads 1 --set search.optimizers=adam --set search.lr=0.001 \
        --set search.batch_size=128 --set search.steps="$1" --set search.eval_every="$1" \
        "$here/configs/fashion-mnist-cnn.ini" | sed -n 's/^ran in \([0-9.]*\) s.*/\1/p'
}

# The step's products, batch 128: conv1 (1 -> 16, 5x5 pad 2, 28x28: 784
# pixels, 25 taps) forward and dW; conv2 (16 -> 32, 5x5, 14x14 -> 10x10:
# 100 pixels, 400 taps) forward, dW and dX; the dense layers 800-120-84-10.
cc -O2 "$here/bench/gemm_shapes.c" $(pkg-config --cflags --libs openblas) -o "$tmp/gemm"
gemm() {
    "$tmp/gemm" -g NN 16 100352 25  NT 16 25 100352 \
        NN 32 12800 400  NT 32 400 12800  TN 400 12800 32 \
        NT 128 120 800  TN 120 800 128  NN 128 800 120 \
        NT 128 84 120  TN 84 120 128  NN 128 120 84 \
        NT 128 10 84  TN 10 84 128  NN 128 84 10
}

# These VMs' speed moves between minutes: rounds, each side measured in
# every round, the best of each kept (PyTorch as bench/torch_env.sh runs it).
rounds=${ROUNDS:-5}
: >"$tmp/o"; : >"$tmp/t"; : >"$tmp/g"
for r in $(seq "$rounds"); do
    a=$(seconds 100)
    b=$(seconds 400)
    awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f\n", 300 / (b - a) }' >>"$tmp/o"
    torch_run 1 "$here/bench/torch_steps.py" cnn 1 300 >>"$tmp/t"
    gemm >>"$tmp/g"
    echo "round $r: optselect $(tail -1 "$tmp/o"), PyTorch $(tail -1 "$tmp/t"), GEMMs alone $(tail -1 "$tmp/g" | awk '{ printf "%.1f", 1 / $1 }') steps/s"
done
best() { sort -g "$1" | tail -n 1; }
o1=$(best "$tmp/o")
t1=$(best "$tmp/t")
gemm_step=$(awk '{ print $1 }' "$tmp/g" | sort -g | head -n 1)
gemm_gflops=$(awk -v s="$gemm_step" '$1 == s { print $2; exit }' "$tmp/g")

printf '%-36s %10s\n' "" "steps/s"
printf '%-36s %10s\n' "optselect, 1 thread" "$o1"
printf '%-36s %10s\n' "PyTorch 1.13, 1 thread" "$t1"
awk -v o="$o1" -v t="$t1" -v gs="$gemm_step" -v gg="$gemm_gflops" 'BEGIN {
    printf "%-36s %10.1f   (%.1f GFLOP/s on %.0f MFLOP a step)\n", "its GEMMs alone (all lowered)",
        1 / gs, gg, gg * 1e3 * gs
    printf "ratio:        %.2f x PyTorch\n", o / t
    printf "efficiency:   %.0f%% of its GEMMs alone\n", 100 * o * gs }'
