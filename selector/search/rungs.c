/*
 * rungs.c — successive halving's brackets as a strategy of the executor
 * (executor.h), which runs the trials and tells it as they pass budgets.
 * See halving.h.
 *
 * A candidate's training is the same in every bracket (same seed, same
 * batches), so it is trained once, as far as the bracket that takes it
 * furthest, and every bracket reads its curve at its own budgets.  Work is
 * handed out as workers free up: every bracket starts at once, and a
 * candidate goes on to the next budget as soon as it is certain to be
 * promoted — when fewer than `keep` candidates of its rung are either
 * better or still unmeasured — instead of waiting for the slowest of its
 * rung.  Promotions are the synchronous ones, so the results do not depend
 * on the workers or on which trial finished first.
 *
 * Everything is kept up to date as trials finish, in O(log n) a trial: a
 * rung's measured candidates that are not yet certain wait in a heap by
 * score, and the certain ones only grow (the best t of the measured, t =
 * keep - unmeasured: a new measurement lowers the unmeasured by one and
 * either joins the best or leaves them as they were), so each certainty is
 * taken once; the trials to train wait in a heap by (target, index).  The
 * scheduler stays out of the way at 100,000 candidates (bench/sched.sh).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "executor.h"
#include "halving.h"
#include "heap.h"
#include "score.h"

typedef struct rung {
    size_t         k;          /* the budget being decided; nb once done      */
    size_t         keep, unmeasured, sure;
    os_heap        rest;       /* measured, not yet certain: (score, group)  */
    unsigned char *in;         /* per group: alive in this bracket            */
    unsigned char *early;      /* per group: certain to go on past k          */
    size_t        *cnt;        /* per group: its trials counted at k          */
    size_t        *counted;    /* per trial: k + 1 once counted at k          */
} rung;

typedef struct sched {
    const os_halving_spec *h;
    const os_trial_env *env;
    os_bracket         *br;
    rung               *r;
    size_t              n_br, nb, n, ng;
    uint64_t            eta;
    const uint64_t     *budgets;
    const size_t       *first, *seeds; /* per group: its first trial, its trials */
    int                *target;   /* per trial: the budget to reach; -1 none   */
    double             *at;       /* n x nb: each trial's score at each budget
                                     as it passed it (+inf: it had stopped)   */
    os_heap             ready;    /* trials to train: (target, trial); stale
                                     entries are skipped                      */
    int                 scan;     /* a push failed (memory): pick scans       */
    size_t             *ending;   /* trials no bracket needs, to end          */
    size_t              n_ending;
    unsigned char      *queued;   /* per trial: in ending                     */
    size_t             *drop;     /* scratch: the groups leaving a bracket    */
    const os_exec      *ex;
} sched;

static size_t group_of(const sched *x, size_t i) { return x->h->plan.cands[i].group; }

static double group_score(const sched *x, size_t g, size_t k)
{
    double sum = 0;
    for (size_t i = x->first[g]; i < x->first[g] + x->seeds[g]; i++)
        sum += x->h->plan.done[i] ? os_trial_score_at(&x->h->plan.results[i], x->budgets[k],
                                                    (os_score_kind)x->env->score_kind,
                                                    x->env->horizon)
                             : x->at[i * x->nb + k];
    return sum / (double)x->seeds[g];
}

/* Trial i's target from every bracket that holds its group; queued to
 * train or to end as it comes out. */
static void retarget_trial(sched *x, size_t i, int t)
{
    const os_exec *ex = x->ex;
    x->target[i] = t;
    if (os_exec_busy(ex, i))
        return; /* looked at again when its job is done */
    if (t < 0) {
        if (os_exec_opened(ex, i) && !x->queued[i]) {
            x->queued[i] = 1;
            x->ending[x->n_ending++] = i;
        }
    } else if (!os_exec_reached(ex, i, (size_t)t) && os_heap_push(&x->ready, t, i)) {
        x->scan = 1;
    }
}

static void retarget(sched *x, size_t g)
{
    int t = -1;
    for (size_t b = 0; b < x->n_br; b++) {
        const rung *r = &x->r[b];
        if (r->in[g]) {
            int v = (int)(r->k < x->nb ? r->k : x->nb - 1) + r->early[g];
            if (v > t)
                t = v;
        }
    }
    for (size_t i = x->first[g]; i < x->first[g] + x->seeds[g]; i++)
        if (x->target[i] != t)
            retarget_trial(x, i, t);
}

