#!/bin/sh
# strategy = halving end to end: promoted trials continue exactly where
# they stopped (the winner's score equals the grid's to the last bit), the
# right number of candidates reaches each budget, the compute is a fraction
# of the grid's, and threads and resuming change nothing.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"
H="--quiet --format json --set search.strategy=halving"

"$OPTSELECT" --quiet --format json "$cfg" >"$TMP/grid.json"
"$OPTSELECT" $H "$cfg" >"$TMP/halving.json"
ok $? "a halving study runs"
q() { jq -r "$1" "$TMP/halving.json"; }
is "$(q '.recommendation | "\(.optimizer) \(.lr) \(.score)"')" \
   "$(jq -r '.recommendation | "\(.optimizer) \(.lr) \(.score)"' "$TMP/grid.json")" \
   "the recommendation and its score equal the grid's: continuing is training in one go"
# 28 candidates: all reach 33 steps (unless they diverge first), 10 go on to
# 100, 4 to 300
is "$(q '[.ranking[] | select(.status == "ok" and .steps == 300)] | length')" 4 \
    "4 candidates (28 → 10 → 4 with eta 3) train the full 300 steps"
is "$(q '[.ranking[] | select(.status == "ok" and .steps == 100)] | length')" 6 \
    "6 stop at 100 steps"
is "$(q '[.ranking[] | select(.status == "ok") | .steps] | .[0:4] | unique | join(",")')" 300 \
    "those that went furthest rank first"
awk -v f="$(q '.compute.fraction')" 'BEGIN { exit !(f > 0.2 && f < 0.35) }'
ok $? "the compute is $(q '.compute.fraction') of the grid's (33·28 + 67·10 + 200·4 steps of 300·28)"
is "$(q '.strategy')" halving "the report names the strategy"

"$OPTSELECT" $H --threads 1 "$cfg" >"$TMP/one.json"
"$OPTSELECT" $H --threads 3 "$cfg" >"$TMP/three.json"
cmp -s "$TMP/one.json" "$TMP/halving.json" && cmp -s "$TMP/three.json" "$TMP/halving.json"
ok $? "the same report on 1, 2 and 3 threads"

"$OPTSELECT" $H --set search.reduction_factor=2 --set search.min_steps=50 "$cfg" >"$TMP/eta2.json"
is "$(jq -r '[.ranking[] | select(.status == "ok") | .steps] | unique | join(",")' "$TMP/eta2.json")" \
    "75,150,300" "eta 2, budgets of at least 50 steps: 75, 150, 300"

# rungs: the budgets as fractions of steps; strategy = auto's with a [full]
# run: 1/8, 1/2 and all of steps, 1 in 4 going on (28 -> 7 -> 2)
"$OPTSELECT" --quiet --format json --set full.steps=900 "$cfg" >"$TMP/auto.json"
is "$(jq -r '.strategy' "$TMP/auto.json") $(jq -r '[.ranking[] | select(.status == "ok") | .steps] | unique | join(",")' "$TMP/auto.json")" \
    "halving 38,150,300" "strategy = auto with a [full] run: rungs 38, 150, 300 (1/8, 1/2, 1)"
is "$(jq -r '[.ranking[] | select(.status == "ok" and .steps == 300)] | length' "$TMP/auto.json")" 2 \
    "  1 in 4 goes on: 28 -> 7 -> 2"
"$OPTSELECT" --quiet --set full.steps=900 --set search.reduction_factor=3 "$cfg" | grep -q "budgets 33 → 100 → 300 steps, 1 in 3 goes on"
ok $? "  a reduction_factor given: the ladder from it instead (33, 100, 300)"
"$OPTSELECT" $H --set search.rungs=0.2,0.6 "$cfg" >"$TMP/rungs.json"
is "$(jq -r '[.ranking[] | select(.status == "ok") | .steps] | unique | join(",")' "$TMP/rungs.json")" \
    "60,180,300" "rungs = 0.2, 0.6: budgets 60, 180 and (1 added) 300"
run "$OPTSELECT" --set search.rungs=0.2,0.6 "$cfg"
is "$status $(cat "$TMP/err")" "3 optselect: --set search.rungs=0.2,0.6: [search] rungs are the budgets of halving, hyperband and asha; strategy = auto without a [full] run is a grid, which trains every candidate for all of steps" \
    "rungs with a grid: one line, exit 3"
run "$OPTSELECT" $H --set search.rungs=0.5,0.25 "$cfg"
is "$status $(cat "$TMP/err")" "3 optselect: --set search.rungs=0.5,0.25: [search] rungs = '0.5,0.25': expected auto, or 1 to 7 increasing fractions of steps, each above 0 and at most 1" \
    "rungs out of order: one line, exit 3"

# a results folder, then resumed: nothing runs again, the same report
"$OPTSELECT" $H --output "$TMP/res" "$cfg" >"$TMP/first.json"
"$OPTSELECT" --quiet --format json --resume "$TMP/res" >"$TMP/resumed.json"
jq -S 'del(.config, .data.path)' "$TMP/first.json" >"$TMP/a"
jq -S 'del(.config, .data.path)' "$TMP/resumed.json" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b"
ok $? "a finished halving study resumed from its journal reports the same"
is "$(($(wc -l <"$TMP/res/journal") - 1))" 28 "... its journal holds each of the 28 trials once"

