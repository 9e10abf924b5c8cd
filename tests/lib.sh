# tests/lib.sh — TAP helpers for the shell tests.  Source it, call ok/is,
# and end with done_testing.
: "${top_builddir:=.}" "${top_srcdir:=.}"
OPTSELECT="$top_builddir/optselect"
tap_n=0
tap_failed=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/optselect-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# under_valgrind PROGRAM: with OPTSELECT_VALGRIND set (make check-valgrind),
# the path of a script that runs PROGRAM under valgrind, which fails the
# run with status 99 on any memory error or definite leak; else PROGRAM.
under_valgrind() {
    [ -n "${OPTSELECT_VALGRIND:-}" ] || { printf '%s\n' "$1"; return; }
    wrapper="$TMP/valgrind-$(basename "$1")"
    printf '#!/bin/sh\nexec valgrind %s "%s" "$@"\n' "$OPTSELECT_VALGRIND" "$1" >"$wrapper"
    chmod +x "$wrapper"
    printf '%s\n' "$wrapper"
}
OPTSELECT=$(under_valgrind "$OPTSELECT")

# ok CONDITION-STATUS NAME: pass when the status is 0.
ok() {
    tap_n=$((tap_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $tap_n - $2"
    else
        tap_failed=$((tap_failed + 1))
        echo "not ok $tap_n - $2"
    fi
}

# is GOT WANT NAME
is() {
    if [ "$1" = "$2" ]; then ok 0 "$3"; else
        ok 1 "$3"
        printf '#      got: %s\n# expected: %s\n' "$1" "$2"
    fi
}

diag() { printf '# %s\n' "$*"; }

done_testing() {
    echo "1..$tap_n"
    [ "$tap_failed" -eq 0 ]
}

# run_status: runs "$@", saving stdout, stderr and the exit status.
run() {
    "$@" >"$TMP/out" 2>"$TMP/err"
    status=$?
}

# wait_journal DIR N PID: waits (30 s at most) until DIR/journal holds N
# lines (its header and N - 1 trials) or PID has ended.
wait_journal() {
    tries=0
    while [ "$tries" -lt 3000 ] && kill -0 "$3" 2>/dev/null &&
        [ "$(cat "$1/journal" 2>/dev/null | wc -l)" -lt "$2" ]; do
        tries=$((tries + 1))
        sleep 0.01
    done
}

# kill_at_journal DIR N PID: SIGKILL to PID once DIR/journal holds N lines
# (wait_journal), and its end reaped.
kill_at_journal() {
    wait_journal "$1" "$2" "$3"
    kill -KILL "$3" 2>/dev/null
    wait "$3" 2>/dev/null
}

# journal_twice DIR: how many trials DIR/journal records more than once;
# journal_trials DIR: how many records it holds.
journal_twice() { awk 'NR > 1 { print $2 }' "$1/journal" | sort | uniq -d | wc -l | tr -d ' '; }
journal_trials() { echo $(($(wc -l <"$1/journal") - 1)); }
