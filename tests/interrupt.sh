#!/bin/sh
# SIGINT and SIGTERM: running trials stop at their next step, the report of
# what finished is still written, and the exit status says which signal.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"

# interrupted SIGNAL STATUS: starts a study that cannot finish (a million
# steps per trial), signals it once it has started, and checks the outcome.
interrupted() {
    "$OPTSELECT" --format json --output "$TMP/$1" --set search.steps=1000000 \
        "$cfg" >"$TMP/$1.json" 2>"$TMP/$1.err" &
    pid=$!
    # wait until trials run: the journal is opened just before they start
    # (the thread count says nothing: OpenBLAS starts its own at load), then
    # give them time for a few steps, however slow the build (sanitizers)
    i=0
    while [ "$i" -lt 200 ] && [ ! -s "$TMP/$1/journal" ]; do
        sleep 0.05
        i=$((i + 1))
    done
    sleep 1
    kill -"$1" "$pid"
    # a watchdog, so that a hang fails the test instead of stalling it
    (sleep 30; kill -9 "$pid" 2>/dev/null) &
    watchdog=$!
    wait "$pid"
    status=$?
    kill "$watchdog" 2>/dev/null
    is "$status" "$2" "SIG$1 ends the study with exit status $2"
    jq -e . "$TMP/$1.json" >/dev/null
    ok $? "SIG$1: the report is still written, as valid JSON"
    is "$(jq -r '.interrupted_trials' "$TMP/$1.json")" 28 \
        "SIG$1: all 28 trials are reported as interrupted (none can finish)"
    is "$(jq -r '[.trials[] | .status == "interrupted"] | all' "$TMP/$1.json")" true \
        "SIG$1: each trial's status says so"
    is "$(jq -r '.recommendation' "$TMP/$1.json")" null "SIG$1: no recommendation from unfinished trials"
    is "$(jq -r '[.trials[] | select(.steps > 0)] | length > 0' "$TMP/$1.json")" true \
        "SIG$1: trials that were running report the steps they took"
    cmp -s "$TMP/$1.json" "$TMP/$1/report.json"
    ok $? "SIG$1: report.json in the results folder is the partial report too"
    is "$(wc -l <"$TMP/$1/journal" | tr -d ' ')" 1 \
        "SIG$1: interrupted trials are not journaled (a resume reruns them)"
}
interrupted INT 130
interrupted TERM 143

# Uninterrupted studies say so too.
"$OPTSELECT" --format json --set search.steps=10 "$cfg" >"$TMP/plain.json"
is "$(jq -r '.interrupted_trials' "$TMP/plain.json")" 0 "an uninterrupted study reports 0"
done_testing
