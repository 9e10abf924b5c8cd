/*
 * trial.c — the training loop.  Everything a step touches is allocated
 * when the trial opens; the loop itself allocates nothing.  A trial can
 * stop at a budget and continue later from where it stopped (successive
 * halving promotes trials that way), and the steps it takes are the same
 * as in one go.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "score.h"
#include "trial.h"
#include "util.h"

#define EVAL_CHUNK 256  /* validation rows per forward pass */

const char *os_trial_status_name(os_trial_status s)
{
    switch (s) {
    case OS_TRIAL_OK: return "ok";
    case OS_TRIAL_DIVERGED: return "diverged";
    case OS_TRIAL_FAILED: return "failed";
    case OS_TRIAL_INTERRUPTED: return "interrupted";
    }
    return "?";
}

void os_trial_not_started(os_trial_result *r)
{
    *r = (os_trial_result){ .status = OS_TRIAL_INTERRUPTED, .score = INFINITY,
                            .test_loss = NAN, .test_acc = NAN };
    snprintf(r->message, sizeof r->message, "not started: the study was interrupted");
}

int os_trial_should_stop(const os_trial_env *env)
{
    return (env->stop && *env->stop) || (env->halt && *env->halt);
}

/* Validation loss and accuracy over the whole validation set, in chunks,
 * at ws->params. */
static void evaluate_at(const os_model *m, os_workspace *ws, const os_dataset *val,
                        double *loss, double *acc)
{
    double total = 0.0;
    size_t hits = 0;
    for (size_t start = 0; start < val->n; start += ws->max_batch) {
        size_t b = val->n - start < ws->max_batch ? val->n - start : ws->max_batch;
        size_t correct = 0;
        total += (double)b * os_model_forward(m, ws, val->x + start * val->d,
                                              val->y + start, b, 0, &correct);
        hits += correct;
    }
    *loss = total / (double)val->n;
    *acc = m->loss != OS_LOSS_MSE ? (double)hits / (double)val->n : NAN;
}

/* The same, at the optimizer's evaluation point when it has one (ABI 1.1's
 * eval_params): schedule-free methods train at one point and are judged at
 * another.  Returns the plugin's code. */
typedef struct eval_point {
    os_eval_params_fn fn;
    const os_env     *env;
    const void       *state;
    float            *buf;   /* layout.n floats, or NULL without fn */
} eval_point;

static int evaluate(const os_model *m, os_workspace *ws, const os_dataset *val,
                    const eval_point *ep, double *loss, double *acc)
{
    if (!ep->fn) {
        evaluate_at(m, ws, val, loss, acc);
        return OS_OK;
    }
    int rc = ep->fn(ep->env, ep->state, ws->params, ep->buf);
    if (rc != OS_OK)
        return rc;
    float *train = ws->params;
    ws->params = ep->buf;
    evaluate_at(m, ws, val, loss, acc);
    ws->params = train;
    return OS_OK;
}

/* ---- a trial that can stop at a budget and continue later -------------- */

struct os_trial {
    const os_trial_env *env;
    const os_candidate *c;
    const os_optimizer *opt;
    os_trial_result    *r;
    size_t              max_points;  /* room in r->curve                    */
    uint64_t            t;           /* steps done                          */
    int                 stopped;     /* diverged, failed or interrupted     */
    double              used;        /* seconds spent in advance()          */
    char                msg[200];    /* the plugin's error text             */
    os_env              oenv;
    void               *state;       /* the optimizer's                     */
    /* network mode */
    os_workspace        ws;
    int                 ws_ready;
    os_workspace       *chunks;      /* env->split - 1 workspaces of a split
                                        step, sharing ws.params            */
    size_t              n_chunks;    /* of them initialised                 */
    int                 threads;     /* for the chunks of a step            */
    os_batcher          batcher;
    float              *targets;
    eval_point          ep;
    double              ema, beta_t, limit;
    /* test-function mode */
    float               p[2];
    double              value;
    /* command mode: the user's program trains (trial_command.c) */
    os_cmd_trial       *cmd;
};

uint64_t os_trial_steps(const os_trial *tr) { return tr->cmd ? os_cmd_steps(tr->cmd) : tr->t; }
void os_trial_set_threads(os_trial *tr, int threads) { tr->threads = threads > 1 ? threads : 1; }
int os_trial_stopped(const os_trial *tr)
{
    return tr->cmd ? os_cmd_stopped(tr->cmd) : tr->stopped;
}

