/* halving.c — see halving.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "halving.h"
#include "rng.h"
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

size_t os_hyperband_plan(size_t n_groups, size_t n_levels, uint64_t eta,
                         size_t sizes[OS_MAX_BUDGETS])
{
    /* bracket b starts at level b and has n_levels - b rungs; Li et al.
     * give bracket s (s + 1 rungs of s_max + 1) ceil((s_max + 1) / (s + 1)
     * eta^s) configurations so that every bracket costs about the same;
     * scaled here so that the most aggressive one holds every candidate */
    const double s_max = (double)(n_levels - 1);
    for (size_t b = 0; b < n_levels; b++) {
        double rungs = (double)(n_levels - b);
        double want = ceil((double)n_groups * (s_max + 1) / rungs *
                           pow((double)eta, rungs - 1 - s_max) - 1e-9);
        sizes[b] = want >= (double)n_groups ? n_groups : want < 1 ? 1 : (size_t)want;
    }
    return n_levels;
}

/* One bracket of successive halving: its candidate groups join at level
 * start of the budgets and are halved from there. */
typedef struct bracket {
    size_t  start;
    size_t *alive;    /* ascending group indices */
    size_t  n_alive;
} bracket;

/* Whether group g is still in use: alive in a bracket that has started, or
 * waiting in one that has not. */
static int needed(const bracket *br, size_t n_br, size_t g)
{
    for (size_t b = 0; b < n_br; b++)
        for (size_t a = 0; a < br[b].n_alive; a++)
            if (br[b].alive[a] == g)
                return 1;
    return 0;
}

typedef struct rung_ctx {
    os_study           *s;
    const os_trial_env *env;
    os_progress        *progress;
    os_trial          **trials;
    const size_t       *work;
    const uint64_t     *budgets;
    size_t              nb, k;   /* budgets; this rung's index among them */
    int                *codes;
    os_error           *errs;
    int                 step_threads;
} rung_ctx;

/* The w-th trial of a rung: opened when new, then taken to budget k. */
static void rung_one(void *arg, size_t w)
{
    rung_ctx *x = arg;
    os_study *s = x->s;
    size_t i = x->work[w];
    if (os_trial_should_stop(x->env) || x->codes[i])
        return;
    if (!x->trials[i]) {
#ifdef _OPENMP
#pragma omp critical(os_progress)
#endif
        os_progress_started(x->progress);
        x->codes[i] = os_trial_open(&x->trials[i], x->env, &s->search.cands[i], x->nb,
                                    &s->results[i], &x->errs[i]);
        if (x->codes[i])
            return;
    }
    os_trial_set_threads(x->trials[i], x->step_threads);
    /* through every budget so far: a trial started late (resumed from a
     * journal, or joining a later bracket) measures where the others did */
    for (size_t j = 0; j <= x->k; j++)
        os_trial_advance(x->trials[i], x->budgets[j]);
}

/* The brackets' synchronous halving over shared trials: a candidate's
 * training is the same in every bracket (same seed, same batches), so it is
 * trained once, as far as the bracket that takes it furthest, and every
 * bracket reads its curve at its own budgets. */
