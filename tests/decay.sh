#!/bin/sh
# [search] decay = weights: the biases and norms take no weight decay (the
# plugins' own trajectories against torch's parameter groups are in
# test_optim_golden); here the study's side: the flags reach every trial,
# the report says so, and what cannot honour them is refused in one line.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"
A="--quiet --format json --set search.optimizers=adamw,sgd --set search.lr_points=3"

strip() { jq -S 'del(.seconds, .trials[].seconds, .model.decay, .effective_config, .timing)' "$1"; }
"$OPTSELECT" $A --set optimizer.adamw.weight_decay=0 --set optimizer.sgd.weight_decay=0 \
    "$cfg" >"$TMP/all0.json"
"$OPTSELECT" $A --set optimizer.adamw.weight_decay=0 --set optimizer.sgd.weight_decay=0 \
    --set search.decay=weights "$cfg" >"$TMP/w0.json"
strip "$TMP/all0.json" >"$TMP/a" && strip "$TMP/w0.json" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b"
ok $? "without a weight decay, decay = weights trains exactly what decay = all does"

"$OPTSELECT" $A --set optimizer.adamw.weight_decay=0.3 --set optimizer.sgd.weight_decay=0.01 \
    "$cfg" >"$TMP/all.json"
"$OPTSELECT" $A --set optimizer.adamw.weight_decay=0.3 --set optimizer.sgd.weight_decay=0.01 \
    --set search.decay=weights "$cfg" >"$TMP/w.json"
is "$(jq -r '.model.decay' "$TMP/all.json") $(jq -r '.model.decay' "$TMP/w.json")" \
   "all weights" "the JSON says which tensors decay"
# trials by optimizer and rate: those that finished (all but sgd at 1)
# score otherwise in every case
differ=$(jq -rn --slurpfile a "$TMP/all.json" --slurpfile b "$TMP/w.json" '
    def by($r): $r.trials | map({key: "\(.optimizer) \(.lr)", value: .score}) | from_entries;
    (by($a[0])) as $x | (by($b[0])) as $y
    | [$x | keys[] | select($x[.] != null)] as $done
    | "\($done | length) \([$done[] | select($x[.] != $y[.])] | length)"')
is "$differ" "5 5" "with a weight decay, every finished trial of both optimizers trains otherwise"

"$OPTSELECT" --quiet $A --format text --set optimizer.adamw.weight_decay=0.3 \
    --set search.decay=weights "$cfg" >"$TMP/w.txt"
grep -q "^weight decay: on the weights only (\[search\] decay = weights); 3 of the 6 tensors (biases and norms) take none$" "$TMP/w.txt"
ok $? "the text report says the biases take none"

# the flags reach trials in worker processes too
"$OPTSELECT" $A --set optimizer.adamw.weight_decay=0.3 --set search.decay=weights \
    --set search.isolation=process "$cfg" >"$TMP/iso.json"
strip "$TMP/w.json" | jq '.trials | map(select(.optimizer == "adamw") | .score)' >"$TMP/a"
strip "$TMP/iso.json" | jq '.trials | map(select(.optimizer == "adamw") | .score)' >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b"
ok $? "isolated trials take the same flags"

# one line each for what cannot honour it
one_line() { # STATUS NAME LINE
    is "$status $(wc -l <"$TMP/err" | tr -d ' ')" "$1 1" "$2: exit $1, one line"
    is "$(cat "$TMP/err")" "$3" "  $2: the message"
}
run "$OPTSELECT" --set search.decay=biases "$cfg"
one_line 3 "an unknown value" \
    "optselect: --set search.decay=biases: [search] decay = 'biases': expected one of all,weights"
old="$top_builddir/tests/plugins/.libs/abi_1_1.so"
run "$OPTSELECT" --plugin "$old" --set search.optimizers=mid-momentum --set search.decay=weights "$cfg"
one_line 3 "an ABI 1.1 plugin with a weight decay" \
    "optselect: --set search.decay=weights: [search] decay = weights: optimizer 'mid-momentum' ($old) is built for plugin ABI 1.1, which cannot leave a tensor out of its weight decay; rebuild it against ABI 1.2, or set decay = all"
run "$OPTSELECT" --quiet --plugin "$old" --set search.optimizers=mid-momentum "$cfg"
is "$status" 0 "  with decay = all it runs"
printf '[search]\noptimizers = adam\nlr = 0.001\nsteps = 10\ndecay = weights\n\n[trainer]\ncommand = true {lr}\n' \
    >"$TMP/trainer.ini"
run "$OPTSELECT" "$TMP/trainer.ini"
one_line 3 "a [trainer] command" \
    "optselect: $TMP/trainer.ini:5: [search] decay = weights: a [trainer] command decides which of its tensors take weight decay; remove the key"
done_testing
