#!/bin/sh
# strategy = asha: asynchronous successive halving promotes on what its
# rungs have measured so far, so more candidates go on than under halving;
# its decisions come from all results but the last asha_window jobs, so
# threads, worker processes and resuming change nothing; a promoted trial
# continues where it stopped.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"
A="--quiet --format json --set search.strategy=asha"

"$OPTSELECT" --quiet --format json "$cfg" >"$TMP/grid.json"
"$OPTSELECT" --quiet --format json --set search.strategy=halving "$cfg" >"$TMP/halving.json"
"$OPTSELECT" $A "$cfg" >"$TMP/asha.json"
ok $? "an asha study runs"
q() { jq -r "$1" "$TMP/asha.json"; }
at() { jq "[.ranking[] | select(.status == \"ok\" and .steps >= $2)] | length" "$1"; }
is "$(q '.strategy')" asha "the report names the strategy"
is "$(q '[.ranking[] | select(.status == "ok") | .steps] | unique | join(",")')" "33,100,300" \
    "the budgets are halving's: 33, 100, 300 steps"
# a rung promotes 1 in 3 of what it has measured, at any time: at the end
# at least floor(28 / 3) reached 100 steps and floor(that / 3) 300
n100=$(at "$TMP/asha.json" 100)
n300=$(at "$TMP/asha.json" 300)
[ "$n100" -ge 9 ] && [ "$n300" -ge $((n100 / 3)) ]
ok $? "at least 1 in 3 of each budget went on ($n100 to 100 steps, $n300 to 300)"
[ "$n100" -ge "$(at "$TMP/halving.json" 100)" ] && [ "$n300" -ge "$(at "$TMP/halving.json" 300)" ]
ok $? "... no fewer than under halving ($(at "$TMP/halving.json" 100), $(at "$TMP/halving.json" 300))"
best=$(q '.recommendation | "\(.optimizer) \(.lr)"')
is "$(q '.recommendation.score')" \
    "$(jq -r --arg b "$best" '.trials[] | select("\(.optimizer) \(.lr)" == $b) | .score' "$TMP/grid.json")" \
    "the winner's score equals its grid trial's: a promoted trial continues where it stopped"

"$OPTSELECT" $A --threads 1 "$cfg" >"$TMP/one.json"
"$OPTSELECT" $A --threads 3 "$cfg" >"$TMP/three.json"
cmp -s "$TMP/one.json" "$TMP/asha.json" && cmp -s "$TMP/three.json" "$TMP/asha.json"
ok $? "the same report on 1, 2 and 3 threads"
"$OPTSELECT" $A --isolate "$cfg" >"$TMP/iso.json"
jq -S 'del(.effective_config)' "$TMP/asha.json" >"$TMP/asha.norm"
jq -S 'del(.effective_config)' "$TMP/iso.json" | cmp -s - "$TMP/asha.norm"
ok $? "isolation = process: the same report"
"$OPTSELECT" $A --set search.seeds=2 --threads 1 "$cfg" >"$TMP/s1.json"
"$OPTSELECT" $A --set search.seeds=2 --threads 2 "$cfg" >"$TMP/s2.json"
cmp -s "$TMP/s1.json" "$TMP/s2.json"
ok $? "two seeds a candidate: the same report on 1 and 2 threads"
"$OPTSELECT" $A --set search.asha_window=1 --threads 1 "$cfg" >"$TMP/w1a.json"
"$OPTSELECT" $A --set search.asha_window=1 --threads 2 "$cfg" >"$TMP/w1b.json"
cmp -s "$TMP/w1a.json" "$TMP/w1b.json"
ok $? "asha_window = 1: the same report on 1 and 2 threads"
# a window past every job: each decision waits for all results, which is
# synchronous halving keeping floor(rung / 3): 28 → 9 → 3
"$OPTSELECT" $A --set search.asha_window=1000000 "$cfg" >"$TMP/wbig.json"
is "$(at "$TMP/wbig.json" 100),$(at "$TMP/wbig.json" 300)" 9,3 \
    "asha_window = 1000000: 9 candidates reach 100 steps and 3 reach 300"

# a results folder, interrupted by SIGKILL, then resumed: the same report
"$OPTSELECT" $A --set search.steps=3000 "$cfg" >"$TMP/long.json"
"$OPTSELECT" $A --set search.steps=3000 --output "$TMP/res" "$cfg" >/dev/null &
kill_at_journal "$TMP/res" 4 $!
"$OPTSELECT" --quiet --format json --resume "$TMP/res" >"$TMP/resumed.json"
is "$?" 0 "killed after 3 trials were journaled, then resumed: exit 0"
strip() { jq -S 'del(.config, .data.path, .effective_config)' "$1"; }
strip "$TMP/long.json" >"$TMP/long.norm"
strip "$TMP/resumed.json" | cmp -s - "$TMP/long.norm"
ok $? "... the uninterrupted run's report"
is "$(journal_twice "$TMP/res")" 0 \
    "... no trial twice in the journal"

run "$OPTSELECT" --set search.strategy=asha --set search.asha_window=0 "$cfg"
is "$status" 3 "asha_window = 0: exit 3"
grep -q "asha_window" "$TMP/err"
ok $? "... naming the key"

done_testing
