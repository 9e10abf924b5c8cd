#!/bin/sh
# isolation = process: a plugin that segfaults, aborts, exits, hangs, writes
# NaN, was built for another ABI or crashes on load costs its own trials
# only; every good trial completes and the study exits 0.
. "${top_srcdir:-.}/tests/lib.sh"
B="$top_builddir/tests/broken/.libs"
# Under AddressSanitizer a segfault would be caught and turned into exit(1):
# let the signal through, as it is without sanitizers.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0"; export ASAN_OPTIONS
cat >"$TMP/study.ini" <<'INI'
[data]
format = synthetic
generator = spirals
samples = 600
[model]
hidden = 16
[search]
optimizers = sgd, adam, crash, abort, exit, hang, nan-out, abi_major, crash_load
lr = 0.01, 0.1
steps = 60
batch_size = 32
eval_every = 20
isolation = process
trial_timeout = 2
INI
plugins=""
for p in crash abort exit hang nan_out abi_major crash_load; do
    plugins="$plugins --plugin $B/$p.so"
done

run "$OPTSELECT" --format json $plugins "$TMP/study.ini"
is "$status" 0 "a study with seven broken plugins exits 0"
is "$(wc -l <"$TMP/err" | tr -d ' ')" 0 "... with nothing on stderr"
cp "$TMP/out" "$TMP/broken.json"
q() { jq -r "$1" "$TMP/broken.json"; }
is "$(q '[.trials[] | select(.optimizer == "sgd" or .optimizer == "adam") | .status] | join(",")')" \
    "ok,ok,ok,ok" "every trial of the good optimizers completes"
is "$(q '.recommendation.optimizer')" adam "... and one of them is recommended"

