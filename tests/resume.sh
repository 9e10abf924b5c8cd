#!/bin/sh
# Nothing finished is lost: a study killed with SIGKILL at random moments
# and resumed each time ranks exactly as one that was never interrupted, and
# its journal holds each trial once.  Also: a torn last record is dropped,
# damage in the middle is refused.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"
set_steps="--set search.steps=4000"

# The uninterrupted run.  The reports differ only in how the config and the
# data file are named (config.ini holds absolute paths).
strip() { jq -S 'del(.config, .data.path)' "$1"; }
"$OPTSELECT" --format json $set_steps --output "$TMP/whole" "$cfg" >"$TMP/whole.json"
ok $? "the uninterrupted study runs"
strip "$TMP/whole.json" >"$TMP/whole.norm"
trials=$(jq '.trials | length' "$TMP/whole.json")

# records FILE: the trial indices of a journal's complete records (those
# that end in a newline), one per line, sorted.
records() { head -n "$(wc -l <"$1")" "$1" | sed 1d | awk '{ print $2 }' | sort -n; }

# Kill the study several times at random moments, each time after it has
# run 0.2 to 2.5 s; then let a resume finish it.
attempt=0
lost=0
for run in 1 2 3; do
    dir="$TMP/killed$run"
    "$OPTSELECT" --format json $set_steps --output "$dir" "$cfg" >/dev/null 2>&1 &
    pid=$!
    kills=0
    while [ "$kills" -lt 3 ]; do
        delay=$(awk -v r="$(od -An -N2 -tu2 /dev/urandom)" 'BEGIN { printf "%.2f", 0.2 + 2.3 * r / 65535 }')
        sleep "$delay"
        kill -9 "$pid" 2>/dev/null || break   # it finished first
        wait "$pid" 2>/dev/null
        kills=$((kills + 1))
        [ -f "$dir/journal" ] && records "$dir/journal" >"$TMP/before"
        # resume, and kill that too (except the last time round)
        "$OPTSELECT" --format json --resume "$dir" >"$TMP/resumed$run.json" 2>"$TMP/resumed.err" &
        pid=$!
        # the resumed run keeps everything the killed one had finished
        if [ -f "$TMP/before" ]; then
            sleep 0.1
            records "$dir/journal" >"$TMP/after"
            comm -23 "$TMP/before" "$TMP/after" | grep -q . && lost=$((lost + 1))
        fi
        attempt=$((attempt + 1))
    done
    wait "$pid"
    is $? 0 "run $run: the last resume (after $kills kill(s)) finishes"
    "$OPTSELECT" --format json --resume "$dir" >"$TMP/final$run.json" 2>/dev/null
    strip "$TMP/final$run.json" >"$TMP/final$run.norm"
    cmp -s "$TMP/whole.norm" "$TMP/final$run.norm"
    ok $? "run $run: the resumed study's report equals the uninterrupted one"
    is "$(records "$dir/journal" | uniq -d | wc -l | tr -d ' ')" 0 \
        "run $run: no trial is journaled twice"
    is "$(records "$dir/journal" | wc -l | tr -d ' ')" "$trials" \
        "run $run: every trial is journaled once"
done
is "$lost" 0 "no kill lost a finished trial ($attempt kills)"

# A finished study resumed runs nothing and says so.
"$OPTSELECT" --format json --resume "$TMP/whole" >"$TMP/again.json" 2>"$TMP/again.err"
is "$(cat "$TMP/again.err")" "optselect: $TMP/whole: resuming: $trials of $trials trials already finished" \
    "resuming a finished study reruns nothing"

# A torn last record (a kill during the write) is dropped, and rerun.
cp -r "$TMP/whole" "$TMP/torn"
head -c -40 "$TMP/whole/journal" >"$TMP/torn/journal"
"$OPTSELECT" --format json --resume "$TMP/torn" >"$TMP/torn.json" 2>"$TMP/torn.err"
is $? 0 "a torn last record: the study resumes"
is "$(cat "$TMP/torn.err")" "optselect: $TMP/torn: resuming: $((trials - 1)) of $trials trials already finished" \
    "... without the torn trial, which runs again"
strip "$TMP/torn.json" | cmp -s "$TMP/whole.norm" -
ok $? "... and the report equals the uninterrupted one"

# One flipped character in the middle is damage, not a torn write.
cp -r "$TMP/whole" "$TMP/bad"
awk 'NR == 5 { sub(/trial/, "trail") } { print }' "$TMP/whole/journal" >"$TMP/bad/journal"
"$OPTSELECT" --resume "$TMP/bad" >/dev/null 2>"$TMP/bad.err"
is $? 4 "a damaged record in the middle: exit 4"
is "$(cat "$TMP/bad.err")" "optselect: $TMP/bad/journal:5: damaged record (bad checksum or syntax) with more records after it; the journal cannot be trusted: remove it to start over" \
    "... with one line naming the file and line"
