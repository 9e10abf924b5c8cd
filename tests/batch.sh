#!/bin/sh
# Batch studies: one INI file with [study NAME] sections, an include, and
# per-study overrides runs every study, writes a results folder for each,
# ends with a summary, and each report.json reproduces its study.
. "${top_srcdir:-.}/tests/lib.sh"
mkdir "$TMP/cfg"
cat >"$TMP/cfg/base.ini" <<INI
; shared by the studies
[data]
path = $top_srcdir/data/digits.csv.gz
subset = 600
[model]
hidden = 16
[search]
optimizers = sgd, adam
lr_points = 2
steps = 20
[optimizer.sgd]
momentum = 0.9
INI
cat >"$TMP/cfg/two.ini" <<'INI'
include = base.ini
[search]
steps = 30
[study small-batch]
search.batch_size = 16
[study wide]
model.hidden = 32, 16
search.optimizers = adam, rmsprop
INI

run "$OPTSELECT" --quiet --output "$TMP/res" "$TMP/cfg/two.ini"
is "$status" 0 "a two-study file runs: exit 0"
grep -q '^==== study small-batch ====$' "$TMP/out" && grep -q '^==== study wide ====$' "$TMP/out"
ok $? "both studies report"
grep -q '^==== summary of 2 studies ====$' "$TMP/out"
ok $? "a summary ends the run"
is "$(sed -n '/summary of 2 studies/,$p' "$TMP/out" | grep -c '^small-batch \|^wide ')" 2 \
    "the summary has a line per study"
for study in small-batch wide; do
    is "$(ls "$TMP/res/$study" | tr '\n' ' ')" "config.ini curves.csv curves.svg journal lr.svg report.json trials.csv " \
        "$study: its results folder holds every file: config, journal, reports, curves, plots"
done
q() { jq -r "$2" "$TMP/res/$1/report.json"; }
is "$(q small-batch '.budget.batch_size') $(q small-batch '.budget.steps')" "16 30" \
    "small-batch: its override (batch 16) and the file's over the include (30 steps)"
is "$(q wide '.budget.batch_size') $(q wide '[.ranking[].optimizer] | unique | join(",")')" \
    "64 adam,rmsprop" "wide: its own optimizers, the default batch size"
is "$(q wide '[.model.layers[] | select(startswith("dense"))] | length')" 3 \
    "wide: its own hidden layers (three dense layers)"
is "$(q small-batch '.study')" small-batch "report.json names its study"
grep -q '^momentum = 0.9$' "$TMP/res/small-batch/config.ini"
ok $? "the included [optimizer.sgd] section reaches the study that uses sgd"

# Each report.json, fed back, runs its study again to the same ranking.
for study in small-batch wide; do
    "$OPTSELECT" --quiet --format json "$TMP/res/$study/report.json" >"$TMP/again.json"
    # the same study, run from a file that is no longer a batch (and names
    # the data file by its real path, where the batch may say dir/../data)
    jq -S 'del(.config, .study, .data.path)' "$TMP/again.json" >"$TMP/a.norm"
    jq -S 'del(.config, .study, .data.path)' "$TMP/res/$study/report.json" >"$TMP/b.norm"
    cmp -s "$TMP/a.norm" "$TMP/b.norm"
    ok $? "$study: report.json fed back reproduces the study"
done

# A JSON file that is not a report: one line naming the file (and the
# line where the JSON breaks).
printf '{"effective_config": "[search]\\n",\n  "ranking": [1,\n' >"$TMP/torn.json"
run "$OPTSELECT" "$TMP/torn.json"
is "$status" 3 "a torn JSON report: exit 3"
is "$(cat "$TMP/err")" "optselect: $TMP/torn.json:3: not valid JSON: ']' expected near end of file" \
    "... naming the file and the line where it breaks"
echo '{"effective_config": 7}' >"$TMP/other.json"
run "$OPTSELECT" "$TMP/other.json"
is "$(cat "$TMP/err")" "optselect: $TMP/other.json: a JSON file, but not an optselect report with an effective_config string" \
    "a JSON file without an effective_config string: one line naming it"

