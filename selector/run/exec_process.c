/*
 * exec_process.c — the executor's worker-process backend (isolation =
 * process).
 *
 * Each trial, when it opens, gets a worker process of its own, forked from
 * the parent and connected to it by a socket.  The worker holds the
 * trial's state for as long as the trial is open: the parent sends "train
 * to step B" or "finish", and the worker answers each with the trial's
 * result so far as one journal record (exact, so a study ranks the same as
 * in process).  A promoted trial (successive halving) thus continues where
 * it stopped, in the process that holds it.  At most `workers` of them
 * train at once; the others wait between budgets, blocked on a read.
 *
 * Whatever a plugin does in its worker — crash, abort, call exit, loop
 * forever — the parent sees a socket closed without an answer, or a
 * worker past its time limit that it killed, and fails that trial with the
 * cause.  The parent never runs plugin code after loading, and never
 * starts OpenMP threads, so a forked worker is in a consistent state.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>
#include "executor_internal.h"
#include "registry.h"
#include "util.h"

#define STOP_GRACE 5.0 /* seconds a worker gets to end after an interrupt */

/* A command to a worker: train to `until` (0: no training), then finish. */
typedef struct command {
    uint64_t until;
    uint64_t finish;
} command;

typedef struct worker {
    pid_t       pid;       /* 0: none (not started, ended, or dead)       */
    int         fd;
    char       *buf;
    size_t      len, cap;
    double      used;      /* seconds it has trained, for trial_timeout     */
    double      since;     /* when the command it runs was sent; 0: idle   */
    int         timed_out; /* the parent killed it for its time limit      */
    double      stop_sent; /* when the interrupt was forwarded, or 0       */
    int         finishing; /* its command is the finish                    */
    int         job_stopped; /* the strategy heard that it stopped         */
    int         retried;   /* restarted once after a SIGKILL from outside  */
    size_t      replayed;  /* budgets the restarted worker has retrained    */
    int         replaying; /* its command retrains one of them             */
    os_exec_job job;
} worker;

typedef struct procs {
    os_exec      *x;
    worker       *w;        /* per trial */
    size_t       *active;   /* trials with a command out, at most workers */
    size_t        n_active;
    struct pollfd *pfd;
    const char  **crash_path; /* per plugin file: its crashes */
    uint64_t     *crashes;
    size_t        n_paths;
    os_trial_env  child_env;
} procs;

/* The worker: open the trial, then answer commands until the finish (or
 * until the parent is gone); leaves without running anything else of the
 * parent's (no atexit handlers, no stdio flush). */
static void serve(int fd, const os_trial_env *env, const os_candidate *c, size_t index,
                  size_t extra_points)
{
    os_trial *tr = NULL;
    os_trial_result r;
    os_error err = { 0 };
#ifdef __linux__
    /* ps and top show which trial a worker holds (its restart keeps the name) */
    char name[16];
    snprintf(name, sizeof name, "optselect-t%zu", index);
    prctl(PR_SET_NAME, name, 0, 0, 0);
#endif
    if (os_trial_open(&tr, env, c, extra_points, &r, &err))
        _exit(100 + err.code);
    for (;;) {
        command cmd;
        size_t got = 0;
        while (got < sizeof cmd) {
            ssize_t k = read(fd, (char *)&cmd + got, sizeof cmd - got);
            if (k == 0 || (k < 0 && errno != EINTR))
                _exit(0); /* the parent is gone */
            got += k > 0 ? (size_t)k : 0;
        }
        if (cmd.until)
            os_trial_advance(tr, cmd.until);
        if (cmd.finish)
            os_trial_finish(tr);
        size_t len;
        char *line = os_record_encode(index, &r, &len);
        if (!line || os_write_all(fd, line, len))
            _exit(99);
        free(line);
        if (cmd.finish)
            _exit(0);
    }
}

static uint64_t *crashes_of(procs *pr, const char *path)
{
    for (size_t i = 0; i < pr->n_paths; i++)
        if (pr->crash_path[i] == path)
            return &pr->crashes[i];
    pr->crash_path[pr->n_paths] = path;
    pr->crashes[pr->n_paths] = 0;
    return &pr->crashes[pr->n_paths++];
}

