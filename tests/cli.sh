#!/bin/sh
# The command line: help, version, plugin listing, and every kind of bad
# input giving one line on stderr that names the file and a non-zero exit.
. "${top_srcdir:-.}/tests/lib.sh"

run "$OPTSELECT" --help
is "$status" 0 "--help exits 0"
grep -q '^exit status:' "$TMP/out"; ok $? "--help documents the exit status"

run "$OPTSELECT" --version
is "$status" 0 "--version exits 0"
grep -q '^plugin ABI 1\.2$' "$TMP/out"; ok $? "--version shows the plugin ABI"

run "$OPTSELECT" --list-plugins
is "$status" 0 "--list-plugins exits 0"
is "$(head -n 1 "$TMP/out")" "20 optimizers" "--list-plugins finds 20 optimizers"
for label in sgd adam rmsprop adagrad adamax nadam radam adadelta asgd rprop \
        lion adabelief yogi adan lamb lars adafactor muon adamw_schedulefree; do
    grep -q "^$label  (.*/$label\.so, ABI 1\.2, version 1)$" "$TMP/out"
    ok $? "--list-plugins shows $label with its file"
done
grep -q "^adamw  (.*/adam\.so, ABI 1\.2, version 1)$" "$TMP/out"
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
run "$OPTSELECT" validate --resume "$TMP"
one_line 2 "validate --resume" "optselect: validate takes no --resume: run the same validate command again, with the same --output DIR, and it continues from the trials journaled there"

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

# a NUL byte would end the line early for inih and drop the rest of it
printf '[data]\nformat = synthetic\n[search]\noptimizers = sgd\000, adam\n' >"$TMP/nul.ini"
run "$OPTSELECT" "$TMP/nul.ini"
one_line 3 "a NUL byte" "optselect: $TMP/nul.ini:4: a NUL byte: not a text file (save it as UTF-8)"
# ... and in a data file, where the rest of the line used to be replaced
# by the next line ("3<NUL>9,4,1" then "5,6,0" read as the row "35,6,0")
printf 'a,b,y\n1,2,0\n3\0009,4,1\n5,6,0\n7,8,1\n' >"$TMP/nul.csv"
printf '[data]\npath = nul.csv\nheader = true\n[search]\noptimizers = sgd\n' >"$TMP/nulcsv.ini"
run "$OPTSELECT" "$TMP/nulcsv.ini"
one_line 4 "a NUL byte in a CSV file" "optselect: $TMP/nul.csv:3: a NUL byte: not a text file"
printf '1 1:0.5\n0 1:1 2:0\0003\n1 2:1\n' >"$TMP/nul.svm"
printf '[data]\npath = nul.svm\nformat = libsvm\n[search]\noptimizers = sgd\n' >"$TMP/nulsvm.ini"
run "$OPTSELECT" "$TMP/nulsvm.ini"
one_line 4 "a NUL byte in a LIBSVM file" "optselect: $TMP/nul.svm:2: a NUL byte: not a text file"
# a directory opens, and used to fail only at its first read
mkdir -p "$TMP/adir"
run "$OPTSELECT" "$TMP/adir"
one_line 3 "a directory as the config" "optselect: $TMP/adir: cannot open: Is a directory"
printf '[data]\npath = adir\n[search]\noptimizers = sgd\n' >"$TMP/dirdata.ini"
run "$OPTSELECT" "$TMP/dirdata.ini"
one_line 4 "a directory as the data" "optselect: $TMP/adir: a directory, not a data file"
# lines of up to 198 characters are read; a longer one is refused, not split
printf '[data]\nformat = synthetic\n[search]\noptimizers = sgd ; %s\nsteps = 5\n' \
    "$(printf '%0179d' 0)" >"$TMP/long.ini"
run "$OPTSELECT" --quiet "$TMP/long.ini"
is "$status $(awk 'NR == 4 { print length($0) }' "$TMP/long.ini")" "0 198" \
    "a line of 198 characters is read"
