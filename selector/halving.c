/* halving.c — see halving.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "executor.h"
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

size_t os_halving_sure(const double *score, const unsigned char *measured, const size_t *alive,
                       size_t n, size_t keep, unsigned char *sure)
{
    /* the measured in promotion order: the p-th is certain when the p
     * before it and every unmeasured one are fewer than keep */
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    size_t m = 0, count = 0;
    for (size_t a = 0; a < n; a++) {
        sure[alive[a]] = 0;
        if (measured[alive[a]] && r)
            r[m++] = (ranked){ score[alive[a]], alive[a] };
    }
    if (!r) /* without memory, none early: the rung's decision still comes */
        return 0;
    qsort(r, m, sizeof *r, cmp_ranked);
    for (size_t p = 0; p < m && p + (n - m) < keep; p++, count++)
        sure[r[p].index] = 1;
    free(r);
    return count;
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

/* The brackets' halving over shared trials, as a strategy of the executor
 * (executor.h), which runs the trials and tells it as they pass budgets.
 *
 * A candidate's training is the same in every bracket (same seed, same
 * batches), so it is trained once, as far as the bracket that takes it
 * furthest, and every bracket reads its curve at its own budgets.  Work is
 * handed out as workers free up: every bracket starts at once, and a
 * candidate goes on to the next budget as soon as it is certain to be
 * promoted — when fewer than `keep` candidates of its rung are either
 * better or still unmeasured — instead of waiting for the slowest of its
 * rung.  Promotions are the synchronous ones (a candidate certain to be
 * among the best `keep` is among them once all are measured), so the
 * results do not depend on the workers or on which trial finished first. */
typedef struct sched {
    os_study           *s;
    const os_trial_env *env;
    bracket            *br;
    size_t              n_br, nb, n, ng;
    const uint64_t     *budgets;
    const size_t       *first;   /* per group: its first trial                */
    size_t             *rung;    /* per bracket: the budget it is deciding; nb
                                    once its last is measured               */
    unsigned char      *early;   /* n_br x ng: sure to go on past rung[b]     */
    int                *target;  /* per trial: the budget to reach; -1 none   */
    double             *at;      /* n x nb: each trial's score at each budget
                                    as it passed it (+inf: it had stopped);
                                    a trial may train on past a budget before
                                    its rung is decided, and that decision
                                    must see it as it was then              */
    unsigned char      *ending;  /* per trial: no bracket needs it: end it    */
    double             *score;   /* scratch: per group                        */
    unsigned char      *measured;/* scratch: per group                        */
    size_t             *next;    /* scratch                                   */
} sched;

static int group_reached(const sched *x, const os_exec *ex, size_t g, size_t k)
{
    for (size_t i = x->first[g]; i < x->n && x->s->search.cands[i].group == g; i++)
        if (!os_exec_reached(ex, i, k))
            return 0;
    return 1;
}

static double group_score(const sched *x, size_t g, size_t k)
{
    size_t seeds = 0;
    double sum = 0;
    for (size_t i = x->first[g]; i < x->n && x->s->search.cands[i].group == g; i++, seeds++)
        sum += x->s->done[i] ? os_trial_score_at(&x->s->results[i], x->budgets[k],
                                                    (os_score_kind)x->env->score_kind,
                                                    x->env->horizon)
                             : x->at[i * x->nb + k];
    return sum / (double)seeds;
}

/* Brings every bracket's decisions up to date, and with them each trial's
 * target; open trials no bracket needs are marked for ending.  Under the
 * executor's lock (the executor's done). */
static void decide(void *ctx, const os_exec *ex, const os_exec_job *job)
{
    (void)job; /* NULL: the first decisions, before any job */
    sched *x = ctx;
    const uint64_t eta = x->s->cfg->reduction_factor;
    for (size_t b = 0; b < x->n_br; b++) {
        bracket *br = &x->br[b];
        unsigned char *early = x->early + b * x->ng;
        while (x->rung[b] < x->nb) {
            size_t k = x->rung[b], undone = 0;
            for (size_t a = 0; a < br->n_alive; a++) {
                size_t g = br->alive[a];
                x->measured[g] = (unsigned char)group_reached(x, ex, g, k);
                x->score[g] = x->measured[g] ? group_score(x, g, k) : NAN;
                undone += !x->measured[g];
            }
            if (k + 1 == x->nb) {
                if (!undone)
                    x->rung[b] = x->nb; /* measured at its last budget: done */
                break;
            }
            size_t keep = (br->n_alive + eta - 1) / eta;
            if (undone) { /* sure to go on: those can start the next budget now */
                os_halving_sure(x->score, x->measured, br->alive, br->n_alive, keep, early);
                break;
            }
            br->n_alive = os_halving_promote(x->score, br->alive, br->n_alive, keep, x->next);
            memcpy(br->alive, x->next, br->n_alive * sizeof *x->next);
            memset(early, 0, x->ng);
            x->rung[b]++;
        }
    }
    for (size_t i = 0; i < x->n; i++)
        x->target[i] = -1;
    for (size_t b = 0; b < x->n_br; b++) {
        const bracket *br = &x->br[b];
        const unsigned char *early = x->early + b * x->ng;
        size_t k = x->rung[b] < x->nb ? x->rung[b] : x->nb - 1;
        for (size_t a = 0; a < br->n_alive; a++) {
            size_t g = br->alive[a];
            int t = (int)(k + early[g]);
            for (size_t i = x->first[g]; i < x->n && x->s->search.cands[i].group == g; i++)
                if (t > x->target[i])
                    x->target[i] = t;
        }
    }
    /* a trial no bracket holds any more is finished where it stands */
    for (size_t i = 0; i < x->n; i++)
        if (x->target[i] < 0 && os_exec_opened(ex, i) && !os_exec_busy(ex, i))
            x->ending[i] = 1;
}