static void halt_trial(os_trial *tr, os_trial_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void halt_trial(os_trial *tr, os_trial_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    os_vformat_line(tr->r->message, sizeof tr->r->message, fmt, ap);
    va_end(ap);
    tr->r->status = status;
    tr->stopped = 1;
}

/* Ends the trial as diverged naming parameter i's tensor and place. */
static void halt_nonfinite(os_trial *tr, const os_layout *layout, const float *p, size_t i,
                           uint64_t t)
{
    const os_tensor *tensor = NULL;
    for (size_t k = 0; k < layout->n_tensors; k++)
        if (i >= layout->tensors[k].offset &&
            i < layout->tensors[k].offset + layout->tensors[k].size)
            tensor = &layout->tensors[k];
    halt_trial(tr, OS_TRIAL_DIVERGED, "parameter %zu of %s became %g at step %llu",
               tensor ? i - tensor->offset : i, tensor ? tensor->name : "the model",
               (double)p[i], (unsigned long long)t);
}

/* Adds a curve point for step t unless the curve already ends there (a
 * trial continued from a budget measures that step once). */
static os_curve_point *new_point(os_trial *tr, uint64_t t)
{
    os_trial_result *r = tr->r;
    if (r->n_curve && r->curve[r->n_curve - 1].step == t)
        return NULL;
    if (r->n_curve == tr->max_points)
        return NULL; /* not reached: room for every eval_every and every budget */
    os_curve_point *pt = &r->curve[r->n_curve++];
    *pt = (os_curve_point){ .step = t, .train_loss = NAN, .val_loss = NAN, .val_acc = NAN };
    return pt;
}

/* The rate of step t (1-based): the candidate's peak times the schedule's
 * factor (a constant schedule's is exactly 1, so exactly the peak). */
static double rate(const os_trial *tr, uint64_t t)
{
    const os_schedule *sc = tr->env->schedule;
    return sc ? tr->c->lr * os_schedule_factor(sc, t) : tr->c->lr;
}

/* A test function: the parameters are the point, the loss is the value.
 * Seed 0 starts at the configured point, others jittered around it. */
static int open_function(os_trial *tr, os_error *err)
{
    const os_trial_env *env = tr->env;
    os_rng rng;
    os_rng_seed(&rng, env->seed, OS_STREAM_TRIAL + tr->c->seed_index);
    for (int i = 0; i < 2; i++)
        tr->p[i] = (float)(env->start[i] + (tr->c->seed_index ? 0.1 * os_rng_normal(&rng)
                                                                : 0.0));
    tr->oenv = os_plugin_env(env->fn_layout, tr->c->hp, tr->msg, sizeof tr->msg);
    tr->state = os_alloc_aligned(tr->opt->state_bytes(&tr->oenv));
    tr->r->path = malloc(2 * (env->steps + 1) * sizeof *tr->r->path);
    if (!tr->state || !tr->r->path)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
    int orc = tr->opt->init(&tr->oenv, tr->state, tr->p);
    if (orc != OS_OK)
        halt_trial(tr, OS_TRIAL_FAILED, "%s failed (%s): %s", tr->opt->label, os_plugin_error_name(orc),
                   tr->msg);
    return 0;
}

static void advance_function(os_trial *tr, uint64_t until, double start)
{
    const os_trial_env *env = tr->env;
    os_trial_result *r = tr->r;
    double pd[2], gd[2];
    float g[2];
    for (;;) {
        uint64_t t = tr->t;
        pd[0] = tr->p[0], pd[1] = tr->p[1];
        tr->value = env->fn->eval(pd, gd);
        if (r->n_path == t) { /* each point once, also across budgets */
            r->path[2 * r->n_path] = tr->p[0];
            r->path[2 * r->n_path + 1] = tr->p[1];
            r->n_path++;
        }
        r->steps = t;
        if (t % env->eval_every == 0 || t == until) {
            os_curve_point *pt = new_point(tr, t);
            if (pt)
                pt->train_loss = pt->val_loss = tr->value;
        }
        if (!isfinite(tr->value) || fabs(tr->p[0]) > 1e6 || fabs(tr->p[1]) > 1e6) {
            halt_trial(tr, OS_TRIAL_DIVERGED, "left the plane at step %llu (value %g)",
                       (unsigned long long)t, tr->value);
            return;
        }
        if (t == until)
            return;
        if (os_trial_should_stop(env)) {
            halt_trial(tr, OS_TRIAL_INTERRUPTED, "interrupted at step %llu",
                       (unsigned long long)t);
            return;
        }
        if (env->timeout > 0 && tr->used + os_seconds() - start > env->timeout) {
            halt_trial(tr, OS_TRIAL_FAILED, "timed out: still running after trial_timeout = "
                       "%g s (step %llu)", env->timeout, (unsigned long long)t);
            return;
        }
        g[0] = (float)gd[0], g[1] = (float)gd[1];
        int orc = tr->opt->step(&tr->oenv, tr->state, tr->p, g, rate(tr, t + 1), t + 1);
        if (orc != OS_OK) {
            halt_trial(tr, OS_TRIAL_FAILED, "%s failed (%s): %s", tr->opt->label, os_plugin_error_name(orc),
                       tr->msg);
            return;
        }
        tr->t = t + 1;
    }
}

/* Rows per step: the candidate's (a list of batch sizes), else the study's. */
static size_t batch_of(const os_trial *tr)
{
    return (size_t)(tr->c->batch_size ? tr->c->batch_size : tr->env->batch_size);
}

static int open_network(os_trial *tr, os_error *err)
{
    const os_trial_env *env = tr->env;
    const os_model *m = env->model;
    const os_optimizer *opt = tr->opt;
    const size_t batch = batch_of(tr);
    size_t max_batch = batch > EVAL_CHUNK ? batch : EVAL_CHUNK;
    tr->targets = malloc(batch * sizeof *tr->targets);
    if (!tr->targets || os_workspace_init(&tr->ws, m, max_batch))
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
    tr->ws_ready = 1;
    if (env->split > 1) {
        size_t rows = os_split_rows(batch, env->split, 0);
        if (!(tr->chunks = calloc(env->split - 1, sizeof *tr->chunks)))
            return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
        for (; tr->n_chunks < env->split - 1; tr->n_chunks++)
            if (os_workspace_init_sharing(&tr->chunks[tr->n_chunks], m, rows, tr->ws.params))
                return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
    }

    /* Same seed index, same initial weights and batch order for every
     * optimizer: differences between candidates are the optimizers'. */
    const size_t k = tr->c->seed_index;
    const os_trial_start *start = k < env->n_starts ? &env->starts[k] : NULL;
    os_rng rng;
    if (start) {
        memcpy(tr->ws.params, start->params, m->layout.n * sizeof *tr->ws.params);
        rng = start->rng;
    } else {
        os_rng_seed(&rng, env->seed, OS_STREAM_TRIAL + k);
        os_model_init_params(m, tr->ws.params, &rng);
    }
    if (os_batcher_init(&tr->batcher, &env->data->train, env->data->subset,
                        env->data->n_subset, batch, &rng))
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");

    tr->oenv = os_plugin_env(&m->layout, tr->c->hp, tr->msg, sizeof tr->msg);
    tr->oenv.decays = env->decays;
    size_t state_bytes = opt->state_bytes(&tr->oenv);
    if (!(tr->state = os_alloc_aligned(state_bytes)))
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu bytes of %s state",
                            state_bytes, opt->label);
    tr->ep = (eval_point){ os_optimizer_eval_params(opt), &tr->oenv, tr->state, NULL };
    if (tr->ep.fn && !(tr->ep.buf = os_alloc_aligned(m->layout.n * sizeof(float))))
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
    int orc = opt->init(&tr->oenv, tr->state, tr->ws.params);
    if (orc != OS_OK) {
        halt_trial(tr, OS_TRIAL_FAILED, "%s init failed (%s): %s", opt->label, os_plugin_error_name(orc),
                   tr->msg);
        return 0;
    }
    os_curve_point *pt = new_point(tr, 0);
    if (start && !tr->ep.fn) { /* an eval point of its own is measured here */
        pt->val_loss = start->val_loss;
        pt->val_acc = start->val_acc;
    } else if ((orc = evaluate(m, &tr->ws, &env->data->val, &tr->ep, &pt->val_loss,
                               &pt->val_acc))) {
        halt_trial(tr, OS_TRIAL_FAILED, "%s eval_params failed (%s): %s", opt->label, os_plugin_error_name(orc),
                   tr->msg);
        return 0;
    }
    tr->limit = env->diverge_factor * fmax(pt->val_loss, 1e-12);
    if (!isfinite(pt->val_loss))
        halt_trial(tr, OS_TRIAL_DIVERGED, "initial validation loss is %g", pt->val_loss);
    tr->ema = 0.0;
    tr->beta_t = 1.0;
    return 0;
}

