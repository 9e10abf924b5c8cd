/*
 * adan — Adan, adaptive Nesterov momentum (Xie et al., 2022, "Adan: Adaptive
 * Nesterov Momentum Algorithm for Faster Optimizing Deep Models",
 * Algorithm 1), as the authors' sail-sg/Adan adan.py computes it (its betas
 * are the averaging weights, (0.98, 0.92, 0.99); the paper writes 1 - beta):
 *
 *     d  = g - g_prev                (0 on the first step)
 *     m  = beta1 * m + (1 - beta1) * g
 *     v  = beta2 * v + (1 - beta2) * d
 *     n  = beta3 * n + (1 - beta3) * (g + beta2 * d)^2
 *     q  = sqrt(n) / sqrt(1 - beta3^t) + eps
 *     p -= lr / (1 - beta1^t) * m / q + lr * beta2 / (1 - beta2^t) * v / q
 *     p /= 1 + lr * weight_decay     (proximal decay; no_prox: p *= 1 - lr * wd first)
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_BETA1, HP_BETA2, HP_BETA3, HP_EPS, HP_WEIGHT_DECAY, HP_NO_PROX, HP_COUNT };

static const os_hparam adan_hparams[HP_COUNT] = {
    [HP_BETA1]        = { "beta1", 0.98, 0.0, 0.9999999, OS_HP_TUNABLE,
                          "averaging weight of the gradient" },
    [HP_BETA2]        = { "beta2", 0.92, 0.0, 0.9999999, OS_HP_TUNABLE,
                          "averaging weight of the gradient difference" },
    [HP_BETA3]        = { "beta3", 0.99, 0.0, 0.9999999, OS_HP_TUNABLE,
                          "averaging weight of the squared Nesterov gradient" },
    [HP_EPS]          = OS_HP_ROW_EPS(1e-8),
    [HP_WEIGHT_DECAY] = { "weight_decay", 0.0, 0.0, 1.0, OS_HP_TUNABLE,
                          "decoupled weight decay (the paper uses 0.02)" },
    [HP_NO_PROX]      = { "no_prox", 0.0, 0.0, 1.0, OS_HP_BOOL,
                          "decay as p *= 1 - lr * wd instead of the proximal p /= 1 + lr * wd" },
};

/* m, v (gradient differences), n, and the previous gradient. */
OS_ZEROED_SLOTS(adan, 4)

static int adan_step(const os_env *env, void *state, float *p, const float *grad,
                     double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const double beta1 = hp[HP_BETA1], beta2 = hp[HP_BETA2], beta3 = hp[HP_BETA3];
    const float b1 = (float)beta1, one_minus_b1 = (float)(1.0 - beta1);
    const float b2 = (float)beta2, one_minus_b2 = (float)(1.0 - beta2);
    const float b3 = (float)beta3, one_minus_b3 = (float)(1.0 - beta3);
    const float eps = (float)hp[HP_EPS];
    const float bc3_sqrt = (float)sqrt(1.0 - pow(beta3, (double)t));
    const float neg_step = (float)-(lr / (1.0 - pow(beta1, (double)t)));
    const float neg_step_diff = (float)-(lr * beta2 / (1.0 - pow(beta2, (double)t)));
    const int no_prox = hp[HP_NO_PROX] != 0.0;
    const float shrink_all = (float)(1.0 - lr * hp[HP_WEIGHT_DECAY]);
    const float prox_all = (float)(1.0 + lr * hp[HP_WEIGHT_DECAY]);
    float *m = os_slot(state, n, 0), *v = os_slot(state, n, 1);
    float *nn = os_slot(state, n, 2), *prev = os_slot(state, n, 3);

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const float shrink = r.decays ? shrink_all : 1.0f;
        const float prox = r.decays ? prox_all : 1.0f;
        for (size_t i = r.begin; i < r.end; i++) {
            float g = grad[i];
            float d = t == 1 ? 0.0f : g - prev[i];
            m[i] = m[i] * b1 + one_minus_b1 * g;
            v[i] = v[i] * b2 + one_minus_b2 * d;
            float nest = d * b2 + g;
            nn[i] = nn[i] * b3 + one_minus_b3 * nest * nest;
            float denom = sqrtf(nn[i]) / bc3_sqrt + eps;
            if (no_prox)
                p[i] = p[i] * shrink;
            p[i] = p[i] + neg_step * m[i] / denom;
            p[i] = p[i] + neg_step_diff * v[i] / denom;
            if (!no_prox)
                p[i] = p[i] / prox;
            prev[i] = g;
        }
    }
    return OS_OK;
}

static const os_optimizer adan = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "adan",
    .summary = "Adan, adaptive Nesterov momentum (Xie et al. 2022)",
    .default_lr = 1e-3,
    .n_hparams = HP_COUNT,
    .hparams = adan_hparams,
    .state_bytes = adan_state_bytes,
    .init = adan_init,
    .step = adan_step,
};

OS_EXPORT_OPTIMIZERS(&adan)
