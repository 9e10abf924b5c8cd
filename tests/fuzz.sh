#!/bin/sh
# Replays each fuzz target's seed corpus and its regressions (inputs that
# once crashed it): none may crash, abort or report an error of more than
# one line.  With --enable-fuzzing the targets are libFuzzer programs, run
# with -runs=0 (each input once, no fuzzing).
. "${top_srcdir:-.}/tests/lib.sh"
for target in config csv libsvm idx idx_gz journal protocol; do
    prog=$(under_valgrind "$top_builddir/tests/fuzz/fuzz_$target")
    corpus="$top_srcdir/tests/fuzz/corpus/$target"
    regressions="$top_srcdir/tests/fuzz/regressions/$target"
    n=$(ls "$corpus" "$regressions" | grep -cv ':$\|^$')
    if [ "$FUZZING" = yes ]; then
        "$prog" -runs=0 "$corpus" "$regressions" >"$TMP/log" 2>&1
    else
        "$prog" "$corpus" "$regressions" >"$TMP/log" 2>&1
    fi
    status=$?
    is "$status" 0 "fuzz_$target: replays its $n inputs without a crash"
    [ "$status" -eq 0 ] || sed 's/^/# /' "$TMP/log" | tail -n 20
    if [ "$FUZZING" != yes ]; then
        is "$(tail -n 1 "$TMP/log")" "$n inputs" "fuzz_$target: every input was run"
    fi
done
done_testing
