#!/bin/sh
# The quickstart study end to end: valid JSON, finite trials ranked first,
# the recommendation is the top trial and the best score.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"

"$OPTSELECT" --format json "$cfg" >"$TMP/r.json"
ok $? "quickstart runs"
jq -e . "$TMP/r.json" >/dev/null
ok $? "the report is valid JSON"
q() { jq -r "$1" "$TMP/r.json"; }

is "$(q '.trials | length')" 28 "4 optimizers × 7 learning rates = 28 trials"
is "$(q '[.trials[] | select(.status == "ok")] | length > 0')" true "some trials finish"
is "$(q '.recommendation.optimizer == .trials[0].optimizer and .recommendation.lr == .trials[0].lr')" \
    true "the recommendation is the top-ranked trial"
is "$(q '.recommendation.optimizer == .ranking[0].optimizer and .recommendation.lr == .ranking[0].lr')" \
    true "the recommendation is the top of the ranking"
is "$(q '.recommendation.score as $r | [.trials[] | select(.status == "ok") | .score] | min == $r')" true \
    "the recommendation has the lowest validation loss"
is "$(q '[.trials[].status] | (map(. == "ok") | index(false)) as $i |
         if $i == null then true else (.[$i:] | all(. != "ok")) end')" true \
    "finite trials rank above diverged ones"
is "$(q '[.trials[] | select(.status == "ok") | .score] | . == sort')" true \
    "finite trials are sorted by score"
is "$(q '[.trials[] | .curve[0].step == 0] | all')" true "every curve starts at step 0"
is "$(q '[.trials[] | select(.status == "ok") | (.curve | length) == 13] | all')" true \
    "finished trials have 12 evaluations after step 0"
is "$(q '[.trials[] | select(.status == "ok") | .curve[-1].step == 300] | all')" true \
    "finished trials reach step 300"
is "$(q '[.trials[] | select(.status != "ok") | .message | length > 0] | all')" true \
    "every stopped trial says why"
is "$(q '.recommendation.score < 0.5 and .ranking[0].val_acc > 0.85')" true \
    "the recommended trial learns the digits (val loss < 0.5, accuracy > 85%)"

# Several seeds: candidates are ranked by their mean over seeds.
"$OPTSELECT" --format json --set search.seeds=3 --set search.steps=60 \
    --set search.optimizers=adam,sgd "$cfg" >"$TMP/s.json"
ok $? "a 3-seed study runs"
qs() { jq -r "$1" "$TMP/s.json"; }
is "$(qs '[(.ranking | length), (.trials | length)] | map(tostring) | join(" ")')" "14 42" \
    "14 candidates, 42 trials"
is "$(qs '[.ranking[] | .seeds == 3] | all')" true "every candidate ran 3 seeds"
is "$(qs '.ranking[0] as $b | [.trials[] | select(.rank == 1) | .score] |
          (add / length - $b.score) | fabs < 1e-6')" true \
    "a candidate's score is the mean of its seeds' scores"
is "$(qs '[.trials[] | select(.rank == 1) | .seed] | sort | join(",")')" "0,1,2" \
    "the top candidate's trials are seeds 0, 1, 2"

# LIBSVM data with a LIBSVM test file: two separable classes labelled -1/+1.
awk 'BEGIN { for (i = 0; i < 240; i++) { c = i % 2; printf "%s 1:%g 3:%g\n", \
        c ? "+1" : "-1", (c ? 1 : -1) + (i % 7) / 10, (i % 5) / 10 } }' >"$TMP/train.svm"
awk 'BEGIN { for (i = 0; i < 40; i++) { c = i % 2; printf "%s 1:%g\n", \
        c ? "+1" : "-1", (c ? 1 : -1) + (i % 3) / 10 } }' >"$TMP/test.svm"
cat >"$TMP/svm.ini" <<'INI'
[data]
format = libsvm
path = train.svm
test_path = test.svm
[model]
hidden = 8
[search]
optimizers = adam
lr = 0.01
steps = 60
batch_size = 16
INI
"$OPTSELECT" --format json --set model.hidden=none --set model.loss=binary_cross_entropy \
    "$TMP/svm.ini" >"$TMP/logreg.json"
is "$(jq -r '[.model.loss, .model.parameters, (.recommendation.test_acc > 0.9)] |
    map(tostring) | join(" ")' "$TMP/logreg.json")" "binary_cross_entropy 4 true" \
    "logistic regression: one sigmoid output (3 weights + bias) learns the two classes"
