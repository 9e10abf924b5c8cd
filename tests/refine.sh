#!/bin/sh
# Learning-rate refinement ([search] refine): the parabola through the
# winner's rate and its neighbours, the trial at the rate it proposes, and
# when that trial becomes the recommendation.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/spirals.ini"
# adam at rates a factor of 10 apart: its best lies between two of them
R="--quiet --format json --set search.optimizers=adam,rmsprop --set search.lr=0.001,0.01,0.1
   --set search.seeds=2 --set search.steps=500 --set search.strategy=grid --set search.refine=train"

"$OPTSELECT" $R "$cfg" >"$TMP/r.json"
ok $? "a study with refinement runs"
q() { jq -r "$1" "$TMP/r.json"; }
is "$(q '.refine.status')" ok "an interior winner: the fit has a minimum"
is "$(q '.refine.optimizer')" "$(q '.ranking[0].optimizer')" "it refines the winner's optimizer"
is "$(q '[.refine.fitted[].lr] | map(tostring) | join(",")')" "0.001,0.01,0.1" \
   "fitted through the winner and its two neighbours"
is "$(q '.refine.fitted[1].score == .ranking[0].score')" true \
   "the winner's fitted score is its ranked score (a grid, no reruns)"
is "$(q '.refine.best_lr > .refine.fitted[0].lr and .refine.best_lr < .refine.fitted[2].lr')" \
   true "the proposed rate lies between the neighbours"
is "$(q '.refine.band_1pct[0] <= .refine.best_lr and .refine.best_lr <= .refine.band_1pct[1]')" \
   true "the 1% band contains it"
is "$(q '.refine.trained.seeds')" 2 "it trained on the winner's 2 seeds"
is "$(q '.refine.recommended == (.refine.trained.score < .ranking[0].score)')" true \
   "recommended exactly when it scored lower than the winner"
is "$(q 'if .refine.recommended then .recommendation.lr == .refine.best_lr else .recommendation.lr == .ranking[0].lr end')" \
   true "the recommendation follows"
is "$(q '.recommendation.refined == .refine.recommended')" true "and says whether it is refined"
is "$(q '.compute.steps_trained')" "$(q '([.trials[].steps] | add) + 2 * 500')" \
   "its two trials count as compute"

# The refined trial is the one a grid with that rate would have run.
lr=$(q '.refine.best_lr')
"$OPTSELECT" --quiet --format json --set search.optimizers=adam --set search.lr="$lr" \
    --set search.seeds=2 --set search.steps=500 --set search.refine=off "$cfg" >"$TMP/g.json"
is "$(jq -r '.ranking[0].score' "$TMP/g.json")" "$(q '.refine.trained.score')" \
   "its score equals a grid trial's at lr $lr"

# Same bits on any thread count, and in worker processes.
OMP_NUM_THREADS=1 "$OPTSELECT" $R --threads 1 "$cfg" | jq -c '.refine, .recommendation' >"$TMP/t1"
q '.refine, .recommendation' | jq -c . >"$TMP/t2"
cmp -s "$TMP/t1" "$TMP/t2"
ok $? "the same refinement on 1 thread as on 2"
"$OPTSELECT" $R --isolate "$cfg" | jq -c '.refine, .recommendation' >"$TMP/iso"
cmp -s "$TMP/iso" "$TMP/t2"
ok $? "the same refinement with isolation = process"

# The text report explains it.
"$OPTSELECT" --quiet $(echo "$R" | sed 's/--format json//') "$cfg" >"$TMP/r.txt"
grep -q "^lr refinement: the parabola in log(lr) through adam's scores at 0.001, 0.01 and 0.1 (500 steps) is lowest at" "$TMP/r.txt"
ok $? "the text names the fitted rates and the minimum"
grep -q "^lr refinement: .* trained on 2 seeds: .* against .* at 0.01: " "$TMP/r.txt"
ok $? "and the trial against the winner"

# Off: no fit, no trial, the grid's compute.
"$OPTSELECT" $R --set search.refine=off "$cfg" >"$TMP/off.json"
is "$(jq -r '.refine' "$TMP/off.json")" null "refine = off: no refinement"
is "$(jq -r '.compute.steps_trained == ([.trials[].steps] | add)' "$TMP/off.json")" true \
   "and no extra compute"
is "$(jq -r '.ranking | map(.score) | tostring' "$TMP/off.json")" "$(q '.ranking | map(.score) | tostring')" \
   "the ranking is the same either way"

# A winner at the edge of its rates names the rate beyond.
"$OPTSELECT" --quiet --format json --set search.optimizers=adam --set search.lr=0.0001,0.0003 \
    --set search.steps=100 "$cfg" >"$TMP/e.json"
is "$(jq -r '.refine.status' "$TMP/e.json")" edge_high "the largest rate wins: edge_high"
is "$(jq -r '.refine.trained' "$TMP/e.json")" null "nothing is trained"
"$OPTSELECT" --quiet --set search.optimizers=adam --set search.lr=0.0001,0.0003 \
    --set search.steps=100 "$cfg" | grep -q "^lr refinement: adam's best rate 0.0003 is the largest of its rates that finished: the best may lie higher"
ok $? "the text says the best may lie higher"

# refine decides no journaled trial: a journal resumes whichever way it is set.
mkdir -p "$TMP/j"
"$OPTSELECT" $R --set search.refine=off --output "$TMP/j" "$cfg" >/dev/null
"$OPTSELECT" --quiet $(echo "$R" | sed 's/--format json//') --output "$TMP/j" "$cfg" >"$TMP/j.txt"
grep -q "trials resumed from the journal" "$TMP/j.txt"
ok $? "a journal written with refine = off resumes with refine = train"

# The default, report: the same fit, no trial, the grid's recommendation.
"$OPTSELECT" $R --set search.refine=report "$cfg" >"$TMP/rep.json"
is "$(jq -c '.refine | del(.trained, .recommended)' "$TMP/rep.json")" \
   "$(jq -c '.refine | del(.trained, .recommended)' "$TMP/r.json")" "refine = report: the same fit and band"
is "$(jq -r '[.refine.trained, .refine.recommended, .recommendation.refined] | join(" ")' "$TMP/rep.json")" \
   " false false" "  nothing trained, nothing refined recommended"
is "$(jq -r '.compute.steps_trained == ([.trials[].steps] | add) and .recommendation.lr == .ranking[0].lr' "$TMP/rep.json")" \
   true "  no extra compute; the recommendation is the grid's winner"
is "$(OPTSELECT_DUMMY=1 "$OPTSELECT" --help-config | grep -c '^  refine  *default report ')" 1 \
   "report is the default"
done_testing
