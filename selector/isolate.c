/*
 * isolate.c — trials in worker processes (isolation = process).
 *
 * The parent forks one worker per trial, at most `workers` at a time, and
 * reads each worker's result through a pipe as one journal record (the
 * encoding is exact, so an isolated study ranks exactly as an in-process
 * one).  Whatever a plugin does in its worker — crash, abort, call exit,
 * loop forever — the parent sees a process that ended without a record, or
 * one that ran past its time limit and was killed, and files a failed trial
 * with the cause.  The parent itself never runs plugin code after loading.
 *
 * Workers are forked from a parent that has not started OpenMP threads and
 * uses a single-threaded BLAS, so the child is in a consistent state.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "isolate.h"
#include "util.h"

#define STOP_GRACE 5.0 /* seconds a worker gets to end after an interrupt */

typedef struct worker {
    pid_t  pid;        /* 0: the slot is free */
    int    fd;
    size_t index;
    char  *buf;
    size_t len, cap;
    double started;
    int    timed_out;  /* the parent killed it for its time limit */
    double stop_sent;  /* when the interrupt was forwarded, or 0 */
} worker;

/* The worker: run the trial, send its record, leave without running
 * anything else of the parent's (no atexit handlers, no stdio flush). */
static void run_worker(int fd, const os_trial_env *env, const os_candidate *c, size_t index)
{
    os_trial_result r;
    os_error err = { 0 };
    if (os_trial_run(env, c, &r, &err))
        _exit(100 + err.code);
    size_t len;
    char *line = os_record_encode(index, &r, &len);
    if (!line || os_write_all(fd, line, len))
        _exit(99);
    _exit(0);
}

/* Crashes per plugin file, to stop feeding trials to one that keeps dying. */
typedef struct crash_count {
    const char *path;  /* the registry's string: one per file */
    uint64_t    n;
} crash_count;

static crash_count *crashes_of(crash_count *counts, size_t *n, const char *path)
{
    for (size_t i = 0; i < *n; i++)
        if (counts[i].path == path)
            return &counts[i];
    counts[*n] = (crash_count){ path, 0 };
    return &counts[(*n)++];
}

static void set_failed(os_trial_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_failed(os_trial_result *r, const char *fmt, ...)
{
    os_trial_result_free(r);
    *r = (os_trial_result){ .status = OS_TRIAL_FAILED, .score = INFINITY, .test_loss = NAN,
                            .test_acc = NAN };
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

/* Files the outcome of a worker that has closed its pipe.  Returns 1 when
 * the plugin crashed, hung or left without a result. */
static int reap(worker *w, os_trial_result *r, double timeout)
{
    int status = 0;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    size_t index;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && w->len && w->buf[w->len - 1] == '\n' &&
        os_record_decode(w->buf, w->len - 1, &index, r) == 0 && index == w->index)
        return 0;
    if (w->timed_out) {
        set_failed(r, "timed out: the worker ran past trial_timeout = %g s and was killed",
                   timeout);
    } else if (w->stop_sent && WIFSIGNALED(status)) {
        set_failed(r, "interrupted: the worker was killed after the interrupt");
        r->status = OS_TRIAL_INTERRUPTED;
        return 0;
    } else if (WIFSIGNALED(status)) {
        set_failed(r, "crashed: the worker died of signal %d (%s)", WTERMSIG(status),
                   strsignal(WTERMSIG(status)));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) > 100) {
        set_failed(r, "the worker failed with host error %d (out of memory?)",
                   WEXITSTATUS(status) - 100);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        set_failed(r, "exited: the worker called exit(%d) before finishing",
                   WEXITSTATUS(status));
    } else {
        set_failed(r, "exited: the worker ended without a result (exit(0) in the plugin?)");
    }
    return 1;
}

