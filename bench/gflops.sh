#!/bin/sh
# bench/gflops.sh — achieved GFLOP/s of a training step against sgemm alone
# on the same shapes (the reference MLP 784-256-128-10, batch 128, one
# thread), and both against the core's own peak.  optselect's steps/s come
# from the same difference method as bench/steps.sh; the sgemm ceiling from
# bench/gemm_shapes.c, built here with the system's OpenBLAS; the peak from
# bench/fma_peak.sh (independent 8-lane FMAs, where the compiler and the CPU
# have AVX2 and FMA).  Needs dataset-fashion-mnist.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
optselect=${1:-$here/optselect}
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_NUM_THREADS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 "$here/bench/gemm_shapes.c" $(pkg-config --cflags --libs openblas) -o "$tmp/gemm"
peak=$(sh "$here/bench/fma_peak.sh")
set -- $("$tmp/gemm" 128 784 256 128 10)
gemm_step=$1 gemm_gflops=$2
seconds() {
    "$optselect" --threads 1 --set search.optimizers=adam --set search.lr=0.001 \
        --set search.steps="$1" --set search.eval_every="$1" --set data.subset=0 \
        "$here/configs/fashion-mnist-mlp.ini" | sed -n 's/^ran in \([0-9.]*\) s.*/\1/p'
}
a=$(seconds 300)
b=$(seconds 1300)
awk -v a="$a" -v b="$b" -v gs="$gemm_step" -v gg="$gemm_gflops" -v pk="$peak" 'BEGIN {
    step = (b - a) / 1000
    flops = gg * 1e9 * gs          # GEMM FLOPs in one step
    printf "OPENBLAS_CORETYPE=%s\n", ENVIRON["OPENBLAS_CORETYPE"] ? ENVIRON["OPENBLAS_CORETYPE"] : "unset"
    printf "GEMM work per step:        %.1f MFLOP\n", flops / 1e6
    printf "sgemm alone, same shapes:  %.3f ms/step, %.1f GFLOP/s\n", gs * 1e3, gg
    printf "optselect training step:   %.3f ms/step, %.1f GFLOP/s achieved\n", step * 1e3, flops / step / 1e9
    printf "efficiency:                %.0f%% of sgemm alone\n", 100 * gs / step
    if (pk > 0) {
        printf "FMA peak of one core:      %.1f GFLOP/s (sgemm at %.0f%% of it, the step at %.0f%%)\n",
               pk, 100 * gg / pk, 100 * flops / step / 1e9 / pk
        printf "steps/s at that peak:      %.0f (its products alone, at that peak)\n",
               pk * 1e9 / flops
    } else
        printf "FMA peak of one core:      not measured (no AVX2 and FMA here)\n"
}'
