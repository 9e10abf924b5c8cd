/*
 * exec_mpi.c — the executor's MPI backend: rank 0 schedules, the other
 * ranks train (world.h says how the ranks keep in step).
 *
 * Rank 0 runs the strategy as the other backends do and hands each job to
 * a rank: "train trial i to step B", then "finish" it.  A trial stays on
 * the rank that opened it: its state (weights, the optimizer's moments,
 * the batcher) lives there between budgets, so a promoted trial continues
 * where it stopped and nothing but a command and an answer (one journal
 * record, a few hundred bytes) crosses the network per budget.  The cost
 * is balance: a rank holding several promoted trials trains them one after
 * another while another rank may idle; moving the state instead would send
 * the whole model and optimizer state (megabytes) per promotion.
 *
 * Each rank trains one command at a time, its step split over its threads
 * when the study splits batches (batch_split); run one rank per few cores,
 * or one per machine with batch_split, to use them all.  Rank 0 only
 * schedules.
 *
 * At the end of a step rank 0 sends every rank all the results (finished,
 * interrupted, not started), its return code, error and stop flag, and
 * each rank's os_exec_run returns exactly what rank 0's does.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "executor_internal.h"
#include "journal.h"
#include "registry.h"
#include "threads.h"
#include "util.h"
#include "world.h"

#define STOP_GRACE 5.0 /* seconds the ranks get to answer after an interrupt */

/* A command: its sequence number, trial, target step (0: none), finish,
 * and the check of the trial's identity (both sides compute it). */
typedef struct command {
    uint64_t seq, trial, until, finish, check;
} command;

/* What identifies trial i of this step: a rank whose study differs (other
 * plugins, another config on another machine) must not train it. */
