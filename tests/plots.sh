#!/bin/sh
# The plots of a results folder: curves.svg (loss by step, coloured by
# optimizer, stopped trials crossed, the recommendation thick), lr.svg
# (score by learning rate, one line per optimizer) and, for test functions,
# paths.svg (the paths over the contour map).  Checked in the SVG, then
# rendered to PNG with rsvg-convert and checked in the pixels.
. "${top_srcdir:-.}/tests/lib.sh"
PNG="$top_builddir/tests/png_colors"
BLUE='#1f77b4' ORANGE='#ff7f0e' GREEN='#2ca02c' PURPLE='#9467bd' PINK='#e377c2'

"$OPTSELECT" --quiet --set search.optimizers=sgd,adam,rmsprop --output "$TMP/q" \
    "$top_srcdir/configs/quickstart.ini" >/dev/null
ok $? "a study with a results folder"
is "$(ls "$TMP/q" | tr '\n' ' ')" \
    "config.ini curves.csv curves.svg journal lr.svg report.json trials.csv " \
    "the folder has curves.csv and the two plots (no paths.svg without a test function)"
r="$TMP/q/report.json"
trials=$(jq '.trials | length' "$r")
stopped=$(jq '[.trials[] | select(.status == "diverged" or .status == "failed")] | length' "$r")
[ "$stopped" -gt 0 ]
ok $? "the study has diverged trials to mark ($stopped)"

# curves.csv: every point of every curve
is "$(($(wc -l <"$TMP/q/curves.csv") - 1))" "$(jq '[.trials[].curve | length] | add' "$r")" \
    "curves.csv has one row per curve point"
is "$(head -n 1 "$TMP/q/curves.csv")" "id,optimizer,lr,hparams,seed,status,step,train_loss,val_loss,val_acc" \
    "curves.csv: its header"

svg="$TMP/q/curves.svg"
is "$(grep -c '<polyline class="trial' "$svg")" "$trials" "curves.svg: a line per trial"
is "$(grep -c 'class="trial best' "$svg")" 1 "curves.svg: one recommended line, drawn thick"
is "$(grep -c 'data-kind="stopped"' "$svg")" "$stopped" "curves.svg: a cross per diverged trial"
for label in sgd adam rmsprop; do
    grep -q ">$label</text>" "$svg"; ok $? "curves.svg: $label in the legend"
done
grep -q 'validation loss, log scale' "$svg"
ok $? "curves.svg: a log-scaled loss axis"
is "$(grep -c '<polyline class="trial stopped' "$svg")" "$stopped" \
    "curves.svg: a stopped trial's line is dashed"
grep -q '<line class="legend-stopped" .*stroke-dasharray="4 3"/>' "$svg" &&
    grep -q '>diverged or failed</text>' "$svg"
ok $? "curves.svg: the legend shows that style: a dashed line ending in a cross"

# labelled variants of one plugin: each its own colour and legend entry
printf 'include = %s\n[search]\noptimizers = sgd, nesterov\n[optimizer.nesterov]\nplugin = sgd\nmomentum = 0.9\nnesterov = true\n' \
    "$top_srcdir/configs/quickstart.ini" >"$TMP/variants.ini"
"$OPTSELECT" --quiet --output "$TMP/var" "$TMP/variants.ini" >/dev/null
ok $? "a study of sgd and a labelled variant of it"
for f in curves lr; do
    grep -q '>sgd</text>' "$TMP/var/$f.svg" && grep -q '>nesterov</text>' "$TMP/var/$f.svg"
    ok $? "$f.svg: sgd and nesterov each in the legend"
    is "$(sed -n 's/.*<polyline class="trial[^"]*" data-[a-z]*="[^"]*" stroke="\(#[0-9a-f]*\)".*/\1/p' \
          "$TMP/var/$f.svg" | sort -u | tr '\n' ' ')" "#1f77b4 #ff7f0e " "$f.svg: in two colours"
done

lr="$TMP/q/lr.svg"
is "$(grep -c '<polyline class="trial"' "$lr")" 3 "lr.svg: a line per optimizer"
groups_ok=$(jq '[.ranking[] | select(.status == "ok")] | length' "$r")
groups_stopped=$(jq '[.ranking[] | select(.status == "diverged" or .status == "failed")] | length' "$r")
is "$(grep -c '<circle cx=.* fill="#' "$lr")" "$groups_ok" "lr.svg: a point per finished candidate"
is "$(grep -c 'data-kind="stopped"' "$lr")" "$groups_stopped" \
    "lr.svg: a cross per diverged learning rate"

