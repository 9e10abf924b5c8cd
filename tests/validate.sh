#!/bin/sh
# optselect validate: the full runs it trains are exactly the study at the
# full length, the figures it reports follow from its own table, a second
# validation of the same candidates reuses the full runs, and bad requests
# are refused in one line.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"
# 2 optimizers x 4 rates, 100-step trials against 600-step full runs
S="--quiet --set search.optimizers=adam,rmsprop --set search.lr_points=4 \
--set search.lr_range=0.3,30 --set search.steps=100 --set full.steps=600"

"$OPTSELECT" validate $S --format json --output "$TMP/v" "$cfg" >"$TMP/v.json"
ok $? "validate runs"
q() { jq -r "$1" "$TMP/v.json"; }
is "$(q '.candidates')" 8 "8 candidates compared"
cmp -s "$TMP/v.json" "$TMP/v/validation.json"
ok $? "the results folder keeps the same comparison in validation.json"

# The full runs are the study itself at 600 steps on every training row
# ([full] data = all, the default), scored by the smoothed final
# validation loss: same losses, same order.
"$OPTSELECT" $S --set search.steps=600 --set search.score=last --set data.subset=0 \
    --set search.strategy=grid --format json "$cfg" >"$TMP/long.json"
is "$(q '[.candidates_by_full_run[] | "\(.optimizer) \(.lr) \(.score)"] | join(";")')" \
   "$(jq -r '[.ranking[] | "\(.optimizer) \(.lr) \(.score)"] | join(";")' "$TMP/long.json")" \
   "the full runs rank as the study run for 600 steps does, to the last digit"
is "$(jq -r '[.ranking[] | "\(.optimizer) \(.lr)"] | join(";")' "$TMP/v/selection/report.json")" \
   "$(jq -r '[.candidates_by_full_run | sort_by(.selection_rank)[] | "\(.optimizer) \(.lr)"] | join(";")' "$TMP/v.json")" \
   "the selection ranks come from the selection's own report"

# The figures follow from the table.
is "$(q '.rank')" "$(q '[.candidates_by_full_run[] | select(.selection_rank == 1) | .full_rank][0]')" \
   "rank: the full-run place of the selection's first"
is "$(q '(.recommendation.score - .best_full_run.score) / .best_full_run.score | . * 1e6 | round')" \
   "$(q '.regret * 1e6 | round')" "regret: the recommendation's full loss over the best, relative"
is "$(q '.compute.full_grid_steps')" 4800 "the full grid: 8 trials of 600 steps"
is "$(q '.compute.selection_steps')" \
   "$(jq -r '.compute.steps_trained' "$TMP/v/selection/report.json")" \
   "the selection's steps as its report counts them"
is "$(q '.compute.fraction * 4800 | round')" "$(q '.compute.selection_steps')" \
   "compute: selection steps over full-grid steps"
# Kendall's tau-b from the table, in jq: ties on either side count for neither
is "$(q '[.candidates_by_full_run[] | [(if .selection_status == "ok" then .selection_rank else 1e9 end),
        (if .status == "ok" then .score else 1e300 end)]] as $p
      | [range(0; $p | length) as $i | range($i + 1; $p | length) as $j
         | [($p[$i][0] - $p[$j][0]), ($p[$i][1] - $p[$j][1])]
         | [(if .[0] > 0 then 1 elif .[0] < 0 then -1 else 0 end),
            (if .[1] > 0 then 1 elif .[1] < 0 then -1 else 0 end)]] as $s
      | ([$s[] | select(.[0] * .[1] > 0)] | length) as $c
      | ([$s[] | select(.[0] * .[1] < 0)] | length) as $d
      | ([$s[] | select(.[0] != 0)] | length) as $tx
      | ([$s[] | select(.[1] != 0)] | length) as $ty
      | ($c - $d) / (($tx * $ty) | sqrt) * 1e9 | round')" \
   "$(q '.kendall_tau * 1e9 | round')" "Kendall's tau-b recomputed from the table"
awk -v r="$(q '.spearman_rho')" 'BEGIN { exit !(r >= -1 && r <= 1) }'
ok $? "Spearman's rho $(q '.spearman_rho') is a correlation"

# Another score of the same candidates: the full runs come from the journal.
mkdir "$TMP/w" && cp -R "$TMP/v/full" "$TMP/w/full"
"$OPTSELECT" validate $S --set search.score=auc --output "$TMP/w" "$cfg" \
    >"$TMP/w.txt" 2>"$TMP/w.err"
ok $? "validate with score = auc"
is "$(wc -l <"$TMP/w/full/journal" | tr -d ' ')" 9 \
   "the full runs were not trained again (the journal still has 8 trials)"
is "$(jq -r '.selection.score' "$TMP/w/validation.json")" auc "the comparison names its score"
grep -q "^validation: the selection against full runs of 600 steps" "$TMP/w.txt"
ok $? "the text report ends with the comparison"
grep -q "Kendall tau" "$TMP/w.txt" && grep -q "regret" "$TMP/w.txt"
ok $? "the text names tau and the regret"

# [full] seeds: the truth averages more seeds than the selection ran
"$OPTSELECT" validate $S --set full.seeds=2 --format json --output "$TMP/s2" "$cfg" >"$TMP/s2.json"
is "$(jq '.trials | length' "$TMP/s2/full/report.json") $(jq '.trials | length' "$TMP/s2/selection/report.json")" \
   "16 8" "full.seeds = 2: 16 full runs for the 8 one-seed trials"