# In worker processes, a promoted trial continues in the process that holds
# it: the same report, byte for byte, on 1 or 3 workers.
"$OPTSELECT" $H --isolate --threads 1 "$cfg" >"$TMP/iso1.json"
"$OPTSELECT" $H --isolate --threads 3 "$cfg" >"$TMP/iso3.json"
cmp -s "$TMP/iso1.json" "$TMP/halving.json" && cmp -s "$TMP/iso3.json" "$TMP/halving.json"
ok $? "--isolate with halving: the report of threads, on 1 and 3 worker processes"
"$OPTSELECT" --quiet --format json --set search.strategy=hyperband "$cfg" >"$TMP/hb.json"
"$OPTSELECT" --quiet --format json --set search.strategy=hyperband --isolate "$cfg" >"$TMP/hbi.json"
cmp -s "$TMP/hb.json" "$TMP/hbi.json"
ok $? "--isolate with hyperband: the report of threads"

# A halving study cut short (its journal loses its later records) resumes
# to the same report, also with a score that reads every point (auc).
"$OPTSELECT" $H --set search.score=auc --output "$TMP/cut" "$cfg" >"$TMP/whole-auc.json"
head -n 8 "$TMP/cut/journal" >"$TMP/journal.cut" && mv "$TMP/journal.cut" "$TMP/cut/journal"
"$OPTSELECT" --quiet --format json --resume "$TMP/cut" >"$TMP/cut.json"
jq -S 'del(.config, .data.path)' "$TMP/whole-auc.json" >"$TMP/a"
jq -S 'del(.config, .data.path)' "$TMP/cut.json" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b"
ok $? "a halving study resumed after losing 21 of its 28 records reports the same"

# Scores (score.h): extrapolated needs the full run's length, and never
# scores a candidate worse than where its curve already is (last).
run "$OPTSELECT" --set search.score=extrapolated "$cfg"
is "$status" 3 "score = extrapolated without [full] steps: exit 3"
"$OPTSELECT" --quiet --format json --set search.score=last "$cfg" >"$TMP/last.json"
"$OPTSELECT" --quiet --format json --set search.score=extrapolated --set full.steps=20000 \
    --set search.strategy=grid "$cfg" >"$TMP/ext.json"
is "$(jq -r '.score | "\(.kind) \(.full_steps)"' "$TMP/ext.json")" "extrapolated 20000" \
    "the report names the score and the horizon"
jq -s '[.[0].ranking[] | select(.status == "ok") | {k: "\(.optimizer) \(.lr)", s: .score}] as $l
       | [.[1].ranking[] | select(.status == "ok") | {k: "\(.optimizer) \(.lr)", s: .score}] as $e
       | [$e[] | . as $x | ($l[] | select(.k == $x.k) | .s) as $ls | $x.s <= $ls + 1e-12] | all' \
    "$TMP/last.json" "$TMP/ext.json" | grep -qx true
ok $? "every extrapolated score is at most the candidate's last score"
is "$(jq -r '.recommendation.score < 0.081' "$TMP/ext.json")" true \
    "extrapolation credits the winner with the fall still to come"

# score = horizon reads each optimizer's rates at one budget: with a [full]
# run auto is then a grid (halving left one rate of each at the top, scored
# inf), and a strategy that stops rates early is refused.
"$OPTSELECT" --quiet --format json --set search.score=horizon --set full.steps=900 "$cfg" \
    >"$TMP/horizon.json"
is "$(jq -r '.strategy' "$TMP/horizon.json")" grid "score = horizon with a [full] run: auto is a grid"
is "$(jq '.recommendation.score == .ranking[0].score and (.ranking[0].score | type == "number")
          and .ranking[0].score < 1' "$TMP/horizon.json")" true \
    "score = horizon: the recommendation has the best predicted score"
"$OPTSELECT" --set search.score=horizon --set full.steps=3000 "$cfg" >"$TMP/horizon.txt"
grep -q "^lr refinement: adagrad's best rate 0.03162 is the largest of its rates that have a predicted score: 0.1 finished, but moved by the horizon's factor it lies past the rates that did; the best may lie between them\$" "$TMP/horizon.txt"
ok $? "score = horizon: the refinement says why the rate beyond the winner has no score"
run "$OPTSELECT" --set search.score=horizon --set search.strategy=halving --set full.steps=900 "$cfg"
is "$status $(cat "$TMP/err")" "3 optselect: --set search.score=horizon: [search] score = horizon moves each optimizer's rates along its scores at one budget; strategy = halving stops most rates early: use strategy = grid or auto" \
    "score = horizon with strategy = halving: one line, exit 3"

# lr = auto: a range test per optimizer proposes the band; the candidates
# lie in it; config.ini keeps "auto", so rerunning it runs the tests again.
"$OPTSELECT" --quiet --format json --set search.lr=auto --set search.lr_points=4 \
    --output "$TMP/auto" "$cfg" >"$TMP/auto.json"