"$OPTSELECT" --format json "$TMP/svm.ini" >"$TMP/svm.json"
ok $? "a LIBSVM study with a LIBSVM test file runs"
is "$(jq -r '[.data.features, .data.classes, .data.test_rows] | map(tostring) | join(" ")' \
    "$TMP/svm.json")" "3 2 40" "3 features (the largest index), 2 classes, 40 test rows"
is "$(jq -r '.recommendation.test_acc > 0.9' "$TMP/svm.json")" true \
    "separable LIBSVM data is learnt (test accuracy > 90%)"

# Synthetic data needs no file, and the same seed makes the same data.
"$OPTSELECT" --format json --set search.steps=100 "$top_srcdir/configs/spirals.ini" >"$TMP/sp1.json"
ok $? "the synthetic spirals study runs"
is "$(jq -r '.data.path + " " + (.data.classes | tostring)' "$TMP/sp1.json")" "synthetic spirals 3" \
    "its report names the generator"
"$OPTSELECT" --format json --set search.steps=100 --threads 1 "$top_srcdir/configs/spirals.ini" \
    >"$TMP/sp2.json"
cmp -s "$TMP/sp1.json" "$TMP/sp2.json"
ok $? "synthetic data is the same for the same seed"
"$OPTSELECT" --format json --set search.steps=100 --set data.generator=blobs \
    --set data.features=5 "$top_srcdir/configs/spirals.ini" >"$TMP/bl.json"
is "$(jq -r '.data.features' "$TMP/bl.json")" 5 "blobs take their dimension from features"
"$OPTSELECT" --format json --set data.generator=linear --set data.task=regression \
    --set search.steps=200 --set search.optimizers=adam,sgd "$top_srcdir/configs/spirals.ini" \
    >"$TMP/lin.json"
is "$(jq -r '.model.loss + " " + (.recommendation.score < 0.1 | tostring)' "$TMP/lin.json")" \
    "mse true" "noisy linear regression is fitted (validation MSE < 0.1 at noise 0.1)"
"$OPTSELECT" --set data.generator=linear "$top_srcdir/configs/spirals.ini" 2>"$TMP/lin.err"
is "$?" 3 "a regression generator with a classification task is a config error"

# A test function: no data, and every trial's path in the report.
"$OPTSELECT" --format json --set search.steps=300 "$top_srcdir/configs/rosenbrock.ini" \
    >"$TMP/rb.json"
ok $? "the Rosenbrock study runs"
is "$(jq -r '.function.name + " " + (.trials | length | tostring)' "$TMP/rb.json")" \
    "rosenbrock 49" "7 optimizers x 7 rates on the function"
is "$(jq -r '[.trials[] | select(.status == "ok") | (.path | length) == 301] | all' "$TMP/rb.json")" \
    true "finished trials record 301 points: the start and every step"
is "$(jq -c '[.trials[] | .path[0] == [-1.5, 2]] | all' "$TMP/rb.json")" true \
    "paths begin at the standard start (-1.5, 2)"
is "$(jq -r '.trials[0].curve[0].val_loss == 12.5 and .trials[0].curve[-1].val_loss < 0.1' \
    "$TMP/rb.json")" true "the best trial falls from 12.5 at the start to below 0.1 in 300 steps"
"$OPTSELECT" --set search.steps=10 --set model.start="3, -4" --format json \
    "$top_srcdir/configs/rosenbrock.ini" | jq -c '.trials[0].path[0]' >"$TMP/start"
is "$(cat "$TMP/start")" "[3,-4]" "start = X, Y moves the starting point"

"$OPTSELECT" "$cfg" >"$TMP/r.txt"
ok $? "the text report runs"
rec=$(q '"recommendation: \(.recommendation.optimizer) with lr = "')
grep -q "^$rec" "$TMP/r.txt"
ok $? "the text report recommends the same optimizer as JSON"

# A NaN in one weight behind a ReLU leaves the loss finite: the parameters
# themselves are checked at every evaluation.
cat >"$TMP/nanw.ini" <<'INI'
[data]
format = synthetic
generator = spirals
samples = 600
[model]
hidden = 16
activation = relu
[search]
optimizers = sgd, nan-weight
lr = 0.01, 0.1
steps = 60
batch_size = 32
eval_every = 20
INI
"$OPTSELECT" --format json --plugin "$top_builddir/tests/broken/.libs/nan_weight.so" \
    "$TMP/nanw.ini" >"$TMP/nanw.json"
is "$(jq -r '[.trials[] | select(.optimizer == "nan-weight") | "\(.status): \(.message)"] | unique | join("|")' "$TMP/nanw.json")" \
    "diverged: parameter 0 of dense1.weight became nan at step 20" \
    "a NaN in one weight ends its trials as diverged, naming the tensor and the step"
