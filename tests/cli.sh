#!/bin/sh
# The command line: help, version, plugin listing, and every kind of bad
# input giving one line on stderr that names the file and a non-zero exit.
. "${top_srcdir:-.}/tests/lib.sh"

run "$OPTSELECT" --help
is "$status" 0 "--help exits 0"
grep -q '^exit status:' "$TMP/out"; ok $? "--help documents the exit status"

run "$OPTSELECT" --version
is "$status" 0 "--version exits 0"
grep -q '^plugin ABI 1\.1$' "$TMP/out"; ok $? "--version shows the plugin ABI"

run "$OPTSELECT" --list-plugins
is "$status" 0 "--list-plugins exits 0"
is "$(head -n 1 "$TMP/out")" "20 optimizers" "--list-plugins finds 20 optimizers"
for label in sgd adam rmsprop adagrad adamax nadam radam adadelta asgd rprop \
        lion adabelief yogi adan lamb lars adafactor muon adamw_schedulefree; do
    grep -q "^$label  (.*/$label\.so, ABI 1\.1)$" "$TMP/out"
    ok $? "--list-plugins shows $label with its file"
done
grep -q "^adamw  (.*/adam\.so, ABI 1\.1)$" "$TMP/out"
ok $? "--list-plugins shows adamw from the adam family's file"
grep -q '^    momentum  *default 0  *\[0, 1\]  *tunable' "$TMP/out"
ok $? "--list-plugins shows a hyperparameter with default and bounds"

# docs/optimizers.md has a row per optimizer with its defaults and state size.
"$OPTSELECT" --list-plugins | awk '
    /^[a-z]/ { label = $1 }
    /^  state: / { state[label] = $2 }
    /^    [a-z_]/ { hp[label] = hp[label] " " $1 "=" $3 }
    END { for (l in hp) print l, state[l], hp[l] }' >"$TMP/catalog"
bad=""
while read -r label state defaults; do
    row=$(grep "^| \`$label\` |" "$top_srcdir/docs/optimizers.md")
    case "$row" in *"| $defaults |"*) ;; *) bad="$bad $label(defaults)";; esac
    case "$row" in *"| $state |"* | *"| $state ("*) ;; *) bad="$bad $label(state)";; esac
done <"$TMP/catalog"
is "$bad" "" "docs/optimizers.md matches --list-plugins: defaults and state per optimizer"

run "$OPTSELECT" --help-config
is "$status" 0 "--help-config exits 0"
# Every key the program knows is documented in docs/config.md.
missing=""
for key in $(sed -n 's/^  \([a-z_]*\) .*/\1/p' "$TMP/out"); do
    grep -q "^| \`$key\`" "$top_srcdir/docs/config.md" || missing="$missing $key"
done
is "$missing" "" "docs/config.md documents every key of --help-config"

# --- bad input: exactly one line on stderr, the documented exit status -----
one_line() { # STATUS-WANTED NAME EXPECTED-LINE
    is "$status" "$1" "$2: exit status $1"
    is "$(wc -l <"$TMP/err" | tr -d ' ')" 1 "$2: one line on stderr"
    is "$(cat "$TMP/err")" "$3" "$2: the message"
}

run "$OPTSELECT" --frobnicate x.ini
one_line 2 "unknown option" "optselect: unknown option '--frobnicate' (see --help)"
run "$OPTSELECT"
one_line 2 "no config" "optselect: missing CONFIG.ini (see --help)"
run "$OPTSELECT" --format yaml x.ini
one_line 2 "bad format" "optselect: --format 'yaml': expected text, json or csv"
run "$OPTSELECT" --threads 0 x.ini
one_line 2 "bad thread count" "optselect: --threads '0': expected an integer from 1 to 4096"

cat >"$TMP/typo.ini" <<'INI'
[data]
path = x.csv
[search]
optimizers = sgd
lr_rnage = 0.1, 10
INI
run "$OPTSELECT" "$TMP/typo.ini"
one_line 3 "misspelt key" \
    "optselect: $TMP/typo.ini:5: [search] unknown key 'lr_rnage' (did you mean 'lr_range'?)"

run "$OPTSELECT" "$TMP/none.ini"
is "$status" 3 "a missing config: exit status 3"
grep -q "^optselect: $TMP/none.ini: cannot open: No such file or directory\$" "$TMP/err"
ok $? "a missing config names the file"

printf '1,2,0\n3,4,1\n5,6\n7,8,1\n' >"$TMP/ragged.csv"
cat >"$TMP/ragged.ini" <<'INI'
[data]
path = ragged.csv
[search]
optimizers = sgd
INI
run "$OPTSELECT" "$TMP/ragged.ini"
one_line 4 "ragged CSV row" \
    "optselect: $TMP/ragged.csv:3: row has 2 fields, expected 3 (as on line 1)"

abi="$top_builddir/tests/broken/.libs/abi_major.so"
run "$OPTSELECT" --plugin "$abi" --list-plugins
one_line 5 "plugin of another ABI major" \
    "optselect: $abi: built for plugin ABI 2.3, but this optselect supports ABI 1.x (it is 1.1)"

mkdir -p "$TMP/plugdir"
cp "$abi" "$TMP/plugdir/"
OPTSELECT_PLUGIN_PATH="$TMP/plugdir" run "$OPTSELECT" --list-plugins
one_line 5 "a bad plugin on OPTSELECT_PLUGIN_PATH" \
    "optselect: $TMP/plugdir/abi_major.so: built for plugin ABI 2.3, but this optselect supports ABI 1.x (it is 1.1)"

run "$OPTSELECT" --output "$TMP/no/such/dir/r.json" --set search.steps=5 \
    "$top_srcdir/configs/quickstart.ini"
one_line 6 "an unwritable --output" \
    "optselect: $TMP/no/such/dir/r.json: cannot write: No such file or directory"

run "$OPTSELECT" --set search.steps=0 "$top_srcdir/configs/quickstart.ini"
one_line 3 "bad --set" \
    "optselect: --set search.steps=0: [search] steps = '0': expected an integer from 1 to 1000000000"

# --- a study where every trial diverges: a report, but exit 1 --------------
run "$OPTSELECT" --set search.lr=1000 --set search.steps=20 \
    --set search.optimizers=sgd "$top_srcdir/configs/quickstart.ini"
is "$status" 1 "no finite trial: exit status 1"
grep -q '^no recommendation: every trial diverged' "$TMP/out"
ok $? "... and the report says there is no recommendation"

# --- --output writes the file, and nothing to stdout ------------------------
run "$OPTSELECT" --format csv --output "$TMP/r.csv" --set search.steps=10 \
    "$top_srcdir/configs/quickstart.ini"
is "$status" 0 "--output: exit 0"
is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "--output: nothing on stdout"
is "$(head -n 1 "$TMP/r.csv")" "rank,id,optimizer,lr,hparams,seed,status,score,val_acc,steps" \
    "--format csv: header row"
is "$(wc -l <"$TMP/r.csv" | tr -d ' ')" 29 "--format csv: one row per trial (28)"
ls "$TMP" | grep -q '\.tmp'; is $? 1 "--output leaves no temporary file"

done_testing
