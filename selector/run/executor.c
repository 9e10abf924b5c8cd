/*
 * executor.c — see executor.h.  The bookkeeping every backend shares, and
 * the threads backend: each OpenMP thread takes a job under one lock,
 * trains it outside the lock, and hands it back.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "executor_internal.h"
#include "threads.h"
#include "world.h"

int os_exec_busy(const os_exec *x, size_t i) { return x->busy[i]; }
int os_exec_opened(const os_exec *x, size_t i) { return x->opened[i]; }
size_t os_exec_running(const os_exec *x) { return x->running; }

int os_exec_reached(const os_exec *x, size_t i, size_t k)
{
    if ((x->p->done && x->p->done[i]) || x->ended[i])
        return 1;
    if (x->busy[i] || !x->opened[i])
        return 0;
    const os_trial_result *r = &x->p->results[i];
    return r->status != OS_TRIAL_OK || x->passed[i] > k;
}

int os_exec_stopping(const os_exec *x)
{
    return x->rc || os_trial_should_stop(&x->env);
}

os_exec_what os_exec_sweep_next(void *ctx, const os_exec *x, os_exec_job *job, size_t *ready)
{
    os_exec_sweep *w = ctx;
    const unsigned char *done = x->p->done;
    while (w->next < x->p->n && done && done[w->next])
        w->next++;
    if (w->next == x->p->n)
        return OS_EXEC_QUIT;
    size_t i = w->next++;
    *job = (os_exec_job){ .trial = i, .target = w->targets ? w->targets[i] : w->target,
                          .end = 1 };
    *ready = x->p->n - w->next;
    return OS_EXEC_TRAIN;
}

os_exec_what os_exec_take(os_exec *x, os_exec_job *job, size_t *ready)
{
    *ready = 0;
    if (os_exec_stopping(x))
        return x->running ? OS_EXEC_WAIT : OS_EXEC_QUIT;
    os_exec_what what = x->st->next(x->st->ctx, x, job, ready);
    if (what == OS_EXEC_QUIT) /* what the strategy left open is ended here */
        for (size_t i = x->end_scan; i < x->p->n; i++) {
            if (i == x->end_scan && (x->ended[i] || (x->p->done && x->p->done[i])))
                x->end_scan++; /* once ended, never again: the scan is linear */
            if (x->opened[i] && !x->busy[i]) {
                *job = (os_exec_job){ .trial = i, .target = -1, .end = 1 };
                what = OS_EXEC_END;
                break;
            }
        }
    if (what == OS_EXEC_QUIT && x->running)
        what = OS_EXEC_WAIT; /* a running job may still open more work */
    if (what == OS_EXEC_TRAIN || what == OS_EXEC_END) {
        x->busy[job->trial] = 1;
        x->running++;
    }
    return what;
}

void os_exec_release(os_exec *x, const os_exec_job *job, int code, const os_error *e)
{
    x->busy[job->trial] = 0;
    x->running--;
    if (code && !x->rc) {
        *x->err = *e;
        x->rc = code;
        x->halt = 1; /* a study that cannot go on stops its running trials */
    }
    if (!x->rc && x->st->done)
        x->st->done(x->st->ctx, x, job);
}

int os_exec_ended(os_exec *x, size_t i, os_error *e)
{
    const os_exec_plan *p = x->p;
    const os_trial_result *r = &p->results[i];
    x->opened[i] = 0;
    x->ended[i] = 1;
    if (p->progress)
        os_progress_finished(p->progress, r->status);
    if (x->rc || !p->journal || p->journal->fd < 0 || r->status == OS_TRIAL_INTERRUPTED)
        return 0;
    return os_journal_append(p->journal, i, r, e);
}

void os_exec_interrupt_open(os_exec *x, size_t i)
{
    os_trial_result *r = &x->p->results[i];
    r->status = OS_TRIAL_INTERRUPTED;
    r->score = INFINITY;
    snprintf(r->message, sizeof r->message, x->p->nb > 1
             ? "interrupted at step %llu of successive halving" : "interrupted at step %llu",
             (unsigned long long)r->steps);
    x->opened[i] = 0;
    x->ended[i] = 1;
    if (x->p->progress)
        os_progress_finished(x->p->progress, OS_TRIAL_INTERRUPTED);
}

/* ---- threads ------------------------------------------------------------ */

