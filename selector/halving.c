/* halving.c — see halving.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "halving.h"
#include "score.h"

size_t os_halving_budgets(uint64_t steps, uint64_t min_steps, uint64_t eta,
                          uint64_t budgets[OS_MAX_BUDGETS])
{
    if (eta < 2)
        eta = 2;
    if (min_steps == 0)
        min_steps = steps / (eta * eta);
    if (min_steps < 1)
        min_steps = 1;
    /* from the top down, so that the last budget is exactly steps */
    uint64_t down[OS_MAX_BUDGETS];
    size_t n = 0;
    double b = (double)steps;
    while (n < OS_MAX_BUDGETS) {
        uint64_t r = (uint64_t)llround(b);
        if (n && (r < min_steps || r >= down[n - 1]))
            break;
        down[n++] = r;
        b /= (double)eta;
        if (r <= min_steps)
            break;
    }
    for (size_t i = 0; i < n; i++)
        budgets[i] = down[n - 1 - i];
    return n;
}

typedef struct ranked {
    double score;
    size_t index;
} ranked;

static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    int na = isnan(a->score), nb = isnan(b->score);
    if (na != nb)
        return na - nb;
    if (!na && a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

size_t os_halving_promote(const double *score, const size_t *alive, size_t n, size_t keep,
                          size_t *out)
{
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    if (keep > n)
        keep = n;
    if (!r) { /* without memory, keep the first ones: still a valid answer */
        memcpy(out, alive, keep * sizeof *out);
        return keep;
    }
    for (size_t i = 0; i < n; i++)
        r[i] = (ranked){ score[alive[i]], alive[i] };
    qsort(r, n, sizeof *r, cmp_ranked);
    for (size_t i = 0; i < keep; i++)
        out[i] = r[i].index;
    free(r);
    qsort(out, keep, sizeof *out, cmp_size);
    return keep;
}

/* A trial's score at a budget: its curve up to that step, scored as the
 * study scores (score.h); +inf when it stopped. */
static double score_at(const os_trial_result *r, uint64_t budget, const os_trial_env *env)
{
    if (r->status != OS_TRIAL_OK)
        return INFINITY;
    for (size_t j = r->n_curve; j-- > 0;)
        if (r->curve[j].step == budget) {
            double v = os_score_curve((os_score_kind)env->score_kind, r->curve, j + 1,
                                      env->horizon);
            return isfinite(v) ? v : INFINITY;
        }
    return INFINITY;
}

/* Ends trial i: its final status and score, the journal, the progress. */
static int settle(os_study *s, os_trial **trials, size_t i, os_progress *progress,
                  os_error *err)
{
    if (!trials[i])
        return 0;
    os_trial_finish(trials[i]);
    os_trial_close(trials[i]);
    trials[i] = NULL;
    os_progress_finished(progress, s->results[i].status);
    if (s->journal.fd >= 0 && s->results[i].status != OS_TRIAL_INTERRUPTED)
        return os_journal_append(&s->journal, i, &s->results[i], err);
    return 0;
}

int os_halving_run(os_study *s, const os_trial_env *env, os_progress *progress,
                   os_error *err)
{
    const os_config *cfg = s->cfg;
    const size_t n = s->search.n, ng = s->search.n_groups;
    uint64_t budgets[OS_MAX_BUDGETS];
    const size_t nb = os_halving_budgets(cfg->steps, cfg->min_steps, cfg->reduction_factor,
                                         budgets);
    os_trial **trials = calloc(n, sizeof *trials);
    size_t *alive = malloc(ng * sizeof *alive), *next = malloc(ng * sizeof *next);
    size_t *work = malloc(n * sizeof *work), *first = malloc(ng * sizeof *first);
    double *score = malloc(ng * sizeof *score);
    int *codes = calloc(n, sizeof *codes);
    os_error *errs = calloc(n, sizeof *errs);
    int rc = 0;
    if (!trials || !alive || !next || !work || !first || !score || !codes || !errs) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu trials", n);
        goto out;
    }
    for (size_t i = n; i-- > 0;)
        first[s->search.cands[i].group] = i;
    size_t n_alive = ng;
    for (size_t g = 0; g < ng; g++)
        alive[g] = g;

    for (size_t k = 0; k < nb && !rc; k++) {
        size_t n_work = 0;
        for (size_t a = 0; a < n_alive; a++)
            for (size_t i = first[alive[a]]; i < n && s->search.cands[i].group == alive[a]; i++)
                if (!s->done[i])
                    work[n_work++] = i;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(s->threads)
#endif
        for (size_t w = 0; w < n_work; w++) {
            size_t i = work[w];
            if (os_trial_should_stop(env) || codes[i])
                continue;
            if (!trials[i]) {
#ifdef _OPENMP
#pragma omp critical(os_progress)
#endif
                os_progress_started(progress);
                codes[i] = os_trial_open(&trials[i], env, &s->search.cands[i], nb,
                                         &s->results[i], &errs[i]);
                if (codes[i])
                    continue;
            }
            /* through every budget so far: a trial started late (resumed
             * from a journal) measures where the others did */
            for (size_t j = 0; j <= k; j++)
                os_trial_advance(trials[i], budgets[j]);
        }
        for (size_t i = 0; i < n && !rc; i++)
            if (codes[i]) {
                *err = errs[i];
                rc = codes[i];
            }
        if (rc || os_trial_should_stop(env) || k + 1 == nb)
            break;

        /* each group's mean score at this budget; the best 1 in eta go on */
        for (size_t a = 0; a < n_alive; a++) {
            size_t g = alive[a], seeds = 0;
            double sum = 0;
            for (size_t i = first[g]; i < n && s->search.cands[i].group == g; i++, seeds++)
                sum += score_at(&s->results[i], budgets[k], env);
            score[g] = sum / (double)seeds;
        }
        size_t keep = (n_alive + cfg->reduction_factor - 1) / cfg->reduction_factor;
        size_t n_next = os_halving_promote(score, alive, n_alive, keep, next);
        for (size_t a = 0, b = 0; a < n_alive && !rc; a++) {
            if (b < n_next && next[b] == alive[a]) {
                b++;
                continue;
            }
            for (size_t i = first[alive[a]]; i < n && s->search.cands[i].group == alive[a] &&
                                             !rc; i++)
                rc = settle(s, trials, i, progress, err);
        }
        memcpy(alive, next, n_next * sizeof *alive);
        n_alive = n_next;
    }

    for (size_t i = 0; i < n; i++) {
        if (os_trial_should_stop(env) && trials[i] && !os_trial_stopped(trials[i])) {
            /* between budgets when the study stopped: not a finished trial */
            s->results[i].status = OS_TRIAL_INTERRUPTED;
            s->results[i].score = INFINITY;
            snprintf(s->results[i].message, sizeof s->results[i].message,
                     "interrupted at step %llu of successive halving",
                     (unsigned long long)s->results[i].steps);
            os_trial_close(trials[i]);
            trials[i] = NULL;
            os_progress_finished(progress, OS_TRIAL_INTERRUPTED);
            continue;
        }
        int src = rc ? 0 : settle(s, trials, i, progress, err);
        if (src && !rc)
            rc = src;
        if (!s->done[i] && !s->results[i].curve && !s->results[i].message[0] && !trials[i] &&
            !codes[i])
            os_trial_not_started(&s->results[i]);
    }
out:
    for (size_t i = 0; trials && i < n; i++)
        os_trial_close(trials[i]);
    free(trials);
    free(alive);
    free(next);
    free(work);
    free(first);
    free(score);
    free(codes);
    free(errs);
    return rc;
}
