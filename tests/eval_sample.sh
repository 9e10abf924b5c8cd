#!/bin/sh
# [search] eval_sample: the measurements before a trial's full budget use a
# seeded sample of the validation rows, the one at the budget every row.
# Training never reads the validation rows, so a trial trains exactly as
# without the sample: only its curve's intermediate points move.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"
A="--quiet --format json --set search.lr_points=3"

"$OPTSELECT" $A --set search.strategy=grid "$cfg" >"$TMP/all.json"
ok $? "a grid study measures every validation row"
"$OPTSELECT" $A --set search.strategy=grid --set search.eval_sample=120 "$cfg" >"$TMP/s.json"
ok $? "and again with eval_sample = 120"
is "$(jq -r '.data | "\(.validation_rows) \(.validation_sample_rows)"' "$TMP/s.json") $(jq -r \
   '.data.validation_sample_rows' "$TMP/all.json")" "359 120 0" "JSON: 120 of the 359 rows (0: none)"

# trial by trial (the same ids): how many finished; of their points before
# the budget, how many measure otherwise; at the budget, how many differ;
# their training losses and scores, how many differ
compare() { # A.json B.json
    jq -rn --slurpfile a "$1" --slurpfile b "$2" '
        [$a[0].trials, $b[0].trials] | transpose | map(select(.[0].status == "ok")) as $t
        | [$t[] | [.[0].curve, .[1].curve] | transpose[] | select(.[0].step > 0)] as $p
        | ($a[0].budget.steps) as $n
        | "\($t | length) \([$p[] | select(.[0].step < $n and .[0].val_loss != .[1].val_loss)]
           | length)/\([$p[] | select(.[0].step < $n)] | length) \([$p[] | select(.[0].step == $n
           and .[0].val_loss != .[1].val_loss)] | length) \([$p[] | select(.[0].train_loss !=
           .[1].train_loss)] | length) \([$t[] | select(.[0].score != .[1].score)] | length)"'
}
is "$(compare "$TMP/all.json" "$TMP/s.json")" "9 99/99 0 0 0" \
   "every point before the budget measures the sample, the budget's every row: the same scores"

# halving decides its early rungs on the sample: a trial that stopped at a
# rung (75 or 150 steps) scores what the sampled grid trial measured there
"$OPTSELECT" $A --set search.strategy=halving --set search.rungs=0.25,0.5,1 \
    --set search.eval_sample=120 "$cfg" >"$TMP/h.json"
ok $? "halving with eval_sample = 120"
rung=$(jq -rn --slurpfile g "$TMP/s.json" --slurpfile f "$TMP/all.json" --slurpfile h "$TMP/h.json" '
    [$h[0].trials[] | select(.status == "ok" and .steps < $h[0].budget.steps)] as $stopped
    | def at($r; $id; $s): $r.trials[] | select(.id == $id) | .curve[] | select(.step == $s)
                           | .val_loss;
    "\($stopped | length) \([$stopped[] | select(.score == at($g[0]; .id; .steps))] | length)
     \([$stopped[] | select(.score == at($f[0]; .id; .steps))] | length)"' | tr -s ' \n' '  ' | sed 's/ $//')
is "$rung" "7 7 0" "  the 7 stopped trials' scores are the sample's at their rung, none the full set's"
finished=$(jq -rn --slurpfile f "$TMP/all.json" --slurpfile h "$TMP/h.json" '
    [$h[0].trials[] | select(.status == "ok" and .steps == $h[0].budget.steps)] as $done
    | "\($done | length) \([$done[] | . as $t | select($f[0].trials[] | select(.id == $t.id)
      | .score == $t.score)] | length)"')
is "$finished" "2 2" "  the 2 finishers score what the full grid's trials scored"
# worker processes draw the same sample
"$OPTSELECT" $A --set search.strategy=halving --set search.rungs=0.25,0.5,1 \
    --set search.eval_sample=120 --threads 2 --isolate "$cfg" >"$TMP/hi.json"
jq -S 'del(.effective_config)' "$TMP/h.json" >"$TMP/a"
jq -S 'del(.effective_config)' "$TMP/hi.json" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b"
ok $? "  in worker processes (--isolate): the same report"

"$OPTSELECT" --quiet --format text --set search.eval_sample=120 "$cfg" >"$TMP/s.txt"
grep -q "; 120 validation rows measure them before step 300$" "$TMP/s.txt"
ok $? "the text report's data line says so"
"$OPTSELECT" $A --set search.strategy=grid --set search.eval_sample=359 "$cfg" >"$TMP/every.json"
jq -S 'del(.effective_config)' "$TMP/all.json" >"$TMP/a"
jq -S 'del(.effective_config)' "$TMP/every.json" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b"
ok $? "a sample of every validation row is no sample: the same report"

# validate's full runs measure every row: a selection with a sample shares
# them with one without (they come from the journal, not trained again)
V="--quiet --set search.optimizers=adam,rmsprop --set search.lr_points=2 --set search.steps=100 \
--set full.steps=300"
"$OPTSELECT" validate $V --output "$TMP/v" "$cfg" >/dev/null
ok $? "validate without a sample"
mkdir "$TMP/w" && cp -R "$TMP/v/full" "$TMP/w/full"
"$OPTSELECT" validate $V --set search.eval_sample=100 --output "$TMP/w" "$cfg" >/dev/null
ok $? "validate with eval_sample = 100"
is "$(wc -l <"$TMP/w/full/journal" | tr -d ' ') $(jq .data.validation_sample_rows \
   "$TMP/w/selection/report.json")" "5 100" \
   "  its selection sampled; its 4 full runs came from the other's journal"

# one line each for what has no validation rows of optselect's
one_line() { # STATUS NAME LINE
    is "$status $(wc -l <"$TMP/err" | tr -d ' ')" "$1 1" "$2: exit $1, one line"
    is "$(cat "$TMP/err")" "$3" "  $2: the message"
}
printf '[search]\noptimizers = adam\nlr = 0.001\nsteps = 10\neval_sample = 100\n\n[trainer]\ncommand = true {lr}\n' \
    >"$TMP/trainer.ini"
run "$OPTSELECT" "$TMP/trainer.ini"
one_line 3 "a [trainer] command" \
    "optselect: $TMP/trainer.ini:5: [search] eval_sample samples the validation rows; a [trainer] command measures its own loss and has none of optselect's: remove the key"
run "$OPTSELECT" --set search.eval_sample=10 "$top_srcdir/configs/rosenbrock.ini"
one_line 3 "a test function" \
    "optselect: --set search.eval_sample=10: [search] eval_sample samples the validation rows; a test function has none of optselect's: remove the key"
run "$OPTSELECT" --set search.eval_sample=some "$cfg"
one_line 3 "not a number" \
    "optselect: --set search.eval_sample=some: [search] eval_sample = 'some': expected an integer from 0 to 2147483647"
done_testing