int os_trial_starts_make(const os_trial_env *env, size_t n, os_trial_start **out,
                         os_error *err)
{
    const os_model *m = env->model;
    os_workspace ws; /* as large as a trial's: evaluations go in chunks of max_batch */
    os_trial_start *st = calloc(n, sizeof *st);
    *out = NULL;
    if (!st || os_workspace_init(&ws, m, env->batch_size > EVAL_CHUNK ? env->batch_size
                                                                      : EVAL_CHUNK)) {
        free(st);
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
    }
    for (size_t k = 0; k < n; k++) {
        os_rng_seed(&st[k].rng, env->seed, OS_STREAM_TRIAL + k);
        os_model_init_params(m, ws.params, &st[k].rng);
        evaluate_at(m, &ws, &env->data->val, &st[k].val_loss, &st[k].val_acc);
        if (!(st[k].params = malloc(m->layout.n * sizeof *st[k].params))) {
            os_trial_starts_free(st, n);
            os_workspace_free(&ws);
            return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
        }
        memcpy(st[k].params, ws.params, m->layout.n * sizeof *st[k].params);
    }
    os_workspace_free(&ws);
    *out = st;
    return 0;
}

void os_trial_starts_free(os_trial_start *starts, size_t n)
{
    for (size_t k = 0; starts && k < n; k++)
        free(starts[k].params);
    free(starts);
}