static void set_failed(os_trial_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_failed(os_trial_result *r, const char *fmt, ...)
{
    uint64_t steps = r->steps;
    os_trial_result_free(r);
    *r = (os_trial_result){ .status = OS_TRIAL_FAILED, .steps = steps, .score = INFINITY,
                            .test_loss = NAN, .test_acc = NAN };
    va_list ap;
    va_start(ap, fmt);
    os_vformat_line(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

static int spawn(procs *pr, size_t i);

/* Files the outcome of trial i's worker, which closed its socket without
 * an answer (why NULL: it ended, and its exit says how) or which the
 * parent gives up on (why: the reason; it is killed); counts a crash
 * against its plugin file unless the study's interrupt ended it.
 *
 * A worker killed by SIGKILL that the parent did not send (the OOM
 * killer, an operator) is not the plugin's doing: the trial restarts once
 * in a new worker, which retrains it through the budgets it had passed
 * (the same steps, so the same curve) before it goes on. */
static void died(procs *pr, size_t i, const char *why)
{
    worker *w = &pr->w[i];
    os_trial_result *r = &pr->x->p->results[i];
    int status = 0;
    if (why)
        kill(w->pid, SIGKILL);
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(w->fd);
    w->pid = 0;
    if (!why && w->finishing && r->status != OS_TRIAL_OK)
        return; /* it had stopped: finishing changes nothing, its answer stands */
    if (!why && !w->timed_out && !w->stop_sent && WIFSIGNALED(status) &&
        WTERMSIG(status) == SIGKILL && !w->retried) {
        w->retried = 1;
        if (!spawn(pr, i))
            return;
        w->retried = 0; /* no new worker: the plain crash below */
    }
    if (why) {
        set_failed(r, "%s", why);
    } else if (w->timed_out) {
        set_failed(r, "timed out: the worker ran past trial_timeout = %g s and was killed",
                   pr->x->env.timeout);
    } else if (w->stop_sent && WIFSIGNALED(status)) {
        set_failed(r, "interrupted: the worker was killed after the interrupt");
        r->status = OS_TRIAL_INTERRUPTED;
        return;
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && w->retried) {
        set_failed(r, "killed: its worker was killed from outside (SIGKILL) twice, the second "
                      "time after a restart (the out-of-memory killer?)");
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
    (*crashes_of(pr, pr->x->p->cands[i].opt->entry->path))++;
}

/* Forks trial i's worker; -1 when it cannot. */
static int spawn(procs *pr, size_t i)
{
    os_exec *x = pr->x;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        return -1;
    fflush(NULL); /* no buffered output is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        /* the other workers' sockets are theirs: a worker must see EOF
         * when the parent is gone */
        for (size_t j = 0; j < x->p->n; j++)
            if (pr->w[j].pid)
                close(pr->w[j].fd);
        serve(sv[1], &pr->child_env, &x->p->cands[i], i, x->p->nb);
    }
    close(sv[1]);
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    worker *w = &pr->w[i];
    *w = (worker){ .pid = pid, .fd = sv[0], .buf = w->buf, .cap = w->cap, .job = w->job,
                   .used = w->used, .retried = w->retried, .job_stopped = w->job_stopped };
    return 0;
}

static void send_command(procs *pr, size_t i, uint64_t until, int finish)
{
    worker *w = &pr->w[i];
    command cmd = { until, (uint64_t)finish };
    w->finishing = finish;
    w->since = os_seconds();
    w->len = 0;
    pr->active[pr->n_active++] = i;
    if (send(w->fd, &cmd, sizeof cmd, MSG_NOSIGNAL) != (ssize_t)sizeof cmd)
        shutdown(w->fd, SHUT_RDWR); /* dead already: poll sees the end */
}

static void deactivate(procs *pr, size_t i)
{
    for (size_t a = 0; a < pr->n_active; a++)
        if (pr->active[a] == i) {
            pr->active[a] = pr->active[--pr->n_active];
            return;
        }
}

/* Moves trial i's job on: the next budget, the finish, or its end. */
static void proceed(procs *pr, size_t i)
{
    os_exec *x = pr->x;
    worker *w = &pr->w[i];
    const os_exec_job *job = &w->job;
    os_trial_result *r = &x->p->results[i];
    os_error e = { 0 };
    int code = 0;
    if (w->pid && w->replayed < x->passed[i] && r->status == OS_TRIAL_OK) {
        if (os_exec_stopping(x)) { /* left open, not ended */
            os_exec_release(x, job, 0, &e);
            return;
        }
        w->replaying = 1; /* a restarted worker: back to where its trial was */
        return (void)send_command(pr, i, x->p->budgets[w->replayed], 0);
    }
    if (job->target >= 0 && x->passed[i] <= (size_t)job->target && !w->job_stopped) {
        if (r->status == OS_TRIAL_OK && w->pid && !os_exec_stopping(x))
            return (void)send_command(pr, i, x->p->budgets[x->passed[i]], 0);
        if (r->status == OS_TRIAL_OK) { /* the study stopped: left open, not ended */
            os_exec_release(x, job, 0, &e);
            return;
        }
        w->job_stopped = 1; /* stopped on the way: it goes no further */
        if (x->st->passed)
            x->st->passed(x->st->ctx, i, x->passed[i], 1);
    }
    if (job->end) {
        if (w->pid && !w->finishing)
            return (void)send_command(pr, i, 0, 1);
        code = os_exec_ended(x, i, &e);
    }
    os_exec_release(x, job, code, &e);
}

/* A job's start: trial i's worker when the trial opens (or its skip, for
 * a plugin that keeps crashing), then its first command. */
static void start_job(procs *pr, const os_exec_job *job)
{
    os_exec *x = pr->x;
    const os_exec_plan *p = x->p;
    const size_t i = job->trial;
    worker *w = &pr->w[i];
    w->job = *job;
    w->job_stopped = w->finishing = 0;
    if (!x->opened[i]) {
        x->opened[i] = 1;
        if (p->progress)
            os_progress_started(p->progress);
        const char *path = p->cands[i].opt->entry->path;
        uint64_t crashes = *crashes_of(pr, path);
        if (p->max_crashes && crashes >= p->max_crashes) {
            set_failed(&p->results[i], "skipped: %s crashed, exited or timed out in %llu "
                       "trials (max_crashes)", path, (unsigned long long)crashes);
        } else if (spawn(pr, i)) {
            os_error e;
            os_error_set(&e, OS_ERR_NOMEM, "cannot start a worker process: %s",
                         strerror(errno));
            x->opened[i] = 0;
            os_exec_release(x, job, e.code, &e);
            return;
        }
    }
    proceed(pr, i);
}

/* Reads what trial i's worker sent: 1 at the end of its answer (a line),
 * -1 when it closed the socket first, 0 for more to come, -2 out of
 * memory. */
static int drain(worker *w)
{
    for (;;) {
        if (w->cap - w->len < 4096 && os_reserve(&w->buf, &w->cap, w->cap + 1, 65536))
            return -2;
        ssize_t got = read(w->fd, w->buf + w->len, w->cap - w->len);
        if (got > 0) {
            w->len += (size_t)got;
            continue;
        }
        if (got < 0 && errno == EINTR)
            continue;
        if (w->len && w->buf[w->len - 1] == '\n')
            return 1;
        return got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) ? -1 : 0;
    }
}

/* Trial i's worker answered its command with the result so far. */
static void answered(procs *pr, size_t i)
{
    os_exec *x = pr->x;
    worker *w = &pr->w[i];
    os_trial_result got, *r = &x->p->results[i];
    size_t index;
    if (os_record_decode(w->buf, w->len - 1, &index, &got) || index != i) {
        os_trial_result_free(&got);
        died(pr, i, "the worker's answer could not be read");
        proceed(pr, i);
        return;
    }
    os_trial_result_free(r);
    *r = got;
    if (w->replaying) {
        w->replaying = 0;
        w->replayed++;
    } else if (w->finishing) { /* it leaves after its last answer */
        while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        close(w->fd);
        w->pid = 0;
    } else if (r->status == OS_TRIAL_OK) {
        if (x->st->passed)
            x->st->passed(x->st->ctx, i, x->passed[i], 0);
        x->passed[i]++;
    }
    proceed(pr, i);
}

/* Time limits and the interrupt, for the workers with a command out;
 * returns how long poll may wait. */
static double watch(procs *pr)
{
    os_exec *x = pr->x;
    const double t = os_seconds(), timeout = x->env.timeout;
    double wait_s = 0.25;
    for (size_t a = 0; a < pr->n_active; a++) {
        worker *w = &pr->w[pr->active[a]];
        if (!w->pid)
            continue;
        if (timeout > 0 && !w->timed_out) {
            double left = timeout - (w->used + t - w->since);
            if (left <= 0) {
                kill(w->pid, SIGKILL);
                w->timed_out = 1;
            } else if (left < wait_s) {
                wait_s = left;
            }
        }
        if (os_exec_stopping(x) && !w->stop_sent) {
            /* passed on once: the trial ends at its next step */
            const volatile int *stop = x->env.stop;
            kill(w->pid, stop && *stop ? *stop : SIGTERM);
            w->stop_sent = t;
        } else if (w->stop_sent && t - w->stop_sent > STOP_GRACE) {
            kill(w->pid, SIGKILL);
        }
    }
    return wait_s;
}

/* Waits for an answer from the running workers (as long as their
 * deadlines allow), and takes each answer or death. */
static void poll_workers(procs *pr, size_t *polled)
{
    os_exec *x = pr->x;
    double wait_s = watch(pr);
    size_t np = pr->n_active;
    for (size_t a = 0; a < np; a++) {
        polled[a] = pr->active[a];
        pr->pfd[a] = (struct pollfd){ .fd = pr->w[polled[a]].fd, .events = POLLIN };
    }
    int ready = poll(pr->pfd, (nfds_t)np, (int)(wait_s * 1000) + 1);
    if (ready < 0 && errno != EINTR && !x->rc) {
        os_error_set(x->err, OS_ERR_IO, "waiting for workers: %s", strerror(errno));
        x->rc = OS_ERR_IO;
        x->halt = 1;
    }
    for (size_t a = 0; a < np && ready > 0; a++) {
        if (!(pr->pfd[a].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        size_t i = polled[a];
        worker *w = &pr->w[i];
        int end = drain(w);
        if (!end)
            continue;
        deactivate(pr, i);
        w->used += os_seconds() - w->since;
        w->since = 0;
        if (end == 1) {
            answered(pr, i);
            continue;
        }
        died(pr, i, end == -2 ? "the parent ran out of memory for the worker's answer"
                               : NULL);
        proceed(pr, i);
    }
}

int os_exec_processes(os_exec *x)
{
    const os_exec_plan *p = x->p;
    const size_t n = p->n;
    const int workers = p->workers > 0 ? p->workers : 1;
    procs pr = { .x = x, .child_env = x->env };
    pr.child_env.timeout = 0; /* the parent enforces it, by killing */
    pr.w = calloc(n ? n : 1, sizeof *pr.w);
    pr.active = calloc((size_t)workers, sizeof *pr.active);
    pr.pfd = calloc((size_t)workers, sizeof *pr.pfd);
    size_t *polled = calloc((size_t)workers, sizeof *polled);
    pr.crash_path = calloc(n + 1, sizeof *pr.crash_path);
    pr.crashes = calloc(n + 1, sizeof *pr.crashes);
    if (!pr.w || !pr.active || !pr.pfd || !polled || !pr.crash_path || !pr.crashes) {
        os_error_set(x->err, OS_ERR_NOMEM, "out of memory for %d workers", workers);
        x->rc = OS_ERR_NOMEM;
        goto out;
    }
    for (;;) {
        while (x->running < (size_t)workers) {
            os_exec_job job;
            size_t ready;
            os_exec_what what = os_exec_take(x, &job, &ready);
            if (what != OS_EXEC_TRAIN && what != OS_EXEC_END)
                break;
            start_job(&pr, &job);
        }
        if (!x->running)
            break; /* nothing runs, and nothing more was handed out */
        poll_workers(&pr, polled);
    }
out:
    /* workers of trials left open (the study stopped): their trials are
     * interrupted where they stand */
    for (size_t i = 0; pr.w && i < n; i++) {
        if (pr.w[i].pid) {
            kill(pr.w[i].pid, SIGKILL);
            while (waitpid(pr.w[i].pid, NULL, 0) < 0 && errno == EINTR)
                ;
            close(pr.w[i].fd);
        }
        free(pr.w[i].buf);
    }
    free(pr.w);
    free(pr.active);
    free(pr.pfd);
    free(polled);
    free(pr.crash_path);
    free(pr.crashes);
    return x->rc;
}