# cause OPTIMIZER STATUS PATTERN: both trials of OPTIMIZER end with STATUS,
# their message matching PATTERN.
cause() {
    got=$(q "[.trials[] | select(.optimizer == \"$1\") | \"\\(.status): \\(.message)\"] | unique | join(\"|\")")
    printf '%s\n' "$got" | grep -Eq "^$2: $3\$"
    ok $? "$1: $2 with its cause ($got)"
    is "$(q "[.trials[] | select(.optimizer == \"$1\")] | length")" 2 "$1: both learning rates are reported"
}
cause crash failed 'crashed: the worker died of signal 11 \(Segmentation fault\)'
cause abort failed 'crashed: the worker died of signal 6 \(Aborted\)'
cause exit failed 'exited: the worker called exit\(3\) before finishing'
cause hang failed 'timed out: the worker ran past trial_timeout = 2 s and was killed'
cause nan-out diverged 'training loss became nan at step 4'
cause abi_major failed "plugin refused: $B/abi_major.so: built for plugin ABI 2.3, but this optselect supports ABI 1.x \(it is 1.2\)"
cause crash_load failed "plugin refused: $B/crash_load.so: crashed while loading \(Segmentation fault\)"

# isolation = process in an included file, or in the [study NAME] that
# runs, protects the loading of the plugins too (the look ahead before they
# load used to read only the top file's [search]: a segfault).
sed '/^isolation = process/d' "$TMP/study.ini" >"$TMP/base.ini"
printf '[search]\nisolation = process\n' >"$TMP/iso.inc"
{ echo 'include = iso.inc'; cat "$TMP/base.ini"; } >"$TMP/inc-main.ini"
run "$OPTSELECT" --format json $plugins "$TMP/inc-main.ini"
is "$status" 0 "isolation = process in an included file: exit 0 with a plugin crashing on load"
is "$(jq -r '[.trials[] | select(.optimizer == "crash_load") | .status] | join(",")' "$TMP/out")" \
    "failed,failed" "... whose trials fail, one line each"
{ cat "$TMP/base.ini"; printf '[study iso]\nsearch.isolation = process\n'; } >"$TMP/batch.ini"
run "$OPTSELECT" --quiet --output "$TMP/batch" $plugins "$TMP/batch.ini"
is "$status" 0 "isolation = process in a [study NAME]: the batch exits 0"
is "$(jq -r '[.trials[] | select(.optimizer == "crash_load") | .status] | join(",")' \
    "$TMP/batch/iso/report.json")" "failed,failed" "... and the study's crash_load trials fail"
run "$OPTSELECT" --format json $plugins --study iso "$TMP/batch.ini"
is "$status" 0 "--study iso: exit 0"

# An isolated study computes exactly what an in-process one does.
cfg="$top_srcdir/configs/quickstart.ini"
"$OPTSELECT" --format json --set search.steps=40 "$cfg" >"$TMP/inproc.json"
"$OPTSELECT" --format json --set search.steps=40 --isolate "$cfg" >"$TMP/isolated.json"
cmp -s "$TMP/inproc.json" "$TMP/isolated.json"
ok $? "--isolate: the report is byte-identical to the in-process one"

# Every strategy runs in worker processes: the broken plugins fail their own
# trials under halving, hyperband, the reruns and the refinement too, and
# every good trial ends (tests/halving.sh: the same report as in process).
for how in "search.strategy=halving" "search.strategy=hyperband" \
           "search.rerun_top=2 --set search.rerun_seeds=2" \
           "search.strategy=halving --set search.refine=train"; do
    run "$OPTSELECT" --format json $plugins --set $how "$TMP/study.ini"
    is "$status" 0 "$how with seven broken plugins: exit 0"
    cp "$TMP/out" "$TMP/broken.json"
    cause crash failed 'crashed: the worker died of signal 11 \(Segmentation fault\)'
    cause hang failed 'timed out: the worker ran past trial_timeout = 2 s and was killed'
    is "$(q '[.trials[] | select(.optimizer == "sgd" or .optimizer == "adam") | .status] | unique | join(",")')" \
        ok "... and every trial of sgd and adam ends ok"
done
# The noise check's reruns in worker processes: those of threads.
R="--format json --set search.rerun_top=2 --set search.rerun_seeds=3 --set search.optimizers=sgd,adam"
"$OPTSELECT" $R "$TMP/study.ini" >"$TMP/rerun-iso.json"
"$OPTSELECT" $R --set search.isolation=none "$TMP/study.ini" >"$TMP/rerun-in.json"
is "$(jq '[.ranking[] | select(.seeds == 3)] | length' "$TMP/rerun-iso.json")" 3 \
    "rerun_top in worker processes: the top two, and the one that rose into them, rerun on three seeds"
jq -S 'del(.effective_config)' "$TMP/rerun-iso.json" >"$TMP/a"
jq -S 'del(.effective_config)' "$TMP/rerun-in.json" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b"
ok $? "... and the report is that of threads (but for the isolation key)"

# After max_crashes crashes of one plugin file, its other trials are skipped.
run "$OPTSELECT" --format json --threads 1 --plugin "$B/crash.so" \
    --set search.optimizers=sgd,crash --set search.lr=0.01,0.02,0.03,0.04,0.05 \
    --set search.max_crashes=2 "$TMP/study.ini"
is "$status" 0 "max_crashes: exit 0"
is "$(jq '[.trials[] | select(.message | startswith("crashed:"))] | length' "$TMP/out")" 2 \
    "max_crashes = 2: two trials crash"
is "$(jq -r "[.trials[] | select(.message | startswith(\"skipped: $B/crash.so crashed, exited or timed out in 2 trials\"))] | length" "$TMP/out")" 3 \
    "... and the other three are skipped with the reason"

# Interrupting an isolated study reaches its workers.
"$OPTSELECT" --format json --isolate --set search.steps=1000000 "$cfg" >"$TMP/int.json" 2>/dev/null &
pid=$!
sleep 1
kill -TERM "$pid"
(sleep 30; kill -9 "$pid" 2>/dev/null) &
watchdog=$!
wait "$pid"
is $? 143 "--isolate: SIGTERM ends the study with 143"
kill "$watchdog" 2>/dev/null
is "$(jq '.interrupted_trials' "$TMP/int.json")" 28 "... and reports its 28 trials as interrupted"

# In-process trials honour trial_timeout between steps.
run "$OPTSELECT" --format json --set search.trial_timeout=0.001 --set search.steps=1000000 \
    --set search.optimizers=sgd "$cfg"
is "$(jq -r '[.trials[] | .message | startswith("timed out: still running after trial_timeout = 0.001 s")] | all' "$TMP/out")" \
    true "in-process: trial_timeout fails the trials that run past it"
# A worker killed from outside (the OOM killer, an operator: SIGKILL that
# optselect did not send) costs nothing: its trial restarts in a new worker,
# retrains through the budgets it had passed, and goes on.  Then the parent
# itself is killed, and --resume finishes the study.  Each time: the report
# of an uninterrupted run, and every trial once in the journal.
K="--quiet --format json --set search.strategy=halving --set search.steps=15000 --threads 1"
"$OPTSELECT" $K "$cfg" >"$TMP/whole.json"
strip() { jq -S 'del(.config, .data.path, .effective_config)' "$1"; }
strip "$TMP/whole.json" >"$TMP/whole.norm"
# kill_workers PID N: kills N of PID's running workers, a few steps apart,
# each holding another trial (a worker is named optselect-tI for its trial I,
# and its restart keeps the name: a restarted trial is killed only once)
kill_workers() {
    killed=0 tries=0 hit=" "
    while [ "$killed" -lt "$2" ] && [ "$tries" -lt 3000 ] && kill -0 "$1" 2>/dev/null; do
        for c in $(pgrep -P "$1"); do
            name=$(cat "/proc/$c/comm" 2>/dev/null) || continue
            case "$hit" in *" $name "*) continue ;; esac
            if [ "$(ps -o stat= -p "$c" 2>/dev/null | cut -c1)" = R ]; then
                kill -KILL "$c" 2>/dev/null && killed=$((killed + 1)) hit="$hit$name "
                sleep 0.1
                break
            fi
        done
        tries=$((tries + 1))
        sleep 0.01
    done
}
"$OPTSELECT" $K --isolate --output "$TMP/killed" "$cfg" >"$TMP/killed.json" &
pid=$!
kill_workers "$pid" 2
wait "$pid"
is $? 0 "two workers killed from outside: the study still exits 0 ($killed killed)"
is "$killed" 2 "... both kills landed on running workers"
strip "$TMP/killed.json" | cmp -s - "$TMP/whole.norm"
ok $? "... and its report is the uninterrupted run's"
is "$(journal_twice "$TMP/killed")" 0 \
    "... with no trial twice in its journal"
is "$(journal_trials "$TMP/killed")" 28 "... and all 28 in it"

# A trial whose worker is killed again after its restart fails, by name
# (the killed plugin SIGKILLs its own worker in every third step).
run "$OPTSELECT" --format json --plugin "$B/killed.so" \
    --set search.optimizers=sgd,killed "$TMP/study.ini"
is "$status" 0 "a plugin killed in every worker: the study exits 0"
is "$(jq -r '[.trials[] | select(.optimizer == "killed") | .message] | unique | join("|")' "$TMP/out")" \
    "killed: its worker was killed from outside (SIGKILL) twice, the second time after a restart (the out-of-memory killer?)" \
    "... its trials fail, saying they were killed twice"
is "$(jq -r '[.trials[] | select(.optimizer == "sgd") | .status] | join(",")' "$TMP/out")" ok,ok \
    "... and the others are ok"

"$OPTSELECT" $K --isolate --output "$TMP/parent" "$cfg" >/dev/null 2>&1 &
pid=$!
kill_workers "$pid" 1
sleep 0.5
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 0.2 # its workers see the socket close and leave
"$OPTSELECT" --quiet --format json --isolate --resume "$TMP/parent" >"$TMP/resumed.json"
is $? 0 "a worker, then the parent killed: --resume --isolate exits 0"
strip "$TMP/resumed.json" | cmp -s - "$TMP/whole.norm"
ok $? "... with the uninterrupted run's report"
is "$(journal_twice "$TMP/parent")" 0 \
    "... and no trial twice in its journal"
is "$(pgrep -f "output $TMP/parent" | wc -l | tr -d ' ')" 0 "... and the killed parent left no worker behind"
# A plugin's error text of several lines, a carriage return and a terminal
# escape: one line in every report, the same with and without isolation.
want='message-lines step 3 failed (OS_EINVAL: invalid hyperparameter or argument): first line\nsecond line\rthird \x1b[31mred'
for iso in none process; do
    run "$OPTSELECT" --plugin "$B/message_lines.so" --set search.optimizers=message-lines \
        --set search.lr=0.1 --set search.isolation=$iso "$TMP/study.ini"
    is "$(sed -n 's/^no recommendation: .*(first failure: \(.*\))$/\1/p' "$TMP/out")" "$want" \
        "isolation = $iso: a plugin's message of three lines is one line of the report, escaped"
    "$OPTSELECT" --quiet --format json --plugin "$B/message_lines.so" \
        --set search.optimizers=message-lines --set search.lr=0.1 --set search.isolation=$iso \
        "$TMP/study.ini" >"$TMP/lines-$iso.json"
done
is "$(jq -r '.trials[0].message' "$TMP/lines-none.json")" "$want" "... and of the JSON report"
is "$(jq -c '.trials' "$TMP/lines-process.json")" "$(jq -c '.trials' "$TMP/lines-none.json")" \
    "... whose trials are the same with isolation"
done_testing