static uint64_t check_of(const os_exec_plan *p, size_t i)
{
    const os_candidate *c = &p->cands[i];
    uint64_t h = 1469598103934665603ull;
    uint64_t v[5] = { p->n, p->nb, p->budgets[p->nb - 1], c->seed_index, 0 };
    memcpy(&v[4], &c->lr, sizeof c->lr);
    for (size_t k = 0; k < 5; k++)
        h = (h ^ v[k]) * 1099511628211ull;
    for (const char *s = c->opt->entry->opt->label; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* ---- rank 0 ------------------------------------------------------------- */

typedef struct trial_slot {
    int          owner;       /* the rank that holds it; 0: none yet        */
    os_exec_job  job;
    int          job_stopped; /* the strategy heard that it stopped        */
    int          finishing;   /* its command out is the finish             */
} trial_slot;

typedef struct rank_slot {
    long    cur;     /* the trial whose command is out; -1: idle            */
    size_t *queue;   /* trials with a job, waiting for this rank            */
    size_t  q_head, q_len;
    size_t  held;    /* open trials it holds                                */
} rank_slot;

typedef struct sched {
    os_exec    *x;
    uint64_t    seq;
    trial_slot *t;
    rank_slot  *r;
    int         size;
    double      stop_seen; /* when the stop was first seen, or 0            */
} sched;

static void fail(sched *m, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(sched *m, int code, const char *fmt, ...)
{
    os_exec *x = m->x;
    if (x->rc)
        return; /* the first error is the study's */
    va_list ap;
    va_start(ap, fmt);
    os_vformat_line(x->err->msg, sizeof x->err->msg, fmt, ap);
    va_end(ap);
    x->err->code = x->rc = code;
    x->halt = 1;
}

static void send_command(sched *m, int rank, size_t i, uint64_t until, int finish)
{
    command c = { m->seq, i, until, (uint64_t)finish, check_of(m->x->p, i) };
    os_error e = { 0 };
    m->t[i].finishing = finish;
    m->r[rank].cur = (long)i;
    if (os_world_send(rank, OS_TAG_TRAIN, &c, sizeof c, &e))
        fail(m, e.code, "%s", e.msg);
}

/* Moves trial i's job on: sends its next command to its rank (1), or
 * releases the job (0). */
static int proceed(sched *m, size_t i)
{
    os_exec *x = m->x;
    trial_slot *t = &m->t[i];
    const os_exec_job *job = &t->job;
    const os_trial_result *r = &x->p->results[i];
    os_error e = { 0 };
    int code = 0;
    if (job->target >= 0 && x->passed[i] <= (size_t)job->target && !t->job_stopped) {
        if (r->status == OS_TRIAL_OK && !os_exec_stopping(x)) {
            send_command(m, t->owner, i, x->p->budgets[x->passed[i]], 0);
            return 1;
        }
        if (r->status == OS_TRIAL_OK) { /* the study stopped: left open, not ended */
            os_exec_release(x, job, 0, &e);
            return 0;
        }
        t->job_stopped = 1; /* stopped on the way: it goes no further */
        if (x->st->passed)
            x->st->passed(x->st->ctx, i, x->passed[i], 1);
    }
    if (job->end) {
        if (!t->finishing && !os_exec_stopping(x)) {
            send_command(m, t->owner, i, 0, 1);
            return 1;
        }
        if (t->finishing) {
            code = os_exec_ended(x, i, &e);
            m->r[t->owner].held--;
        }
    }
    os_exec_release(x, job, code, &e);
    return 0;
}

/* Gives an idle rank the next job in its queue. */
static void dispatch(sched *m, int rank)
{
    rank_slot *q = &m->r[rank];
    while (q->cur < 0 && q->q_len) {
        size_t i = q->queue[q->q_head];
        q->q_head = (q->q_head + 1) % m->x->p->n;
        q->q_len--;
        proceed(m, i);
    }
}

/* Jobs a rank has: the one out, and those waiting. */
static size_t load(const rank_slot *q) { return (q->cur >= 0) + q->q_len; }

/* A job's start: the trial's rank (the one holding it, or the least busy
 * when it opens), in that rank's queue. */
static void start_job(sched *m, const os_exec_job *job)
{
    os_exec *x = m->x;
    const size_t i = job->trial;
    trial_slot *t = &m->t[i];
    t->job = *job;
    t->job_stopped = t->finishing = 0;
    if (!x->opened[i]) {
        x->opened[i] = 1;
        if (x->p->progress)
            os_progress_started(x->p->progress);
        int best = 0;
        for (int r = 1; r < m->size; r++)
            if (!os_world_gone(r) &&
                (!best || load(&m->r[r]) < load(&m->r[best]) ||
                 (load(&m->r[r]) == load(&m->r[best]) && m->r[r].held < m->r[best].held)))
                best = r;
        t->owner = best;
        m->r[best].held++;
    }
    rank_slot *q = &m->r[t->owner];
    q->queue[(q->q_head + q->q_len) % x->p->n] = i;
    q->q_len++;
    dispatch(m, t->owner);
}

/* Rank r answered its command with trial cur's result so far. */
static void answered(sched *m, const os_msg *msg)
{
    os_exec *x = m->x;
    rank_slot *q = &m->r[msg->from];
    uint64_t seq = 0;
    if (msg->len >= sizeof seq)
        memcpy(&seq, msg->data, sizeof seq);
    if (seq != m->seq || q->cur < 0)
        return; /* an answer to a command given up on after a stop */
    const size_t i = (size_t)q->cur;
    os_trial_result got, *r = &x->p->results[i];
    size_t index;
    if (msg->len <= sizeof seq + 1 ||
        os_record_decode(msg->data + sizeof seq, msg->len - sizeof seq - 1, &index, &got) ||
        index != i) {
        os_trial_result_free(&got);
        fail(m, OS_ERR_IO, "MPI rank %d: its answer for trial %zu could not be read",
             msg->from, i);
        q->cur = -1;
        return;
    }
    os_trial_result_free(r);
    *r = got;
    q->cur = -1;
    if (!m->t[i].finishing && r->status == OS_TRIAL_OK) {
        if (x->st->passed)
            x->st->passed(x->st->ctx, i, x->passed[i], 0);
        x->passed[i]++;
    }
    proceed(m, i);
    dispatch(m, msg->from);
}

/* Releases every job of rank r (it left, or does not answer after a
 * stop); its trials stay open and end as interrupted. */
static void abandon(sched *m, int r)
{
    rank_slot *q = &m->r[r];
    os_error e = { 0 };
    if (q->cur >= 0)
        os_exec_release(m->x, &m->t[q->cur].job, 0, &e);
    q->cur = -1;
    while (q->q_len) {
        os_exec_release(m->x, &m->t[q->queue[q->q_head]].job, 0, &e);
        q->q_head = (q->q_head + 1) % m->x->p->n;
        q->q_len--;
    }
}

static int alive(const sched *m)
{
    int k = 0;
    for (int r = 1; r < m->size; r++)
        k += !os_world_gone(r);
    return k;
}

static void schedule(sched *m)
{
    os_exec *x = m->x;
    for (;;) {
        while (x->running < (size_t)alive(m)) {
            os_exec_job job;
            size_t ready;
            os_exec_what what = os_exec_take(x, &job, &ready);
            if (what != OS_EXEC_TRAIN && what != OS_EXEC_END)
                break;
            start_job(m, &job);
        }
        if (!x->running)
            return; /* nothing runs, and nothing more was handed out */
        if (os_exec_stopping(x) && !m->stop_seen)
            m->stop_seen = os_seconds();
        if (m->stop_seen && os_seconds() - m->stop_seen > STOP_GRACE) {
            for (int r = 1; r < m->size; r++)
                abandon(m, r);
            continue;
        }
        os_msg msg;
        os_error e = { 0 };
        int got = os_world_poll(-1, 0.25, &msg, &e);
        if (got < 0) {
            fail(m, e.code, "%s", e.msg);
            for (int r = 1; r < m->size; r++)
                abandon(m, r);
        } else if (got && msg.tag == OS_TAG_ANSWER) {
            answered(m, &msg);
        } else if (got && msg.tag == OS_TAG_GONE) {
            const char *why = os_world_gone_why(msg.from);
            fail(m, OS_ERR_IO, "MPI rank %d left the study%s%s", msg.from, *why ? ": " : "",
                 why);
            abandon(m, msg.from);
        }
    }
}

/* Every result, the code, the error and the stop flag, to every rank. */
static int share_results(os_exec *x, uint64_t seq, int rc)
{
    const os_exec_plan *p = x->p;
    volatile sig_atomic_t *stop = os_world_stop();
    int64_t head[3] = { (int64_t)seq, rc, stop ? *stop : 0 };
    size_t len = sizeof head + OS_ERROR_MSG_MAX, cap = 0;
    char *buf = NULL;
    os_error e = { 0 };
    if (os_reserve(&buf, &cap, len, 1 << 16))
        return os_error_set(x->err, OS_ERR_NOMEM, "out of memory for the results");
    memcpy(buf, head, sizeof head);
    memset(buf + sizeof head, 0, OS_ERROR_MSG_MAX);
    if (rc)
        snprintf(buf + sizeof head, OS_ERROR_MSG_MAX, "%s", x->err->msg);
    for (size_t i = 0; i < p->n; i++) {
        size_t n;
        char *line = os_record_encode(i, &p->results[i], &n);
        if (!line || os_reserve(&buf, &cap, len + n, 1 << 16)) {
            free(line);
            free(buf);
            return os_error_set(x->err, OS_ERR_NOMEM, "out of memory for the results");
        }
        memcpy(buf + len, line, n);
        len += n;
        free(line);
    }
    int code = 0;
    for (int r = 1; r < os_world_size() && !code; r++)
        if (!os_world_gone(r))
            code = os_world_send(r, OS_TAG_RESULTS, buf, len, &e);
    free(buf);
    if (code && !rc) {
        *x->err = e;
        return code;
    }
    return rc;
}

int os_exec_ranks(os_exec *x, int (*finalize)(os_exec *x, int rc))
{
    const size_t n = x->p->n;
    sched m = { .x = x, .seq = os_world_next_seq(), .size = os_world_size() };
    m.t = calloc(n ? n : 1, sizeof *m.t);
    m.r = calloc((size_t)m.size, sizeof *m.r);
    int ok = m.t && m.r;
    for (int r = 1; ok && r < m.size; r++) {
        m.r[r].cur = -1;
        ok = (m.r[r].queue = calloc(n ? n : 1, sizeof *m.r[r].queue)) != NULL;
    }
    if (!ok) {
        os_error_set(x->err, OS_ERR_NOMEM, "out of memory for %zu trials", n);
        x->rc = OS_ERR_NOMEM;
    } else if (!alive(&m)) {
        os_error_set(x->err, OS_ERR_IO, "every other MPI rank has left the study");
        x->rc = OS_ERR_IO;
    } else {
        schedule(&m);
    }
    for (int r = 1; m.r && r < m.size; r++)
        free(m.r[r].queue);
    free(m.r);
    free(m.t);
    return share_results(x, m.seq, finalize(x, x->rc));
}

/* ---- the other ranks ---------------------------------------------------- */

/* Takes rank 0's results, code, error and stop flag. */
static int take_results(const os_exec_plan *p, const os_msg *msg, os_error *err)
{
    int64_t head[3];
    const size_t off = sizeof head + OS_ERROR_MSG_MAX;
    if (msg->len < off)
        return os_error_set(err, OS_ERR_IO, "MPI rank %d: rank 0's results are torn",
                            os_world_rank());
    memcpy(head, msg->data, sizeof head);
    const char *s = msg->data + off, *end = msg->data + msg->len;
    for (size_t i = 0; i < p->n; i++) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        os_trial_result got;
        size_t index;
        if (!nl || os_record_decode(s, (size_t)(nl - s), &index, &got) || index != i)
            return os_error_set(err, OS_ERR_IO, "MPI rank %d: rank 0's result %zu could not "
                                "be read", os_world_rank(), i);
        os_trial_result_free(&p->results[i]);
        p->results[i] = got;
        s = nl + 1;
    }
    volatile sig_atomic_t *stop = os_world_stop();
    if (stop && head[2])
        *stop = (sig_atomic_t)head[2];
    if (head[1]) {
        err->code = (int)head[1];
        snprintf(err->msg, sizeof err->msg, "%s", msg->data + sizeof head);
    }
    return (int)head[1];
}

int os_exec_serve(os_exec *x)
{
    const os_exec_plan *p = x->p;
    os_error *err = x->err;
    const uint64_t seq = os_world_next_seq();
    const size_t n = p->n;
    const int me = os_world_rank();
    os_trial **trials = calloc(n ? n : 1, sizeof *trials);
    if (!trials)
        return os_error_set(err, OS_ERR_NOMEM, "rank %d: out of memory for %zu trials", me, n);
    const int step_threads = os_step_threads(p->workers > 0 ? p->workers : 1, 1,
                                             x->env.split);
    int rc = 0;
    for (;;) {
        os_msg msg;
        rc = os_world_poll(0, -1, &msg, err);
        if (rc < 0)
            break;
        rc = 0;
        command c = { 0 };
        if (msg.tag == OS_TAG_QUIT) {
            rc = os_error_set(err, OS_ERR_QUIT, "rank 0 ended the study");
            break;
        }
        if (msg.tag == OS_TAG_TRAIN && msg.len == sizeof c)
            memcpy(&c, msg.data, sizeof c);
        else if (msg.tag == OS_TAG_RESULTS && msg.len >= sizeof c.seq)
            memcpy(&c.seq, msg.data, sizeof c.seq);
        if (c.seq != seq || (msg.tag != OS_TAG_TRAIN && msg.tag != OS_TAG_RESULTS) ||
            (msg.tag == OS_TAG_TRAIN && (c.trial >= n || c.check != check_of(p, c.trial)))) {
            rc = os_error_set(err, OS_ERR_IO, "MPI rank %d is out of step with rank 0 (its "
                              "study differs: are the config, data and plugins the same on "
                              "every machine?)", me);
            break;
        }
        if (msg.tag == OS_TAG_RESULTS) {
            rc = take_results(p, &msg, err);
            break;
        }
        const size_t i = c.trial;
        if (!trials[i]) {
            os_trial_result_free(&p->results[i]);
            if ((rc = os_trial_open(&trials[i], &x->env, &p->cands[i], p->nb, &p->results[i],
                                    err)))
                break;
            os_trial_set_threads(trials[i], step_threads);
        }
        if (c.until)
            os_trial_advance(trials[i], c.until);
        if (c.finish)
            os_trial_finish(trials[i]);
        size_t len;
        char *line = os_record_encode(i, &p->results[i], &len);
        char *out = line ? malloc(sizeof seq + len) : NULL;
        if (!out) {
            free(line);
            rc = os_error_set(err, OS_ERR_NOMEM, "rank %d: out of memory for an answer", me);
            break;
        }
        memcpy(out, &seq, sizeof seq);
        memcpy(out + sizeof seq, line, len);
        rc = os_world_send(0, OS_TAG_ANSWER, out, sizeof seq + len, err);
        free(out);
        free(line);
        if (rc)
            break;
        if (c.finish) {
            os_trial_close(trials[i]);
            trials[i] = NULL;
        }
    }
    for (size_t i = 0; i < n; i++)
        os_trial_close(trials[i]);
    free(trials);
    return rc;
}
