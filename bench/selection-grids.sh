#!/bin/sh
# bench/selection-grids.sh — the data bench/selection-replay.py replays: for
# each task of the selection suite, every candidate trained on both
# selection seeds to the default's top budget (1/3 of the full run, the
# trials' pool and schedule as the default's halving has them), measured on
# the validation rows at every step, so that any rung the replay cuts at is
# a measurement.  Writes GRIDS_DIR/TASK.json.
#
#   bench/selection-grids.sh GRIDS_DIR [-o OPTSELECT]
#
# Slow: a measurement every step costs about eight training steps of the
# Fashion-MNIST models (minutes for the digits tasks, hours for the CNN).
# The replays in docs/selection-quality.md were made from grids measured at
# just the steps they read (a local change to the evaluation schedule,
# not committed): the same numbers, since measuring changes no training.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
shift
optselect="$here/../optselect"
[ "${1:-}" = -o ] && optselect=$2
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_NUM_THREADS
mkdir -p "$out"
for cfg in "$here"/selection/*.ini; do
    task=$(basename "$cfg" .ini)
    [ -f "$out/$task.json" ] && continue
    "$optselect" --quiet --format json --set search.fraction=0.3333 \
        --set search.strategy=grid --set search.eval_every=1 --set search.seeds=2 \
        --set search.refine=off "$cfg" >"$out/$task.json.tmp"
    mv "$out/$task.json.tmp" "$out/$task.json"
    echo "$task"
done