"$OPTSELECT" --quiet --set search.optimizers=sgd,adam --set search.steps=200 \
    --output "$TMP/r" "$top_srcdir/configs/rosenbrock.ini" >/dev/null
paths="$TMP/r/paths.svg"
[ -f "$paths" ]
ok $? "a test-function study draws paths.svg"
is "$(grep -c 'class="contour"' "$paths")" 14 "paths.svg: 14 contour levels"
is "$(grep -c '<polyline class="trial' "$paths")" 2 \
    "paths.svg: the leaders, one path per optimizer (its best candidate)"
is "$(sed -n 's/.*<polyline class="trial[^"]*" data-trial="\([0-9]*\)".*/\1/p' "$paths" | sort -n | tr '\n' ' ')" \
    "$(jq -r '[.trials[] | select(.seed == 0)] | group_by(.optimizer) | map(min_by(.rank).id) | sort | map(tostring) | join(" ")' "$TMP/r/report.json") " \
    "... the first of each optimizer in the ranking"
grep -q '>start</text>' "$paths" && grep -q '>minimum</text>' "$paths"
ok $? "paths.svg: the start and the minimum are marked"

# lrfind.svg: lr = auto's range tests, a curve and a band per optimizer
"$OPTSELECT" --quiet --set search.optimizers=sgd,adam,rmsprop --set search.lr=auto \
    --set search.lr_points=3 --output "$TMP/lf" "$top_srcdir/configs/quickstart.ini" >"$TMP/lf.txt"
lf="$TMP/lf/lrfind.svg"
is "$(grep -c '<polyline class="trial" data-optimizer=' "$lf"),$(grep -c '<rect class="band"' "$lf")" \
    "3,3" "lrfind.svg: a curve and a shaded band for each of the 3 range tests"
is "$(jq '[.lr_range_tests[] | (.curve | length) == .steps] | all' "$TMP/lf/report.json")" true \
    "report.json: each range test's curve, a point per step"
n=$(jq '[.lr_range_tests[].steps] | add' "$TMP/lf/report.json")
is "$(jq .compute.range_test_steps "$TMP/lf/report.json")" "$n" "... and their steps in the compute"
grep -q "^         and $n steps of lr = auto's range tests before them$" "$TMP/lf.txt"
ok $? "... and the compute line says so"
[ ! -e "$TMP/q/lrfind.svg" ]
ok $? "no lrfind.svg without a range test"

if ! command -v rsvg-convert >/dev/null 2>&1; then
    ok 0 "# SKIP rsvg-convert is not installed (Debian: librsvg2-bin)"
    done_testing
    exit 0
fi
# render NAME.svg: to NAME.png; prints the pixel counts of the colours
render() {
    rsvg-convert -o "${1%.svg}.png" "$1" && "$PNG" "${1%.svg}.png" "$BLUE" "$ORANGE" "$GREEN" \
        "$PURPLE" "$PINK"
}
# count FILE COLOUR
count() { awk -v c="$2" '$1 == c { print $2 }' "$1"; }
for plot in "$svg" "$lr" "$paths"; do
    name=$(basename "$plot")
    render "$plot" >"$TMP/px"
    ok $? "$name renders with rsvg-convert"
    is "$(head -n 1 "$TMP/px")" 760x460 "$name: 760×460 pixels"
    colours="$BLUE $ORANGE" least=150
    [ "$plot" = "$paths" ] && least=100 # one path an optimizer, and the legend
    [ "$plot" = "$paths" ] || colours="$colours $GREEN"
    for c in $colours; do
        [ "$(count "$TMP/px" "$c")" -gt "$least" ]
        ok $? "$name: the optimizer drawn in $c shows ($(count "$TMP/px" "$c") pixels)"
    done
    [ "$(count "$TMP/px" "$PURPLE")" -lt 60 ] && [ "$(count "$TMP/px" "$PINK")" -lt 60 ]
    ok $? "$name: no colour of an optimizer the study does not have"
done
render "$lf" >"$TMP/px"
ok $? "lrfind.svg renders with rsvg-convert"
[ "$(count "$TMP/px" "$BLUE")" -gt 40 ] && [ "$(count "$TMP/px" "$ORANGE")" -gt 40 ] &&
    [ "$(count "$TMP/px" "$GREEN")" -gt 40 ] && [ "$(count "$TMP/px" "$PURPLE")" -lt 40 ]
ok $? "lrfind.svg: the three optimizers' colours, and no other's"
done_testing
