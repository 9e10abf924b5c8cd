#!/bin/sh
# bench/conv_dnnl.sh — the CNN step's convolutions, optselect's lowering
# (models/conv.c) against oneDNN's and against its direct kernels
# (models/conv_direct.c) on the same NCHW buffers, batch 128, one thread
# (bench/conv_dnnl.c says what is measured).  Needs libdnnl-dev.  This bench
# is how each layer's way was chosen (docs/performance.md).  OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE are unset, as in the other benches.
#
#   bench/conv_dnnl.sh [ROUNDS]    (default 3; docs/performance.md keeps each column's best)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
if ! [ -f /usr/include/dnnl.h ]; then
    echo "bench/conv_dnnl.sh: needs oneDNN's header (apt-get install libdnnl-dev)" >&2
    exit 1
fi
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The flags configure gives models/ (VEC_CFLAGS in configure.ac), and the
# one line of config.h that models/conv_dnnl.c reads.
echo '#define HAVE_DNNL 1' >"$tmp/config.h"
cc -O2 -fopenmp -fno-math-errno -fno-trapping-math -fvect-cost-model=dynamic -funswitch-loops \
    -ffp-contract=off -I"$tmp" -I"$here/models" "$here/bench/conv_dnnl.c" \
    "$here/models/conv.c" "$here/models/conv_direct.c" "$here/models/conv_channels.c" "$here/models/conv_sparse.c" \
    "$here/models/conv_layout.c" "$here/models/conv_winograd.c" \
    "$here/models/conv_dnnl.c" \
    "$here/models/pool.c" "$here/models/layer.c" \
    $(pkg-config --cflags --libs openblas) -ldnnl -lm -o "$tmp/conv"
for r in $(seq "${1:-3}"); do
    echo "round $r"
    "$tmp/conv"
done
