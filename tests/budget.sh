#!/bin/sh
# Trial budgets in epochs or as a fraction of the full run, and full runs
# in epochs: converted to steps once the data is known, and refused in one
# line when given two ways or without what they count.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"
J="--quiet --format json"
# quickstart: trials draw from 1000 rows in batches of 32: 32 steps an epoch
"$OPTSELECT" $J --set search.epochs=2 "$cfg" >"$TMP/e.json"
is "$(jq '.budget.steps' "$TMP/e.json")" 64 "epochs = 2: 2 x ceil(1000 / 32) = 64 steps"
is "$(jq '[.trials[] | select(.status == "ok") | .steps] | unique | join(",")' -r "$TMP/e.json")" 64 \
   "and the trials train 64"
"$OPTSELECT" $J --set search.epochs=0.5 "$cfg" | jq -e '.budget.steps == 16' >/dev/null
ok $? "half an epoch: 16 steps"
"$OPTSELECT" $J --set search.fraction=0.1 --set full.epochs=10 --set full.data=subset "$cfg" \
    >"$TMP/f.json"
is "$(jq -c '[.budget.steps, .score.full_steps]' "$TMP/f.json")" "[32,320]" \
   "fraction 0.1 of a 10-epoch full run on the trials' rows: 32 of 320 steps"
# the full run's epochs are of all 1438 training rows by default, in its own batches
"$OPTSELECT" $J --set search.fraction=0.1 --set full.epochs=10 --set full.batch_size=64 "$cfg" \
    >"$TMP/f2.json"
is "$(jq -c '[.budget.steps, .score.full_steps, .full_run.rows, .full_run.batch_size]' "$TMP/f2.json")" \
   "[46,230,1438,64]" \
   "full run of 10 epochs of 1438 rows at batch 64: 230 steps; a tenth of its rows is 46 of 32"
"$OPTSELECT" $J --set search.fraction=0.25 --set full.steps=1000 "$cfg" | jq -e '.budget.steps == 250' >/dev/null
ok $? "fraction 0.25 of 1000 steps: 250"

# the results folder keeps the budget as given, and runs the same again
"$OPTSELECT" --quiet --set search.epochs=2 --output "$TMP/res" "$cfg" >/dev/null
grep -q '^epochs = 2$' "$TMP/res/config.ini"
ok $? "config.ini keeps epochs = 2"
"$OPTSELECT" $J "$TMP/res/config.ini" | jq -e '.budget.steps == 64' >/dev/null
ok $? "and loads into the same 64-step trials"

refused() { # STATUS NAME PATTERN ARGS...
    want=$1 name=$2 pattern=$3
    shift 3
    run "$OPTSELECT" --quiet "$@"
    [ "$status" -eq "$want" ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q -- "$pattern" "$TMP/err"
    ok $? "$name: $(cat "$TMP/err")"
}
refused 3 "epochs and fraction" "give the trial budget one way" \
    --set search.epochs=1 --set search.fraction=0.1 --set full.steps=900 "$cfg"
refused 3 "fraction without a full run" "fraction is of the full run: set \[full\] steps or epochs" \
    --set search.fraction=0.1 "$cfg"
refused 3 "full run in steps and epochs" "give the full run's length one way" \
    --set full.steps=900 --set full.epochs=3 "$cfg"
refused 3 "epochs of a test function" "a test function has none" \
    --set search.epochs=3 "$top_srcdir/configs/rosenbrock.ini"
refused 3 "extrapolating to a full run shorter than the trials" "must be more than the trials' 64" \
    --set search.epochs=2 --set full.epochs=1 --set search.score=extrapolated "$cfg"

# A budget in seconds: a timed trial turns it into steps, once; every trial
# trains that many, and the journal keeps them for a resumed study.
"$OPTSELECT" $J --set search.seconds=0.2 --set search.optimizers=adam,sgd --output "$TMP/sec" \
    "$cfg" >"$TMP/s.json"
ok $? "seconds = 0.2 runs"
steps=$(jq '.budget.steps' "$TMP/s.json")
ok "$([ "$steps" -ge 1 ] && echo 0 || echo 1)" "it came to $steps steps"
is "$(jq '.budget.steps % .budget.eval_every == 0 or .budget.steps < .budget.eval_every' "$TMP/s.json")" \
   true "whole evaluation periods"
is "$(jq -r '[.trials[] | select(.status == "ok") | .steps] | unique | join(",")' "$TMP/s.json")" \
   "$steps" "every finished trial trained them"
is "$(jq -r '[.budget.seconds, .budget.from_journal, .budget.step_seconds > 0] | join(" ")' "$TMP/s.json")" \
   "0.2 false true" "the report gives the seconds and the step time measured"
head -1 "$TMP/sec/journal" | cut -f1 | grep -Eq " $steps( plugins [0-9a-f]{8})?$"
ok $? "the journal's header keeps the steps"
"$OPTSELECT" $J --set search.seconds=0.2 --set search.optimizers=adam,sgd --output "$TMP/sec" \
    "$cfg" >"$TMP/s2.json" 2>"$TMP/s2.err"
is "$(jq -r '[.budget.steps, .budget.from_journal] | join(" ")' "$TMP/s2.json")" "$steps true" \
   "run again in the same folder: the journal's steps, not a new timing"
is "$(jq -c '[.ranking[] | .score]' "$TMP/s2.json")" "$(jq -c '[.ranking[] | .score]' "$TMP/s.json")" \
   "  and the same ranking, every trial resumed"
"$OPTSELECT" $J --isolate --set search.seconds=0.2 --set search.optimizers=adam "$cfg" \
    | jq -e '.budget.step_seconds > 0 and .budget.steps >= 1' >/dev/null
ok $? "--isolate: the timed trial runs in a worker"
"$OPTSELECT" --quiet --set search.seconds=0.2 --set search.optimizers=adam "$cfg" \
    | grep -q "^budget: 0.2 s per trial came to [0-9]* steps (a step took .* ms in a timed trial of [0-9]* steps)"
ok $? "the text report says what the seconds came to"
refused 3 "seconds and epochs" "give the trial budget one way: epochs, fraction or seconds" \
    --set search.seconds=1 --set search.epochs=2 "$cfg"
refused 3 "a negative budget" "seconds" --set search.seconds=-1 "$cfg"
refused 3 "nothing to time" "every candidate diverged or failed before a step could be timed" \
    --set search.seconds=0.2 --set search.optimizers=sgd --set search.lr=1e5 "$cfg"
"$OPTSELECT" $J --set search.seconds=0.2 --set search.optimizers=sgd --set search.lr=1e5,0.01 "$cfg" \
    | jq -e '.budget.step_seconds > 0 and ([.trials[] | select(.status == "ok") | .steps] | unique | length) == 1' >/dev/null
ok $? "a candidate that diverges at once gives way to the next for the timing"
done_testing
