#!/bin/sh
# The README's quickstart output is what this build prints: every line the
# README shows (the header, the ranked rows it keeps, the recommendation and
# the lines under it) is found in a fresh run with the same words, the same
# integers, and every other number within 1% of it.  The tolerance
# lets another CPU's BLAS kernels move the last digits; a changed rule,
# default or pick does not pass.  Only the time line is not compared.
. "${top_srcdir:-.}/tests/lib.sh"
readme="$top_srcdir/README.md"

# The block after the line "$ ./optselect configs/quickstart.ini", up to
# its closing fence.
awk '/^\$ \.\/optselect configs\/quickstart\.ini$/ { on = 1; next }
     on && /^```/ { exit } on' "$readme" >"$TMP/want"
lines=$(wc -l <"$TMP/want" | tr -d ' ')
[ "$lines" -gt 10 ]
ok $? "README.md shows the quickstart's output ($lines lines)"

# Run as the README does, from the top of the tree, so paths print alike.
(cd "$top_srcdir" && "$OPTSELECT" -j 2 -q configs/quickstart.ini) >"$TMP/got" 2>"$TMP/err"
is "$?" 0 "the quickstart runs"

# compare WANT GOT: prints one line per README line that the run does not
# match, nothing when all match.  A ranked row is paired with the run's row
# of the same rank; any other line with the run's line of the same first
# word.
compare() {
    awk '
    function key(line,   f) {
        split(line, f, " ")
        if (f[1] ~ /^[0-9]+$/) return "rank " f[1]
        return f[1]
    }
    # shape(LINE): LINE with each number replaced by #; its numbers in num[].
    function shape(line,   out, n) {
        out = ""; n = 0
        while (match(line, /[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?/)) {
            num[++n] = substr(line, RSTART, RLENGTH)
            out = out substr(line, 1, RSTART - 1) "#"
            line = substr(line, RSTART + RLENGTH)
        }
        nums = n
        return out line
    }
    function close_enough(a, b,   d) {
        if (a !~ /[.e]/ && b !~ /[.e]/) return a == b
        d = a - b; if (d < 0) d = -d
        b = b < 0 ? -b : b
        return d <= 0.01 * b
    }
    FNR == NR { if ($0 != "") got[key($0)] = $0; next }
    /^ran in / || /^ \.\.\.$/ || $0 == "" { next }
    {
        k = key($0)
        if (!(k in got)) { print "missing: " $0; next }
        ws = shape($0); wn = nums; for (i = 1; i <= wn; i++) w[i] = num[i]
        gs = shape(got[k]); gn = nums
        if (ws != gs || wn != gn) { print "README: " $0; print "run:    " got[k]; next }
        for (i = 1; i <= wn; i++)
            if (!close_enough(num[i], w[i])) {
                print "README: " $0; print "run:    " got[k]; next
            }
    }' "$2" "$1"
}

compare "$TMP/want" "$TMP/got" >"$TMP/diff"
is "$(cat "$TMP/diff")" "" "every line the README shows matches the run"

# The comparison can fail: a README with another pick, or another gap, does not pass.
sed 's/^recommendation: adagrad/recommendation: rmsprop/' "$TMP/want" >"$TMP/want2"
compare "$TMP/want2" "$TMP/got" >"$TMP/diff"
[ -s "$TMP/diff" ]
ok $? "a README naming another optimizer is caught"
awk '/^runner-up:/ { sub(/[0-9.]+ behind/, "0.0007 behind") } 1' "$TMP/want" >"$TMP/want2"
compare "$TMP/want2" "$TMP/got" >"$TMP/diff"
[ -s "$TMP/diff" ]
ok $? "a README with a runner-up's gap 7% off is caught"

done_testing
