#!/bin/sh
# Runs every fuzz target of a fuzzing build for RUNS executions each (or,
# given as Ns, for N seconds each), one after the other, growing a scratch
# corpus from the committed seeds, and prints one line per target.  A
# crash stops that target: its input (crash-*) is left in WORK; copy it
# into tests/fuzz/regressions/TARGET/ so that make check replays it forever
# after.
#
#   mkdir fuzz && cd fuzz && ../configure CC=clang --enable-fuzzing && make check TESTS=
#   ../tests/fuzz/run.sh . 1000000     (or . 600s)
set -u
build=${1:?usage: run.sh BUILD_DIR RUNS|SECONDSs [WORK]}
runs=${2:?usage: run.sh BUILD_DIR RUNS|SECONDSs [WORK]}
case $runs in
*s) limit="-max_total_time=${runs%s}" ;;
*) limit="-runs=$runs" ;;
esac
work=${3:-$build/fuzz-work}
src=$(cd "$(dirname "$0")" && pwd)
export OPTSELECT_PLUGIN_PATH="$build/plugins/.libs"
export ASAN_OPTIONS=detect_leaks=1
status=0
for target in config csv libsvm idx idx_gz journal protocol; do
    mkdir -p "$work/$target"
    start=$(date +%s)
    (cd "$work" && "$build/tests/fuzz/fuzz_$target" "$limit" -print_final_stats=1 \
        -artifact_prefix="$work/$target-" "$work/$target" "$src/corpus/$target" \
        >"$work/$target.log" 2>&1)
    rc=$?
    secs=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$work/$target.log" | tail -n 1)
    crashes=$(ls "$work" | grep -c "^$target-crash\|^$target-leak\|^$target-timeout\|^$target-oom")
    echo "fuzz_$target: ${execs:-?} executions in ${secs} s, $cov, corpus $(ls "$work/$target" | wc -l) inputs, $crashes crashes (exit $rc)"
    [ "$rc" -eq 0 ] || status=1
done
exit $status
