/*
 * adabelief — AdaBelief (Zhuang et al., 2020, "AdaBelief Optimizer: Adapting
 * Stepsizes by the Belief in Observed Gradients", Algorithm 2), with the
 * options and defaults of the authors' adabelief-pytorch 0.2.0: decoupled
 * weight decay, RAdam-style rectification that falls back to SGD with
 * momentum early on, eps 1e-16.
 *
 *     p  *= 1 - lr * weight_decay        (decoupled; else g += weight_decay * p)
 *     m   = beta1 * m + (1 - beta1) * g
 *     s   = beta2 * s + (1 - beta2) * (g - m)^2 + eps      (eps enters s)
 *     s^  = max(s^, s)                                     (amsgrad)
 *   rectify off:  p -= lr / (1 - beta1^t) * m / (sqrt(s) / sqrt(1 - beta2^t) + eps)
 *   rectify on:   rho_t as RAdam; rho_t >= 5:
 *                 p -= lr * sqrt((1 - beta2^t) r) / (1 - beta1^t) * m / (sqrt(s) + eps)
 *                 otherwise p -= lr / (1 - beta1^t) * m
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_BETA1, HP_BETA2, HP_EPS, HP_WEIGHT_DECAY, HP_DECOUPLE, HP_RECTIFY, HP_AMSGRAD,
       HP_COUNT };

static const os_hparam adabelief_hparams[HP_COUNT] = {
    [HP_BETA1]        = OS_HP_ROW_BETA1,
    [HP_BETA2]        = { "beta2", 0.999, 0.0, 0.9999999, OS_HP_TUNABLE,
                          "decay rate of the belief (variance) estimate" },
    [HP_EPS]          = { "eps", 1e-16, 0.0, 1.0, 0,
                          "added to s each step and to the denominator" },
    [HP_WEIGHT_DECAY] = { "weight_decay", 0.0, 0.0, 1.0, OS_HP_TUNABLE,
                          "weight decay (decoupled unless weight_decouple = false)" },
    [HP_DECOUPLE]     = { "weight_decouple", 1.0, 0.0, 1.0, OS_HP_BOOL,
                          "AdamW-style decay p *= 1 - lr * weight_decay" },
    [HP_RECTIFY]      = { "rectify", 1.0, 0.0, 1.0, OS_HP_BOOL | OS_HP_TUNABLE,
                          "RAdam-style variance rectification" },
    [HP_AMSGRAD]      = { "amsgrad", 0.0, 0.0, 1.0, OS_HP_BOOL | OS_HP_TUNABLE,
                          "normalise by the running maximum of s" },
};

static size_t adabelief_state_bytes(const os_env *env)
{
    unsigned slots = env->hparams[HP_AMSGRAD] != 0.0 ? 3 : 2;
    return slots * env->layout->n * sizeof(float);
}

OS_ZERO_INIT(adabelief)

static int adabelief_step(const os_env *env, void *state, float *p, const float *grad,
                          double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const double beta1 = hp[HP_BETA1], beta2 = hp[HP_BETA2];
    const float b1 = (float)beta1, one_minus_b1 = (float)(1.0 - beta1);
    const float b2 = (float)beta2, one_minus_b2 = (float)(1.0 - beta2);
    const float eps = (float)hp[HP_EPS], wd_all = (float)hp[HP_WEIGHT_DECAY];
    const int decouple = hp[HP_DECOUPLE] != 0.0, amsgrad = hp[HP_AMSGRAD] != 0.0;
    const float shrink_all = (float)(1.0 - lr * hp[HP_WEIGHT_DECAY]);
    const double bc1 = 1.0 - pow(beta1, (double)t), beta2_t = pow(beta2, (double)t);
    const double bc2 = 1.0 - beta2_t;
    const float bc2_sqrt = (float)sqrt(bc2);
    float *m = os_slot(state, n, 0), *s = os_slot(state, n, 1);
    float *smax = amsgrad ? os_slot(state, n, 2) : NULL;

    /* 0: unrectified Adam-like step; 1: rectified; 2: SGD-with-momentum fallback */
    int mode = 0;
    float coef = (float)-(lr / bc1);
    if (hp[HP_RECTIFY] != 0.0) {
        double rho_inf, rho_t;
        os_sma_length(beta2, beta2_t, t, &rho_inf, &rho_t);
        if (rho_t >= 5.0) {
            mode = 1;
            coef = (float)(-(sqrt(bc2 * (rho_t - 4) / (rho_inf - 4) * (rho_t - 2) / rho_t *
                                  rho_inf / (rho_inf - 2)) / bc1) * lr);
        } else {
            mode = 2;
            coef = (float)(-(1.0 / bc1) * lr);
        }
    }

    for (os_span sp = { 0 }; os_next_span(env, &sp);) {
        const float wd = sp.decays ? wd_all : 0.0f;
        const float shrink = sp.decays ? shrink_all : 1.0f;
        for (size_t i = sp.begin; i < sp.end; i++) {
            float g = grad[i];
            if (decouple)
                p[i] = p[i] * shrink;
            else if (wd != 0.0f)
                g = g + wd * p[i];
            m[i] = m[i] * b1 + one_minus_b1 * g;
            float r = g - m[i];
            s[i] = s[i] * b2 + one_minus_b2 * r * r;
            s[i] = s[i] + eps;
            float second = s[i];
            if (amsgrad) {
                smax[i] = fmaxf(smax[i], s[i]);
                second = smax[i];
            }
            if (mode == 0)
                p[i] = p[i] + coef * m[i] / (sqrtf(second) / bc2_sqrt + eps);
            else if (mode == 1)
                p[i] = p[i] + coef * m[i] / (sqrtf(s[i]) + eps);
            else
                p[i] = p[i] + coef * m[i];
        }
    }
    return OS_OK;
}

static const os_optimizer adabelief = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "adabelief",
    .summary = "AdaBelief, Adam by the belief in observed gradients (Zhuang et al. 2020)",
    .default_lr = 1e-3,
    .n_hparams = HP_COUNT,
    .hparams = adabelief_hparams,
    .state_bytes = adabelief_state_bytes,
    .init = adabelief_init,
    .step = adabelief_step,
};

OS_EXPORT_OPTIMIZERS(&adabelief)
