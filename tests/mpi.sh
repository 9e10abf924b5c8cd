#!/bin/sh
# MPI ranks: `mpirun -np 3 optselect` gives the threads backend's report, byte
# for byte, for the grid, halving (with eval_sample too), hyperband, asha, the
# reruns, the refinement, validate, a seconds budget and a resumed study; a
# killed rank loses no finished trial, and --resume finishes the study.
# Without MPI in the build, being started by mpirun (or --mpi) is refused in
# one line.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"

if [ "${MPI_BUILT:-no}" != yes ]; then
    run env OMPI_COMM_WORLD_SIZE=3 "$OPTSELECT" "$cfg"
    is "$status" 2 "without MPI: started as one of 3 ranks, exit 2"
    is "$(cat "$TMP/err")" "optselect: started as one of 3 MPI ranks, but this optselect was built without MPI (install libopenmpi-dev and configure --with-mpi); every rank would run the whole study" \
        "... saying why, in one line"
    run "$OPTSELECT" --mpi "$cfg"
    is "$status" 2 "without MPI: --mpi, exit 2"
    is "$(wc -l <"$TMP/err" | tr -d ' ')" 1 "... in one line"
    done_testing
    exit
fi

# Open MPI refuses root without these; one machine, more ranks than cores.
OMPI_ALLOW_RUN_AS_ROOT=1; OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
OMPI_MCA_rmaps_base_oversubscribe=1; OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM OMPI_MCA_rmaps_base_oversubscribe \
    OMPI_MCA_btl_vader_single_copy_mechanism
# LeakSanitizer reports Open MPI's own allocations at exit (its dlopened
# components, which no suppression can name); none of optselect's own showed
# when checked with leaks on (2026-12-02).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"; export ASAN_OPTIONS
MPIRUN=${MPIRUN:-mpirun}
mpi() { np=$1; shift; "$MPIRUN" -np "$np" "$OPTSELECT" --quiet "$@"; }

# same NAME ARGS...: the JSON report of 3 ranks equals the threads backend's
same() {
    name=$1
    shift
    "$OPTSELECT" --quiet --format json "$@" >"$TMP/$name.threads" 2>"$TMP/$name.terr"
    mpi 3 --format json "$@" >"$TMP/$name.mpi" 2>"$TMP/$name.merr"
    is "$?" 0 "$name: mpirun -np 3 exits 0"
    cmp -s "$TMP/$name.threads" "$TMP/$name.mpi"
    ok $? "$name: the report is byte-identical to the threads backend's"
}
same quickstart "$cfg"
same halving --set search.strategy=halving "$cfg"
same halving-sample --set search.strategy=halving --set search.eval_sample=150 "$cfg"
same hyperband --set search.strategy=hyperband "$cfg"
same asha --set search.strategy=asha "$cfg"
same reruns --set search.strategy=halving --set search.rerun_top=3 --set search.rerun_seeds=2 "$cfg"
same refine --set search.refine=train --set search.seeds=2 "$cfg"
same validate validate --set search.strategy=halving --set search.steps=100 --set full.epochs=1 "$cfg"
same spirals "$top_srcdir/configs/spirals.ini"

# Rank counts and thread counts change nothing.
mpi 2 --format json --set search.strategy=halving -j 1 "$cfg" >"$TMP/np2"
cmp -s "$TMP/halving.threads" "$TMP/np2"
ok $? "halving on 2 ranks of 1 thread: the same report"
mpi 4 --format json --set search.strategy=halving -j 2 "$cfg" >"$TMP/np4"
cmp -s "$TMP/halving.threads" "$TMP/np4"
ok $? "halving on 4 ranks of 2 threads: the same report"

# The text report says the same (but for the wall-clock times).
"$OPTSELECT" "$cfg" | sed -E 's/[0-9.]+ s\b/T/g' >"$TMP/text.threads"
mpi 3 "$cfg" | sed -E 's/[0-9.]+ s\b/T/g' >"$TMP/text.mpi"
cmp -s "$TMP/text.threads" "$TMP/text.mpi"
ok $? "the text report is the same"

# [search] seconds: rank 0 times the steps; every rank trains that many.
mpi 3 --format json --set search.seconds=1 --set search.steps=1 "$cfg" >"$TMP/sec.json" 2>"$TMP/sec.err"
is "$?" 0 "a seconds budget on 3 ranks: exit 0"
is "$(jq '[.trials[] | select(.status == "ok") | .steps] | unique | length' "$TMP/sec.json")" 1 \
    "... every finished trial ran the same steps"

