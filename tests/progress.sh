#!/bin/sh
# The progress line: on a terminal (a pseudo-terminal made by script(1)), on
# standard error, never in a pipe or a file, never with --quiet, without
# colours when NO_COLOR is set; and the report on stdout is the same.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"
args="--format json --set search.steps=50"
if ! command -v script >/dev/null 2>&1; then
    ok 0 "# SKIP script(1) is not installed (Debian: bsdutils)"
    done_testing
    exit 0
fi
# on_tty FILE COMMAND: runs COMMAND with its stderr (and stdin) on a
# pseudo-terminal, recording what the terminal showed into FILE.
on_tty() {
    out=$1
    shift
    script -qec "$*" "$out" >/dev/null 2>&1 </dev/null
}

on_tty "$TMP/tty" "\"$OPTSELECT\" $args \"$cfg\" >\"$TMP/tty.json\""
is $? 0 "under a terminal: exit 0"
esc=$(printf '\033')
sed "s/$esc\[[0-9;]*[mK]//g" "$TMP/tty" >"$TMP/tty.plain"   # colours off
grep -q '28/28 trials, 0 running, [0-9]* diverged, 0 failed' "$TMP/tty.plain"
ok $? "under a terminal: the progress line counts the trials up to 28/28"
tr '\r' '\n' <"$TMP/tty.plain" | grep -q '^0/28 trials'
ok $? "... redrawn in place (carriage returns), from 0/28 on"
grep -q "$(printf '\033')\[1m" "$TMP/tty"
ok $? "... in bold on a terminal"
grep -q 'elapsed' "$TMP/tty"
ok $? "... with the time elapsed"

"$OPTSELECT" $args "$cfg" >"$TMP/pipe.json" 2>"$TMP/pipe.err"
is "$(wc -c <"$TMP/pipe.err" | tr -d ' ')" 0 "stderr to a file: no progress line"
cmp -s "$TMP/tty.json" "$TMP/pipe.json"
ok $? "the report on stdout is the same with and without the progress line"

on_tty "$TMP/quiet" "\"$OPTSELECT\" --quiet $args \"$cfg\" >/dev/null"
grep -q 'trials' "$TMP/quiet"
is $? 1 "--quiet: no progress line on a terminal"

on_tty "$TMP/nocolor" "NO_COLOR=1 \"$OPTSELECT\" $args \"$cfg\" >/dev/null"
grep -q '28/28 trials' "$TMP/nocolor"
ok $? "NO_COLOR: the progress line is still shown"
grep -q "$(printf '\033')\[1m" "$TMP/nocolor"
is $? 1 "NO_COLOR: without colours or bold"

on_tty "$TMP/iso" "\"$OPTSELECT\" --isolate $args \"$cfg\" >/dev/null"
grep -q '28/28 trials' "$TMP/iso"
ok $? "--isolate: the progress line counts worker trials too"

# The clock runs during a long trial: the line is redrawn once a second,
# not only when a trial starts or ends.
on_tty "$TMP/long" "\"$OPTSELECT\" --threads 1 --set search.optimizers=sgd --set search.lr=0.1 --set search.steps=200000 \"$cfg\" >/dev/null"
n=$(sed "s/$esc\[[0-9;]*[mK]//g" "$TMP/long" | tr '\r' '\n' | grep -c '^0/1 trials, 1 running')
[ "$n" -ge 2 ]
ok $? "a long trial: the line is redrawn while it runs ($n times with 1 running)"
done_testing
