#!/bin/sh
# bench/pool.sh — max pooling on the CNN's two pooled tensors, models/pool.c's
# AVX2 kernels against its portable loops, batch 128, one thread
# (bench/pool.c says what is measured; docs/performance.md keeps the
# figures).  Compiled with the flags configure gives models/.
#
#   bench/pool.sh [ROUNDS]    (default 3)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -fno-math-errno -fno-trapping-math -fvect-cost-model=dynamic -funswitch-loops \
    -ffp-contract=off -I"$here/models" "$here/bench/pool.c" "$here/models/pool.c" -o "$tmp/pool"
for r in $(seq "${1:-3}"); do
    echo "round $r"
    "$tmp/pool"
done