static int start(worker *w, const os_trial_env *env, const os_candidate *c, size_t index)
{
    int fds[2];
    if (pipe(fds))
        return -1;
    fflush(NULL); /* no buffered output is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        run_worker(fds[1], env, c, index);
    }
    close(fds[1]);
    *w = (worker){ .pid = pid, .fd = fds[0], .index = index, .buf = w->buf, .cap = w->cap,
                   .started = os_seconds() };
    return 0;
}

/* Reads what a worker has sent; 1 at end of file. */
static int drain(worker *w)
{
    for (;;) {
        if (w->cap - w->len < 4096) {
            size_t cap = w->cap ? 2 * w->cap : 65536;
            char *grown = realloc(w->buf, cap);
            if (!grown)
                return -1;
            w->buf = grown;
            w->cap = cap;
        }
        ssize_t got = read(w->fd, w->buf + w->len, w->cap - w->len);
        if (got > 0) {
            w->len += (size_t)got;
            continue;
        }
        if (got == 0)
            return 1;
        return errno == EINTR ? 0 : errno == EAGAIN ? 0 : 1;
    }
}

/* Trials cands[0..n) into results, skipping those done[] marks (done may
 * be NULL); each final result goes to the journal when `journal`. */
static int run_trials(os_study *s, const os_trial_env *env, int workers,
                      const volatile sig_atomic_t *stop, os_progress *progress,
                      const os_candidate *cands, os_trial_result *results,
                      const unsigned char *done, size_t n, int journal, os_error *err)
{
    const double timeout = env->timeout;
    worker *slots = calloc((size_t)workers, sizeof *slots);
    struct pollfd *pfd = calloc((size_t)workers, sizeof *pfd);
    crash_count *counts = calloc(s->cfg->n_opts + 1, sizeof *counts);
    size_t n_counts = 0, next = 0;
    int rc = 0, running = 0;
    if (!slots || !pfd || !counts) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for %d workers", workers);
        goto out;
    }
    /* the worker runs the trial under the parent's time limit: the parent
     * enforces it by killing, so the worker itself need not check */
    os_trial_env child_env = *env;
    child_env.timeout = 0;

    for (;;) {
        int stopping = (stop && *stop) || rc;
        /* fill free slots in candidate order */
        for (int k = 0; k < workers && !stopping && next < n; k++) {
            if (slots[k].pid)
                continue;
            while (next < n && done && done[next])
                next++;
            if (next == n)
                break;
            size_t i = next++;
            const os_candidate *c = &cands[i];
            crash_count *cc = crashes_of(counts, &n_counts, c->opt->entry->path);
            if (cc->n >= s->cfg->max_crashes) {
                set_failed(&results[i], "skipped: %s crashed, exited or timed out in "
                           "%llu trials (max_crashes)", c->opt->entry->path,
                           (unsigned long long)cc->n);
                if (journal && s->journal.fd >= 0 &&
                    (rc = os_journal_append(&s->journal, i, &results[i], err)))
                    break;
                k--; /* the slot is still free */
                continue;
            }
            if (start(&slots[k], &child_env, c, i)) {
                rc = os_error_set(err, OS_ERR_NOMEM, "cannot start a worker process: %s",
                                  strerror(errno));
                break;
            }
            running++;
            os_progress_started(progress);
        }
        if (!running)
            break;

        /* wait for output, an exit, a deadline or a signal */
        double t = os_seconds(), wait_s = 0.25;
        for (int k = 0; k < workers; k++) {
            worker *w = &slots[k];
            pfd[k] = (struct pollfd){ .fd = w->pid ? w->fd : -1, .events = POLLIN };
            if (!w->pid)
                continue;
            if (timeout > 0 && !w->timed_out) {
                double left = w->started + timeout - t;
                if (left <= 0) {
                    kill(w->pid, SIGKILL);
                    w->timed_out = 1;
                } else if (left < wait_s)
                    wait_s = left;
            }
            if ((stopping || (stop && *stop)) && !w->stop_sent) {
                /* pass the interrupt on once: the trial ends at its next step */
                kill(w->pid, stop && *stop ? *stop : SIGTERM);
                w->stop_sent = t;
            } else if (w->stop_sent && t - w->stop_sent > STOP_GRACE) {
                kill(w->pid, SIGKILL);
            }
        }
        int ready = poll(pfd, (nfds_t)workers, (int)(wait_s * 1000) + 1);
        if (ready < 0 && errno != EINTR) {
            rc = os_error_set(err, OS_ERR_IO, "waiting for workers: %s", strerror(errno));
            ready = 0;
        }
        for (int k = 0; k < workers && ready > 0; k++) {
            worker *w = &slots[k];
            if (!w->pid || !(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int end = drain(w);
            if (end < 0) {
                kill(w->pid, SIGKILL);
                rc = rc ? rc : os_error_set(err, OS_ERR_NOMEM, "out of memory");
                end = 1;
            }
            if (!end)
                continue;
            close(w->fd);
            os_trial_result *r = &results[w->index];
            if (reap(w, r, timeout))
                crashes_of(counts, &n_counts, cands[w->index].opt->entry->path)->n++;
            if (!rc && journal && s->journal.fd >= 0 && r->status != OS_TRIAL_INTERRUPTED)
                rc = os_journal_append(&s->journal, w->index, r, err);
            w->pid = 0;
            w->len = 0;
            running--;
            os_progress_finished(progress, r->status);
        }
    }
    for (size_t i = next; i < n; i++) /* never started: an interrupt, or an error */
        if (!done || !done[i])
            os_trial_not_started(&results[i]);
out:
    for (int k = 0; slots && k < workers; k++)
        free(slots[k].buf);
    free(slots);
    free(pfd);
    free(counts);
    return rc;
}

int os_isolated_run(os_study *s, const os_trial_env *env, int workers,
                    const volatile sig_atomic_t *stop, os_progress *progress, os_error *err)
{
    return run_trials(s, env, workers, stop, progress, s->search.cands, s->results, s->done,
                      s->search.n, 1, err);
}

int os_isolated_train(os_study *s, const os_trial_env *env, int workers,
                      const os_candidate *cands, os_trial_result *results, size_t n,
                      os_error *err)
{
    os_progress quiet;
    os_progress_begin(&quiet, NULL, 0, n, 0);
    return run_trials(s, env, workers, env->stop, &quiet, cands, results, NULL, n, 0, err);
}
