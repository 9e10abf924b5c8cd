# bench/torch_env.sh — sourced by the benches: how they run PyTorch.
#
# torch_run THREADS ARGS...: runs python3 ARGS with PyTorch at its best on
# THREADS threads here.  Two settings matter, both measured on 2026-12-06 on
# this project's VM:
# - torch's matrix products go to the system's OpenBLAS (Debian's build is
#   BLAS_INFO=generic), whose own threads would oversubscribe the cores
#   torch was given: OPENBLAS_NUM_THREADS = THREADS (the MLP's rate went
#   from 100-140 to 160-200 steps/s);
# - torch's CPU allocator frees its tensors to glibc, which returns large
#   blocks to the kernel and faults them in again on the next step; with
#   glibc's default thresholds a run is either fast or three times slower
#   (the CNN at 13.6 or 49.8 steps/s, back to back).  A 32 MiB mmap
#   threshold and a 256 MiB trim threshold keep the blocks: the MLP at
#   600-700 steps/s, the CNN at 42-50, every run.
# optselect allocates its buffers once per trial and needs neither.
TORCH_MALLOC="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"
torch_run() { # THREADS ARGS...
    _threads=$1
    shift
    OPENBLAS_NUM_THREADS=$_threads GLIBC_TUNABLES=$TORCH_MALLOC ${PYTHON:-/usr/bin/python3} "$@"
}