# Results folder and resume.
mpi 3 --format json --output "$TMP/dir" "$cfg" >/dev/null
is "$?" 0 "--output on 3 ranks: exit 0"
strip() { jq -S 'del(.config, .data.path, .effective_config)' "$1"; }
strip "$TMP/quickstart.threads" >"$TMP/q.norm"
strip "$TMP/dir/report.json" | cmp -s - "$TMP/q.norm"
ok $? "... rank 0 writes the results folder's report"
is "$(journal_trials "$TMP/dir")" 28 "... and journals the 28 trials once"

# Errors: one line from rank 0.
run mpi 3 --set search.stepz=3 "$cfg"
is "$status" 3 "a misspelt key on 3 ranks: exit 3"
is "$(grep -c '^optselect:' "$TMP/err")" 1 "... one line from optselect"
grep -q "unknown key 'stepz'" "$TMP/err"
ok $? "... naming the key"
run mpi 3 --isolate "$cfg"
is "$status" 2 "--isolate on 3 ranks: exit 2"
grep -q "^optselect: isolation = process (or --isolate) and MPI ranks do not combine" "$TMP/err"
ok $? "... saying they do not combine"

# A rank whose study differs, or that fails on its own: rank 0 ends the
# study with that rank's cause (mpirun's MPMD form gives ranks 1-2 another
# config).
sed "s|^path = \.\./data/|path = $top_srcdir/data/|; s/^lr_range = .*/lr_range = 0.1, 10/" "$cfg" \
    >"$TMP/other.ini"
sed "s|^path = .*|path = $TMP/missing.csv|" "$cfg" >"$TMP/nodata.ini"
run "$MPIRUN" -np 1 "$OPTSELECT" --quiet "$cfg" : -np 2 "$OPTSELECT" --quiet "$TMP/other.ini"
is "$status" 6 "ranks with another study: exit 6"
grep -q "^optselect: MPI rank [12] left the study: MPI rank [12] is out of step with rank 0" "$TMP/err"
ok $? "... rank 0 says a rank is out of step"
run "$MPIRUN" -np 1 "$OPTSELECT" --quiet "$cfg" : -np 2 "$OPTSELECT" --quiet "$TMP/nodata.ini"
is "$status" 6 "ranks that cannot read their data: exit 6"
grep -q "^optselect: MPI rank [12] left the study: $TMP/missing.csv: cannot open" "$TMP/err"
ok $? "... rank 0 prints that rank's cause"

# A rank killed mid-study: mpirun ends the job; every trial finished before
# is in the journal once, and --resume on 3 ranks finishes with the report
# of an uninterrupted run.
K="--format json --set search.steps=3000"
"$OPTSELECT" --quiet $K "$cfg" >"$TMP/whole.json"
strip "$TMP/whole.json" >"$TMP/whole.norm"
mpi 3 $K --output "$TMP/killed" "$cfg" >/dev/null 2>&1 &
pid=$!
wait_journal "$TMP/killed" 4 "$pid"
r0=$(cat "$TMP/killed/.lock" 2>/dev/null)
victim=$(pgrep -P "$(pgrep -P "$pid" | head -n 1)" 2>/dev/null | grep -vx "$r0" | head -n 1)
[ -z "$victim" ] && victim=$(pgrep -x optselect | grep -vx "$r0" | head -n 1)
kill -KILL "$victim" 2>/dev/null
ok $? "a worker rank killed after 3 trials were journaled"
wait "$pid"
rc=$?
[ "$rc" -ne 0 ]
ok $? "... mpirun ends the job with a failure ($rc)"
before=$(journal_trials "$TMP/killed")
mpi 3 --format json --resume "$TMP/killed" >"$TMP/resumed.json" 2>/dev/null
is "$?" 0 "--resume on 3 ranks: exit 0 ($before trials were journaled before)"
strip "$TMP/resumed.json" | cmp -s - "$TMP/whole.norm"
ok $? "... with the uninterrupted run's report"
is "$(journal_twice "$TMP/killed")" 0 \
    "... no trial twice in the journal"
is "$(journal_trials "$TMP/killed")" 28 "... and all 28 in it"

done_testing
