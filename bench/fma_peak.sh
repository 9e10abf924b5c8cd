#!/bin/sh
# bench/fma_peak.sh — builds bench/fma_peak.c and prints one core's FMA peak
# in GFLOP/s, or 0 where the compiler or the CPU lacks AVX2 and FMA (the
# benches then say that the ceiling was not measured).  Used by steps.sh,
# gflops.sh and study.sh for their ceilings.
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if cc -O2 -mavx2 -mfma "$here/fma_peak.c" -o "$tmp/fma_peak" 2>/dev/null &&
    "$tmp/fma_peak" 2>/dev/null; then
    :
else
    echo 0
fi