/* Trains trial i through budgets up to job->target; 0 or a host error. */
static int train(os_exec *x, const os_exec_job *job, int step_threads, os_error *e)
{
    const os_exec_plan *p = x->p;
    const size_t i = job->trial;
    if (!x->trials[i]) {
        int rc = os_trial_open(&x->trials[i], &x->env, &p->cands[i], p->nb, &p->results[i], e);
        if (rc) {
            os_trial_close(x->trials[i]);
            x->trials[i] = NULL;
            return rc;
        }
    }
    os_trial *tr = x->trials[i];
    os_trial_set_threads(tr, step_threads);
    for (size_t k = x->passed[i]; job->target >= 0 && k <= (size_t)job->target; k++) {
        os_trial_advance(tr, p->budgets[k]);
        int stopped = os_trial_stopped(tr);
        if (x->st->passed)
            x->st->passed(x->st->ctx, i, k, stopped);
        if (stopped)
            break;
        x->passed[i] = k + 1;
    }
    return 0;
}

/* One thread's loop; of the `total` threads the study has, those the
 * trials leave idle go to the chunks of split steps. */
static void work(os_exec *x, int total)
{
    const os_exec_plan *p = x->p;
    for (;;) {
        os_exec_job job;
        os_exec_what what;
        int step_threads = 1, first = 0;
#ifdef _OPENMP
#pragma omp critical(os_exec)
#endif
        {
            size_t ready;
            what = os_exec_take(x, &job, &ready);
            if (what == OS_EXEC_TRAIN) {
                step_threads = os_step_threads(total, x->running + ready, x->env.split);
                first = !x->opened[job.trial];
                x->opened[job.trial] = 1;
            }
        }
        if (what == OS_EXEC_QUIT)
            return;
        if (what == OS_EXEC_WAIT) {
            struct timespec nap = { 0, 200000 }; /* a trial takes far longer */
            nanosleep(&nap, NULL);
            continue;
        }
        if (first && p->progress)
            os_progress_started(p->progress);
        os_error e = { 0 };
        int code = what == OS_EXEC_TRAIN ? train(x, &job, step_threads, &e) : 0;
        int end = !code && (what == OS_EXEC_END || job.end);
        if (end) {
            os_trial_finish(x->trials[job.trial]);
            os_trial_close(x->trials[job.trial]);
            x->trials[job.trial] = NULL;
        }
#ifdef _OPENMP
#pragma omp critical(os_exec)
#endif
        {
            if (code)
                x->opened[job.trial] = 0;
            else if (end)
                code = os_exec_ended(x, job.trial, &e);
            os_exec_release(x, &job, code, &e);
        }
    }
}

static int run_threads(os_exec *x)
{
    size_t to_run = 0;
    for (size_t i = 0; i < x->p->n; i++)
        to_run += !(x->p->done && x->p->done[i]);
    const int total = x->p->workers > 0 ? x->p->workers : 1;
    int threads = os_trial_threads(total, to_run);
#ifdef _OPENMP
    if (threads > 1) {
#pragma omp parallel num_threads(threads)
        work(x, total);
        return x->rc;
    }
#endif
    work(x, total);
    return x->rc;
}

/* The end of every trial the backend left: what is still open stopped
 * between budgets; what never opened did not start. */
static int finalize(os_exec *x, int rc)
{
    const os_exec_plan *p = x->p;
    for (size_t i = 0; x->trials && x->opened && x->ended && i < p->n; i++) {
        if (x->trials[i]) {
            os_trial_close(x->trials[i]);
            x->trials[i] = NULL;
        }
        if (x->opened[i])
            os_exec_interrupt_open(x, i);
        os_trial_result *r = &p->results[i];
        if (!(p->done && p->done[i]) && !x->ended[i] && !r->curve && !r->message[0])
            os_trial_not_started(r);
    }
    return rc;
}

int os_exec_run(const os_exec_plan *p, const os_exec_strategy *st, os_error *err)
{
    const size_t n = p->n;
    os_exec x = { .p = p, .st = st, .env = *p->env, .err = err };
    x.env.halt = &x.halt;
    x.trials = calloc(n ? n : 1, sizeof *x.trials);
    x.busy = calloc(n ? n : 1, 1);
    x.opened = calloc(n ? n : 1, 1);
    x.ended = calloc(n ? n : 1, 1);
    x.passed = calloc(n ? n : 1, sizeof *x.passed);
    const int ranks = os_world_ranks() && !p->local && !p->sim;
    int rc;
    if (!x.trials || !x.busy || !x.opened || !x.ended || !x.passed) {
        rc = finalize(&x, os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu trials", n));
    } else if (ranks && os_world_worker()) {
        rc = os_exec_serve(&x); /* with rank 0's results: nothing left to end */
    } else {
        if (st->done)
            st->done(st->ctx, &x, NULL);
        rc = ranks ? os_exec_ranks(&x, finalize)
           : finalize(&x, p->sim ? os_exec_simulate(&x)
                        : p->isolate ? os_exec_processes(&x) : run_threads(&x));
    }
    free(x.trials);
    free(x.busy);
    free(x.opened);
    free(x.ended);
    free(x.passed);
    return rc;
}