/* The certain ones of bracket b's rung: the best keep - unmeasured. */
static void take_sure(sched *x, size_t b)
{
    rung *r = &x->r[b];
    while (r->sure + r->unmeasured < r->keep && r->rest.n) {
        size_t g = os_heap_pop(&r->rest).index;
        r->early[g] = 1;
        r->sure++;
        retarget(x, g);
    }
}

/* Counts trial i at bracket b's rung once it has reached it. */
static void count(sched *x, size_t b, size_t i)
{
    rung *r = &x->r[b];
    const size_t g = group_of(x, i);
    if (r->k >= x->nb || !r->in[g] || r->counted[i] == r->k + 1 ||
        !os_exec_reached(x->ex, i, r->k))
        return;
    r->counted[i] = r->k + 1;
    if (++r->cnt[g] < x->seeds[g])
        return;
    r->unmeasured--; /* the group is measured */
    if (r->k + 1 < x->nb) {
        os_heap_push(&r->rest, group_score(x, g, r->k), g); /* room for every group */
        take_sure(x, b);
    }
}

/* Moves bracket b on while its rung is wholly measured: the certain ones
 * (the best keep) go on, the rest leave the bracket. */
static void settle(sched *x, size_t b)
{
    rung *r = &x->r[b];
    os_bracket *br = &x->br[b];
    while (r->k < x->nb && !r->unmeasured) {
        if (r->k + 1 == x->nb) {
            r->k = x->nb; /* measured at its last budget: done */
            return;
        }
        size_t kept = 0, dropped = 0;
        for (size_t a = 0; a < br->n_alive; a++) {
            size_t g = br->alive[a];
            if (r->early[g]) {
                br->alive[kept++] = g; /* ascending, as alive was */
                r->early[g] = 0;
            } else {
                r->in[g] = 0;
                x->drop[dropped++] = g;
            }
        }
        br->n_alive = kept;
        r->rest.n = 0;
        r->k++;
        r->keep = (kept + x->eta - 1) / x->eta;
        r->unmeasured = kept;
        r->sure = 0;
        for (size_t d = 0; d < dropped; d++) /* their targets from the other brackets */
            retarget(x, x->drop[d]);
        for (size_t a = 0; a < kept; a++) {
            r->cnt[br->alive[a]] = 0;
            retarget(x, br->alive[a]);
        }
        for (size_t a = 0; a < kept; a++) { /* some are there already */
            size_t g = br->alive[a];
            for (size_t i = x->first[g]; i < x->first[g] + x->seeds[g]; i++)
                count(x, b, i);
        }
    }
}

/* The executor's done (under its lock): the trial whose job ended counts
 * where it now stands, in every bracket; with job NULL, the start. */
static void decide(void *ctx, const os_exec *ex, const os_exec_job *job)
{
    sched *x = ctx;
    x->ex = ex;
    if (!job) {
        for (size_t b = 0; b < x->n_br; b++) {
            rung *r = &x->r[b];
            const os_bracket *br = &x->br[b];
            r->k = br->start;
            r->keep = (br->n_alive + x->eta - 1) / x->eta;
            r->unmeasured = br->n_alive;
            for (size_t a = 0; a < br->n_alive; a++)
                r->in[br->alive[a]] = 1;
        }
        for (size_t g = 0; g < x->ng; g++)
            retarget(x, g);
        for (size_t b = 0; b < x->n_br; b++) { /* trials done before count at once */
            for (size_t i = 0; i < x->n; i++)
                count(x, b, i);
            settle(x, b);
        }
        return;
    }
    const size_t i = job->trial;
    for (size_t b = 0; b < x->n_br; b++) {
        count(x, b, i);
        settle(x, b);
    }
    retarget_trial(x, i, x->target[i]); /* its next job, or its end */
}

/* The next job (the executor's next): end a trial no bracket needs (to
 * free its buffers), or train the trial with the lowest target (ties by
 * index) that has not reached it. */