/* The next job (the executor's next): end a trial no bracket needs (to
 * free its buffers), or train the trial with the lowest target (ties by
 * index) that has not reached it. */
static os_exec_what pick(void *ctx, const os_exec *ex, os_exec_job *job, size_t *others)
{
    sched *x = ctx;
    *others = 0;
    for (size_t i = 0; i < x->n; i++)
        if (x->ending[i]) {
            x->ending[i] = 0;
            *job = (os_exec_job){ .trial = i, .target = -1, .end = 1 };
            return OS_EXEC_END;
        }
    int best = -1;
    for (size_t i = 0; i < x->n; i++)
        if (x->target[i] >= 0 && !os_exec_busy(ex, i) &&
            !os_exec_reached(ex, i, (size_t)x->target[i])) {
            (*others)++;
            if (best < 0 || x->target[i] < x->target[best])
                best = (int)i;
        }
    if (best >= 0) {
        (*others)--;
        *job = (os_exec_job){ .trial = (size_t)best, .target = x->target[best] };
        return OS_EXEC_TRAIN;
    }
    return os_exec_running(ex) ? OS_EXEC_WAIT : OS_EXEC_QUIT;
}

/* Trial i passed budget k (the executor's passed): its score there, as it
 * was then. */
static void passed(void *ctx, size_t i, size_t k, int stopped)
{
    sched *x = ctx;
    double *at = x->at + i * x->nb;
    if (stopped) {
        for (size_t j = k; j < x->nb; j++)
            at[j] = INFINITY;
        return;
    }
    at[k] = os_trial_score_at(&x->s->results[i], x->budgets[k],
                               (os_score_kind)x->env->score_kind, x->env->horizon);
}

static int run_brackets(os_study *s, const os_trial_env *env, os_progress *progress,
                        bracket *br, size_t n_br, const uint64_t *budgets, size_t nb,
                        os_error *err)
{
    const size_t n = s->search.n, ng = s->search.n_groups;
    sched x = { .s = s, .env = env, .br = br, .n_br = n_br, .nb = nb, .n = n, .ng = ng,
                .budgets = budgets };
    size_t *first = malloc(ng * sizeof *first);
    x.first = first;
    x.rung = malloc(n_br * sizeof *x.rung);
    x.early = calloc(n_br * ng + 1, 1);
    x.target = malloc(n * sizeof *x.target);
    x.at = malloc((n * nb + 1) * sizeof *x.at);
    x.ending = calloc(n, 1);
    x.score = malloc(ng * sizeof *x.score);
    x.measured = malloc(ng + 1);
    x.next = malloc(ng * sizeof *x.next);
    int rc = 0;
    if (!first || !x.rung || !x.early || !x.target || !x.at || !x.ending || !x.score ||
        !x.measured || !x.next) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu trials", n);
        goto out;
    }
    for (size_t i = n; i-- > 0;)
        first[s->search.cands[i].group] = i;
    for (size_t b = 0; b < n_br; b++)
        x.rung[b] = br[b].start;
    for (size_t j = 0; j < n * nb; j++)
        x.at[j] = NAN;
    os_exec_plan plan = { .env = env, .cands = s->search.cands, .results = s->results,
                          .done = s->done, .n = n, .budgets = budgets, .nb = nb,
                          .workers = s->threads, .isolate = s->isolated,
                          .journal = &s->journal, .progress = progress,
                          .max_crashes = s->cfg->max_crashes, .sim = s->sim };
    os_exec_strategy st = { .ctx = &x, .next = pick, .passed = passed, .done = decide };
    rc = os_exec_run(&plan, &st, err);
out:
    free(first);
    free(x.rung);
    free(x.early);
    free(x.target);
    free(x.at);
    free(x.ending);
    free(x.score);
    free(x.measured);
    free(x.next);
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
    if (!strcmp(cfg->strategy, "asha"))
        return os_asha_run(s, env, progress, budgets, nb, err);
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
