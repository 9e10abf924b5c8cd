/*
 * trial_command.c — a trial that runs the user's training program (the
 * [trainer] command) and reads its curve from the lines it prints
 * (protocol.h).  The outcome is a trial's like any other: finished with a
 * curve, diverged (a loss that is not finite or grew past diverge_factor
 * times its first), failed (the program died, exited early, printed a
 * malformed line or no loss), timed out, or interrupted; the program's own
 * output goes to the trial's log, trial_root/tI/log.
 *
 * A promoted trial continues from its checkpoint when the command takes
 * one ({checkpoint}); otherwise it runs again from step 0 to the longer
 * budget, and its curve is the new run's.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "protocol.h"
#include "spawn.h"
#include "trial.h"
#include "util.h"

extern char **environ;

enum { MODE_UNKNOWN, MODE_VAL, MODE_TRAIN }; /* what the curve's val_loss holds */

struct os_cmd_trial {
    const os_trial_env *env;
    const os_candidate *c;
    os_trial_result    *r;
    size_t              cap;        /* room in r->curve                      */
    uint64_t            t;          /* steps reached                         */
    int                 stopped;
    int                 mode;
    int                 checkpoint; /* the command takes {checkpoint}        */
    double              used;       /* seconds its runs took                 */
    double              first_val, first_train; /* the first of each; NaN */
    char               *dir, *log_path, *ckpt;
    unsigned            runs;
    /* the run in progress */
    int                 log;
    uint64_t            from, until, last_step;
    size_t              lines;
    int                 seen;       /* a protocol line in this run           */
    int                 halted;     /* it is being killed: lines are ignored */
    char                err_line[160]; /* its last line on standard error    */
};

static int uses_checkpoint(void *ctx, const char *name)
{
    (void)ctx;
    return !strcmp(name, "checkpoint");
}