static os_exec_what pick(void *ctx, const os_exec *ex, os_exec_job *job, size_t *others)
{
    sched *x = ctx;
    x->ex = ex;
    *others = 0;
    while (x->n_ending) {
        size_t i = x->ending[--x->n_ending];
        x->queued[i] = 0;
        if (x->target[i] < 0 && os_exec_opened(ex, i) && !os_exec_busy(ex, i)) {
            *job = (os_exec_job){ .trial = i, .target = -1, .end = 1 };
            return OS_EXEC_END;
        }
    }
    if (x->scan && !x->ready.n) { /* a push failed: find them the slow way */
        x->scan = 0;
        for (size_t i = 0; i < x->n; i++)
            retarget_trial(x, i, x->target[i]);
    }
    while (x->ready.n) {
        os_heap_item it = os_heap_pop(&x->ready);
        size_t i = it.index;
        int t = (int)it.key;
        if (x->target[i] != t || os_exec_busy(ex, i) || os_exec_reached(ex, i, (size_t)t))
            continue; /* stale */
        *others = x->ready.n;
        *job = (os_exec_job){ .trial = i, .target = t };
        return OS_EXEC_TRAIN;
    }
    return os_exec_running(ex) ? OS_EXEC_WAIT : OS_EXEC_QUIT;
}

/* Trial i passed budget k (the executor's passed): its score there, as it
 * was then. */
static void passed(void *ctx, size_t i, size_t k, int stopped)
{
    sched *x = ctx;
    os_halving_record(x->at + i * x->nb, x->nb, k, stopped, &x->h->plan.results[i], x->budgets,
                      x->env);
}

int os_rungs_run(const os_halving_spec *h, os_bracket *br, size_t n_br,
                 const uint64_t *budgets, size_t nb, os_error *err)
{
    const size_t n = h->plan.n, ng = h->n_groups;
    sched x = { .h = h, .env = h->plan.env, .br = br, .n_br = n_br, .nb = nb, .n = n,
                .ng = ng, .eta = h->eta, .budgets = budgets };
    size_t *first = calloc(ng + 1, sizeof *first), *seeds = calloc(ng + 1, sizeof *seeds);
    x.first = first;
    x.seeds = seeds;
    x.r = calloc(n_br, sizeof *x.r);
    x.target = malloc((n + 1) * sizeof *x.target);
    x.at = malloc((n * nb + 1) * sizeof *x.at);
    x.ending = malloc((n + 1) * sizeof *x.ending);
    x.queued = calloc(n + 1, 1);
    x.drop = malloc((ng + 1) * sizeof *x.drop);
    int ok = first && seeds && x.r && x.target && x.at && x.ending && x.queued && x.drop;
    for (size_t b = 0; ok && b < n_br; b++) {
        rung *r = &x.r[b];
        r->in = calloc(ng + 1, 1);
        r->early = calloc(ng + 1, 1);
        r->cnt = calloc(ng + 1, sizeof *r->cnt);
        r->counted = calloc(n + 1, sizeof *r->counted);
        r->rest.v = malloc((ng + 1) * sizeof *r->rest.v);
        r->rest.cap = ng + 1;
        ok = r->in && r->early && r->cnt && r->counted && r->rest.v;
    }
    int rc;
    if (!ok) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu trials", n);
    } else {
        for (size_t i = n; i-- > 0;) {
            first[h->plan.cands[i].group] = i;
            seeds[h->plan.cands[i].group]++;
        }
        for (size_t i = 0; i < n; i++)
            x.target[i] = -2; /* unset: the first retarget sets it */
        for (size_t j = 0; j < n * nb; j++)
            x.at[j] = NAN;
        os_exec_plan plan = h->plan;
        plan.budgets = budgets;
        plan.nb = nb;
        os_exec_strategy st = { .ctx = &x, .next = pick, .passed = passed, .done = decide };
        rc = os_exec_run(&plan, &st, err);
    }
    for (size_t b = 0; x.r && b < n_br; b++) {
        free(x.r[b].in);
        free(x.r[b].early);
        free(x.r[b].cnt);
        free(x.r[b].counted);
        os_heap_free(&x.r[b].rest);
    }
    free(x.r);
    free(first);
    free(seeds);
    free(x.target);
    free(x.at);
    free(x.ending);
    free(x.queued);
    free(x.drop);
    os_heap_free(&x.ready);
    return rc;
}
