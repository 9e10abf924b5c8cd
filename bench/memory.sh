#!/bin/sh
# bench/memory.sh — does a study with 16 trials in flight stay within
# 1.3 x (dataset + 16 x (parameters + gradients + optimizer state))?
#
#   bench/memory.sh [OPTSELECT] [CONFIG]
#
# Runs CONFIG (default configs/fashion-mnist-mlp.ini; needs Debian's
# dataset-fashion-mnist and GNU time) with 16 Adam trials on 16 threads,
# takes the peak resident set from GNU time, and computes the budget from the
# report: every data row (train, validation, test) as float32 features plus a
# label, and per trial 4 floats per parameter (weights, gradients, Adam's two
# moments).  Prints both and the ratio; exits 1 above 1.3.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
optselect=${1:-$here/optselect}
config=${2:-$here/configs/fashion-mnist-mlp.ini}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/time -f '%M' -o "$tmp/rss" "$optselect" --threads 16 --format json \
    --set search.optimizers=adam --set search.lr_range=0.1,10 --set search.lr_points=16 \
    --set search.steps=100 "$config" >"$tmp/report.json"

peak_kib=$(cat "$tmp/rss")
jq -r --argjson peak "$peak_kib" '
    .data as $d | .model.parameters as $p |
    (($d.train_rows + $d.validation_rows + $d.test_rows) * ($d.features + 1) * 4) as $data |
    ($p * 4 * 4) as $trial |
    ($data + 16 * $trial) as $need |
    ($peak * 1024) as $used |
    "trials in flight: \(.trials | length)",
    "dataset:          \($data / 1048576 * 10 | round / 10) MiB (\($d.train_rows + $d.validation_rows + $d.test_rows) rows of \($d.features) features)",
    "per trial:        \($trial / 1048576 * 10 | round / 10) MiB (\($p) parameters x 4 floats)",
    "budget:           \($need / 1048576 * 10 | round / 10) MiB = dataset + 16 x per trial",
    "peak RSS:         \($used / 1048576 * 10 | round / 10) MiB",
    "ratio:            \($used / $need * 100 | round / 100) (limit 1.3)"
' "$tmp/report.json" | tee "$tmp/out"
ratio=$(sed -n 's/^ratio: *\([0-9.]*\).*/\1/p' "$tmp/out")
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.3) }'
