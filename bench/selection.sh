#!/bin/sh
# bench/selection.sh — selection quality over the benchmark suite: for each
# task in bench/selection/*.ini and each variant, `optselect validate`
# compares the selection with the full runs [full] declares (all the
# training rows, the task's length and schedule, averaged over [full]
# seeds).  The full runs of a task are trained once
# (bench/out/selection/TASK/full) and reused by every variant.  Prints one
# table per task and the medians over tasks per variant (Markdown, as
# docs/selection-quality.md holds them).
#
#   bench/selection.sh [-o OPTSELECT] [-t TASK]... [-v VARIANT]...
#
# Variants (the trial budget is a fraction of the full run's rows, so that
# compute stays under 10% of the full grid):
#   default         optselect's defaults, nothing set but the budget: trials
#                   of up to 1/3 of the full run (strategy = auto runs
#                   successive halving with a [full] run, rungs 1/8, 1/2
#                   and all of that, 1 in 4 going on: about 9% compute; the
#                   trials' rows grow with their length, subset_grow)
#   grid-constant   grid, score final, trials at a constant rate (the
#                   defaults before trials followed the full run's schedule)
#   grid-final      grid, score final, trials following the schedule
#   grid-last, grid-auc   the same with the other scores
#   halving-ladder  the default before its rungs (2026-12-06): successive
#                   halving with reduction factor 3 over budgets 1/27, 1/9
#                   and 1/3 of the full run
#   halving-final   successive halving (eta 3) up to 1/3 of the full run
#   halving-nogrow  the same on the subset as given (subset_grow = false)
#   halving-rerun   the default with the noise check inside the budget: the
#                   top budget 0.3 (RERUN_FRACTION) and rerun_top = 2,
#                   rerun_seeds = 2
#   horizon-grid    grid with score = horizon (each optimizer's rates moved
#                   to the full run's length, horizon_exponent 0.5)
# Each cell: Kendall tau, Spearman rho, the recommendation's regret and rank
# among the full runs, the compute, and the truth's own noise: the standard
# error of the best full run's mean over its seeds, relative to its loss (a
# regret under twice it is within the truth's noise).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
optselect="$here/../optselect"
tasks="" variants=""
while getopts o:t:v: opt; do
    case $opt in
    o) optselect=$OPTARG ;;
    t) tasks="$tasks $OPTARG" ;;
    v) variants="$variants $OPTARG" ;;
    *) echo "usage: $0 [-o OPTSELECT] [-t TASK]... [-v VARIANT]..." >&2; exit 2 ;;
    esac
done
[ -n "$tasks" ] || tasks=$(cd "$here/selection" && ls *.ini | sed 's/\.ini$//')
[ -n "$variants" ] ||
    variants="default halving-ladder grid-constant grid-final halving-nogrow horizon-grid"
# optselect picks the BLAS kernels itself; a stray setting would slow it
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_NUM_THREADS
out="$here/out/selection"
mkdir -p "$out"

