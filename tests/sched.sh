#!/bin/sh
# The executor's simulated backend (bench/sched_sim): halving and hyperband
# promote the same candidates on 1 and 64 virtual workers (their decisions
# never depend on timing); asha with the same window does too; every job is
# completed once; the scan that ends what the strategy left open stays
# linear.
. "${top_srcdir:-.}/tests/lib.sh"
SIM="$top_builddir/bench/sched_sim"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
for st in halving hyperband; do
    a=$("$SIM" "$st" 300 1 | field checksum)
    b=$("$SIM" "$st" 300 64 | field checksum)
    [ -n "$a" ] && [ "$a" = "$b" ]
    ok $? "$st: the same candidates go as far on 1 and 64 workers ($a)"
done
"$SIM" halving 243 8 810 >"$TMP/h"
# 243 candidates, budgets 90 → 270 → 810: 243 + 81 + 27 training jobs, and
# an end for each trial
is "$(field completions <"$TMP/h")" $((243 + 81 + 27 + 243)) \
    "halving: every job once (243 + 81 + 27 trained, 243 ended)"
is "$(field steps <"$TMP/h")" $((162 * 90 + 54 * 270 + 27 * 810)) \
    "... each trial as far as synchronous halving takes it"
a=$("$SIM" asha 300 16 | field checksum)
b=$("$SIM" asha 300 16 | field checksum)
[ -n "$a" ] && [ "$a" = "$b" ]
ok $? "asha: the same run twice ($a)"
"$SIM" asha 300 16 >"$TMP/a"
"$SIM" halving 300 16 >"$TMP/hv"
[ "$(field steps <"$TMP/a")" -ge "$(field steps <"$TMP/hv")" ]
ok $? "asha trains at least halving's steps ($(field steps <"$TMP/a") against $(field steps <"$TMP/hv"))"
# a trial kept on the worker that opened it: the same decisions, never
# sooner (it may wait for its own worker)
free=$("$SIM" halving 1000 16)
sticky=$(SCHED_STICKY=1 "$SIM" halving 1000 16)
is "$(printf '%s\n' "$sticky" | field checksum)" "$(printf '%s\n' "$free" | field checksum)" \
    "sticky placement: the same candidates go as far"
awk -v a="$(printf '%s\n' "$free" | field makespan)" -v b="$(printf '%s\n' "$sticky" | field makespan)" \
    'BEGIN { exit !(b >= a && a > 0) }'
ok $? "... in no less virtual time ($(printf '%s\n' "$sticky" | field makespan) against $(printf '%s\n' "$free" | field makespan))"
done_testing
