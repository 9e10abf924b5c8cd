#!/bin/sh
# bench/sched.sh — the scheduler alone at cluster scale (issue 16): halving,
# hyperband and asha over 1,000 to 100,000 candidates on 64 and 1,024
# virtual workers of the executor's simulated backend (bench/sched_sim:
# instant trials, synthetic crossing curves, 3 budgets of 900, 2,700 and
# 8,100 steps).  Prints the jobs completed per second of the scheduler and
# its peak memory; the checksum column is the same for every worker count
# where the strategy's decisions do not depend on timing (all three here:
# asha's window is the worker count, so it changes with it).
#
#   bench/sched.sh [SCHED_SIM]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
sim=${1:-$here/bench/sched_sim}
[ -x "$sim" ] || make -C "$here" bench/sched_sim >/dev/null
field() { printf '%s\n' "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }
printf '%-10s %10s %8s %12s %10s %14s %10s\n' strategy candidates workers completions seconds \
    "completions/s" "peak MiB"
for st in halving hyperband asha; do
    for n in 1000 10000 100000; do
        for w in 64 1024; do
            out=$("$sim" "$st" "$n" "$w")
            printf '%-10s %10d %8d %12d %10s %14s %10s\n' "$st" "$n" "$w" \
                "$(field "$out" completions)" "$(field "$out" seconds)" \
                "$(field "$out" per_second)" "$(field "$out" peak_mib)"
        done
    done
done
