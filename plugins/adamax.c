/*
 * adamax — Adamax, Adam with the infinity norm (Kingma & Ba, 2015, section
 * 7.1), exactly as torch.optim.Adamax (PyTorch 1.13, _single_tensor_adamax):
 *
 *     g  = grad + weight_decay * p
 *     m  = beta1 * m + (1 - beta1) * g
 *     u  = max(beta2 * u, |g| + eps)
 *     p -= lr / (1 - beta1^t) * m / u
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_BETA1, HP_BETA2, HP_EPS, HP_WEIGHT_DECAY, HP_COUNT };

static const os_hparam adamax_hparams[HP_COUNT] = {
    [HP_BETA1]        = OS_HP_ROW_BETA1,
    [HP_BETA2]        = { "beta2", 0.999, 0.0, 0.9999999, OS_HP_TUNABLE,
                          "decay rate of the infinity-norm estimate" },
    [HP_EPS]          = { "eps", 1e-8, 0.0, 1.0, 0,
                          "added to |g| so the norm is never zero" },
    [HP_WEIGHT_DECAY] = OS_HP_ROW_L2_DECAY,
};

OS_ZEROED_SLOTS(adamax, 2)

/* One pass; decay is a constant at each call, so both loops vectorise. */
static inline __attribute__((always_inline)) void
adamax_pass(size_t n, float *restrict p, const float *restrict grad, float *restrict m,
            float *restrict u, float b1, float one_minus_b1, float b2, float eps, float wd,
            float neg_clr, const int decay)
{
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        if (decay)
            g = g + wd * p[i];
        m[i] = m[i] * b1 + one_minus_b1 * g;
        /* fmaxf(u b2, |g| + eps), with fmaxf's answer when u b2 is NaN */
        float decayed = u[i] * b2, fresh = fabsf(g) + eps;
        u[i] = decayed > fresh || fresh != fresh ? decayed : fresh;
        p[i] = p[i] + neg_clr * m[i] / u[i];
    }
}

OS_VECTORISED
static int adamax_step(const os_env *env, void *state, float *p, const float *grad,
                       double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const float b1 = (float)hp[HP_BETA1], one_minus_b1 = (float)(1.0 - hp[HP_BETA1]);
    const float b2 = (float)hp[HP_BETA2];
    const float eps = (float)hp[HP_EPS], wd = (float)hp[HP_WEIGHT_DECAY];
    const float neg_clr = (float)-(lr / (1.0 - pow(hp[HP_BETA1], (double)t)));
    float *m = os_slot(state, n, 0), *u = os_slot(state, n, 1);

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const size_t b = r.begin, len = r.end - r.begin;
        if (wd != 0.0f && r.decays)
            adamax_pass(len, p + b, grad + b, m + b, u + b, b1, one_minus_b1, b2, eps, wd,
                        neg_clr, 1);
        else
            adamax_pass(len, p + b, grad + b, m + b, u + b, b1, one_minus_b1, b2, eps, wd,
                        neg_clr, 0);
    }
    return OS_OK;
}

static const os_optimizer adamax = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "adamax",
    .summary = "Adamax, Adam with the infinity norm (torch.optim.Adamax; Kingma & Ba 2015)",
    .default_lr = 2e-3,
    .n_hparams = HP_COUNT,
    .hparams = adamax_hparams,
    .state_bytes = adamax_state_bytes,
    .init = adamax_init,
    .step = adamax_step,
};

OS_EXPORT_OPTIMIZERS(&adamax)
