#!/bin/sh
# bench/study.sh — a whole selection study, optselect against Optuna 3.1 +
# PyTorch 1.13 (Debian's python3-optuna and python3-torch), run back to
# back on the same machine: 8 optimizers x 7 learning rates, 300-step
# trials of the MLP 784-256-128-10 on a 10,000-image subset of
# Fashion-MNIST, validation on 6,000 images every 50 steps, successive
# halving with reduction factor 3 (bench/study.ini, bench/optuna_study.py).
#
#   bench/study.sh [OPTSELECT]
#
# Optuna gets the same candidates (optimizer, lr, momentum, weight decay),
# read from optselect's report, one Optuna trial each (GridSampler), and
# PyTorch its best thread count on this machine (1, see bench/steps.sh).
# Prints each tool's study time and end-to-end wall time (imports and data
# loading included), each the best of ROUNDS rounds (3 unless set), the
# speed-up, and each tool's pick.  The picks are then
# judged on equal terms: each is trained by optselect for the study's 300
# steps on 3 seeds (other seeds than the study's), and the mean validation
# loss is printed.  A third row runs optselect's study with its early rungs
# measured on a sample of the validation rows ([search] eval_sample, SAMPLE
# rows, 3000 unless set: the size whose noise bench/eval_sample.sh measured at
# under half the seed noise of a gap); its pick is judged the same way.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
optselect=${1:-$here/optselect}
python=${PYTHON:-/usr/bin/python3}
cfg=$here/bench/study.ini
out=$here/bench/out/study
mkdir -p "$out"
. "$here/bench/torch_env.sh" # PyTorch at its best here (torch_run)
# optselect picks its BLAS kernels itself, and so should OpenBLAS for torch
unset OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS OMP_NUM_THREADS

now() { date +%s.%N; }
sample=${SAMPLE:-3000}

# the candidates and the pick, from the study's JSON (not timed)
"$optselect" --threads 1 --format json "$cfg" >"$out/optselect.json"
# the candidates, in optselect's order: optimizer, lr, momentum, weight decay
jq -r '.ranking[] | [.optimizer, .lr, (.hparams.momentum // 0), (.hparams.weight_decay // 0)]
       | @tsv' "$out/optselect.json" >"$out/candidates.tsv"

# timed NAME COMMAND...: the wall seconds of the command in $wall,
# its standard output in $out/NAME
timed() {
    name=$1; shift
    t0=$(now)
    "$@" >"$out/$name"
    t1=$(now)
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}
ran_in() { sed -n 's/^ran in \([0-9.]*\) s.*/\1/p' "$out/$1"; }

# Per core: one thread each side (Optuna's trials run one at a time); each
# side's study time ("ran in", after loading; Optuna's after its imports and
# loading) and the wall time of the same run.  These VMs' speed moves
# between minutes: ROUNDS rounds (3 unless set), each running all three,
# the best of each kept.
: >"$out/rounds"
for r in $(seq "${ROUNDS:-3}"); do
    timed optselect.txt "$optselect" --threads 1 --format text "$cfg"
    o="$(ran_in optselect.txt) $wall"
    timed sampled.txt "$optselect" --threads 1 --format text \
        --set search.eval_sample="$sample" "$cfg"
    s="$(ran_in sampled.txt) $wall"
    timed optuna.tsv torch_run 1 "$here/bench/optuna_study.py" "$out/candidates.tsv" 1
    p="$(cut -f1 "$out/optuna.tsv") $wall"
    echo "$o $s $p" >>"$out/rounds"
    echo "round $r: optselect $o, with eval_sample $s, Optuna + PyTorch $p (study s, wall s)"
done
best() { cut -d' ' -f"$1" "$out/rounds" | sort -g | head -n 1; }
o_study=$(best 1) o_wall=$(best 2) s_study=$(best 3) s_wall=$(best 4)
p_study=$(best 5) p_wall=$(best 6)
# "recommendation: OPTIMIZER with lr = LR (validation loss SCORE after ..."
set -- $(sed -n 's/^recommendation: \([^ ]*\) with lr = \([^ ]*\) (validation loss \([^ ]*\) .*/\1 \2 \3/p' \
    "$out/sampled.txt")