is "$(jq -r '.recommendation.optimizer' "$TMP/nanw.json")" sgd "... and sgd is recommended"

# A grid with a combination the plugin refuses skips that one and says so;
# refusing the only combination is still an error.
qs="$top_srcdir/configs/quickstart.ini"
grid="--set search.steps=30 --set search.optimizers=sgd --set optimizer.sgd.momentum=0,0.9"
run "$OPTSELECT" --format json $grid --set optimizer.sgd.nesterov=false,true "$qs"
is "$status" 0 "a grid with nesterov and momentum 0 in it runs"
is "$(jq -r '[.skipped[] | "\(.optimizer) \(.hparams.momentum) \(.hparams.nesterov): \(.why)"] | join("|")' "$TMP/out")" \
    "sgd 0 true: nesterov requires momentum > 0 and dampening = 0" \
    "... skipping that combination, listed with the plugin's reason"
is "$(jq '[.ranking[]] | length' "$TMP/out")" 21 "... and the other three (21 candidates) ran"
run "$OPTSELECT" $grid --set optimizer.sgd.nesterov=false,true "$qs"
grep -q '^skipped: 1 combination the plugin refuses: sgd momentum=0 nesterov=true (nesterov requires' "$TMP/out"
ok $? "the text report names the skipped combination"
run "$OPTSELECT" --set search.steps=30 --set search.optimizers=sgd --set optimizer.sgd.momentum=0 \
    --set optimizer.sgd.nesterov=true "$qs"
is "$status" 3 "the only combination refused: the study fails (exit 3)"

# Labelled variants: two optimizers from one plugin, side by side.
cat >"$TMP/var.ini" <<INI
[data]
format = csv
path = $top_srcdir/data/digits.csv.gz
label = -1
[model]
hidden = 32
[search]
optimizers = sgd, nesterov
lr = 0.01, 0.1
steps = 40
batch_size = 32
eval_every = 20
[optimizer.sgd]
momentum = 0.9
[optimizer.nesterov]
plugin = sgd
momentum = 0.9
nesterov = true
INI
run "$OPTSELECT" --format json --output "$TMP/var" "$TMP/var.ini"
is "$status" 0 "a study of sgd and its variant 'nesterov' runs"
is "$(jq -r '[.ranking[] | "\(.optimizer):\(.hparams.nesterov)"] | sort | unique | join(" ")' "$TMP/out")" \
    "nesterov:true sgd:false" "... each label with its own hyperparameters"
"$OPTSELECT" --quiet --format json "$TMP/var/config.ini" >"$TMP/var2.json"
is "$(jq -S '.ranking' "$TMP/var2.json")" "$(jq -S '.ranking' "$TMP/out")" \
    "... and its config.ini (which keeps plugin = sgd) runs it again"
run "$OPTSELECT" --set optimizer.nesterov.plugin=sgdx "$TMP/var.ini"
is "$(cat "$TMP/err")" "optselect: --set optimizer.nesterov.plugin=sgdx: [optimizer.nesterov] plugin = sgdx: no loaded optimizer is called 'sgdx' (see optselect --list-plugins)" \
    "a variant of an unknown plugin: one line naming the setting"
run "$OPTSELECT" --set optimizer.adam.plugin=sgd --set search.optimizers=adam,sgd "$TMP/var.ini"
is "$status" 3 "a variant may not take a loaded optimizer's label (exit 3)"

# The text table says why a trial failed, shortened.
"$OPTSELECT" --set search.steps=50 "$top_srcdir/configs/quickstart.ini" >"$TMP/why.txt"
grep -Eq '^ +[0-9]+  rmsprop +1 +- +- +diverged  defaults  \(training loss .* exceeded 4 × its initial .* at step [0-9]+\)$' "$TMP/why.txt"
ok $? "a diverged row of the text table carries its reason"

# A convolution whose padding is wider than its output (the digits as 4
# planes of 16 x 1, a 5 x 5 kernel padded by 2: one output column), in the
# lowering (3 output channels, 4 input channels: no direct kernel takes
# it): im2col's column range once underflowed and the study crashed.
"$OPTSELECT" --format json --set model.image=4x16x1 --set model.conv=3:5:2 --set model.pool=1 \
    --set search.optimizers=adam --set search.lr_points=1 --set search.steps=20 \
    "$top_srcdir/configs/quickstart.ini" >"$TMP/thin.json"
ok $? "a convolution padded wider than its output trains"
is "$(jq -r '.ranking[0].status' "$TMP/thin.json")" ok "  and its trial finishes"
done_testing
