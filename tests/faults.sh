#!/bin/sh
# Allocation and I/O failures end cleanly: one line, the right exit status,
# no crash, no leak (under --enable-asan LeakSanitizer fails any run that
# leaks), and never a truncated file under a final name.
. "${top_srcdir:-.}/tests/lib.sh"
FA=$(under_valgrind "$top_builddir/tests/fault/optselect-failalloc")
cfg="$top_srcdir/configs/quickstart.ini"
# Only the two plugins the studies use, so that each of the many runs is quick.
mkdir "$TMP/plugins"
ln -s "$top_builddir/plugins/.libs/sgd.so" "$top_builddir/plugins/.libs/adam.so" "$TMP/plugins/"
OPTSELECT_PLUGIN_PATH="$TMP/plugins"; export OPTSELECT_PLUGIN_PATH
small="--threads 1 --set search.steps=5 --set search.optimizers=sgd,adam --set search.lr_points=2"

# --- the Nth allocation fails, for every N ---------------------------------
# fail_each NAME ARGS...: counts the allocations of one run, then fails
# each of them in turn.  Each run must exit 0 (the failure was absorbed) or
# 7 with one line saying out of memory (besides a resume's notice).
fail_each() {
    name=$1
    shift
    rm -rf "$TMP/res"
    OPTSELECT_COUNT_ALLOC="$TMP/count" "$FA" "$@" >/dev/null 2>"$TMP/err"
    is $? 0 "$name: the run succeeds without injected failures"
    total=$(cat "$TMP/count")
    bad=0 nomem=0 n=1
    while [ "$n" -le "$total" ]; do
        rm -rf "$TMP/res"
        OPTSELECT_FAIL_ALLOC=$n "$FA" "$@" >/dev/null 2>"$TMP/err.all"
        status=$?
        grep -v ': resuming: ' "$TMP/err.all" >"$TMP/err" # a notice, not an error
        if [ "$status" -eq 7 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] &&
           grep -q 'out of memory' "$TMP/err"; then
            nomem=$((nomem + 1))
        elif [ "$status" -ne 0 ]; then
            bad=$((bad + 1))
            [ "$bad" -le 3 ] && diag "allocation $n: exit $status: $(head -c 600 "$TMP/err.all" | tr '\n' '|')"
        fi
        n=$((n + 1))
    done
    is "$bad" 0 "$name: each of its $total allocations, failed in turn, ends cleanly"
    [ "$nomem" -gt 0 ]
    ok $? "$name: $nomem of them end with exit 7 and one 'out of memory' line"
}
fail_each "a CSV study with a results folder" $small --output "$TMP/res" "$cfg"
fail_each "a test-function study" --threads 1 --set search.steps=5 --set search.optimizers=sgd,adam \
    "$top_srcdir/configs/rosenbrock.ini"
"$OPTSELECT" $small --output "$TMP/keep" "$cfg" >/dev/null
fail_each "resuming a finished study" --resume "$TMP/keep"

# --- a full disk -------------------------------------------------------------
"$OPTSELECT" $small "$cfg" >/dev/full 2>"$TMP/err"
is $? 6 "standard output on a full disk: exit 6"
is "$(cat "$TMP/err")" "optselect: standard output: write failed: No space left on device" \
    "... with one line"

# A file-size limit makes writes fail with EFBIG at a chosen point: first
# config.ini, then the journal at some trial, then the reports.
"$OPTSELECT" --format json $small "$cfg" >"$TMP/whole.json"
strip() { jq -S 'del(.config, .data.path)' "$1"; }
strip "$TMP/whole.json" >"$TMP/whole.norm"
bad=0 failed=0 passed=0
for blocks in 0 1 2 3 4 6 8 12 16 24 32 64 128 256; do
    rm -rf "$TMP/lim"
    # stderr through a pipe: the limit applies to files, and the message
    # must get out
    msg=$( (trap '' XFSZ; ulimit -f "$blocks"; exec "$OPTSELECT" --format json $small \
        --output "$TMP/lim" "$cfg") 2>&1 >/dev/null)
    status=$?
    printf '%s\n' "$msg" >"$TMP/err"
    if [ "$status" -eq 6 ]; then
        failed=$((failed + 1))
        if [ "$(wc -l <"$TMP/err")" -ne 1 ] ||
           ! grep -Eq "^optselect: $TMP/lim/(\.lock|config.ini|journal|report.json|trials.csv): cannot write: File too large\$" "$TMP/err"; then
            bad=$((bad + 1)); diag "limit $blocks: $(cat "$TMP/err")"
        fi
    elif [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
    else
        bad=$((bad + 1)); diag "limit $blocks: exit $status: $(head -c 300 "$TMP/err")"
    fi
    # whatever exists under a final name is whole
    if [ -f "$TMP/lim/report.json" ] && ! jq -e . "$TMP/lim/report.json" >/dev/null 2>&1; then
        bad=$((bad + 1)); diag "limit $blocks: a truncated report.json"
    fi
    if ls "$TMP/lim" 2>/dev/null | grep -q '\.tmp'; then
        bad=$((bad + 1)); diag "limit $blocks: a temporary file was left behind"
    fi
    # and the study resumes from whatever was saved, to the same result
    if [ -f "$TMP/lim/config.ini" ]; then
        "$OPTSELECT" --format json --resume "$TMP/lim" >"$TMP/resumed.json" 2>/dev/null &&
            strip "$TMP/resumed.json" | cmp -s - "$TMP/whole.norm" ||
            { bad=$((bad + 1)); diag "limit $blocks: the resumed study differs"; }
    fi
done
is "$bad" 0 "writes failing at 14 points: exit 6 with one line, no truncated or temporary file, and a resume completes the study"
[ "$failed" -gt 3 ] && [ "$passed" -gt 0 ]
ok $? "... of which $failed failed and $passed had room enough"
done_testing