static void advance_network(os_trial *tr, uint64_t until, double start)
{
    const os_trial_env *env = tr->env;
    const os_model *m = env->model;
    const os_optimizer *opt = tr->opt;
    os_trial_result *r = tr->r;
    const double beta = env->smoothing;
    for (uint64_t t = tr->t + 1; t <= until; t++) {
        if (os_trial_should_stop(env)) {
            halt_trial(tr, OS_TRIAL_INTERRUPTED, "interrupted at step %llu",
                       (unsigned long long)(t - 1));
            return;
        }
        if (env->timeout > 0 && tr->used + os_seconds() - start > env->timeout) {
            halt_trial(tr, OS_TRIAL_FAILED, "timed out: still running after trial_timeout = "
                       "%g s (step %llu)", env->timeout, (unsigned long long)(t - 1));
            return;
        }
        os_batcher_next(&tr->batcher, tr->ws.act[0], tr->targets);
        double loss = os_model_train_split(m, &tr->ws, tr->chunks, env->split,
                                           tr->targets, batch_of(tr), tr->threads);
        r->steps = t - 1;
        if (!isfinite(loss)) {
            halt_trial(tr, OS_TRIAL_DIVERGED, "training loss became %g at step %llu", loss,
                       (unsigned long long)t);
            return;
        }
        tr->ema = beta * tr->ema + (1.0 - beta) * loss;
        tr->beta_t *= beta;
        double smooth = tr->ema / (1.0 - tr->beta_t);
        if (smooth > tr->limit) {
            halt_trial(tr, OS_TRIAL_DIVERGED, "training loss %.4g exceeded %g × its initial "
                       "%.4g at step %llu", smooth, env->diverge_factor,
                       tr->limit / env->diverge_factor, (unsigned long long)t);
            return;
        }
        int orc = opt->step(&tr->oenv, tr->state, tr->ws.params, tr->ws.grads, rate(tr, t), t);
        if (orc != OS_OK) {
            halt_trial(tr, OS_TRIAL_FAILED, "%s step %llu failed (%s): %s", opt->label,
                       (unsigned long long)t, os_plugin_error_name(orc), tr->msg);
            return;
        }
        r->steps = t;
        tr->t = t;
        if (t % env->eval_every == 0 || t == until) {
            /* a NaN behind a ReLU leaves the loss finite: the weights are
             * scanned too, at evaluations only */
            size_t bad = os_first_nonfinite(tr->ws.params, m->layout.n);
            if (bad != m->layout.n) {
                halt_nonfinite(tr, &m->layout, tr->ws.params, bad, t);
                return;
            }
            os_curve_point *pt = new_point(tr, t);
            if (!pt)
                continue;
            pt->train_loss = smooth;
            /* before the full budget a sample may do: a rung compares
             * trials measured alike, and the ranking reads step `steps` */
            const os_dataset *val = env->data->val_sample.n && t < env->steps
                                  ? &env->data->val_sample : &env->data->val;
            if ((orc = evaluate(m, &tr->ws, val, &tr->ep, &pt->val_loss, &pt->val_acc))) {
                halt_trial(tr, OS_TRIAL_FAILED, "%s eval_params failed at step %llu (%s): "
                           "%s", opt->label, (unsigned long long)t, os_plugin_error_name(orc),
                           tr->msg);
                return;
            }
            if (isnan(pt->val_loss)) {
                halt_trial(tr, OS_TRIAL_DIVERGED, "validation loss became NaN at step %llu",
                           (unsigned long long)t);
                return;
            }
            if (!(pt->val_loss <= tr->limit)) {
                halt_trial(tr, OS_TRIAL_DIVERGED, "validation loss %.4g exceeded %g × its "
                           "initial %.4g at step %llu", pt->val_loss, env->diverge_factor,
                           tr->limit / env->diverge_factor, (unsigned long long)t);
                return;
            }
        }
    }
}

