#!/bin/sh
# bench/selection.sh — selection quality over the benchmark suite: for each
# task in bench/selection/*.ini and each strategy × score, `optselect
# validate` compares the selection with full runs of every candidate.  The
# full runs of a task are trained once (bench/out/selection/TASK/full) and
# reused by every variant.  Prints one table per task and the medians over
# tasks per variant (Markdown, as docs/selection-quality.md holds them).
#
#   bench/selection.sh [-o OPTSELECT] [-t TASK]... [-v VARIANT]...
#
# Variants: grid-SCORE trains every candidate for 1/12 of the full run;
# halving-SCORE runs successive halving (eta 3, budgets of 1/27, 1/9 and 1/3
# of the full run); hyperband-SCORE runs hyperband up to 1/9 of the full
# run (its brackets cost about three times halving's); SCORE is final, last,
# auc or extrapolated.  A -train suffix (grid-final-train) sets refine =
# train: the winner's refined rate trains and is recommended when it scores
# lower (validate then trains its full run apart).  The full runs average
# [full] seeds seeds.
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
scores="final last auc extrapolated"
if [ -z "$variants" ]; then
    for s in $scores; do variants="$variants grid-$s"; done
    for s in $scores; do variants="$variants halving-$s"; done
    variants="$variants hyperband-final hyperband-last grid-final-train halving-final-train"
fi
# optselect picks the BLAS kernels itself; a stray setting would slow it
unset OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS OMP_NUM_THREADS
out="$here/out/selection"
mkdir -p "$out"

summary="$out/summary.tsv"
: >"$summary"
for task in $tasks; do
    cfg="$here/selection/$task.ini"
    full=$(sed -n 's/^steps *= *\([0-9]*\).*/\1/p' "$cfg" | tail -1) # [full] steps: the last
    echo "## $task (full run: $full steps)"
    echo
    echo "| variant | trial steps | Kendall τ | Spearman ρ | regret | rank | compute | refined? | grid pick's regret |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for v in $variants; do
        strategy=${v%%-*} score=${v#*-} refine=report
        case $score in *-train) score=${score%-train} refine=train ;; esac
        case $strategy in
        grid) steps=$((full / 12)); extra="" ;;
        halving) steps=$((full / 3)); extra="--set search.reduction_factor=3" ;;
        hyperband) steps=$((full / 9)); extra="--set search.reduction_factor=3" ;;
        *) echo "unknown variant $v" >&2; exit 2 ;;
        esac
        dir="$out/$task/$v"
        rm -rf "$dir"
        mkdir -p "$dir"
        # the full runs do not depend on the variant: train them once
        [ -d "$out/$task/full" ] && cp -R "$out/$task/full" "$dir/full"
        "$optselect" validate --quiet --format json --output "$dir" \
            --set search.strategy="$strategy" --set search.score="$score" \
            --set search.steps="$steps" --set search.refine="$refine" $extra "$cfg" >/dev/null
        [ -d "$out/$task/full" ] || cp -R "$dir/full" "$out/$task/full"
        jq -r --arg v "$v" --arg s "$steps" --arg t "$task" \
            '[$t, $v, $s, .kendall_tau, .spearman_rho, (if (.regret | type) == "string" then 1e9 else .regret end), .rank, .candidates,
              .compute.fraction,
              (.best_full_run.score as $b | [.candidates_by_full_run[] | select(.selection_rank == 1)][0].score as $g
               | if $g == null then 1e9 else ($g - $b) / $b end),
              (if .recommendation.refined then "yes" else "no" end)] | @tsv' "$dir/validation.json" >>"$summary"
        tail -1 "$summary" | awk -F'\t' '{ printf "| %s | %s | %.3f | %.3f | %.2f%% | %d of %d | %.1f%% | %s | %.2f%% |\n",
            $2, $3, $4, $5, 100 * $6, $7, $8 + ($11 == "yes"), 100 * $9, $11, 100 * $10 }'
    done
    echo
done

echo "## medians over the tasks"
echo
echo "| variant | Kendall τ | Spearman ρ | regret | compute | grid pick's regret |"
echo "|---|---|---|---|---|---|"
for v in $variants; do
    awk -F'\t' -v v="$v" '$2 == v' "$summary" | sort -t"$(printf '\t')" -k1,1 >"$out/.rows"
    median() { cut -f"$1" "$out/.rows" | sort -g | awk '{ a[NR] = $1 }
        END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
    printf '| %s | %.3f | %.3f | %.2f%% | %.1f%% | %.2f%% |\n' "$v" "$(median 4)" "$(median 5)" \
        "$(awk "BEGIN { print 100 * $(median 6) }")" "$(awk "BEGIN { print 100 * $(median 9) }")" \
        "$(awk "BEGIN { print 100 * $(median 10) }")"
done
rm -f "$out/.rows"
