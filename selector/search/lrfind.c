/* lrfind.c — see lrfind.h. */
#include <math.h>
#include <stdlib.h>
#include "lrfind.h"
#include "registry.h"
#include "study_config.h"
#include "util.h"

#define SWEEP_STEPS 200
#define SWEEP_LO    1e-4   /* times the optimizer's default rate */
#define SWEEP_HI    1e3

#define DIVERGE_FACTOR 4.0

os_lrfind os_lrfind_run(os_lrfind_step_fn step, void *ctx, double lo, double hi, size_t steps,
                        double beta)
{
    os_lrfind r = { .best_lr = lo, .diverge_lr = hi, .lo = lo, .hi = hi };
    double ema = 0, beta_t = 1, best = INFINITY, first = NAN;
    const double ratio = steps > 1 ? pow(hi / lo, 1.0 / (double)(steps - 1)) : 1.0;
    double lr = lo;
    for (size_t i = 0; i < steps; i++, lr *= ratio) {
        double loss = step(ctx, lr);
        r.steps = i + 1;
        if (!isfinite(loss)) {
            r.diverge_lr = lr;
            break;
        }
        ema = beta * ema + (1 - beta) * loss;
        beta_t *= beta;
        double smooth = ema / (1 - beta_t);
        if (i == 0)
            first = smooth;
        if (r.n_curve < OS_LRFIND_MAX_POINTS) {
            r.curve_lr[r.n_curve] = lr;
            r.curve_loss[r.n_curve++] = smooth;
        }
        if (smooth < best) {
            best = smooth;
            r.best_lr = lr;
        }
        if (smooth > DIVERGE_FACTOR * best) {
            r.diverge_lr = lr;
            break;
        }
    }
    /* the smoothed curve lags the rate that caused it by about 1/(1-beta)
     * steps: the lowest loss was reached at an earlier, smaller rate */
    double lag = pow(ratio, 1.0 / (1.0 - beta));
    r.best_lr /= lag;
    if (r.best_lr < lo)
        r.best_lr = lo;
    r.ok = isfinite(best) && best < first;
    r.hi = r.best_lr;
    r.lo = r.best_lr / 30.0;
    return r;
}

/* One optimizer on the study's network or test function, stepped at
 * whatever rate the sweep asks for. */
typedef struct sweep {
    const os_lrfind_on *s;
    const os_optimizer *opt;
    os_env              oenv;
    void               *state;
    os_workspace        ws;
    os_batcher          batcher;
    float              *targets;
    float               p[2];
    uint64_t            t;
} sweep;

static double sweep_step(void *ctx, double lr)
{
    sweep *w = ctx;
    const os_lrfind_on *s = w->s;
    double loss;
    int rc;
    if (s->fn) {
        double pd[2] = { w->p[0], w->p[1] }, gd[2];
        loss = s->fn->eval(pd, gd);
        float g[2] = { (float)gd[0], (float)gd[1] };
        rc = isfinite(loss) ? w->opt->step(&w->oenv, w->state, w->p, g, lr, ++w->t) : OS_OK;
    } else {
        os_batcher_next(&w->batcher, w->ws.act[0], w->targets);
        loss = os_model_forward(s->model, &w->ws, w->ws.act[0], w->targets,
                                s->batch_size, 1, NULL);
        rc = isfinite(loss) ? w->opt->step(&w->oenv, w->state, w->ws.params, w->ws.grads, lr,
                                           ++w->t) : OS_OK;
    }
    return rc == OS_OK ? loss : NAN;
}

int os_lrfind_optimizer(const os_lrfind_on *s, const os_opt_config *o, os_lr_spec *lr,
                        os_lrfind *out, os_error *err)
{
    sweep w = { .s = s, .opt = o->entry->opt };
    double hp[OS_MAX_HP];
    for (size_t h = 0; h < w.opt->n_hparams; h++)
        hp[h] = o->hp[h][0];
    char msg[200] = "";
    os_rng rng;
    os_rng_seed(&rng, s->seed, OS_STREAM_TRIAL);
    int rc = 0;
    if (s->fn) {
        w.p[0] = (float)s->start[0];
        w.p[1] = (float)s->start[1];
        w.oenv = os_plugin_env(s->fn_layout, hp, msg, sizeof msg);
    } else {
        w.targets = malloc(s->batch_size * sizeof *w.targets);
        if (!w.targets || os_workspace_init(&w.ws, s->model, s->batch_size)) {
            free(w.targets);
            return os_error_set(err, OS_ERR_NOMEM, "out of memory for the range test");
        }
        os_model_init_params(s->model, w.ws.params, &rng);
        if (os_batcher_init(&w.batcher, &s->data->train, s->data->subset, s->data->n_subset,
                            s->batch_size, &rng))
            rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for the range test");
        w.oenv = os_plugin_env(&s->model->layout, hp, msg, sizeof msg);
        w.oenv.decays = s->decays;
    }
    if (!rc && !(w.state = os_alloc_aligned(w.opt->state_bytes(&w.oenv))))
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for the range test");
    if (!rc && w.opt->init(&w.oenv, w.state, s->fn ? w.p : w.ws.params) != OS_OK) {
        out->ok = 0; /* the trials will report the failure */
    } else if (!rc) {
        double base = w.opt->default_lr;
        *out = os_lrfind_run(sweep_step, &w, base * SWEEP_LO, base * SWEEP_HI, SWEEP_STEPS,
                             s->smoothing);
    }
    if (!rc && out->ok) {
        size_t n = (size_t)lr->points;
        for (size_t i = 0; i < n; i++) {
            double f = n == 1 ? 1.0 : (double)i / (double)(n - 1);
            double v = out->lo * pow(out->hi / out->lo, f);
            double scale = pow(10.0, floor(log10(v)) - 3);
            lr->lr[i] = round(v / scale) * scale;
        }
        lr->n_lr = n;
    }
    lr->autotune = 0; /* resolved: a list, or the range as a fallback */
    os_free_aligned(w.state);
    if (!s->fn) {
        os_batcher_free(&w.batcher);
        os_workspace_free(&w.ws);
        free(w.targets);
    }
    return rc;
}
