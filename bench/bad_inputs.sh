#!/bin/sh
# bench/bad_inputs.sh — feeds optselect hostile inputs of every kind it
# reads (config, data, plugin, a trainer's output) and prints a Markdown table: the input, the
# exit status, and what optselect said (its first line of stderr, or the
# failed check).  docs/reliability.md holds its output.
#
#   bench/bad_inputs.sh [-o OPTSELECT] [-b BUILDDIR]
set -u
here=$(cd "$(dirname "$0")" && pwd)
top="$here/.."
optselect="$top/optselect" build="$top"
while getopts o:b: opt; do
    case $opt in o) optselect=$OPTARG ;; b) build=$OPTARG ;; *) exit 2 ;; esac
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bad-inputs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
qs="$top/configs/quickstart.ini"
broken="$build/tests/broken/.libs"

row() { # DESCRIPTION COMMAND...
    what=$1; shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    said=$(head -n 1 "$tmp/err" | sed "s|$tmp/||g; s|$top/||g; s|$build/||g; s/|/\\\\|/g")
    [ -n "$said" ] || said=$(grep -m 1 '^FAIL' "$tmp/out" | sed "s|$tmp/||g; s|$build/||g; s/|/\\\\|/g")
    printf '| %s | %s | `%.200s` |\n' "$what" "$status" "$said"
}

# trial ROW-DESCRIPTION OPTIMIZER COMMAND...: a study that runs (exit 0)
# and files the optimizer's trials with a cause; the row gives that cause.
trial() {
    what=$1 label=$2; shift 2
    "$@" --format json >"$tmp/out" 2>"$tmp/err"
    status=$?
    said=$(jq -r --arg o "$label" '[.trials[] | select(.optimizer == $o) | "\(.status): \(.message)"] | unique | join("; ")' "$tmp/out" |
        sed "s|$build/||g; s|${TMPDIR:-/tmp}/optselect-[A-Za-z0-9]*/|TMP/|g")
    printf '| %s | %s | trials `%.200s`, the others ran |\n' "$what" "$status" "$said"
}

printf '[data]\nformat = synthetic\n[model]\nhiden = 8\n[search]\noptimizers = sgd\n' >"$tmp/typo.ini"
printf '[data]\nformat = synthetic\n[modle]\n' >"$tmp/section.ini"
printf '[data]\nformat = synthetic\n[search]\noptimizers = sgd\nsteps = ten\n' >"$tmp/number.ini"
printf '[data]\nformat = synthetic\n[search]\nsteps = 10\nsteps = 20\n' >"$tmp/twice.ini"
printf 'include = loop.ini\n' >"$tmp/loop.ini"
printf '{"effective_config": "[search]\\n", "ranking": [\n' >"$tmp/torn.json"
printf '1,2,0\n3,4,1\n5,6\n' >"$tmp/ragged.csv"
printf '[data]\npath = ragged.csv\n[search]\noptimizers = sgd\n' >"$tmp/ragged.ini"
printf '1 1:1\n0 2:1 9:1\n' >"$tmp/wide.svm"
printf '[data]\nformat = libsvm\npath = wide.svm\nfeatures = 4\n[search]\noptimizers = sgd\n' >"$tmp/wide.ini"
printf '[data]\nformat = synthetic\n[search]\noptimizers = sgd\000, adam\n' >"$tmp/nul.ini"
mkdir "$tmp/folder"
printf '[data]\npath = folder\n[search]\noptimizers = sgd\n' >"$tmp/folder.ini"
printf 'a,b,y\n1,2,0\n3\0009,4,1\n5,6,0\n' >"$tmp/nul.csv"
printf '[data]\npath = nul.csv\nheader = true\n[search]\noptimizers = sgd\n' >"$tmp/nulcsv.ini"
printf 'not an idx file' | gzip >"$tmp/bad-idx.gz"
printf '[data]\nformat = idx\npath = bad-idx.gz\nlabels = bad-idx.gz\n[search]\noptimizers = sgd\n' >"$tmp/idx.ini"
cp "$broken/abi_major.so" "$tmp/writable.so" && chmod o+w "$tmp/writable.so"
toy="$build/tests/trainer/toy_trainer"
printf '[trainer]\ncommand = %s\n    --optimizer {optimizer} --lr {lr} --steps {steps} --every 10 --checkpoint {checkpoint}\n[search]\noptimizers = sgd\nlr = 0.01\nsteps = 90\nstrategy = halving\nmin_steps = 10\ntrial_timeout = 1\n' "$toy" >"$tmp/trainer.ini"
printf '[trainer]\ncommand = %s --lr {lr} --m {momentun}\n[search]\noptimizers = sgd\n' "$toy" >"$tmp/placeholder.ini"
printf '[trainer]\ncommand = python {lr}\n[search]\noptimizers = sgd\n' >"$tmp/noprogram.ini"
# each misbehaviour of tests/trainer/toy_trainer beside a trainer that works
tr() { # DESCRIPTION FAULT
    trial "a trainer that $1" "$2" "$optselect" --quiet --set "search.optimizers=$2,sgd" \
        "$tmp/trainer.ini"
}

