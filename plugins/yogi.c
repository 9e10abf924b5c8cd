/*
 * yogi — Yogi (Zaheer et al., 2018, "Adaptive Methods for Nonconvex
 * Optimization", Algorithm 2), with the initialisation and defaults of the
 * authors' TensorFlow Addons implementation (moments start at 1e-6, eps 1e-3):
 *
 *     g  = grad + weight_decay * p
 *     m  = beta1 * m + (1 - beta1) * g
 *     v  = v - (1 - beta2) * sign(v - g^2) * g^2     (additive, not multiplicative)
 *     p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 */
#include <math.h>
#include "plugin_util.h"

enum { HP_BETA1, HP_BETA2, HP_EPS, HP_INITIAL, HP_WEIGHT_DECAY, HP_COUNT };

static const os_hparam yogi_hparams[HP_COUNT] = {
    [HP_BETA1]        = OS_HP_ROW_BETA1,
    [HP_BETA2]        = { "beta2", 0.999, 0.0, 0.9999999, OS_HP_TUNABLE,
                          "rate of the additive second-moment update" },
    [HP_EPS]          = { "eps", 1e-3, 0.0, 1.0, OS_HP_TUNABLE,
                          "added to the denominator; Yogi's is large by design" },
    [HP_INITIAL]      = { "initial_accumulator", 1e-6, 0.0, 1.0, 0,
                          "starting value of both moments" },
    [HP_WEIGHT_DECAY] = OS_HP_ROW_L2_DECAY,
};

static size_t yogi_state_bytes(const os_env *env)
{
    return 2 * env->layout->n * sizeof(float);
}

static int yogi_init(const os_env *env, void *state, const float *params)
{
    float *s = state;
    const float init = (float)env->hparams[HP_INITIAL];
    for (size_t i = 0; i < 2 * env->layout->n; i++)
        s[i] = init;
    return OS_OK;
}

OS_VECTORISED
static int yogi_step(const os_env *env, void *state, float *p, const float *grad,
                     double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const float b1 = (float)hp[HP_BETA1], one_minus_b1 = (float)(1.0 - hp[HP_BETA1]);
    const float neg_one_minus_b2 = (float)-(1.0 - hp[HP_BETA2]);
    const float eps = (float)hp[HP_EPS], wd_all = (float)hp[HP_WEIGHT_DECAY];
    const float bc2_sqrt = (float)sqrt(1.0 - pow(hp[HP_BETA2], (double)t));
    const float neg_step = (float)-(lr / (1.0 - pow(hp[HP_BETA1], (double)t)));
    float *m = os_slot(state, n, 0), *v = os_slot(state, n, 1);

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const float wd = os_span_decay(&r, wd_all);
        for (size_t i = r.begin; i < r.end; i++) {
            float g = os_l2_grad(grad[i], p[i], wd);
            m[i] = m[i] * b1 + one_minus_b1 * g;
            float g2 = g * g, d = v[i] - g2;
            float sign = (float)((d > 0.0f) - (d < 0.0f));
            v[i] = v[i] + neg_one_minus_b2 * sign * g2;
            p[i] = p[i] + neg_step * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
        }
    }
    return OS_OK;
}

static const os_optimizer yogi = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "yogi",
    .summary = "Yogi, Adam with an additive second-moment update (Zaheer et al. 2018)",
    .default_lr = 1e-2,
    .n_hparams = HP_COUNT,
    .hparams = yogi_hparams,
    .state_bytes = yogi_state_bytes,
    .init = yogi_init,
    .step = yogi_step,
};

OS_EXPORT_OPTIMIZERS(&yogi)
