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
 * executor's bookkeeping only.
 */
#include <math.h>
#include <stdlib.h>
#include "exec_internal.h"

typedef struct event {
    double       t;    /* virtual time it completes */
    uint64_t     seq;  /* start order: ties */
    os_exec_job  job;
    os_exec_what what;
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

int os_exec_simulate(os_exec *x)
{
    const os_exec_plan *p = x->p;
    os_exec_sim *sim = p->sim;
    const size_t workers = sim->workers ? sim->workers : 1;
    event *heap = malloc(workers * sizeof *heap);
    if (!heap)
        return os_error_set(x->err, OS_ERR_NOMEM, "out of memory for %zu workers", workers);
    size_t n_heap = 0;
    uint64_t seq = 0;
    double now = 0;
    for (;;) {
        while (n_heap < workers) {
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
            double steps = 0;
            if (what == OS_EXEC_TRAIN && job.target >= 0 && x->passed[i] <= (size_t)job.target)
                steps = (double)(p->budgets[job.target] -
                                 (x->passed[i] ? p->budgets[x->passed[i] - 1] : 0));
            push(heap, &n_heap, (event){ now + steps, seq++, job, what });
        }
        if (!n_heap)
            break;
        event e = pop(heap, &n_heap);
        now = e.t;
        if (e.what == OS_EXEC_TRAIN)
            train(x, &e.job);
        os_error err = { 0 };
        int code = 0;
        if (e.what == OS_EXEC_END || e.job.end) {
            os_trial_result *r = &p->results[e.job.trial];
            r->score = r->n_curve ? r->curve[r->n_curve - 1].val_loss : INFINITY;
            code = os_exec_ended(x, e.job.trial, &err);
        }
        sim->completions++;
        os_exec_release(x, &e.job, code, &err);
    }
    free(heap);
    return x->rc;
}