echo "| input | exit | what optselect said |"
echo "|---|---|---|"
row "a misspelt key" "$optselect" "$tmp/typo.ini"
row "a misspelt section" "$optselect" "$tmp/section.ini"
row "a number that is not one" "$optselect" "$tmp/number.ini"
row "a key set twice in one file" "$optselect" "$tmp/twice.ini"
row "a file that includes itself" "$optselect" "$tmp/loop.ini"
row "a config with a NUL byte (or in UTF-16)" "$optselect" "$tmp/nul.ini"
row "a folder given as the config" "$optselect" "$tmp/folder"
row "a bad --set" "$optselect" --set search.stepz=5 "$qs"
row "two budgets at once" "$optselect" --set search.epochs=1 --set search.fraction=0.1 "$qs"
row "a schedule without the run's length" "$optselect" --set full.schedule=cosine "$qs"
row "a torn JSON report given as the config" "$optselect" "$tmp/torn.json"
row "a missing data file" "$optselect" --set data.path=nothere.csv "$qs"
row "a ragged CSV row" "$optselect" "$tmp/ragged.ini"
row "a CSV file with a NUL byte" "$optselect" "$tmp/nulcsv.ini"
row "a folder given as the data file" "$optselect" "$tmp/folder.ini"
row "a LIBSVM index past features" "$optselect" "$tmp/wide.ini"
row "an IDX file with a bad header" "$optselect" "$tmp/idx.ini"
row "a plugin of another ABI major" "$optselect" --plugin "$broken/abi_major.so" "$qs"
row "a world-writable plugin file" "$optselect" --plugin "$tmp/writable.so" "$qs"
trial "a plugin that crashes while loading (isolated)" crash_load "$optselect" --isolate \
    --quiet --plugin "$broken/crash_load.so" --set search.optimizers=sgd,crash_load \
    --set search.steps=20 "$qs"
trial "a plugin that segfaults in a trial (isolated)" crash "$optselect" --isolate \
    --quiet --plugin "$broken/crash.so" --set search.optimizers=sgd,crash \
    --set search.steps=20 "$qs"
trial "a plugin that writes NaN into one weight" nan-weight "$optselect" --quiet \
    --plugin "$broken/nan_weight.so" --set search.optimizers=sgd,nan-weight \
    --set search.steps=40 --set search.eval_every=20 "$qs"
trial "a plugin whose error message has three lines and a terminal escape" message-lines \
    "$optselect" --quiet --plugin "$broken/message_lines.so" \
    --set search.optimizers=sgd,message-lines --set search.steps=20 "$qs"
row "a misspelt placeholder in a trainer command" "$optselect" "$tmp/placeholder.ini"
row "a trainer command that cannot run" env PATH=/nowhere "$optselect" "$tmp/noprogram.ini"
tr "segfaults" crash
tr "hangs" hang
tr "prints a NaN loss" nan
tr "prints an exploding loss" explode
tr "prints nothing" silent
tr "exits with status 3" exit3
tr "prints a malformed protocol line" badline
tr "exits early" short
tr "cannot read its checkpoint" badckpt
tr "reports a step past its budget" past
tr "reports a step going back" backwards
row "--check-plugin: a plugin that ignores lr" "$optselect" --check-plugin "$broken/ignore_lr.so"
row "--check-plugin: a plugin that reads past the gradients" "$optselect" --check-plugin "$broken/read_past.so"
row "--check-plugin: a plugin that overflows on large gradients" "$optselect" --check-plugin "$broken/big_grad.so"
row "--check-plugin: a plugin that segfaults" "$optselect" --check-plugin "$broken/crash.so"
row "--check-plugin: a plugin that calls exit(3)" "$optselect" --check-plugin "$broken/exit.so"
row "--check-plugin: a plugin that prints" "$optselect" --check-plugin "$broken/prints.so"
row "--check-plugin: a plugin that hangs" "$optselect" --check-plugin "$broken/hang.so"
