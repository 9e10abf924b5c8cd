/*
 * adam — the Adam family, exactly as torch.optim (PyTorch 1.13, the
 * _single_tensor_* CPU paths):
 *
 *   adam   Adam (Kingma & Ba, 2015) with optional AMSGrad (Reddi et al.,
 *          2018) and L2 weight decay added to the gradient (torch.optim.Adam);
 *   adamw  the same with decoupled weight decay (Loshchilov & Hutter, 2019),
 *          p *= 1 - lr * weight_decay before the update (torch.optim.AdamW).
 *
 *     g  = grad + weight_decay * p          (adam; adamw decays p instead)
 *     m  = beta1 * m + (1 - beta1) * g
 *     v  = beta2 * v + (1 - beta2) * g^2
 *     vm = max(vm, v)                       (amsgrad only; used instead of v)
 *     p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *
 * The bias corrections are computed in double, as Python does, and applied
 * in float, as torch's kernels do.
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_BETA1, HP_BETA2, HP_EPS, HP_WEIGHT_DECAY, HP_AMSGRAD, HP_COUNT };

#define ADAM_HPARAMS(decay_default, decay_help)                                 \
    [HP_BETA1]        = { "beta1", 0.9, 0.0, 0.9999999, OS_HP_TUNABLE,          \
                          "decay rate of the first-moment (mean) estimate" },   \
    [HP_BETA2]        = { "beta2", 0.999, 0.0, 0.9999999, OS_HP_TUNABLE,        \
                          "decay rate of the second-moment estimate" },         \
    [HP_EPS]          = { "eps", 1e-8, 0.0, 1.0, 0,                             \
                          "added to the denominator for numerical stability" }, \
    [HP_WEIGHT_DECAY] = { "weight_decay", decay_default, 0.0, 1.0, OS_HP_TUNABLE, \
                          decay_help },                                         \
    [HP_AMSGRAD]      = { "amsgrad", 0.0, 0.0, 1.0, OS_HP_BOOL | OS_HP_TUNABLE, \
                          "normalise by the running maximum of v (AMSGrad)" }

static const os_hparam adam_hparams[HP_COUNT] = {
    ADAM_HPARAMS(0.0, "L2 penalty added to the gradient (coupled)"),
};

static const os_hparam adamw_hparams[HP_COUNT] = {
    ADAM_HPARAMS(1e-2, "decoupled decay: p *= 1 - lr * weight_decay each step"),
};

static size_t adam_state_bytes(const os_env *env)
{
    unsigned slots = env->hparams[HP_AMSGRAD] != 0.0 ? 3 : 2;
    return slots * env->layout->n * sizeof(float);
}

OS_ZERO_INIT(adam)

/* One pass over the parameters.  The flags are compile-time constants at
 * every call below, so each combination becomes its own branch-free loop
 * that the compiler vectorises (a test inside the loop would stop it). */
static inline __attribute__((always_inline)) void
adam_pass(size_t n, float *restrict p, const float *restrict grad, float *restrict m,
          float *restrict v, float *restrict vmax, float b1, float b2, float one_minus_b1,
          float one_minus_b2, float wd, float shrink, float bc2_sqrt, float eps, float neg_step,
          const int decoupled, const int coupled, const int amsgrad)
{
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        if (decoupled)
            p[i] = p[i] * shrink;
        else if (coupled)
            g = g + wd * p[i];
        m[i] = m[i] * b1 + one_minus_b1 * g;
        v[i] = v[i] * b2 + one_minus_b2 * (g * g);
        float second = v[i];
        if (amsgrad) {
            vmax[i] = v[i] > vmax[i] ? v[i] : vmax[i]; /* fmaxf while vmax is a number */
            second = vmax[i];
        }
        float denom = sqrtf(second) / bc2_sqrt + eps;
        p[i] = p[i] + neg_step * m[i] / denom; /* addcdiv: (value * m) / denom */
    }
}

OS_VECTORISED
static int adam_update(const os_env *env, void *state, float *p, const float *grad,
                       double lr, uint64_t t, int decoupled)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const double beta1 = hp[HP_BETA1], beta2 = hp[HP_BETA2];
    const float b1 = (float)beta1, b2 = (float)beta2;
    const float one_minus_b1 = (float)(1.0 - beta1), one_minus_b2 = (float)(1.0 - beta2);
    const float eps = (float)hp[HP_EPS];
    const float wd = (float)hp[HP_WEIGHT_DECAY];
    const int amsgrad = hp[HP_AMSGRAD] != 0.0, coupled = !decoupled && wd != 0.0f;
    const double bc1 = 1.0 - pow(beta1, (double)t);
    const float bc2_sqrt = (float)sqrt(1.0 - pow(beta2, (double)t));
    const float neg_step = (float)-(lr / bc1);
    float *m = os_slot(state, n, 0), *v = os_slot(state, n, 1);
    float *vmax = amsgrad ? os_slot(state, n, 2) : NULL;
    const float shrink = (float)(1.0 - lr * hp[HP_WEIGHT_DECAY]);

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const size_t b = r.begin, len = r.end - r.begin;
        float *vmax_r = vmax ? vmax + b : NULL;
        /* a tensor without decay takes the plain update, whichever kind */
        const int dec = decoupled && r.decays, coup = coupled && r.decays;
#define PASS(d, c, a) adam_pass(len, p + b, grad + b, m + b, v + b, vmax_r, b1, b2, one_minus_b1, \
                                one_minus_b2, wd, shrink, bc2_sqrt, eps, neg_step, d, c, a)
        if (amsgrad)
            dec ? PASS(1, 0, 1) : coup ? PASS(0, 1, 1) : PASS(0, 0, 1);
        else
            dec ? PASS(1, 0, 0) : coup ? PASS(0, 1, 0) : PASS(0, 0, 0);
#undef PASS
    }
    return OS_OK;
}

static int adam_step(const os_env *env, void *state, float *p, const float *grad,
                     double lr, uint64_t t)
{
    return adam_update(env, state, p, grad, lr, t, 0);
}

static int adamw_step(const os_env *env, void *state, float *p, const float *grad,
                      double lr, uint64_t t)
{
    return adam_update(env, state, p, grad, lr, t, 1);
}

static const os_optimizer adam = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "adam",
    .summary = "Adam / AMSGrad with L2 decay (torch.optim.Adam; Kingma & Ba 2015)",
    .default_lr = 1e-3,
    .n_hparams = HP_COUNT,
    .hparams = adam_hparams,
    .check = NULL,
    .state_bytes = adam_state_bytes,
    .init = adam_init,
    .step = adam_step,
};

static const os_optimizer adamw = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "adamw",
    .summary = "AdamW: Adam with decoupled weight decay (torch.optim.AdamW; Loshchilov & Hutter 2019)",
    .default_lr = 1e-3,
    .n_hparams = HP_COUNT,
    .hparams = adamw_hparams,
    .check = NULL,
    .state_bytes = adam_state_bytes,
    .init = adam_init,
    .step = adamw_step,
};

OS_EXPORT_OPTIMIZERS(&adam, &adamw)
