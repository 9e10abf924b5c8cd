#!/bin/sh
# The noise check (rerun_top, rerun_seeds): the best candidates train again
# on more seeds, their means rank them, and a lead within seed noise is
# reported as a tie.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"
R="--quiet --format json --set search.rerun_top=3 --set search.rerun_seeds=3"

"$OPTSELECT" $R "$cfg" >"$TMP/r.json"
ok $? "a study with the noise check runs"
q() { jq -r "$1" "$TMP/r.json"; }
is "$(q '.choice.reruns')" "$(q '[.ranking[] | select(.seeds == 3)] | length * 2')" \
   "every rerun candidate has 2 more seeds"
is "$(q '[.ranking[:3][] | .seeds] | unique | join(",")')" 3 \
   "the best three after the reruns all rest on 3 seeds (a candidate that rose is rerun too)"
is "$(q '.recommendation.seeds')" 3 "the recommendation is one of them"
is "$(q '.choice.runner_up.seeds')" 3 "and so is the runner-up"

# rerun_top = 1 once let a one-seed candidate win over the rerun leader,
# whose mean had regressed: the winner and runner-up now share their seeds.
"$OPTSELECT" --quiet --format json --set search.rerun_top=1 "$cfg" >"$TMP/r1top.json"
is "$(jq -r '[.recommendation.seeds, .choice.runner_up.seeds] | join(",")' "$TMP/r1top.json")" \
   "3,3" "rerun_top = 1: the winner and the runner-up both on 3 seeds"
is "$(jq -r '[.ranking[] | select(.seeds == 1 and .score < .ranking[1].score)] | length' "$TMP/r1top.json")" \
   0 "  and no one-seed candidate ranks above the runner-up"

# the best other optimizer: the first finished candidate of another optimizer
is "$(q '.choice.best_other | [.optimizer, .lr, .rank] | map(tostring) | join(" ")')" \
   "$(q '.ranking[0].optimizer as $w | [.ranking | to_entries[] | select(.value.status == "ok" and .value.optimizer != $w)][0] | [.value.optimizer, .value.lr, .key + 1] | map(tostring) | join(" ")')" \
   "the JSON names the best candidate of another optimizer"

# A rerun is the trial that seeds = 3 would have run: the same means.
"$OPTSELECT" --quiet --format json --set search.seeds=3 "$cfg" >"$TMP/s3.json"
key='"\(.optimizer) \(.lr)"'
for c in $(q "[.ranking[] | select(.seeds == 3) | $key | @base64] | .[]"); do
    name=$(printf '%s' "$c" | base64 -d)
    a=$(q ".ranking[] | select($key == \"$name\") | .score")
    b=$(jq -r ".ranking[] | select($key == \"$name\") | .score" "$TMP/s3.json")
    is "$a" "$b" "$name: the mean of its 3 seeds equals the seeds = 3 study's"
done

# margin and noise
is "$(q '(.ranking[1].score - .ranking[0].score) * 1e9 | round')" \
   "$(q '.choice.margin * 1e9 | round')" "the margin is the runner-up's mean minus the winner's"
is "$(q '((.ranking[0].score_std * .ranking[0].score_std / 3 + .ranking[1].score_std * .ranking[1].score_std / 3) | sqrt) * 1e9 | round')" \
   "$(q '.choice.noise * 1e9 | round')" "the noise is the standard error of the difference"
is "$(q '.choice.tie')" "$(q '.choice.margin < 2 * .choice.noise')" \
   "a tie exactly when the margin is under twice the noise"
"$OPTSELECT" --quiet --set search.rerun_top=3 "$cfg" >"$TMP/r.txt"
n=$(q '[.ranking[] | select(.seeds == 3)] | length')
if [ "$n" -gt 3 ]; then rose=": the best 3, and $((n - 3)) that rose among them after a rerun"; else rose=; fi
grep -q "^noise check: $n candidates trained again, 3 seeds each ($((2 * n)) more trials)$rose$" "$TMP/r.txt"
ok $? "the text report says what the noise check did ($n candidates)"
if [ "$(q '.choice.best_other.rank')" != 2 ]; then
    grep -q "^best other optimizer: $(q '.choice.best_other.optimizer') with lr = " "$TMP/r.txt"
    ok $? "and the best other optimizer, below the runner-up"
else
    ! grep -q "^best other optimizer" "$TMP/r.txt"
    ok $? "and no best-other line when the runner-up is of another optimizer"
fi
if [ "$(q '.choice.tie')" = true ]; then word="a TIE, within seed noise"; else word="times the seed noise"; fi
grep "^runner-up: " "$TMP/r.txt" | grep -q "$word"
ok $? "and names the runner-up with the verdict ($word)"
grep -q "^compute: [0-9]* training steps" "$TMP/r.txt"
ok $? "and the compute spent"

"$OPTSELECT" $R --threads 1 "$cfg" >"$TMP/r1.json"
cmp -s "$TMP/r.json" "$TMP/r1.json"
ok $? "the same report on 1 and 2 threads"

# without reruns and one seed: no measure of the noise, and it says so
"$OPTSELECT" --quiet "$cfg" >"$TMP/plain.txt"
grep -q "one seed each: no measure of the seed noise" "$TMP/plain.txt"
ok $? "one seed: the report says the margin cannot be judged"
"$OPTSELECT" --quiet --format json "$cfg" | jq -e '.choice.noise == null and .choice.tie == false' >/dev/null
ok $? "one seed: no noise, no tie claimed"

"$OPTSELECT" --quiet --format json --set search.rerun_top=2 "$cfg" | jq -S '.ranking' >"$TMP/a"
"$OPTSELECT" --quiet --format json --set search.rerun_top=2 --set search.isolation=process "$cfg" |
    jq -S '.ranking' >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b"
ok $? "rerun_top with isolation = process: the ranking of threads, reruns included"
done_testing
