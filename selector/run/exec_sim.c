/*
 * exec_sim.c — the executor's simulated backend (os_exec_plan.sim), for
 * measuring the scheduler alone: a strategy at cluster scale, with no
 * training.
 *
 * `workers` virtual workers take jobs as the real backends do; a job
 * "trains" its trial through its budgets in virtual time (one unit a step),
 * and its curve gets a point at each budget from the plan's synthetic loss.
 * Jobs complete in order of virtual time (ties in the order they started),
 * so a run is deterministic and its cost is the strategy's and the
 * executor's bookkeeping only.  With `sticky`, a trial stays on the worker
 * that opened it, as with the worker processes and the MPI ranks, and its
 * jobs wait for that worker: the virtual makespan against the free
 * placement is what keeping each trial's state in place costs.
 */
#include <math.h>
#include <stdlib.h>
#include "executor_internal.h"

typedef struct event {
    double       t;    /* virtual time it completes */
    uint64_t     seq;  /* start order: ties */
    os_exec_job  job;
    os_exec_what what;
    size_t       worker;
} event;

static int earlier(const event *a, const event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void push(event *h, size_t *n, event e)
{
    size_t i = (*n)++;
    while (i && earlier(&e, &h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = e;
}

static event pop(event *h, size_t *n)
{
    event top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && earlier(&h[c + 1], &h[c]))
            c++;
        if (!earlier(&h[c], &last))
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = last;
    return top;
}

/* The job's training, done at once: a curve point at each budget. */
static void train(os_exec *x, const os_exec_job *job)
{
    const os_exec_plan *p = x->p;
    const os_exec_sim *sim = p->sim;
    const size_t i = job->trial;
    os_trial_result *r = &p->results[i];
    for (size_t k = x->passed[i]; job->target >= 0 && k <= (size_t)job->target; k++) {
        uint64_t step = p->budgets[k];
        r->curve[r->n_curve++] = (os_curve_point){ .step = step, .train_loss = NAN,
                                                   .val_loss = sim->loss(sim->ctx, i, step),
                                                   .val_acc = NAN };
        r->steps = step;
        if (x->st->passed)
            x->st->passed(x->st->ctx, i, k, 0);
        x->passed[i] = k + 1;
    }
}

/* An idle worker into *w (1), or none (0); entries of workers that a
 * trial of their own took meanwhile are dropped. */
static int pop_idle(size_t *idle, size_t *n, unsigned char *in_idle, const unsigned char *busy,
                    size_t *w)
{
    while (*n) {
        size_t v = idle[--*n];
        in_idle[v] = 0;
        if (!busy[v]) {
            *w = v;
            return 1;
        }
    }
    return 0;
}

/* Starts a job on worker w at virtual time now. */
static void start(os_exec *x, event *heap, size_t *n_heap, uint64_t *seq, double now, size_t w,
                  const os_exec_job *job, os_exec_what what)
{
    const os_exec_plan *p = x->p;
    const size_t i = job->trial;
    double steps = 0;
    if (what == OS_EXEC_TRAIN && job->target >= 0 && x->passed[i] <= (size_t)job->target)
        steps = (double)(p->budgets[job->target] -
                         (x->passed[i] ? p->budgets[x->passed[i] - 1] : 0));
    p->sim->busy += steps;
    push(heap, n_heap, (event){ now + steps, (*seq)++, *job, what, w });
}

/* The simulator's state: the event heap, and the workers (busy, idle, and
 * with sticky trials each one's waiting jobs). */
typedef struct simrun {
    os_exec       *x;
    size_t         workers;
    event         *heap;
    size_t         n_heap;
    uint64_t       seq;
    double         now;
    event         *wait;     /* sticky: a ring of `workers` per worker      */
    size_t        *head, *len;
    size_t        *owner;    /* sticky: per trial, its worker + 1; 0 none   */
    unsigned char *busy;
    size_t        *idle, n_idle; /* idle, none waiting                      */
    unsigned char *in_idle;
} simrun;

/* Hands out jobs while workers are free and the strategy has any. */
static void dispatch(simrun *m)
{
    os_exec *x = m->x;
    const os_exec_plan *p = x->p;
    const int sticky = p->sim->sticky;
    while (x->running < m->workers) {
        os_exec_job job;
        size_t ready;
        os_exec_what what = os_exec_take(x, &job, &ready);
        if (what != OS_EXEC_TRAIN && what != OS_EXEC_END)
            break;
        const size_t i = job.trial;
        os_trial_result *r = &p->results[i];
        if (!x->opened[i]) {
            x->opened[i] = 1;
            *r = (os_trial_result){ .status = OS_TRIAL_OK, .score = INFINITY,
                                    .test_loss = NAN, .test_acc = NAN };
            r->curve = calloc(p->nb, sizeof *r->curve);
            if (!r->curve) {
                os_error e;
                os_error_set(&e, OS_ERR_NOMEM, "out of memory for a curve");
                os_exec_release(x, &job, e.code, &e);
                continue;
            }
        }
        size_t w; /* the trial's own worker (sticky), else an idle one */
        if (sticky && m->owner[i]) {
            w = m->owner[i] - 1;
        } else if (!pop_idle(m->idle, &m->n_idle, m->in_idle, m->busy, &w)) {
            /* sticky, every worker busy: the least loaded */
            w = 0;
            for (size_t v = 1; v < m->workers; v++)
                if (m->len[v] < m->len[w])
                    w = v;
        }
        if (sticky)
            m->owner[i] = w + 1;
        if (m->busy[w]) {
            m->wait[w * m->workers + (m->head[w] + m->len[w]++) % m->workers] =
                (event){ 0, 0, job, what, w };
        } else {
            m->busy[w] = 1;
            start(x, m->heap, &m->n_heap, &m->seq, m->now, w, &job, what);
        }
    }
}

/* The next event: its job done, its worker on to its next waiting job or
 * idle. */
static void complete(simrun *m)
{
    os_exec *x = m->x;
    const os_exec_plan *p = x->p;
    event e = pop(m->heap, &m->n_heap);
    m->now = e.t;
    if (e.what == OS_EXEC_TRAIN)
        train(x, &e.job);
    os_error err = { 0 };
    int code = 0;
    if (e.what == OS_EXEC_END || e.job.end) {
        os_trial_result *r = &p->results[e.job.trial];
        r->score = r->n_curve ? r->curve[r->n_curve - 1].val_loss : INFINITY;
        code = os_exec_ended(x, e.job.trial, &err);
    }
    p->sim->completions++;
    const size_t w = e.worker;
    m->busy[w] = 0;
    if (m->len[w]) { /* its next waiting job starts now */
        const event *q = &m->wait[w * m->workers + m->head[w]];
        m->head[w] = (m->head[w] + 1) % m->workers;
        m->len[w]--;
        m->busy[w] = 1;
        start(x, m->heap, &m->n_heap, &m->seq, m->now, w, &q->job, q->what);
    } else if (!m->in_idle[w]) {
        m->in_idle[w] = 1;
        m->idle[m->n_idle++] = w;
    }
    os_exec_release(x, &e.job, code, &err);
}

int os_exec_simulate(os_exec *x)
{
    const os_exec_plan *p = x->p;
    os_exec_sim *sim = p->sim;
    const size_t workers = sim->workers ? sim->workers : 1;
    simrun m = { .x = x, .workers = workers };
    m.heap = malloc(workers * sizeof *m.heap);
    /* sticky: each worker's waiting jobs (a ring of `workers` a worker is
     * plenty: at most that many are out) */
    m.wait = sim->sticky ? malloc(workers * workers * sizeof *m.wait) : NULL;
    m.head = calloc(workers, sizeof *m.head);
    m.len = calloc(workers, sizeof *m.len);
    m.owner = sim->sticky ? calloc(p->n + 1, sizeof *m.owner) : NULL;
    m.busy = calloc(workers, 1);
    m.idle = malloc(workers * sizeof *m.idle);
    m.in_idle = malloc(workers);
    int rc = 0;
    if (!m.heap || !m.head || !m.len || !m.busy || !m.idle || !m.in_idle ||
        (sim->sticky && (!m.wait || !m.owner))) {
        rc = os_error_set(x->err, OS_ERR_NOMEM, "out of memory for %zu workers", workers);
    } else {
        for (size_t v = workers; v-- > 0;) { /* worker 0 first */
            m.idle[m.n_idle++] = v;
            m.in_idle[v] = 1;
        }
        for (dispatch(&m); m.n_heap; dispatch(&m))
            complete(&m);
        sim->makespan = m.now;
        rc = x->rc;
    }
    free(m.heap);
    free(m.wait);
    free(m.head);
    free(m.len);
    free(m.owner);
    free(m.busy);
    free(m.idle);
    free(m.in_idle);
    return rc;
}
