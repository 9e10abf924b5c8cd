#!/bin/sh
# [search] batch_size as a search dimension: a list makes candidates of
# each batch size, every one trained the same steps at its own batch, the
# same trials as a study of that one batch size; the report says which.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"
J="--quiet --format json --set search.lr_points=3"

run "$OPTSELECT" $J --set search.batch_size=16,64 "$cfg"
ok $status "a study over two batch sizes runs"
cp "$TMP/out" "$TMP/both.json"
"$OPTSELECT" $J --set search.batch_size=16 "$cfg" >"$TMP/b16.json"
"$OPTSELECT" $J --set search.batch_size=64 "$cfg" >"$TMP/b64.json"
is "$(jq '.trials | length' "$TMP/both.json")" \
    "$(($(jq '.trials | length' "$TMP/b16.json") * 2))" "twice the candidates of one batch size"
is "$(jq -c '.budget.batch_sizes' "$TMP/both.json")" "[16,64]" "the report's budget lists them"
for b in 16 64; do
    jq -S --argjson b "$b" '[.trials[] | select(.batch_size == $b) | {optimizer, lr, score, steps}] |
        sort_by(.optimizer, .lr)' "$TMP/both.json" >"$TMP/in-list.$b"
    jq -S '[.trials[] | {optimizer, lr, score, steps}] | sort_by(.optimizer, .lr)' \
        "$TMP/b$b.json" >"$TMP/alone.$b"
    cmp -s "$TMP/in-list.$b" "$TMP/alone.$b"
    ok $? "the batch-$b candidates are the trials of a study of batch $b alone"
done
best=$(jq -r '.recommendation | "\(.optimizer) \(.lr) \(.batch_size)"' "$TMP/both.json")
b1=$(jq -r '.recommendation | "\(.score)"' "$TMP/b16.json")
b2=$(jq -r '.recommendation | "\(.score)"' "$TMP/b64.json")
is "$(jq -r '.recommendation.score' "$TMP/both.json")" \
    "$(printf '%s\n%s\n' "$b1" "$b2" | sort -g | head -n 1)" \
    "the winner ($best) is the better of the two studies' winners"
"$OPTSELECT" $J --set search.batch_size=16,64 --threads 1 "$cfg" | cmp -s - "$TMP/both.json"
ok $? "the same report on 1 and 2 threads"

run "$OPTSELECT" --quiet --set search.batch_size=16,64 --set search.lr_points=3 "$cfg"
grep -q "^search: .* batch 16, 64 (4800 to 19200 rows a trial)$" "$TMP/out"
ok $? "the text report states the batch sizes and the rows each trial saw"
grep -q "^recommendation: .*, batch=[0-9]* (validation loss" "$TMP/out"
ok $? "... and the recommended batch size"
run "$OPTSELECT" --quiet --format csv --set search.batch_size=16,64 --set search.lr_points=3 "$cfg"
is "$(sed -n 2p "$TMP/out" | cut -d, -f5 | cut -d' ' -f1 | cut -d= -f1)" batch \
    "CSV: the batch size in the hyperparameters column"

# halving and validate: each candidate's full run at its own batch size
run "$OPTSELECT" validate --quiet --format json -o "$TMP/v" --set search.batch_size=16,64 \
    --set search.lr_points=3 --set full.steps=600 "$cfg"
ok $status "validate over two batch sizes runs (halving, with the [full] run)"
is "$(jq -r '.strategy' "$TMP/v/selection/report.json")" halving "... the selection halving"
is "$(jq -r '[.trials[].batch_size] | unique | join(",")' "$TMP/v/full/report.json")" "16,64" \
    "... the full runs at both batch sizes"
is "$(jq -r '.candidates' "$TMP/v/validation.json")" 24 "... one for each of the 24 candidates"

# what a list of batch sizes cannot go with: one line each
bad() { # NAME WANT SETS...
    name=$1 want=$2
    shift 2
    run "$OPTSELECT" --set search.batch_size=16,64 "$@" "$cfg"
    is "$status,$(cat "$TMP/err")" "3,$want" "$name"
}
bad "a budget in epochs" "optselect: --set search.epochs=2: [search] epochs: with a list of batch sizes give the budget in steps (every batch size trains as many; the report says how many rows each saw)" --set search.epochs=2
bad "a [full] batch size" "optselect: --set full.batch_size=32: [full] batch_size: with a list of [search] batch sizes the full run takes the recommended one; give its length in steps and no batch_size" --set full.steps=900 --set full.batch_size=32
bad "score = horizon" "optselect: --set search.score=horizon: [search] score = horizon carries one batch size's rates to the full run; not with a list of them" --set full.steps=900 --set search.score=horizon
run "$OPTSELECT" --set search.batch_size=16,16 "$cfg"
is "$status,$(cat "$TMP/err")" "3,optselect: --set search.batch_size=16,16: [search] batch_size = '16,16': a batch size is listed twice" \
    "a batch size listed twice"
run "$OPTSELECT" --set search.batch_size=16,5000 "$cfg"
is "$status,$(cat "$TMP/err")" "3,optselect: --set search.batch_size=16,5000: [search] batch_size 5000 exceeds the 1000 training rows trials draw from" \
    "a batch size larger than the rows"
# without [full], the full run takes the trials' batch: the message names
# [search] batch_size (it said "[full] batch_size", which the config lacks)
run "$OPTSELECT" --set search.batch_size=5000 --set data.subset=0 "$cfg"
is "$status,$(cat "$TMP/err")" "3,optselect: --set search.batch_size=5000: [search] batch_size 5000 exceeds the 1438 training rows" \
    "a single batch size larger than every training row"
done_testing
