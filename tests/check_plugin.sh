#!/bin/sh
# --check-plugin: every shipped plugin passes; each deliberately broken one
# fails the check that describes its defect, with exit status 1.
. "${top_srcdir:-.}/tests/lib.sh"
# A segfault must reach the checker as the signal it is, sanitizers or not.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0"; export ASAN_OPTIONS

for so in "$top_builddir"/plugins/.libs/*.so; do
    run "$OPTSELECT" --check-plugin "$so"
    is "$status" 0 "$(basename "$so") passes the conformance suite"
    grep -q FAIL "$TMP/out" && cat "$TMP/out" | sed 's/^/# /'
done
last=$(tail -n 1 "$TMP/out")
case "$last" in *" checks, 0 failed") ok 0 "the suite ends with a count";; *) ok 1 "the suite ends with a count: $last";; esac

# Plugins built against the 1.0 and 1.1 headers pass too: the host keeps
# every older minor of its major.
for old in abi_1_0 abi_1_1; do
    run "$OPTSELECT" --check-plugin "$top_builddir/tests/plugins/.libs/$old.so"
    is "$status" 0 "$old.so (built against an older header) passes the conformance suite"
    [ "$status" -eq 0 ] || sed 's/^/# /' "$TMP/out"
done

broken="$top_builddir/tests/broken/.libs"
expect_fail() { # FILE LINE-PATTERN NAME
    run "$OPTSELECT" --check-plugin "$broken/$1"
    is "$status" 1 "$3: exit status 1"
    grep -q "^FAIL  $2" "$TMP/out"
    ok $? "$3: reported as '$2'"
    [ $? -eq 0 ] || sed 's/^/# /' "$TMP/out"
}
expect_fail nan_zero.so "nan-zero: zero gradients keep every parameter finite" \
    "NaN on zero gradients"
expect_fail nondeterministic.so "nondeterministic: two runs are bit-identical" \
    "a non-deterministic step"
expect_fail overflow_state.so "overflow-state: step writes only inside state_bytes" \
    "writes past the state"
expect_fail bad_hparam.so ".*bad_hparam.so: loads, passes the ABI handshake and the descriptor checks: .*hyperparameter 'beta' needs finite min <= default <= max" \
    "a default outside its bounds"
expect_fail ignore_lr.so "ignore-lr: the first step scales with the rate" \
    "a plugin that ignores the learning rate"
if [ -n "${SANITIZED:-}" ]; then # the plugin's own AddressSanitizer stops it first
    expect_fail read_past.so ".*read_past.so: the checks run to their end: the plugin ended the process" \
        "a step that reads one gradient past the end (caught by ASan)"
else
    expect_fail read_past.so "read-past: step reads and writes only its parameters and gradients: it touched memory past its 37 parameters or gradients" \
        "a step that reads one gradient past the end"
fi
expect_fail big_grad.so "big-grad: very large and very small gradients keep every parameter finite: not with gradients of 1e10" \
    "a step that overflows on large gradients"
expect_fail abi_major.so ".*abi_major.so: loads.*built for plugin ABI 2.3" "another ABI major"

# The plugin runs in a child: a crash, an abort, an exit or a hang fails a
# check with its cause, output fails one too, and the checker always ends
# with its count and status 1 (with its output piped, every line arrives).
slip() { # FILE PATTERN NAME
    { "$OPTSELECT" --check-plugin "$broken/$1" 2>"$TMP/err"; echo $? >"$TMP/status"; } |
        cat >"$TMP/out"
    is "$(cat "$TMP/status")" 1 "$3: exit status 1, a failed check"
    is "$(grep -c . "$TMP/err")" 0 "$3: nothing on the checker's stderr"
    grep -q "^FAIL  .*$2" "$TMP/out"
    ok $? "$3: a failed check with its cause"
    [ $? -eq 0 ] || sed 's/^/# /' "$TMP/out"
    tail -n 1 "$TMP/out" | grep -Eq '^[0-9]+ checks, [1-9][0-9]* failed$'
    ok $? "$3: the closing count arrives through a pipe"
}
slip crash.so "the plugin crashed: signal 11 (Segmentation fault)" "a plugin that segfaults"
slip abort.so "the plugin crashed: signal 6 (Aborted)" "a plugin that aborts"
slip exit.so "the plugin ended the process (exit status 3) before the checks did" \
    "a plugin that calls exit(3)"
slip hang.so "no check finished for 10 s: the plugin hangs (killed)" "a plugin that hangs"
slip prints.so "the plugin writes nothing to standard output or error: it wrote [0-9]* bytes (\"step 1 step 2 " \
    "a plugin that prints"

run "$OPTSELECT" --check-plugin --isolate "$broken/crash.so"
is "$status" 2 "--check-plugin --isolate: a usage error, not a plugin named --isolate"

run "$OPTSELECT" --check-plugin "$broken/missing.so"
is "$status" 1 "a missing file fails the suite"
done_testing
