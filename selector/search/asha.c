/*
 * asha.c — asynchronous successive halving (Li et al. 2020, "A System for
 * Massively Parallel Hyperparameter Tuning"), as a strategy of the
 * executor.  See halving.h.
 *
 * ASHA never waits for a rung to fill: whenever a worker is free it
 * promotes a candidate that is among the best 1 in reduction_factor of the
 * candidates its rung has measured so far (the highest rung first), and
 * otherwise starts a new candidate at the first budget.  So a rung is
 * judged on what has finished, not on all of it: early finishers are
 * promoted on less evidence than halving gives them, more candidates go on
 * (every 1 in eta of a rung, as it grows), and no worker idles at a rung's
 * end.
 *
 * In the paper "what has finished" depends on the machine's timing.  Here
 * it is the results of every job decided before, except the last
 * asha_window of them: job j is decided once job j - asha_window is done,
 * from jobs 0 .. j - asha_window.  The decisions — and the report — are
 * then the same on any number of threads, processes or ranks, and up to
 * asha_window jobs run at once.  When nothing can be decided so, it waits
 * for every running job and decides from all of them; when even that
 * decides nothing, the study is over.
 *
 * A job trains every seed of a candidate (a group) to the next budget;
 * groups are ranked by their mean score at the budget, as halving does,
 * from each trial's score as it was when it passed it (a trial may train
 * on before an older decision is made; stopped: +inf).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "executor.h"
#include "heap.h"
#include "halving.h"
#include "score.h"

typedef struct asha {
    const os_halving_spec *h;
    const os_trial_env *env;
    const uint64_t     *budgets;
    size_t              nb, n, ng, eta, window;
    const size_t       *first;    /* per group: its first trial              */
    int                *level;    /* per group: the last budget a job took it
                                     to; -1: not started                    */
    size_t             *job_g;    /* per job (at most ng x nb)               */
    int                *job_k;
    size_t             *left;     /* per job: its trials not yet through     */
    size_t             *trial_job;/* per trial: its job now                  */
    size_t              n_jobs, seen; /* jobs decided; jobs 0..seen-1 counted */
    size_t              pending;  /* jobs with trials not yet through        */
    struct asha_rung   *rung;     /* per budget: the groups the seen jobs took
                                     there                                   */
    size_t              next_new; /* the next group to start                 */
    double             *at;       /* n x nb: each trial's score at each budget
                                     as it passed it                         */
    size_t             *queue;    /* trials of decided jobs, to hand out     */
    size_t              q_head, q_len;
} asha;

/* A budget's measured groups, split so that "the best not yet promoted
 * among the best 1 in eta" costs O(log n): top holds the best
 * floor(m / eta) (a max-heap: the worst of them leaves first), rest the
 * others, and open the members of top not yet promoted from here (stale
 * entries skipped).  Scores are ordered as (score, group), NaN as +inf. */
typedef struct asha_rung {
    size_t   m;
    os_heap  top, rest, open;
    unsigned char *in_top; /* per group */
} asha_rung;

static double group_score(const asha *a, size_t g, size_t k)
{
    size_t seeds = 0;
    double sum = 0;
    for (size_t i = a->first[g]; i < a->n && a->h->plan.cands[i].group == g; i++, seeds++)
        sum += a->h->plan.done[i] ? os_trial_score_at(&a->h->plan.results[i], a->budgets[k],
                                                    (os_score_kind)a->env->score_kind,
                                                    a->env->horizon)
                             : a->at[i * a->nb + k];
    return sum / (double)seeds;
}

/* The max-heap's key for (score, g): negated, with the group order
 * reversed, so that its least is the worst. */
static double worst_key(double score) { return isnan(score) ? -INFINITY : -score; }
static size_t worst_index(size_t g) { return (size_t)-1 - g; }

/* Group g measured at budget k joins its rung. */
static void join(asha *a, size_t k, size_t g)
{
    asha_rung *r = &a->rung[k];
    double sc = group_score(a, g, k);
    if (isnan(sc))
        sc = INFINITY;
    r->m++;
    os_heap_item worst = r->top.n ? r->top.v[0] : (os_heap_item){ 0, 0 };
    if (r->top.n && os_heap_less((os_heap_item){ sc, g },
                                 (os_heap_item){ -worst.key, (size_t)-1 - worst.index })) {
        os_heap_pop(&r->top); /* the worst of the best gives way */
        size_t out = (size_t)-1 - worst.index;
        r->in_top[out] = 0;
        os_heap_push(&r->rest, -worst.key, out);
        os_heap_push(&r->top, worst_key(sc), worst_index(g));
        r->in_top[g] = 1;
        os_heap_push(&r->open, sc, g);
    } else {
        os_heap_push(&r->rest, sc, g);
    }
    while (r->top.n < r->m / a->eta && r->rest.n) { /* the best grow by one */
        os_heap_item it = os_heap_pop(&r->rest);
        os_heap_push(&r->top, worst_key(it.key), worst_index(it.index));
        r->in_top[it.index] = 1;
        os_heap_push(&r->open, it.key, it.index);
    }
}

/* Counts the jobs up to `upto` (exclusive) into the rungs: their groups
 * are measured there. */
static void see(asha *a, size_t upto)
{
    for (; a->seen < upto; a->seen++)
        join(a, (size_t)a->job_k[a->seen], a->job_g[a->seen]);
}

/* The group to promote from what is seen (the highest rung first), and
 * where: 1, or 0 for none. */
