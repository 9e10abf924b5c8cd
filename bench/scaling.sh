#!/bin/sh
# bench/scaling.sh — speed-up with 1..N threads (N: the machine's cores, or
# the argument), in optselect's two parallel plans:
#   trials  — the 8x7 study of bench/study.ini (grid, 100-step trials): many
#             small trials, one per thread;
#   split   — one LeNet-style CNN trial (bench/scaling-cnn.ini: adam, batch
#             64, 100 steps) whose steps are split into 16 chunks
#             (batch_split = 16): data-parallel steps.
# Each cell is the study's own "ran in" time; speed-up is against 1 thread
# of the same plan (the same computation: results do not depend on the
# thread count).
#
# With MPI in the build (optselect --version) and mpirun on the path, the
# same for 1, 2, 4, ... training ranks of one thread each (mpirun -np R+1:
# rank 0 schedules): the grid of bench/study.ini, and its successive
# halving, where a promoted trial stays on the rank that holds it; beside
# it, halving on as many threads, which moves trials freely (the cost of
# keeping each trial's state where it is).
#
#   bench/scaling.sh [MAX_THREADS [OPTSELECT]]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
max=${1:-$(nproc)}
optselect=${2:-$here/optselect}
unset OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS OMP_NUM_THREADS

ran() { sed -n 's/^ran in \([0-9.]*\) s.*/\1/p'; }
trials() {
    "$optselect" --threads "$1" --set search.strategy=grid --set search.steps=100 \
        "$here/bench/study.ini" | ran
}
split() {
    "$optselect" --threads "$1" "$here/bench/scaling-cnn.ini" | ran
}

printf '%-8s %12s %10s %12s %10s\n' threads "trials s" speed-up "split s" speed-up
for t in 1 2 3 4 6 8 12 16 24 32 48 64; do
    [ "$t" -le "$max" ] || break
    a=$(trials "$t")
    b=$(split "$t")
    [ "$t" -eq 1 ] && a1=$a && b1=$b
    awk -v t="$t" -v a="$a" -v b="$b" -v a1="$a1" -v b1="$b1" \
        'BEGIN { printf "%-8d %12.2f %9.2fx %12.2f %9.2fx\n", t, a, a1 / a, b, b1 / b }'
done

"$optselect" --version | grep -q '^MPI: yes' && command -v mpirun >/dev/null || exit 0
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
halving() { # RANKS|0 THREADS
    if [ "$1" -gt 0 ]; then set -- mpirun -np $(($1 + 1)) "$optselect" --threads 1; else
        set -- "$optselect" --threads "$2"; fi
    "$@" --set search.strategy=halving --set search.steps=300 "$here/bench/study.ini" | ran
}
echo
printf '%-8s %12s %10s %12s %10s %14s\n' ranks "grid s" speed-up "halving s" speed-up "threads: halving s"
for r in 1 2 4 8 16 32 64; do
    [ "$r" -le "$max" ] || break
    a=$(mpirun -np $((r + 1)) "$optselect" --threads 1 --set search.strategy=grid \
        --set search.steps=100 "$here/bench/study.ini" | ran)
    b=$(halving "$r" 1)
    c=$(halving 0 "$r")
    [ "$r" -eq 1 ] && a1=$a && b1=$b
    awk -v r="$r" -v a="$a" -v b="$b" -v c="$c" -v a1="$a1" -v b1="$b1" \
        'BEGIN { printf "%-8d %12.2f %9.2fx %12.2f %9.2fx %14.2f\n", r, a, a1 / a, b, b1 / b, c }'
done
