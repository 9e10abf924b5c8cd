#!/bin/sh
# examples/torch-trainer: optselect tunes a PyTorch program (a character
# LSTM) through the [trainer] command: 4 of torch's optimizers × 5 rates
# with successive halving, validated against full runs, killed with
# SIGKILL on the way and resumed with nothing lost; and train.py trains
# with optselect's own plugins through python/optselect.  Needs Debian's
# python3-torch (CI installs it).
. "${top_srcdir:-.}/tests/lib.sh"
if [ "${TORCH_TESTS:-yes}" = no ]; then
    echo "1..0 # SKIP configured with --disable-torch-tests (or a sanitizer)"
    exit 0
fi
PATH=$(dirname "${PYTHON:-/usr/bin/python3}"):$PATH # the python3 with torch first
export PATH
if ! python3 -c "import torch" 2>/dev/null; then
    echo "1..0 # SKIP python3 cannot import torch (apt-get install python3-torch)"
    exit 0
fi
ex="$top_srcdir/examples/torch-trainer"
V="validate --format json --threads 2 -o $TMP/v --set full.steps=240"

"$OPTSELECT" $V "$ex/study.ini" >/dev/null 2>"$TMP/err1" &
kill_at_journal "$TMP/v/selection" 5 $!
n=$(journal_trials "$TMP/v/selection")
[ "$n" -ge 4 ] && [ "$n" -lt 20 ]
ok $? "validate killed with SIGKILL after $n of the selection's 20 trials"
run "$OPTSELECT" $V "$ex/study.ini"
ok $status "run again, it ends"
grep -q "resuming: $n of 20 trials already finished" "$TMP/err"
ok $? "... resuming the $n trials the journal kept"
is "$(journal_twice "$TMP/v/selection")" 0 "... none of them trained twice"
is "$(journal_trials "$TMP/v/selection")" 20 "the journal holds all 20"
r="$TMP/v/selection/report.json"
is "$(jq -r '.strategy' "$r")" halving "the selection is successive halving"
is "$(jq -r '[.trials[].optimizer] | unique | join(",")' "$r")" "adagrad,adam,rmsprop,sgd" \
    "... over 4 of torch's optimizers"
is "$(jq -r '[.trials[] | select(.optimizer == "adam") | .lr] | length' "$r")" 5 "... at 5 rates each"
is "$(jq -r '[.trials[] | select(.status == "ok" and .steps == 120)] | length' "$r")" 2 \
    "2 candidates (20 -> 5 -> 2) reach the last budget, continued from their checkpoints"
is "$(jq -r '.compute.steps_run_again' "$r")" 0 "... nothing ran twice"
is "$(jq -r '.ranking[0].val_acc > 0.3' "$r")" true "the winner learns (val_acc over 30%)"
v="$TMP/v/validation.json"
is "$(jq -r '.candidates' "$v"),$(jq -r '.full_steps' "$v")" "20,240" \
    "validate trained all 20 for the full 240 steps"
jq -e '.rank >= 1 and .kendall_tau >= -1' "$v" >/dev/null
ok $? "... and ranked the recommendation among them (rank $(jq -r .rank "$v"))"

# optselect's plugins in the same PyTorch program, through python/optselect
run "$OPTSELECT" --format json --quiet --set search.optimizers=adam,lion \
    --set search.lr_points=2 --set search.strategy=grid --set search.steps=20 \
    --set "trainer.command=python3 train.py --plugins --optimizer {optimizer} --lr {lr} --steps {steps} --seed {seed} --hparams {hparams}" \
    "$ex/study.ini"
ok $status "train.py --plugins: a study of optselect's adam and lion in PyTorch"
is "$(jq -r '[.trials[] | select(.status == "ok")] | length' "$TMP/out")" 4 "... all 4 trials finish"
done_testing