is "$(jq '[.lr_range_tests[] | select(.ok)] | length' "$TMP/auto.json")" 4 \
    "lr = auto: a range test for each of the 4 optimizers"
jq -e '.lr_range_tests as $t | [.trials[] | . as $c | ($t[] | select(.optimizer == $c.optimizer))
       as $b | ($c.lr >= $b.band[0] * 0.999 and $c.lr <= $b.band[1] * 1.001)] | all' \
    "$TMP/auto.json" >/dev/null
ok $? "every candidate's learning rate lies in its optimizer's band"
jq -e '[.lr_range_tests[] | .band[1] < .diverge_lr] | all' "$TMP/auto.json" >/dev/null
ok $? "each band ends below the rate where the loss diverged"
grep -q '^lr = auto$' "$TMP/auto/config.ini"
ok $? "config.ini keeps lr = auto"
"$OPTSELECT" --quiet --format json --threads 1 "$TMP/auto/config.ini" >"$TMP/auto1.json"
jq -S 'del(.config, .data.path)' "$TMP/auto.json" >"$TMP/a"
jq -S 'del(.config, .data.path)' "$TMP/auto1.json" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b"
ok $? "rerun from config.ini on one thread: the same range tests and ranking"

# hyperband: the first bracket is the halving above (same scores, same
# promotions), so every candidate halving takes to 300 steps gets there too;
# the later brackets add candidates trained from 100 and from 300 steps
"$OPTSELECT" --quiet --format json --set search.strategy=hyperband "$cfg" >"$TMP/hb.json"
ok $? "a hyperband study runs"
at300() { jq -r '[.ranking[] | select(.steps == 300) | "\(.optimizer) \(.lr)"] | sort | .[]' "$1"; }
at300 "$TMP/halving.json" >"$TMP/h300"
at300 "$TMP/hb.json" >"$TMP/hb300"
is "$(comm -23 "$TMP/h300" "$TMP/hb300" | wc -l | tr -d ' ')" 0 \
   "every candidate halving trains to 300 steps, hyperband does too"
n300=$(wc -l <"$TMP/hb300" | tr -d ' ')
[ "$n300" -ge 10 ] && [ "$n300" -le 19 ]
ok $? "$n300 candidates reach 300 steps: at least the last bracket's 10, at most 4 + 5 + 10"
is "$(jq -r '.compute.steps_trained' "$TMP/hb.json")" "$(jq '[.trials[].steps] | add' "$TMP/hb.json")" \
   "a candidate in several brackets trains once: the compute is the steps of the trials"
"$OPTSELECT" --quiet --format json --set search.strategy=hyperband --threads 1 "$cfg" >"$TMP/hb1.json"
cmp -s "$TMP/hb.json" "$TMP/hb1.json"
ok $? "hyperband: the same report on 1 and 2 threads"
"$OPTSELECT" --quiet --format json --set search.strategy=hyperband --output "$TMP/hbres" "$cfg" \
    >/dev/null
head -12 "$TMP/hbres/journal" >"$TMP/j" && mv "$TMP/j" "$TMP/hbres/journal"
"$OPTSELECT" --quiet --format json --resume "$TMP/hbres" >"$TMP/hbresumed.json"
jq -S 'del(.config, .data.path)' "$TMP/hb.json" >"$TMP/a"
jq -S 'del(.config, .data.path)' "$TMP/hbresumed.json" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b"
ok $? "hyperband resumed with 11 of its trials journaled: the same report"
"$OPTSELECT" --format text --quiet --set search.strategy=hyperband "$cfg" | grep -q \
    "^hyperband: 3 brackets of 28 candidates from 33 steps, 14 candidates from 100 steps, 10 candidates from 300 steps$"
ok $? "the text report lists the brackets"
# strategy = auto (the default): grid without a [full] run, halving with one
# (the selection suite's measured best), grid again when trials run isolated
is "$(jq -r '.strategy' "$TMP/grid.json")" grid "auto without [full]: grid"
"$OPTSELECT" --quiet --format json --set full.epochs=5 "$cfg" >"$TMP/auto-full.json"
is "$(jq -r '.strategy' "$TMP/auto-full.json")" halving "auto with [full]: halving"
"$OPTSELECT" --quiet --format json --set full.epochs=5 --set search.strategy=halving \
    --set search.reduction_factor=4 --set search.rungs=0.125,0.5,1 "$cfg" |
    jq -c '.ranking' >"$TMP/explicit"
jq -c '.ranking' "$TMP/auto-full.json" | cmp -s - "$TMP/explicit"
ok $? "  the same study as strategy = halving with reduction_factor 4 and rungs 0.125, 0.5, 1"
"$OPTSELECT" --quiet --set full.epochs=5 "$cfg" | grep -q "^strategy = auto, with a \[full\] run: halving: budgets"
ok $? "  and the text says why"
"$OPTSELECT" --quiet --format json --set full.epochs=5 --set search.isolation=process "$cfg" |
    jq -r '.strategy' | grep -qx halving
ok $? "auto with [full] and isolation = process: halving, as in process"
done_testing