int os_cmd_open(os_cmd_trial **out, const os_trial_env *env, const os_candidate *c,
                os_trial_result *r, os_error *err)
{
    os_cmd_trial *t = calloc(1, sizeof *t);
    *out = t;
    if (!t)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
    t->env = env;
    t->c = c;
    t->r = r;
    t->log = -1;
    t->first_val = t->first_train = NAN;
    t->checkpoint = os_command_each(env->command, uses_checkpoint, NULL);
    char name[32];
    snprintf(name, sizeof name, "t%zu", c->id);
    t->dir = os_path_join(env->trial_root, name);
    t->log_path = t->dir ? os_path_join(t->dir, "log") : NULL;
    t->ckpt = t->dir ? os_path_join(t->dir, "checkpoint") : NULL;
    t->cap = 64;
    r->curve = calloc(t->cap, sizeof *r->curve);
    if (!t->ckpt || !t->log_path || !r->curve)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
    /* a trial opens once: what a run before this one (interrupted, or of
     * another study in the same folder) left there is not its own */
    if (os_make_dirs(t->dir) || os_remove_tree(t->ckpt))
        return os_error_set(err, OS_ERR_IO, "%s: cannot make the trial's folder: %s", t->dir,
                            strerror(errno));
    int fd = open(t->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return os_error_set(err, OS_ERR_IO, "%s: cannot write: %s", t->log_path,
                            strerror(errno));
    close(fd);
    return 0;
}

uint64_t os_cmd_steps(const os_cmd_trial *t) { return t->t; }
int os_cmd_stopped(const os_cmd_trial *t) { return t->stopped; }

static void halt(os_cmd_trial *t, os_trial_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void halt(os_cmd_trial *t, os_trial_status status, const char *fmt, ...)
{
    if (t->stopped)
        return; /* the first reason stands */
    va_list ap;
    va_start(ap, fmt);
    os_vformat_line(t->r->message, sizeof t->r->message, fmt, ap);
    va_end(ap);
    t->r->status = status;
    t->stopped = 1;
    t->halted = 1;
}

/* ---- the values of a run ------------------------------------------------ */

static int make_vars(const os_cmd_trial *t, os_vars *v)
{
    const os_trial_env *env = t->env;
    const os_candidate *c = t->c;
    const os_optimizer *o = c->opt->entry->opt;
    const os_optimizer *base = c->opt->entry->base ? c->opt->entry->base : o;
    const os_schedule *sc = env->schedule;
    int rc = os_vars_set(v, "optimizer", "%s", base->label) |
             os_vars_set(v, "label", "%s", o->label) | os_vars_set_double(v, "lr", c->lr) |
             os_vars_set(v, "steps", "%llu", (unsigned long long)t->until) |
             os_vars_set(v, "start_step", "%llu", (unsigned long long)t->from) |
             os_vars_set(v, "total_steps", "%llu", (unsigned long long)env->steps) |
             os_vars_set(v, "seed", "%llu", (unsigned long long)(env->seed + c->seed_index)) |
             os_vars_set(v, "seed_index", "%llu", (unsigned long long)c->seed_index) |
             os_vars_set(v, "trial", "%zu", c->id) |
             os_vars_set(v, "batch_size", "%llu", (unsigned long long)(c->batch_size ? c->batch_size
                                                                       : env->batch_size)) |
             os_vars_set(v, "eval_every", "%llu", (unsigned long long)env->eval_every) |
             os_vars_set(v, "trial_dir", "%s", t->dir) |
             os_vars_set(v, "checkpoint", "%s", t->ckpt) |
             os_vars_set(v, "threads", "%llu", (unsigned long long)env->command_threads);
    os_schedule constant = { .kind = OS_SCHED_CONSTANT, .steps = env->steps };
    if (!sc)
        sc = &constant;
    rc |= os_vars_set(v, "schedule", "%s", os_schedule_name(sc->kind)) |
          os_vars_set(v, "warmup", "%llu", (unsigned long long)sc->warmup) |
          os_vars_set_double(v, "floor", sc->floor) | os_vars_set_double(v, "decay", sc->decay) |
          os_vars_set_double(v, "gamma", sc->gamma);
    char list[OS_SCHED_MAX_MILESTONES * 24] = "", hp[OS_MAX_HP * 80] = "";
    size_t used = 0;
    for (size_t i = 0; i < sc->n_milestones && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%llu", i ? "," : "",
                                 (unsigned long long)llround((double)sc->warmup +
                                     sc->milestones[i] * (double)(sc->steps - sc->warmup)));
    rc |= os_vars_set(v, "milestones", "%s", list);
    used = 0;
    for (size_t h = 0; h < o->n_hparams; h++) {
        rc |= os_vars_set_double(v, o->hparams[h].name, c->hp[h]);
        if (used < sizeof hp)
            used += (size_t)snprintf(hp + used, sizeof hp - used, "%s%s=%s", h ? "," : "",
                                     o->hparams[h].name, os_vars_get(v, o->hparams[h].name));
    }
    return rc | os_vars_set(v, "hparams", "%s", hp);
}

/* ---- the lines ---------------------------------------------------------- */

static void log_line(os_cmd_trial *t, const char *text)
{
    if (t->log < 0)
        return;
    size_t n = strlen(text);
    (void)!os_write_all(t->log, text, n);
    (void)!os_write_all(t->log, "\n", 1);
}

static os_curve_point *point_at(os_cmd_trial *t, uint64_t step)
{
    os_trial_result *r = t->r;
    if (r->n_curve && r->curve[r->n_curve - 1].step == step)
        return &r->curve[r->n_curve - 1];
    if (r->n_curve == t->cap) {
        os_curve_point *grown = realloc(r->curve, 2 * t->cap * sizeof *grown);
        if (!grown)
            return NULL;
        r->curve = grown;
        t->cap *= 2;
    }
    os_curve_point *pt = &r->curve[r->n_curve++];
    *pt = (os_curve_point){ .step = step, .train_loss = NAN, .val_loss = NAN, .val_acc = NAN };
    return pt;
}

/* A loss the trial diverged at, or 0. */
static int diverged(os_cmd_trial *t, const char *what, double x, double *first, uint64_t step)
{
    if (!isfinite(x)) {
        halt(t, OS_TRIAL_DIVERGED, "the trainer reported %s = %g at step %llu", what, x,
             (unsigned long long)step);
        return 1;
    }
    if (isnan(*first))
        *first = x;
    double limit = t->env->diverge_factor * fmax(*first, 1e-12);
    if (x > limit) {
        halt(t, OS_TRIAL_DIVERGED, "%s %.4g exceeded %g × its first, %.4g, at step %llu",
             what, x, t->env->diverge_factor, *first, (unsigned long long)step);
        return 1;
    }
    return 0;
}

static int point(os_cmd_trial *t, const os_line_point *p)
{
    if (p->step > t->until) {
        halt(t, OS_TRIAL_FAILED, "the trainer reported step %llu, past the %llu steps it was "
             "asked for ({steps})", (unsigned long long)p->step, (unsigned long long)t->until);
        return 1;
    }
    if (t->seen && p->step < t->last_step) {
        halt(t, OS_TRIAL_FAILED, "the trainer reported step %llu after step %llu",
             (unsigned long long)p->step, (unsigned long long)t->last_step);
        return 1;
    }
    t->seen = 1;
    t->last_step = p->step;
    if (p->step > t->r->steps)
        t->r->steps = p->step;
    if (((p->given & OS_LINE_TRAIN) &&
         diverged(t, "train_loss", p->train_loss, &t->first_train, p->step)) ||
        ((p->given & OS_LINE_VAL) && diverged(t, "val_loss", p->val_loss, &t->first_val,
                                               p->step)))
        return 1;
    if ((p->given & OS_LINE_TEST) && !isfinite(p->test_loss)) {
        halt(t, OS_TRIAL_DIVERGED, "the trainer reported test_loss = %g at step %llu",
             p->test_loss, (unsigned long long)p->step);
        return 1;
    }
    if (p->given & OS_LINE_TEST)
        t->r->test_loss = p->test_loss;
    if (p->given & OS_LINE_TEST_ACC)
        t->r->test_acc = p->test_acc;
    if (t->from && p->step <= t->from)
        return 0; /* continued from a checkpoint: the curve has these */
    if (!(p->given & (OS_LINE_TRAIN | OS_LINE_VAL | OS_LINE_ACC)))
        return 0;
    os_curve_point *pt = point_at(t, p->step);
    if (!pt) {
        halt(t, OS_TRIAL_FAILED, "out of memory for the trial's curve");
        return 1;
    }
    if (p->given & OS_LINE_TRAIN)
        pt->train_loss = p->train_loss;
    if (p->given & OS_LINE_VAL)
        pt->val_loss = p->val_loss;
    if (p->given & OS_LINE_ACC)
        pt->val_acc = p->val_acc;
    return 0;
}

static int on_line(void *ctx, int stream, char *text)
{
    os_cmd_trial *t = ctx;
    log_line(t, text);
    if (stream == 2) {
        const char *p = text;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p)
            snprintf(t->err_line, sizeof t->err_line, "%s", p);
        return 0;
    }
    t->lines++;
    if (t->halted)
        return 0;
    os_line_point p;
    char why[200];
    switch (os_protocol_line(text, &p, why, sizeof why)) {
    case OS_LINE_OTHER:
        return 0;
    case OS_LINE_BAD:
        halt(t, OS_TRIAL_FAILED, "line %zu of the trainer's output: %s", t->lines, why);
        return 1;
    case OS_LINE_POINT:
        return point(t, &p);
    }
    return 0;
}

/* ---- a run -------------------------------------------------------------- */

/* The words of the run as one line for its log: the command to try by hand. */
static void log_header(os_cmd_trial *t, char *const *argv)
{
    char head[4096];
    size_t used = (size_t)snprintf(head, sizeof head, "# optselect: run %u, steps %llu to %llu:",
                                   t->runs, (unsigned long long)t->from,
                                   (unsigned long long)t->until);
    for (size_t i = 0; argv[i] && used < sizeof head; i++)
        used += (size_t)snprintf(head + used, sizeof head - used,
                                 strpbrk(argv[i], " \t'\"") ? " '%s'" : " %s", argv[i]);
    log_line(t, head);
}

/* The curve as the score reads it: val_loss at every point.  A trainer
 * that never prints one is scored on its train_loss. */
static void settle_curve(os_cmd_trial *t)
{
    os_trial_result *r = t->r;
    if (t->mode == MODE_UNKNOWN) {
        t->mode = MODE_TRAIN;
        for (size_t i = 0; i < r->n_curve; i++)
            if (!isnan(r->curve[i].val_loss))
                t->mode = MODE_VAL;
    }
    size_t kept = 0;
    for (size_t i = 0; i < r->n_curve; i++) {
        os_curve_point pt = r->curve[i];
        if (t->mode == MODE_TRAIN)
            pt.val_loss = pt.train_loss;
        if (!isnan(pt.val_loss))
            r->curve[kept++] = pt;
    }
    r->n_curve = kept;
}

static void outcome(os_cmd_trial *t, int status)
{
    char tail[200] = "", log[160];
    if (t->env->logs_kept)
        snprintf(log, sizeof log, "log: %s", t->log_path);
    else
        snprintf(log, sizeof log, "--output DIR keeps its log");
    if (t->err_line[0])
        snprintf(tail, sizeof tail, ": %s", t->err_line);
    else
        snprintf(tail, sizeof tail, " (%s)", log);
    unsigned long long at = (unsigned long long)t->last_step;
    if (WIFSIGNALED(status)) {
        const char *sig = sigabbrev_np(WTERMSIG(status));
        halt(t, OS_TRIAL_FAILED, "the trainer was killed by signal %d (SIG%s) after step %llu%s",
             WTERMSIG(status), sig ? sig : "?", at, tail);
    } else if (WEXITSTATUS(status)) {
        halt(t, OS_TRIAL_FAILED, "the trainer exited with status %d after step %llu%s",
             WEXITSTATUS(status), at, tail);
    } else if (!t->seen) {
        halt(t, OS_TRIAL_FAILED, "the trainer printed no loss: not one line 'optselect: "
             "step=N val_loss=X' (%s)", log);
    } else if (t->last_step < t->until) {
        halt(t, OS_TRIAL_FAILED, "the trainer exited at step %llu of the %llu asked for "
             "({steps})%s", at, (unsigned long long)t->until, tail);
    }
    settle_curve(t);
    if (t->stopped)
        return;
    os_trial_result *r = t->r;
    if (!r->n_curve || r->curve[r->n_curve - 1].step != t->until)
        halt(t, OS_TRIAL_FAILED, "the trainer printed no %s at step %llu, the last one",
             t->mode == MODE_VAL ? "val_loss" : "train_loss", (unsigned long long)t->until);
    else
        t->t = r->steps = t->until;
}

void os_cmd_advance(os_cmd_trial *t, uint64_t until)
{
    const os_trial_env *env = t->env;
    if (t->stopped || until <= t->t)
        return;
    t->runs++;
    t->from = t->checkpoint ? t->t : 0;
    t->until = until;
    t->last_step = 0;
    t->seen = t->halted = 0;
    t->lines = 0;
    t->err_line[0] = 0;
    if (!t->from) { /* from step 0 again: the new run's curve */
        t->r->n_curve = 0;
        t->r->steps = 0;
    }
    os_vars v = { 0 };
    char **argv = NULL, **envp = NULL, missing[64] = "", why[256];
    char threads[48];
    snprintf(threads, sizeof threads, "%llu", (unsigned long long)env->command_threads);
    char omp[64], mkl[64], blas[64];
    snprintf(omp, sizeof omp, "OMP_NUM_THREADS=%s", threads);
    snprintf(mkl, sizeof mkl, "MKL_NUM_THREADS=%s", threads);
    snprintf(blas, sizeof blas, "OPENBLAS_NUM_THREADS=%s", threads);
    char *extra[] = { omp, mkl, blas, "PYTHONUNBUFFERED=1", NULL };
    if (make_vars(t, &v) || !(argv = os_command_expand(env->command, &v, missing)) ||
        !(envp = os_command_environ(environ, &v, extra))) {
        halt(t, OS_TRIAL_FAILED, missing[0] ? "no value for {%s}" : "out of memory%s", missing);
        goto out;
    }
    t->log = open(t->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    log_header(t, argv);
    double start = os_seconds();
    os_spawn sp;
    if (os_spawn_start(&sp, argv, envp, env->workdir, why, sizeof why)) {
        halt(t, OS_TRIAL_FAILED, "%s", why);
        goto out;
    }
    int killed = 0;
    while (os_spawn_poll(&sp, 100, on_line, t)) {
        if (t->halted && !killed) {
            os_spawn_kill(&sp);
            killed = 1;
        }
        if (killed)
            continue;
        if (os_trial_should_stop(env)) {
            halt(t, OS_TRIAL_INTERRUPTED, "interrupted at step %llu",
                 (unsigned long long)t->last_step);
        } else if (env->timeout > 0 && t->used + os_seconds() - start > env->timeout) {
            halt(t, OS_TRIAL_FAILED, "timed out: still running after trial_timeout = %g s "
                 "(step %llu)", env->timeout, (unsigned long long)t->last_step);
        }
    }
    if (t->halted && !killed)
        os_spawn_kill(&sp); /* its output ended, it may still run */
    int status = os_spawn_wait(&sp);
    t->used += os_seconds() - start;
    t->r->steps_run += t->last_step > t->from ? t->last_step - t->from : 0;
    outcome(t, status);
out:
    if (t->log >= 0)
        close(t->log);
    t->log = -1;
    os_strv_free(argv);
    os_strv_free(envp);
    os_vars_free(&v);
}

void os_cmd_close(os_cmd_trial *t)
{
    if (!t)
        return;
    free(t->dir);
    free(t->log_path);
    free(t->ckpt);
    free(t);
}