s_opt=$1 s_lr=$2 s_loss=$3
IFS=$(printf '\t') read -r _ p_opt p_lr p_loss p_done p_pruned <"$out/optuna.tsv"

o_opt=$(jq -r '.recommendation.optimizer' "$out/optselect.json")
o_lr=$(jq -r '.recommendation.lr' "$out/optselect.json")

# the judge: each pick trained for 300 steps on seeds the study did not use
judge() { # OPTIMIZER LR -> mean validation loss over 3 seeds
    "$optselect" --format json --seed 7 --set search.strategy=grid --set search.seeds=3 \
        --set search.optimizers="$1" --set search.lr="$2" "$cfg" | jq -r '.ranking[0].score'
}
o_judged=$(judge "$o_opt" "$o_lr")
p_judged=$(judge "$p_opt" "$p_lr")
s_judged=$(judge "$s_opt" "$s_lr")

printf '%-32s %10s %10s  %s\n' "" "study s" "wall s" "pick (validation loss in the study)"
printf '%-32s %10s %10s  %s\n' "optselect (1 thread)" "$o_study" "$o_wall" \
    "$o_opt lr=$o_lr ($(jq -r '.ranking[0].score' "$out/optselect.json"))"
printf '%-32s %10s %10s  %s\n' "Optuna + PyTorch (1 thread)" "$p_study" "$p_wall" \
    "$p_opt lr=$p_lr ($p_loss; $p_done trials completed, $p_pruned pruned)"
printf '%-32s %10.2f %10s  %s\n' "optselect, eval_sample = $sample" "$s_study" "$s_wall" \
    "$s_opt lr=$s_lr ($s_loss)"
awk -v a="$o_study" -v b="$p_study" -v c="$o_wall" -v d="$p_wall" -v e="$s_study" \
    -v f="$s_wall" 'BEGIN {
    printf "speed-up: %.2fx on the study, %.2fx end to end\n", b / a, d / c
    printf "speed-up with eval_sample: %.2fx on the study, %.2fx end to end\n", b / e, d / f }'
# The bound on any implementation of this work on this core: the study's
# matrix products (its training steps, and its measurements of every
# validation row after step 0) at the core's FMA peak (bench/fma_peak.c).
# Products of the dense layers only (a step: the forward, dW, and dX but
# the first layer's; a measured row: the forward): the rest of a step is extra.
peak=$(sh "$here/bench/fma_peak.sh")
jq -r --argjson peak "$peak" --argjson optuna "$p_study" '
    [.model.layers[] | select(startswith("dense ")) | ltrimstr("dense ") | split("-")
     | map(tonumber) | .[0] * .[1]] as $mac
    | ($mac | add) as $all
    | (.budget.batch_size * 2 * (3 * $all - $mac[0])) as $step
    | ([.trials[].curve[] | select(.step > 0 and .val_loss != null)] | length) as $evals
    | (.compute.steps_trained * $step / 1e9) as $train
    | ($evals * .data.validation_rows * 2 * $all / 1e9) as $measure
    | if $peak > 0 then
        "at the FMA peak of one core (\($peak) GFLOP/s) the study'"'"'s products alone take " +
        "\(($train + $measure) / $peak * 100 | round / 100) s " +
        "(\(.compute.steps_trained) training steps \($train / $peak * 100 | round / 100) s, " +
        "\($evals) measurements \($measure / $peak * 100 | round / 100) s): " +
        "at most \($optuna * $peak / ($train + $measure) * 100 | round / 100)x Optuna'"'"'s time, " +
        "\($optuna * $peak / $train * 100 | round / 100)x with measuring free"
      else "FMA peak not measured (no AVX2 and FMA here)" end' "$out/optselect.json"
printf 'picks judged (300 steps, mean validation loss over seeds 7.. x3): optselect %.5f, Optuna %.5f, optselect with eval_sample %.5f\n' \
    "$o_judged" "$p_judged" "$s_judged"