printf '[data]\nformat = synthetic\n[search]\noptimizers = sgd ; %s\nsteps = 5\n' \
    "$(printf '%0180d' 0)" >"$TMP/long.ini"
run "$OPTSELECT" --quiet "$TMP/long.ini"
one_line 3 "a line of 199 characters" "optselect: $TMP/long.ini:4: line longer than 198 characters"

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
    "optselect: $abi: built for plugin ABI 2.3, but this optselect supports ABI 1.x (it is 1.2)"

mkdir -p "$TMP/plugdir"
cp "$abi" "$TMP/plugdir/"
OPTSELECT_PLUGIN_PATH="$TMP/plugdir" run "$OPTSELECT" --list-plugins
one_line 5 "a bad plugin on OPTSELECT_PLUGIN_PATH" \
    "optselect: $TMP/plugdir/abi_major.so: built for plugin ABI 2.3, but this optselect supports ABI 1.x (it is 1.2)"

# --- plugins load only by path, and only when nobody else can replace them --
mkdir "$TMP/trust"
cp "$top_builddir/tests/plugins/.libs/abi_1_0.so" "$TMP/trust/mine.so"
chmod 755 "$TMP/trust"
chmod 644 "$TMP/trust/mine.so"
run "$OPTSELECT" --plugin "$TMP/trust/mine.so" --list-plugins
is "$status" 0 "a plugin file only its owner can write loads"
chmod o+w "$TMP/trust/mine.so"
run "$OPTSELECT" --plugin "$TMP/trust/mine.so" --list-plugins
one_line 5 "a world-writable plugin file" \
    "optselect: $TMP/trust/mine.so: refused: the file is writable by others, so anyone could replace the plugin (chmod go-w it)"
chmod o-w "$TMP/trust/mine.so"
chmod g+w "$TMP/trust"
run "$OPTSELECT" --plugin "$TMP/trust/mine.so" --list-plugins
one_line 5 "a plugin in a group-writable directory" \
    "optselect: $TMP/trust/mine.so: refused: its directory is writable by its group, so anyone could replace the plugin (chmod go-w it)"
OPTSELECT_PLUGIN_PATH="$TMP/trust" run "$OPTSELECT" --list-plugins
one_line 5 "the same directory on OPTSELECT_PLUGIN_PATH" \
    "optselect: $TMP/trust/mine.so: refused: its directory is writable by its group, so anyone could replace the plugin (chmod go-w it)"
chmod g-w "$TMP/trust"
ln -s mine.so "$TMP/trust/link.so"
chmod o+w "$TMP/trust/mine.so"
run "$OPTSELECT" --plugin "$TMP/trust/link.so" --list-plugins
is "$status" 5 "a symbolic link to a world-writable file is refused too"
chmod o-w "$TMP/trust/mine.so"
rm "$TMP/trust/link.so"
(cd "$TMP/trust" && "$OPTSELECT" --plugin mine.so --list-plugins >"$TMP/out" 2>"$TMP/err")
status=$?
one_line 5 "a bare plugin name" \
    "optselect: mine.so: refused: give the plugin as a path (./mine.so); a bare name would be searched for by the dynamic linker"
if [ "$(id -u)" = 0 ]; then
    chown 65534 "$TMP/trust/mine.so"
    run "$OPTSELECT" --plugin "$TMP/trust/mine.so" --list-plugins
    one_line 5 "a plugin owned by another user" \
        "optselect: $TMP/trust/mine.so: refused: the file is owned by uid 65534, neither you nor root"
else
    ok 0 "# SKIP another user's plugin: needs root to chown"
    ok 0 "# SKIP"
    ok 0 "# SKIP"
fi

: >"$TMP/plainfile"
run "$OPTSELECT" --output "$TMP/plainfile/sub" --set search.steps=5 \
    "$top_srcdir/configs/quickstart.ini"
one_line 6 "an --output folder under a file" \
    "optselect: $TMP/plainfile/sub: cannot create the results folder: Not a directory"
