/*
 * trial.c — the training loop.  Everything a step touches is allocated
 * before the first step; the loop itself allocates nothing.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Whether the trial has used up its time limit (never without one). */
static int out_of_time(const os_trial_env *env, double start)
{
    return env->timeout > 0 && now() - start > env->timeout;
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

static void stop(os_trial_result *r, os_trial_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stop(os_trial_result *r, os_trial_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->status = status;
}

/* A test function: the parameters are the point, the loss is the value.
 * Seed 0 starts at the configured point, others jittered around it. */
static int run_function(const os_trial_env *env, const os_candidate *c, os_trial_result *r,
                        os_error *err)
{
    const os_optimizer *opt = c->opt->entry->opt;
    float p[2], g[2];
    double pd[2], gd[2];
    os_rng rng;
    os_rng_seed(&rng, env->seed, OS_STREAM_TRIAL + c->seed_index);
    for (int i = 0; i < 2; i++)
        p[i] = (float)(env->start[i] + (c->seed_index ? 0.1 * os_rng_normal(&rng) : 0.0));
    size_t max_points = (size_t)(env->steps / env->eval_every) + 2;
    char msg[200] = "";
    os_env oenv = { env->fn_layout, c->hp, msg, sizeof msg };
    size_t bytes = opt->state_bytes(&oenv);
    void *state = os_alloc_aligned(bytes);
    r->curve = calloc(max_points, sizeof *r->curve);
    r->path = malloc(2 * (env->steps + 1) * sizeof *r->path);
    if (!state || !r->curve || !r->path) {
        os_free_aligned(state);
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
    }
    int orc = opt->init(&oenv, state, p);
    double value = 0, start = now();
    for (uint64_t t = 0; orc == OS_OK; t++) {
        pd[0] = p[0], pd[1] = p[1];
        value = env->fn->eval(pd, gd);
        r->path[2 * r->n_path] = p[0];
        r->path[2 * r->n_path + 1] = p[1];
        r->n_path++;
        r->steps = t;
        if (t % env->eval_every == 0 || t == env->steps)
            r->curve[r->n_curve++] = (os_curve_point){ t, value, value, NAN };
        if (!isfinite(value) || fabs(p[0]) > 1e6 || fabs(p[1]) > 1e6) {
            stop(r, OS_TRIAL_DIVERGED, "left the plane at step %llu (value %g)",
                 (unsigned long long)t, value);
            break;
        }
        if (t == env->steps) {
            r->status = OS_TRIAL_OK;
            r->score = value;
            break;
        }
        if (os_trial_should_stop(env)) {
            stop(r, OS_TRIAL_INTERRUPTED, "interrupted at step %llu", (unsigned long long)t);
            break;
        }
        if (out_of_time(env, start)) {
            stop(r, OS_TRIAL_FAILED, "timed out: still running after trial_timeout = %g s "
                 "(step %llu)", env->timeout, (unsigned long long)t);
            break;
        }
        g[0] = (float)gd[0], g[1] = (float)gd[1];
        orc = opt->step(&oenv, state, p, g, c->lr, t + 1);
    }
    if (orc != OS_OK)
        stop(r, OS_TRIAL_FAILED, "%s failed (code %d): %s", opt->label, orc, msg);
    os_free_aligned(state);
    return 0;
}

int os_trial_run(const os_trial_env *env, const os_candidate *c, os_trial_result *r,
                 os_error *err)
{
    const os_model *m = env->model;
    const os_optimizer *opt = c->opt->entry->opt;
    memset(r, 0, sizeof *r);
    r->score = INFINITY;
    r->test_loss = r->test_acc = NAN;
    if (c->opt->entry->refused) {
        stop(r, OS_TRIAL_FAILED, "plugin refused: %s", c->opt->entry->refused);
        return 0;
    }
    if (env->fn)
        return run_function(env, c, r, err);

    size_t max_batch = env->batch_size > EVAL_CHUNK ? env->batch_size : EVAL_CHUNK;
    size_t max_points = (size_t)(env->steps / env->eval_every) + 2;
    os_workspace ws;
    os_batcher batcher = { 0 };
    void *state = NULL;
    eval_point ep = { os_optimizer_eval_params(opt), NULL, NULL, NULL };
    int rc = 0;
    r->curve = calloc(max_points, sizeof *r->curve);
    float *targets = malloc(env->batch_size * sizeof *targets);
    if (os_workspace_init(&ws, m, max_batch) || !r->curve || !targets) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
        goto done;
    }

    /* Same seed index, same initial weights and batch order for every
     * optimizer: differences between candidates are the optimizers'. */
    os_rng rng;
    os_rng_seed(&rng, env->seed, OS_STREAM_TRIAL + c->seed_index);
    os_model_init_params(m, ws.params, &rng);
    if (os_batcher_init(&batcher, &env->data->train, env->data->subset, env->data->n_subset,
                        env->batch_size, &rng)) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
        goto done;
    }

    char msg[200] = "";
    os_env oenv = { &m->layout, c->hp, msg, sizeof msg };
    size_t state_bytes = opt->state_bytes(&oenv);
    state = os_alloc_aligned(state_bytes);
    if (!state) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu bytes of %s state",
                          state_bytes, opt->label);
        goto done;
    }
    if (ep.fn && !(ep.buf = os_alloc_aligned(m->layout.n * sizeof(float)))) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for a trial");
        goto done;
    }
    ep.env = &oenv;
    ep.state = state;
    int orc = opt->init(&oenv, state, ws.params);
    if (orc != OS_OK) {
        stop(r, OS_TRIAL_FAILED, "%s init failed (code %d): %s", opt->label, orc, msg);
        goto done;
    }

    os_curve_point *pt = &r->curve[r->n_curve++];
    pt->step = 0;
    pt->train_loss = NAN;
    if ((orc = evaluate(m, &ws, &env->data->val, &ep, &pt->val_loss, &pt->val_acc))) {
        stop(r, OS_TRIAL_FAILED, "%s eval_params failed (code %d): %s", opt->label, orc, msg);
        goto done;
    }
    const double limit = env->diverge_factor * fmax(pt->val_loss, 1e-12);
    if (!isfinite(pt->val_loss)) {
        stop(r, OS_TRIAL_DIVERGED, "initial validation loss is %g", pt->val_loss);
        goto done;
    }

    const double beta = env->smoothing;
    double ema = 0.0, beta_t = 1.0, start = now();
    for (uint64_t t = 1; t <= env->steps; t++) {
        if (os_trial_should_stop(env)) {
            stop(r, OS_TRIAL_INTERRUPTED, "interrupted at step %llu",
                 (unsigned long long)(t - 1));
            goto done;
        }
        if (out_of_time(env, start)) {
            stop(r, OS_TRIAL_FAILED, "timed out: still running after trial_timeout = %g s "
                 "(step %llu)", env->timeout, (unsigned long long)(t - 1));
            goto done;
        }
        os_batcher_next(&batcher, ws.act[0], targets);
        double loss = os_model_forward(m, &ws, ws.act[0], targets, env->batch_size, 1, NULL);
        r->steps = t - 1;
        if (!isfinite(loss)) {
            stop(r, OS_TRIAL_DIVERGED, "training loss became %g at step %llu", loss,
                 (unsigned long long)t);
            goto done;
        }
        ema = beta * ema + (1.0 - beta) * loss;
        beta_t *= beta;
        double smooth = ema / (1.0 - beta_t);
        if (smooth > limit) {
            stop(r, OS_TRIAL_DIVERGED, "smoothed training loss %.4g exceeded %.4g at step %llu",
                 smooth, limit, (unsigned long long)t);
            goto done;
        }
        orc = opt->step(&oenv, state, ws.params, ws.grads, c->lr, t);
        if (orc != OS_OK) {
            stop(r, OS_TRIAL_FAILED, "%s step %llu failed (code %d): %s", opt->label,
                 (unsigned long long)t, orc, msg);
            goto done;
        }
        r->steps = t;
        if (t % env->eval_every == 0 || t == env->steps) {
            pt = &r->curve[r->n_curve++];
            pt->step = t;
            pt->train_loss = smooth;
            if ((orc = evaluate(m, &ws, &env->data->val, &ep, &pt->val_loss, &pt->val_acc))) {
                stop(r, OS_TRIAL_FAILED, "%s eval_params failed at step %llu (code %d): %s",
                     opt->label, (unsigned long long)t, orc, msg);
                goto done;
            }
            if (!(pt->val_loss <= limit)) {
                stop(r, OS_TRIAL_DIVERGED, "validation loss %.4g exceeded %.4g at step %llu",
                     pt->val_loss, limit, (unsigned long long)t);
                goto done;
            }
        }
    }
    /* The test set is measured once, at the end, and never consulted for
     * ranking: it tells the user what the recommendation is worth. */
    if (env->test && (orc = evaluate(m, &ws, env->test, &ep, &r->test_loss, &r->test_acc))) {
        stop(r, OS_TRIAL_FAILED, "%s eval_params failed (code %d): %s", opt->label, orc, msg);
        goto done;
    }
    r->status = OS_TRIAL_OK;
    r->score = r->curve[r->n_curve - 1].val_loss;
done:
    os_free_aligned(ep.buf);
    os_free_aligned(state);
    os_batcher_free(&batcher);
    os_workspace_free(&ws);
    free(targets);
    return rc;
}

void os_trial_result_free(os_trial_result *r)
{
    free(r->curve);
    free(r->path);
    memset(r, 0, sizeof *r);
}