is "$(jq -r '[.full_seeds, .candidates, .compute.full_grid_steps] | join(" ")' "$TMP/s2.json")" \
   "2 8 4800" "the same 8 candidates; the grid it saves is still one run per selection trial"
is "$(jq -r '[.candidates_by_full_run[] | (.score // -1) * 1e6 | round] | join(" ")' "$TMP/s2.json")" \
   "$(jq -r '[.ranking[] | (.score // -1) * 1e6 | round] | join(" ")' "$TMP/s2/full/report.json")" \
   "the full losses are the seed means of the full study's ranking"
is "$(jq -c '.recommendation | [.optimizer, .lr, .hparams]' "$TMP/s2.json")" \
   "$(jq -c '.recommendation | [.optimizer, .lr, .hparams]' "$TMP/s2/selection/report.json")" \
   "full.seeds = 2: the recommendation named is the selection's (not another candidate's)"
is "$(jq -r '.recommendation.score' "$TMP/s2.json")" \
   "$(jq -r --argjson r "$(jq -c '.recommendation | [.optimizer, .lr]' "$TMP/s2.json")" \
      '.candidates_by_full_run[] | select([.optimizer, .lr] == $r) | .score' "$TMP/s2.json")" \
   "  and its score is its own full runs' loss"

# A refined recommendation ([search] refine) is no candidate of the full
# grid: its full run trains apart, and rank and regret are its.
# Beale's function: no BLAS, so the refined rate wins on every CPU kernel.
fn="$top_srcdir/configs/rosenbrock.ini"
F="--quiet --set model.function=beale --set search.optimizers=adam --set search.lr=0.1,1,10 \
--set search.seeds=2 --set search.steps=300 --set search.eval_every=50 --set full.steps=1500 \
--set search.refine=train"
"$OPTSELECT" validate $F --format json --output "$TMP/rf" "$fn" >"$TMP/rf.json"
ok $? "validate with a refined recommendation runs"
r() { jq -r "$1" "$TMP/rf.json"; }
is "$(jq -r '.refine.recommended' "$TMP/rf/selection/report.json")" true \
   "  (the selection recommends its refined rate)"
is "$(r '.recommendation.refined')" true "the recommendation is marked refined"
is "$(r '.recommendation.lr')" "$(jq -r '.refine.best_lr' "$TMP/rf/selection/report.json")" \
   "  at the selection's refined rate"
"$OPTSELECT" --quiet --format json --set model.function=beale --set search.optimizers=adam \
    --set search.lr="$(r '.recommendation.lr')" --set search.seeds=2 --set search.steps=1500 \
    --set search.eval_every=50 --set search.score=last --set search.refine=off \
    "$fn" >"$TMP/rf-long.json"
is "$(r '.recommendation.score')" "$(jq -r '.ranking[0].score' "$TMP/rf-long.json")" \
   "its full-run loss is a study's at that rate and the full length"
is "$(r '[.candidates_by_full_run[] | select(.status == "ok" and .score < '"$(r '.recommendation.score')"')] | length + 1')" \
   "$(r '.rank')" "rank: one more than the full runs that beat it"
is "$(r '(.recommendation.score - .best_full_run.score) / .best_full_run.score | . * 1e6 | round')" \
   "$(r '.regret * 1e6 | round')" "regret: its full loss over the best full run's"
is "$(r '.candidates')" 3 "the full grid is still the 3 candidates"

# csv: one row per candidate, in full-run order
"$OPTSELECT" validate $S --format csv "$cfg" >"$TMP/v.csv"
is "$(wc -l <"$TMP/v.csv" | tr -d ' ')" 9 "csv: a header and 8 rows"
is "$(sed -n 2p "$TMP/v.csv" | cut -d, -f1)" 1 "csv: the best full run first"

# refusals
run "$OPTSELECT" validate --quiet "$cfg"
is "$status" 3 "no [full] steps: a configuration error"
grep -q "quickstart.ini: validate trains every candidate for the full run: set \[full\] steps" \
    "$TMP/err" && [ "$(wc -l <"$TMP/err")" -eq 1 ]
ok $? "one line naming the file: $(cat "$TMP/err")"
run "$OPTSELECT" validate
is "$status" 2 "validate without a config: usage error"
run "$OPTSELECT" validate --quiet "$top_srcdir/configs/batch-sizes.ini"
is "$status" 2 "a file of several studies needs --study"
grep -q "choose one with --study NAME" "$TMP/err"
ok $? "and says so"

# tau and rho again over the candidates that finished in both runs: the
# pairs of a failed candidate are easy, and are counted apart.
"$OPTSELECT" validate --quiet --format json --set full.steps=200 --set search.steps=60 \
    "$top_srcdir/configs/quickstart.ini" >"$TMP/vf.json"
is "$(jq '[.candidates_by_full_run[] | select(.status == "ok" and .selection_status == "ok")] | length' "$TMP/vf.json")" \
    "$(jq '.finished_in_both' "$TMP/vf.json")" "finished_in_both counts the candidates that finished in both"
is "$(jq '[.candidates_by_full_run[] | select((.status == "ok") != (.selection_status == "ok"))] | length' "$TMP/vf.json")" \
    "$(jq '.failed_in_one' "$TMP/vf.json")" "failed_in_one counts those that failed in one run only"
is "$(jq '.kendall_tau_finished < .kendall_tau and .failed_in_one + .finished_in_both < .candidates' "$TMP/vf.json")" \
    true "with failures the tau over the finished is the lower, stricter one"
done_testing