static int run_brackets(os_study *s, const os_trial_env *env, os_progress *progress,
                        bracket *br, size_t n_br, const uint64_t *budgets, size_t nb,
                        os_error *err)
{
    const os_config *cfg = s->cfg;
    const size_t n = s->search.n, ng = s->search.n_groups;
    os_trial **trials = calloc(n, sizeof *trials);
    size_t *next = malloc(ng * sizeof *next), *work = malloc(n * sizeof *work);
    size_t *first = malloc(ng * sizeof *first);
    unsigned char *want = malloc(ng);
    double *score = malloc(ng * sizeof *score);
    int *codes = calloc(n, sizeof *codes);
    os_error *errs = calloc(n, sizeof *errs);
    int rc = 0;
    if (!trials || !next || !work || !first || !want || !score || !codes || !errs) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu trials", n);
        goto out;
    }
    for (size_t i = n; i-- > 0;)
        first[s->search.cands[i].group] = i;

    for (size_t k = 0; k < nb && !rc; k++) {
        memset(want, 0, ng);
        for (size_t b = 0; b < n_br; b++)
            for (size_t a = 0; a < br[b].n_alive && br[b].start <= k; a++)
                want[br[b].alive[a]] = 1;
        size_t n_work = 0;
        for (size_t g = 0; g < ng; g++)
            for (size_t i = first[g]; want[g] && i < n && s->search.cands[i].group == g; i++)
                if (!s->done[i])
                    work[n_work++] = i;
        rung_ctx x = { s, env, progress, trials, work, budgets, nb, k, codes, errs,
                       os_step_threads(s->threads, n_work, env->split) };
        os_for_trials(n_work, os_trial_threads(s->threads, n_work), rung_one, &x);
        for (size_t i = 0; i < n && !rc; i++)
            if (codes[i]) {
                *err = errs[i];
                rc = codes[i];
            }
        if (rc || os_trial_should_stop(env) || k + 1 == nb)
            break;

        /* each group's mean score at this budget; in every bracket that has
         * started, the best 1 in eta go on */
        for (size_t g = 0; g < ng; g++) {
            size_t seeds = 0;
            double sum = 0;
            for (size_t i = first[g]; want[g] && i < n && s->search.cands[i].group == g;
                 i++, seeds++)
                sum += score_at(&s->results[i], budgets[k], env);
            score[g] = want[g] ? sum / (double)seeds : INFINITY;
        }
        for (size_t b = 0; b < n_br; b++) {
            if (br[b].start > k)
                continue;
            size_t keep = (br[b].n_alive + cfg->reduction_factor - 1) / cfg->reduction_factor;
            br[b].n_alive = os_halving_promote(score, br[b].alive, br[b].n_alive, keep, next);
            memcpy(br[b].alive, next, br[b].n_alive * sizeof *next);
        }
        /* a group no bracket needs any more is finished where it stands */
        for (size_t g = 0; g < ng && !rc; g++)
            if (want[g] && !needed(br, n_br, g))
                for (size_t i = first[g]; i < n && s->search.cands[i].group == g && !rc; i++)
                    rc = settle(s, trials, i, progress, err);
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
    free(next);
    free(work);
    free(first);
    free(want);
    free(score);
    free(codes);
    free(errs);
    return rc;
}

int os_halving_run(os_study *s, const os_trial_env *env, os_progress *progress,
                   os_error *err)
{
    const os_config *cfg = s->cfg;
    const size_t ng = s->search.n_groups;
    uint64_t budgets[OS_MAX_BUDGETS];
    const size_t nb = os_halving_budgets(cfg->steps, cfg->min_steps, cfg->reduction_factor,
                                         budgets);
    const int hyperband = !strcmp(cfg->strategy, "hyperband");
    size_t sizes[OS_MAX_BUDGETS] = { ng };
    size_t n_br = hyperband ? os_hyperband_plan(ng, nb, cfg->reduction_factor, sizes) : 1;
    bracket br[OS_MAX_BUDGETS] = { { 0 } };
    size_t *block = malloc((n_br * ng + 1) * sizeof *block);
    uint32_t *perm = malloc((ng + 1) * sizeof *perm);
    int rc = 0;
    if (!block || !perm) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu candidates", ng);
        goto out;
    }
    for (size_t b = 0; b < n_br; b++) {
        /* each bracket draws its candidates from the seed: its own stream */
        for (size_t g = 0; g < ng; g++)
            perm[g] = (uint32_t)g;
        if (sizes[b] < ng) {
            os_rng rng;
            os_rng_seed(&rng, cfg->seed, 0x4879706572ull + b); /* "Hyper" + bracket */
            os_rng_shuffle(&rng, perm, ng);
        }
        br[b] = (bracket){ .start = b, .alive = block + b * ng, .n_alive = sizes[b] };
        for (size_t a = 0; a < sizes[b]; a++)
            br[b].alive[a] = perm[a];
        qsort(br[b].alive, sizes[b], sizeof *br[b].alive, cmp_size);
    }
    rc = run_brackets(s, env, progress, br, n_br, budgets, nb, err);
out:
    free(block);
    free(perm);
    return rc;
}
