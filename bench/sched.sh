#!/bin/sh
# bench/sched.sh — the scheduler alone at cluster scale (issue 16): halving,
# hyperband and asha over 1,000 to 100,000 candidates on 64 and 1,024
# virtual workers of the executor's simulated backend (bench/sched_sim:
# instant trials, synthetic crossing curves, 3 budgets of 900, 2,700 and
# 8,100 steps).  Prints the jobs completed per second of the scheduler and
# its peak memory; then what keeping each trial on one worker costs, and
# asha's window against its workers' use (both in virtual time: steps).
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

# What keeping each trial on the worker that opened it costs (worker
# processes and MPI ranks do; threads do not): the virtual makespan, in
# steps, of 10,000 candidates with free and with sticky placement, and the
# workers' use (the share of worker-time spent training).
echo
printf '%-10s %8s %12s %6s %12s %6s %8s\n' strategy workers "free steps" use "sticky steps" use cost
for st in halving hyperband asha; do
    for w in 16 64 1024; do
        a=$(SCHED_WINDOW=$((4 * w)) "$sim" "$st" 10000 "$w")
        b=$(SCHED_WINDOW=$((4 * w)) SCHED_STICKY=1 "$sim" "$st" 10000 "$w")
        awk -v st="$st" -v w="$w" -v fa="$(field "$a" makespan)" -v ua="$(field "$a" use)" \
            -v fb="$(field "$b" makespan)" -v ub="$(field "$b" use)" \
            'BEGIN { printf "%-10s %8d %12d %6.2f %12d %6.2f %7.2fx\n", st, w, fa, ua, fb, ub, fb / fa }'
    done
done

# asha's window against its workers' use (64 workers, 10,000 candidates):
# a job waits for the one asha_window before it, so a window of a few
# times the workers keeps them busy.
echo
printf '%-8s %12s %6s\n' window "free steps" use
for m in 1 2 4 8; do
    a=$(SCHED_WINDOW=$((64 * m)) "$sim" asha 10000 64)
    printf '%-8d %12s %6s\n' $((64 * m)) "$(field "$a" makespan)" "$(field "$a" use)"
done