int os_trial_open(os_trial **out, const os_trial_env *env, const os_candidate *c,
                  size_t extra_points, os_trial_result *r, os_error *err)
{
    *out = NULL;
    memset(r, 0, sizeof *r);
    r->score = INFINITY;
    r->test_loss = r->test_acc = NAN;
    os_trial *tr = calloc(1, sizeof *tr);
    if (!tr)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
    *out = tr;
    tr->env = env;
    tr->c = c;
    tr->opt = c->opt->entry->opt;
    tr->r = r;
    if (env->command)
        return os_cmd_open(&tr->cmd, env, c, r, err);
    if (c->opt->entry->refused) {
        halt_trial(tr, OS_TRIAL_FAILED, "plugin refused: %s", c->opt->entry->refused);
        return 0;
    }
    tr->threads = env->step_threads > 1 ? env->step_threads : 1;
    tr->max_points = (size_t)(env->steps / env->eval_every) + 2 + extra_points;
    if (!(r->curve = calloc(tr->max_points, sizeof *r->curve)))
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
    return env->fn ? open_function(tr, err) : open_network(tr, err);
}

void os_trial_advance(os_trial *tr, uint64_t until)
{
    if (tr->cmd) {
        if (until <= tr->env->steps)
            os_cmd_advance(tr->cmd, until);
        return;
    }
    if (tr->stopped || until > tr->env->steps || until < tr->t)
        return;
    double start = os_seconds();
    if (tr->env->fn)
        advance_function(tr, until, start);
    else if (until > tr->t)
        advance_network(tr, until, start);
    tr->used += os_seconds() - start;
}

void os_trial_finish(os_trial *tr)
{
    os_trial_result *r = tr->r;
    if (os_trial_stopped(tr) || !r->n_curve)
        return;
    const os_trial_env *env = tr->env;
    /* The test set is measured once, at the end, and never consulted for
     * ranking: it tells the user what the recommendation is worth. */
    int orc;
    if (!env->fn && !env->command && env->test &&
        (orc = evaluate(env->model, &tr->ws, env->test, &tr->ep, &r->test_loss, &r->test_acc))) {
        halt_trial(tr, OS_TRIAL_FAILED, "%s eval_params failed (%s): %s", tr->opt->label,
                   os_plugin_error_name(orc), tr->msg);
        return;
    }
    r->status = OS_TRIAL_OK;
    r->score = os_score_curve((os_score_kind)env->score_kind, r->curve, r->n_curve,
                              env->horizon);
}

void os_trial_close(os_trial *tr)
{
    if (!tr)
        return;
    os_cmd_close(tr->cmd);
    os_free_aligned(tr->ep.buf);
    os_free_aligned(tr->state);
    os_batcher_free(&tr->batcher);
    for (size_t c = 0; c < tr->n_chunks; c++)
        os_workspace_free(&tr->chunks[c]);
    free(tr->chunks);
    if (tr->ws_ready)
        os_workspace_free(&tr->ws);
    free(tr->targets);
    free(tr);
}

int os_trial_run(const os_trial_env *env, const os_candidate *c, os_trial_result *r,
                 os_error *err)
{
    os_trial *tr;
    int rc = os_trial_open(&tr, env, c, 0, r, err);
    if (!rc) {
        os_trial_advance(tr, env->steps);
        os_trial_finish(tr);
    }
    os_trial_close(tr);
    return rc;
}

void os_trial_result_free(os_trial_result *r)
{
    free(r->curve);
    free(r->path);
    memset(r, 0, sizeof *r);
}