# --study runs one; a name that is not there is a usage error.
run "$OPTSELECT" --quiet --study wide --format json "$TMP/cfg/two.ini"
is "$(jq -r '[.studies[].study] | join(",")' "$TMP/out")" wide "--study wide runs only wide"
run "$OPTSELECT" --study tall "$TMP/cfg/two.ini"
is "$status" 2 "--study of a missing study: exit 2"
is "$(cat "$TMP/err")" "optselect: --study tall: $TMP/cfg/two.ini has no [study tall]" \
    "... naming the file"

# JSON: the studies and the summary; CSV: one table with a study column.
run "$OPTSELECT" --quiet --format json "$TMP/cfg/two.ini"
is "$(jq -r '[(.studies | length), (.summary | length)] | join(" ")' "$TMP/out")" "2 2" \
    "--format json: every study's report and the summary in one document"
run "$OPTSELECT" --quiet --format csv "$TMP/cfg/two.ini"
is "$(head -n 1 "$TMP/out" | cut -d, -f1-3)" "study,rank,id" "--format csv: a study column"
is "$(grep -c '^small-batch,\|^wide,' "$TMP/out")" 8 "... and every trial of both studies"

# A study that cannot run is reported; the others still run.
cat >"$TMP/cfg/broken.ini" <<'INI'
include = base.ini
[study good]
search.steps = 10
[study missing-data]
data.path = nowhere.csv
INI
run "$OPTSELECT" --quiet "$TMP/cfg/broken.ini"
is "$status" 4 "a study with a missing data file: the batch exits 4"
is "$(cat "$TMP/err")" "optselect: $TMP/cfg/nowhere.csv: cannot open: No such file or directory" \
    "... with one line on stderr"
grep -q '^good  *sgd\|^good  *adam' "$TMP/out"
ok $? "... after the good study ran and made its recommendation"
grep -q '^missing-data  *error: ' "$TMP/out"
ok $? "... and the summary says which study failed"

# include: errors name the file and line.
printf 'include = self.ini\n' >"$TMP/cfg/self.ini"
run "$OPTSELECT" "$TMP/cfg/self.ini"
is "$(cat "$TMP/err")" "optselect: $TMP/cfg/self.ini:1: include = self.ini: a file includes itself (through 1 include)" \
    "a file that includes itself"
printf '[search]\noptimizers = sgd\ninclude = base.ini\n' >"$TMP/cfg/late.ini"
run "$OPTSELECT" "$TMP/cfg/late.ini"
is "$(cat "$TMP/err")" "optselect: $TMP/cfg/late.ini:3: [search] unknown key 'include'" \
    "include inside a section is an unknown key"
printf 'include = nothere.ini\n' >"$TMP/cfg/missing.ini"
run "$OPTSELECT" "$TMP/cfg/missing.ini"
is "$(cat "$TMP/err")" "optselect: $TMP/cfg/missing.ini:1: $TMP/cfg/nothere.ini: cannot open: No such file or directory" \
    "a missing included file"
printf 'include = base.ini\n[search]\nsteps = 5\nsteps = 6\n' >"$TMP/cfg/dup.ini"
run "$OPTSELECT" "$TMP/cfg/dup.ini"
is "$(cat "$TMP/err")" "optselect: $TMP/cfg/dup.ini:4: [search] steps is already set at $TMP/cfg/dup.ini:3" \
    "a key twice in one file is still an error, includes or not"
printf '[data]\npath = x.csv\n[search]\noptimizers = sgd\n[study a]\nsteps = 5\n' >"$TMP/cfg/bare.ini"
run "$OPTSELECT" "$TMP/cfg/bare.ini"
is "$(cat "$TMP/err")" "optselect: $TMP/cfg/bare.ini:6: [study a] steps: keys of a study are SECTION.KEY, e.g. search.steps = 500" \
    "a study key without its section"
printf 'include = base.ini\n[study a]\nsearch.stpes = 5\n' >"$TMP/cfg/typo.ini"
run "$OPTSELECT" "$TMP/cfg/typo.ini"
is "$(cat "$TMP/err")" "optselect: $TMP/cfg/typo.ini:3: [search] unknown key 'stpes' (did you mean 'steps'?)" \
    "a misspelt key in a study names its line"
done_testing