static int promotion(asha *a, size_t *g, int *k)
{
    for (int r = (int)a->nb - 2; r >= 0; r--) {
        asha_rung *q = &a->rung[r];
        while (q->open.n) {
            os_heap_item it = q->open.v[0];
            if (!q->in_top[it.index] || a->level[it.index] != r) {
                os_heap_pop(&q->open); /* left the best, or promoted */
                continue;
            }
            if (!isfinite(it.key))
                break; /* the best left are stopped trials: none */
            *g = it.index;
            *k = r + 1;
            return 1;
        }
    }
    return 0;
}

/* A new job: group g to budget k; its trials go in the queue (a trial
 * done before, from a journal, is through at once). */
static void add_job(asha *a, size_t g, int k)
{
    const size_t j = a->n_jobs++;
    a->job_g[j] = g;
    a->job_k[j] = k;
    a->left[j] = 0;
    a->level[g] = k;
    for (size_t i = a->first[g]; i < a->n && a->h->plan.cands[i].group == g; i++) {
        if (a->h->plan.done[i])
            continue;
        a->trial_job[i] = j;
        a->left[j]++;
        a->queue[(a->q_head + a->q_len++) % a->n] = i;
    }
    a->pending += a->left[j] > 0;
}

/* Decides the next job when it can; 1 when one was added. */
static int decide(asha *a)
{
    const size_t j = a->n_jobs;
    if (j >= a->window) {
        if (a->left[j - a->window])
            return 0; /* its decision waits for job j - window */
        see(a, j - a->window + 1);
    }
    size_t g;
    int k;
    for (int pass = 0; pass < 2; pass++) {
        if (promotion(a, &g, &k)) {
            add_job(a, g, k);
            return 1;
        }
        if (a->next_new < a->ng) {
            add_job(a, a->next_new++, 0);
            return 1;
        }
        if (pass || a->pending)
            return 0;
        see(a, a->n_jobs); /* nothing from the window: decide from everything */
    }
    return 0;
}

static os_exec_what next(void *ctx, const os_exec *ex, os_exec_job *job, size_t *ready)
{
    asha *a = ctx;
    while (!a->q_len && decide(a))
        ;
    if (a->q_len) {
        size_t i = a->queue[a->q_head];
        a->q_head = (a->q_head + 1) % a->n;
        a->q_len--;
        int k = a->job_k[a->trial_job[i]];
        *job = (os_exec_job){ .trial = i, .target = k, .end = k + 1 == (int)a->nb };
        *ready = a->q_len;
        return OS_EXEC_TRAIN;
    }
    *ready = 0;
    return os_exec_running(ex) ? OS_EXEC_WAIT : OS_EXEC_QUIT;
}

/* Trial i passed budget k, or stopped on the way: its score there. */
static void passed(void *ctx, size_t i, size_t k, int stopped)
{
    asha *a = ctx;
    os_halving_record(a->at + i * a->nb, a->nb, k, stopped, &a->h->plan.results[i], a->budgets,
                      a->env);
}

static void done(void *ctx, const os_exec *ex, const os_exec_job *job)
{
    asha *a = ctx;
    if (job && job->target >= 0 && !--a->left[a->trial_job[job->trial]])
        a->pending--;
}

int os_asha_run(const os_halving_spec *h, const uint64_t *budgets, size_t nb, os_error *err)
{
    const size_t n = h->plan.n, ng = h->n_groups, jobs = ng * nb + 1;
    asha a = { .h = h, .env = h->plan.env, .budgets = budgets, .nb = nb, .n = n, .ng = ng,
               .eta = h->eta, .window = h->window };
    size_t *first = malloc((ng + 1) * sizeof *first);
    a.first = first;
    a.level = malloc((ng + 1) * sizeof *a.level);
    a.job_g = malloc(jobs * sizeof *a.job_g);
    a.job_k = malloc(jobs * sizeof *a.job_k);
    a.left = malloc(jobs * sizeof *a.left);
    a.trial_job = calloc(n + 1, sizeof *a.trial_job);
    a.rung = calloc(nb, sizeof *a.rung);
    a.at = malloc((n * nb + 1) * sizeof *a.at);
    a.queue = malloc((n + 1) * sizeof *a.queue);
    int ok = first && a.level && a.job_g && a.job_k && a.left && a.trial_job && a.rung &&
             a.at && a.queue;
    for (size_t k = 0; ok && k < nb; k++) { /* room for every push: none can fail */
        asha_rung *r = &a.rung[k];
        r->top = (os_heap){ malloc((ng + 1) * sizeof *r->top.v), 0, ng + 1 };
        r->rest = (os_heap){ malloc((ng + 1) * sizeof *r->rest.v), 0, ng + 1 };
        r->open = (os_heap){ malloc((2 * ng + 1) * sizeof *r->open.v), 0, 2 * ng + 1 };
        r->in_top = calloc(ng + 1, 1);
        ok = r->top.v && r->rest.v && r->open.v && r->in_top;
    }
    int rc;
    if (!ok) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu trials", n);
    } else {
        for (size_t i = n; i-- > 0;)
            first[h->plan.cands[i].group] = i;
        for (size_t g = 0; g < ng; g++)
            a.level[g] = -1;
        for (size_t j = 0; j < n * nb; j++)
            a.at[j] = NAN;
        os_exec_plan plan = h->plan;
        plan.budgets = budgets;
        plan.nb = nb;
        os_exec_strategy st = { .ctx = &a, .next = next, .passed = passed, .done = done };
        rc = os_exec_run(&plan, &st, err);
    }
    free(first);
    free(a.level);
    free(a.job_g);
    free(a.job_k);
    free(a.left);
    free(a.trial_job);
    for (size_t k = 0; a.rung && k < nb; k++) {
        os_heap_free(&a.rung[k].top);
        os_heap_free(&a.rung[k].rest);
        os_heap_free(&a.rung[k].open);
        free(a.rung[k].in_top);
    }
    free(a.rung);
    free(a.at);
    free(a.queue);
    return rc;
}
