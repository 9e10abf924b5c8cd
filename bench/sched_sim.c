/*
 * bench/sched_sim.c — the scheduler alone, at cluster scale: a strategy
 * (halving, hyperband or asha) over N candidates on W virtual workers of
 * the executor's simulated backend (selector/run/exec_sim.c), whose trials
 * train instantly along synthetic curves.  Prints the jobs completed, the
 * scheduler's time and rate, its peak memory, and a checksum of how far
 * each candidate went (the same for any W when the strategy is
 * deterministic).
 *
 * SCHED_WINDOW sets asha_window (default: the workers).  With
 * SCHED_STICKY=1 in the environment a trial stays on the worker that
 * opened it (as on worker processes and MPI ranks); the virtual makespan
 * against the free placement is what that costs.
 *
 *   sched_sim STRATEGY CANDIDATES WORKERS [STEPS [MIN_STEPS]]
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "halving.h"
#include "util.h"

/* Candidate i's validation loss at a step: a + b / sqrt(step), with a and
 * b drawn from i, so that curves cross (the early budgets misjudge some). */
static double loss(void *ctx, size_t i, uint64_t step)
{
    (void)ctx;
    uint64_t h = (i + 1) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    double a = (double)(h & 0xffff) / 65536.0, b = (double)((h >> 16) & 0xffff) / 65536.0;
    return a + 4 * b / sqrt((double)step);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: sched_sim halving|hyperband|asha CANDIDATES WORKERS "
                "[STEPS [MIN_STEPS]]\n");
        return 2;
    }
    const size_t n = strtoull(argv[2], NULL, 10);
    const char *strategy = argv[1];
    const char *sticky = getenv("SCHED_STICKY");
    os_exec_sim sim = { .workers = strtoull(argv[3], NULL, 10), .loss = loss,
                        .sticky = sticky && *sticky == '1' };
    if (!n)
        return 2;
    os_candidate *cands = calloc(n, sizeof *cands);
    os_trial_result *results = calloc(n, sizeof *results);
    unsigned char *done = calloc(n, 1);
    if (!cands || !results || !done)
        return 7;
    for (size_t i = 0; i < n; i++)
        cands[i] = (os_candidate){ .id = i, .group = i };
    os_trial_env env = { .score_kind = OS_SCORE_FINAL };
    const char *window = getenv("SCHED_WINDOW"); /* asha: default, the workers */
    os_halving_spec h = {
        .plan = { .env = &env, .cands = cands, .results = results, .done = done, .n = n,
                  .workers = 1, .sim = &sim },
        .n_groups = n,
        .strategy = !strcmp(strategy, "asha")      ? OS_STRATEGY_ASHA
                  : !strcmp(strategy, "hyperband") ? OS_STRATEGY_HYPERBAND
                                                   : OS_STRATEGY_HALVING,
        .eta = 3,
        .window = window && *window ? strtoull(window, NULL, 10) : sim.workers,
    };
    h.nb = os_halving_budgets(argc > 4 ? strtoull(argv[4], NULL, 10) : 8100,
                              argc > 5 ? strtoull(argv[5], NULL, 10) : 0, h.eta, h.budgets);
    os_error err = { 0 };
    double t0 = os_seconds();
    int rc = os_halving_run(&h, &err);
    double took = os_seconds() - t0;
    if (rc) {
        fprintf(stderr, "sched_sim: %s\n", err.msg);
        return 1;
    }
    uint64_t sum = 0, steps = 0;
    size_t best = 0;
    for (size_t i = 0; i < n; i++) {
        sum = (sum ^ results[i].steps) * 1099511628211ull;
        steps += results[i].steps;
        if (results[i].steps > results[best].steps ||
            (results[i].steps == results[best].steps &&
             results[i].score < results[best].score))
            best = i;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s candidates=%zu workers=%zu completions=%llu seconds=%.3f per_second=%.0f "
           "peak_mib=%.1f steps=%llu best=%zu checksum=%016llx makespan=%.0f use=%.3f\n",
           strategy, n, sim.workers, (unsigned long long)sim.completions, took,
           (double)sim.completions / (took > 0 ? took : 1e-9), ru.ru_maxrss / 1024.0,
           (unsigned long long)steps, best, (unsigned long long)sum, sim.makespan,
           sim.busy / (sim.makespan * (double)sim.workers + 1e-300));
    for (size_t i = 0; i < n; i++)
        free(results[i].curve);
    free(results);
    free(cands);
    free(done);
    return 0;
}