summary="$out/summary.tsv"
: >"$summary"
for task in $tasks; do
    cfg="$here/selection/$task.ini"
    echo "## $task"
    echo
    sed -n 's/^; Selection suite task: //p' "$cfg"
    echo
    echo "| variant | trial steps | Kendall τ | Spearman ρ | regret | truth's noise | rank | compute |"
    echo "|---|---|---|---|---|---|---|---|"
    for v in $variants; do
        case $v in
        default) set -- --set search.fraction=0.3333 ;;
        halving-ladder) set -- --set search.fraction=0.3333 --set search.reduction_factor=3 ;;
        grid-constant) set -- --set search.fraction=0.0833 --set search.schedule=constant \
            --set search.strategy=grid --set search.score=final ;;
        grid-*) set -- --set search.fraction=0.0833 --set search.strategy=grid \
            --set search.score="${v#grid-}" ;;
        halving-rerun) set -- --set search.fraction="${RERUN_FRACTION:-0.3}" \
            --set search.rerun_top=2 --set search.rerun_seeds=2 ;;
        halving-nogrow) set -- --set search.fraction=0.3333 --set search.strategy=halving \
            --set search.reduction_factor=3 --set data.subset_grow=false ;;
        halving-*) set -- --set search.fraction=0.3333 --set search.strategy=halving \
            --set search.reduction_factor=3 --set search.score="${v#halving-}" ;;
        horizon-grid) set -- --set search.fraction=0.0833 --set search.strategy=grid \
            --set search.score=horizon ;;
        *) echo "unknown variant $v" >&2; exit 2 ;;
        esac
        dir="$out/$task/$v"
        rm -rf "$dir"
        mkdir -p "$dir"
        # the full runs do not depend on the variant: train them once
        [ -d "$out/$task/full" ] && cp -R "$out/$task/full" "$dir/full"
        "$optselect" validate --quiet --format json --output "$dir" "$@" "$cfg" >/dev/null
        [ -d "$out/$task/full" ] || cp -R "$dir/full" "$out/$task/full"
        noise=$(jq -r '.ranking[0] | if .seeds > 1 then .score_std / (.seeds | sqrt) / .score else 0 end' \
                "$dir/full/report.json")
        steps=$(jq -r '.budget.steps' "$dir/selection/report.json")
        jq -r --arg v "$v" --arg s "$steps" --arg t "$task" --arg n "$noise" \
            '[$t, $v, $s, .kendall_tau, .spearman_rho, (if (.regret | type) == "string" then 1e9 else .regret end), .rank, .candidates,
              .compute.fraction, ($n | tonumber)] | @tsv' "$dir/validation.json" >>"$summary"
        tail -1 "$summary" | awk -F'\t' '{ printf "| %s | %s | %.3f | %.3f | %.2f%%%s | %.2f%% | %d of %d | %.1f%% |\n",
            $2, $3, $4, $5, 100 * $6, ($6 <= 2 * $10 ? " (within noise)" : ""), 100 * $10, $7, $8, 100 * $9 }'
    done
    echo
    # Which way the horizon bias points: per optimizer family, the full
    # runs' best rate against the grid trials' (grid-final's selection)
    if [ -f "$out/$task/grid-final/validation.json" ]; then
        jq -r '[.candidates_by_full_run | group_by([.optimizer, .hparams]) | .[]
                | (map(select(.status == "ok")) | min_by(.score) | .lr) as $f
                | (map(select(.selection_status == "ok")) | min_by(.selection_score) | .lr) as $t
                | if $f == null or $t == null then "?" elif $f < $t then "smaller"
                  elif $f > $t then "larger" else "same" end]
               | "The full runs'"'"' best rate against the grid trials'"'"', per optimizer family: smaller in \(map(select(. == "smaller")) | length), larger in \(map(select(. == "larger")) | length), the same in \(map(select(. == "same")) | length) of \(length)."' \
            "$out/$task/grid-final/validation.json"
        echo
    fi
done

echo "## medians over the tasks"
echo
echo "| variant | Kendall τ | Spearman ρ | regret | compute | regret ≤ 2% |"
echo "|---|---|---|---|---|---|"
for v in $variants; do
    awk -F'\t' -v v="$v" '$2 == v' "$summary" | sort -t"$(printf '\t')" -k1,1 >"$out/.rows"
    median() { cut -f"$1" "$out/.rows" | sort -g | awk '{ a[NR] = $1 }
        END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
    good=$(awk -F'\t' '$6 <= 0.02 { n++ } END { print n + 0 "/" NR }' "$out/.rows")
    printf '| %s | %.3f | %.3f | %.2f%% | %.1f%% | %s |\n' "$v" "$(median 4)" "$(median 5)" \
        "$(awk "BEGIN { print 100 * $(median 6) }")" "$(awk "BEGIN { print 100 * $(median 9) }")" \
        "$good"
done
rm -f "$out/.rows"
