#!/bin/sh
# bench/eval_sample.sh — how many validation rows the early rungs of
# bench/study.ini can decide on ([search] eval_sample).  A rung compares
# candidates; what a sample of N rows adds to that comparison is noise in
# the gap between two candidates' losses.  This measures it against the
# noise the comparison has anyway, the seed noise of one candidate:
#
#   bench/eval_sample.sh [OPTSELECT]
#
# - every candidate of the study trains 100 steps (a grid), measured at
#   step 50 on every validation row and, in other runs, on samples of N
#   rows (the measurement at step 100, the budget, is always every row);
# - for each pair of the best third at step 50 (the candidates a rung
#   boundary falls between), the gap on the sample minus the gap on every
#   row; its standard deviation over the pairs is the sample's noise;
# - the same grid on 3 seeds: each candidate's standard deviation over the
#   seeds at step 100, the median over the best third, is the seed noise.
#
# Prints one line per N.  Accuracy of the numbers is not timing: run it
# anywhere (--threads 2).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
optselect=${1:-$here/optselect}
cfg=$here/bench/study.ini
out=$here/bench/out/eval_sample
mkdir -p "$out"
grid="--threads 2 --quiet --format json --set search.strategy=grid --set search.steps=100"

"$optselect" $grid "$cfg" >"$out/all.json"
"$optselect" $grid --set search.seeds=3 "$cfg" >"$out/seeds.json"
seed_sd=$(jq '[.ranking | sort_by(.score) | .[0:(length / 3 | floor)][] | .score_std]
              | sort | .[length / 2 | floor]' "$out/seeds.json")
printf '%8s %12s %12s %10s\n' "rows" "gap noise" "seed noise" "ratio"
for n in 250 500 1000 2000 3000; do
    "$optselect" $grid --set search.eval_sample=$n "$cfg" >"$out/s$n.json"
    noise=$(jq -rn --slurpfile a "$out/all.json" --slurpfile b "$out/s$n.json" '
        def at50: [.trials[] | {key: "\(.id)", value: (.curve[] | select(.step == 50)
                   | .val_loss)}] | from_entries;
        ($a[0] | at50) as $f | ($b[0] | at50) as $s
        | [$f | to_entries | sort_by(.value) | .[0:(length / 3 | floor)][] | .key] as $top
        | [range(0; $top | length) as $i | range($i + 1; $top | length) as $j
           | ($s[$top[$i]] - $s[$top[$j]]) - ($f[$top[$i]] - $f[$top[$j]])] as $d
        | ($d | add / length) as $m | ($d | map((. - $m) * (. - $m)) | add / length | sqrt)')
    awk -v n="$n" -v g="$noise" -v s="$seed_sd" 'BEGIN {
        printf "%8d %12.5f %12.5f %10.2f\n", n, g, s, g / s }'
done
