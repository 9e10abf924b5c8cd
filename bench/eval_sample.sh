#!/bin/sh
# bench/eval_sample.sh — how many validation rows a study's early rungs can
# decide on ([search] eval_sample).  A rung compares candidates; what a
# sample of N rows adds to that comparison is noise in the gap between two
# candidates' losses.  This measures it against the noise the comparison
# has anyway, the seed noise of a gap:
#
#   bench/eval_sample.sh [CONFIG [OPTSELECT]]     (CONFIG: bench/study.ini)
#   STEPS=100 ROWS="250 500 1000 2000 3000" bench/eval_sample.sh ...
#
# - every candidate of the study trains STEPS steps (a grid), measured at
#   STEPS / 2 on every validation row and, in other runs, on samples of N
#   rows (the measurement at STEPS, the budget, is always every row);
# - for each pair of the best third at STEPS / 2 (the candidates a rung
#   boundary falls between), the gap on the sample minus the gap on every
#   row; its standard deviation over the pairs is the sample's noise;
# - the same grid on 3 seeds: for each pair of the best third, the standard
#   deviation of its gap over the seeds at STEPS; the median over the
#   pairs is the seed noise of a gap, which a rung has whatever it measures.
#
# Prints one line per N: a sample whose noise is at most half the seed
# noise adds at most 12% to the comparison's (sqrt(1 + 0.5^2) = 1.12).
# These are accuracies, not timings: run it anywhere (--threads 2).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cfg=${1:-$here/bench/study.ini}
optselect=${2:-$here/optselect}
steps=${STEPS:-100}
half=$((steps / 2))
out=$here/bench/out/eval_sample
mkdir -p "$out"
grid="--threads 2 --quiet --format json --set search.strategy=grid --set search.steps=$steps
      --set search.eval_every=$half"

"$optselect" $grid "$cfg" >"$out/all.json"
"$optselect" $grid --set search.seeds=3 "$cfg" >"$out/seeds.json"
# the seed noise of a gap: for each pair of the best third (by the mean over
# seeds), the standard deviation over the 3 seeds of the gap at STEPS;
# the median over the pairs (trials of one seed start alike and see the
# same batches, so a gap is less noisy than one candidate alone)
seed_sd=$(jq '
    [.trials[] | select(.status == "ok")] | group_by("\(.optimizer) \(.lr)")
    | map(select(length == 3) | sort_by(.seed) | map(.score))
    | sort_by(add) | .[0:(length / 3 | floor)] as $top
    | [range(0; $top | length) as $i | range($i + 1; $top | length) as $j
       | [range(0; 3) as $k | $top[$i][$k] - $top[$j][$k]]
       | (add / 3) as $m | (map((. - $m) * (. - $m)) | add / 2 | sqrt)]
    | sort | .[length / 2 | floor]' "$out/seeds.json")
printf '%8s %12s %12s %10s\n' "rows" "gap noise" "seed noise" "ratio"
for n in ${ROWS:-250 500 1000 2000 3000}; do
    "$optselect" $grid --set search.eval_sample=$n "$cfg" >"$out/s$n.json"
    noise=$(jq -rn --argjson at "$half" --slurpfile a "$out/all.json" \
        --slurpfile b "$out/s$n.json" '
        def mid: [.trials[] | {key: "\(.id)", value: (.curve[] | select(.step == $at)
                  | .val_loss)}] | from_entries;
        ($a[0] | mid) as $f | ($b[0] | mid) as $s
        | [$f | to_entries | sort_by(.value) | .[0:(length / 3 | floor)][] | .key] as $top
        | [range(0; $top | length) as $i | range($i + 1; $top | length) as $j
           | ($s[$top[$i]] - $s[$top[$j]]) - ($f[$top[$i]] - $f[$top[$j]])] as $d
        | ($d | add / length) as $m | ($d | map((. - $m) * (. - $m)) | add / length | sqrt)')
    awk -v n="$n" -v g="$noise" -v s="$seed_sd" 'BEGIN {
        printf "%8d %12.5f %12.5f %10.2f\n", n, g, s, g / s }'
done