run "$OPTSELECT" --quiet --output "$TMP/new/parents/res" --set search.steps=5 \
    "$top_srcdir/configs/quickstart.ini"
is "$status" 0 "--output creates the folders leading to it"
[ -f "$TMP/new/parents/res/report.json" ]
ok $? "... and writes the results there"
run "$OPTSELECT" --output "$TMP/plainfile" --set search.steps=5 \
    "$top_srcdir/configs/quickstart.ini"
one_line 6 "an --output that is a file" \
    "optselect: $TMP/plainfile: cannot create the results folder: a file of that name exists"
run "$OPTSELECT" --resume "$TMP" --set search.steps=5
one_line 2 "--resume with --set" \
    "optselect: --resume continues the study as it was configured: give no CONFIG.ini, --set, --seed or --study with it"
run "$OPTSELECT" --resume "$TMP/nothing-here"
one_line 3 "--resume of a folder without a study" \
    "optselect: $TMP/nothing-here/config.ini: cannot open: No such file or directory"

run "$OPTSELECT" --set search.steps=0 "$top_srcdir/configs/quickstart.ini"
one_line 3 "bad --set" \
    "optselect: --set search.steps=0: [search] steps = '0': expected an integer from 1 to 1000000000"

# --- a study where every trial diverges: a report, but exit 1 --------------
run "$OPTSELECT" --set search.lr=1000 --set search.steps=20 \
    --set search.optimizers=sgd "$top_srcdir/configs/quickstart.ini"
is "$status" 1 "no finite trial: exit status 1"
grep -q '^no recommendation: every trial diverged' "$TMP/out"
ok $? "... and the report says there is no recommendation"

# --- --output writes the results folder; the report still goes to stdout ---
run "$OPTSELECT" --format csv --output "$TMP/res" --set search.steps=10 \
    "$top_srcdir/configs/quickstart.ini"
is "$status" 0 "--output: exit 0"
is "$(ls "$TMP/res" | tr '\n' ' ')" "config.ini curves.csv curves.svg journal lr.svg report.json trials.csv " \
    "--output: the folder holds config.ini, curves.csv, curves.svg, journal, lr.svg, report.json, trials.csv"
cmp -s "$TMP/out" "$TMP/res/trials.csv"
ok $? "--output: stdout has the report in --format (csv), the same as trials.csv"
is "$(head -n 1 "$TMP/res/trials.csv")" "rank,id,optimizer,lr,hparams,seed,status,score,val_acc,steps" \
    "--format csv: header row"
is "$(wc -l <"$TMP/res/trials.csv" | tr -d ' ')" 29 "--format csv: one row per trial (28)"
jq -e '.ranking | length == 28' "$TMP/res/report.json" >/dev/null
ok $? "--output: report.json ranks the 28 candidates"
ls "$TMP/res" | grep -q '\.tmp'; is $? 1 "--output leaves no temporary file"
is "$(wc -l <"$TMP/res/journal" | tr -d ' ')" 29 "--output: the journal has a header and 28 records"

# config.ini is the effective config: --set folded in, and it runs the same study
run "$OPTSELECT" --format csv "$TMP/res/config.ini"
cmp -s "$TMP/out" "$TMP/res/trials.csv"
ok $? "config.ini of a results folder reproduces the study (same trials.csv)"
grep -q '^steps = 10$' "$TMP/res/config.ini"
ok $? "config.ini records the --set override (steps = 10)"

# a folder holding another study is refused, and left alone
cp "$TMP/res/config.ini" "$TMP/config.before"
run "$OPTSELECT" --output "$TMP/res" --set search.steps=11 "$top_srcdir/configs/quickstart.ini"
one_line 3 "--output folder of another study" \
    "optselect: $TMP/res/journal: the journal belongs to a different study (another config, --set, plugin or training script); use another --output folder, or remove it to start over"
cmp -s "$TMP/config.before" "$TMP/res/config.ini"
ok $? "... and its config.ini is untouched"

done_testing