# One results folder, one writer: a second optselect on the same --output
# is refused with the holder's pid while the first runs, and the folder is
# free again once it is gone.
cfg="$top_srcdir/configs/quickstart.ini"
"$OPTSELECT" --quiet --output "$TMP/busy" --set search.steps=1000000 "$cfg" \
    >/dev/null 2>&1 &
holder=$!
# (without the lock the second would train too: timeout turns that into a failure)
for i in $(seq 100); do [ -s "$TMP/busy/.lock" ] && break; sleep 0.1; done
run timeout 60 "$OPTSELECT" --quiet --output "$TMP/busy" --set search.steps=1000000 "$cfg"
is "$status" 3 "a second study on a folder in use: exit 3"
is "$(cat "$TMP/err")" "optselect: $TMP/busy: another optselect (pid $holder) is writing this results folder; wait for it to finish, or use another --output" \
    "... one line naming the folder and the holder's pid"
kill -TERM "$holder"
wait "$holder"
run "$OPTSELECT" --quiet --output "$TMP/busy" --set search.steps=10 "$cfg"
case "$(cat "$TMP/err")" in
*"belongs to a different study"*) ok 0 "once the holder is gone the folder is free (the next refusal is the journal's, not the lock's)" ;;
*) ok 1 "once the holder is gone the folder is free: $(cat "$TMP/err")" ;;
esac
# lr = auto resolves its rates into the study's plan, never into the config:
# the folder's config.ini keeps "lr = auto", and --resume finds every trial
# of the study it records (the fingerprint is the same study's).
"$OPTSELECT" --quiet --output "$TMP/auto" --set search.steps=50 \
    --set optimizer.adam.lr=auto "$cfg" >/dev/null 2>&1
grep -A1 -x '\[optimizer.adam\]' "$TMP/auto/config.ini" | grep -qx 'lr = auto'
ok $? "lr = auto: the results folder's config.ini keeps lr = auto"
run "$OPTSELECT" --resume "$TMP/auto"
is "$status" 0 "... and --resume of that folder succeeds"
case "$(cat "$TMP/err")" in
*"resuming: 21 of 21 trials already finished"*) ok 0 "... replaying every trial from the journal" ;;
*) ok 1 "... replaying every trial from the journal: $(cat "$TMP/err")" ;;
esac
# The fingerprint hashes the plan: a key that decides no journaled trial
# (refine, isolation, [full] seeds) resumes the journal, and so does a key
# newer than the journal format at its default (eval_sample = 0: a journal
# from before the key resumes); one that decides trials (eval_every, a
# sample), or a rate list that comes to other candidates, does not.
"$OPTSELECT" --quiet --output "$TMP/fp" --set search.steps=40 "$cfg" >/dev/null 2>&1
for set in search.refine=off search.isolation=process full.seeds=3 search.eval_sample=0; do
    run "$OPTSELECT" --output "$TMP/fp" --set search.steps=40 --set "$set" "$cfg"
    case "$status $(cat "$TMP/err")" in
    "0 "*"resuming: 28 of 28 trials already finished"*) ok 0 "$set: the same trials, resumed" ;;
    *) ok 1 "$set: the same trials, resumed: $status $(cat "$TMP/err")" ;;
    esac
done
for set in search.eval_every=20 search.lr_points=8 search.seed=2 data.validation=0.3 \
    search.eval_sample=100; do
    run "$OPTSELECT" --output "$TMP/fp" --set search.steps=40 --set "$set" "$cfg"
    case "$status $(cat "$TMP/err")" in
    "3 "*"belongs to a different study"*) ok 0 "$set: other trials, refused" ;;
    *) ok 1 "$set: other trials, refused: $status $(cat "$TMP/err")" ;;
    esac
done
# the same rates written otherwise are the same candidates
run "$OPTSELECT" --quiet --output "$TMP/fp2" --set search.steps=40 --set search.lr=0.01,0.1 "$cfg"
run "$OPTSELECT" --output "$TMP/fp2" --set search.steps=40 --set "search.lr=1e-1, 1e-2" "$cfg"
case "$status $(cat "$TMP/err")" in
"0 "*"resuming: 8 of 8 trials already finished"*) ok 0 "the same rates in another order and notation: resumed" ;;
*) ok 1 "the same rates in another order and notation: resumed: $status $(cat "$TMP/err")" ;;
esac
# a journal of format 1 (before the fingerprint hashed the plan)
sed -i '1s/^optselect-journal 2 /optselect-journal 1 /' "$TMP/fp/journal"
run "$OPTSELECT" --quiet --resume "$TMP/fp"
is "$status $(cat "$TMP/err")" "3 optselect: $TMP/fp/journal: the journal was written by an earlier optselect (journal format 1), whose fingerprint this one cannot check; use another --output folder, or remove it to start over" \
    "a journal of format 1: one line, exit 3"
done_testing
