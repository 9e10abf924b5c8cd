/*
 * nadam — Adam with Nesterov momentum (Dozat, 2016) and its momentum
 * schedule, exactly as torch.optim.NAdam (PyTorch 1.13, _single_tensor_nadam):
 *
 *     g     = grad + weight_decay * p
 *     mu_t  = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))
 *     P_t   = prod_{k<=t} mu_k          (a float32 scalar in torch's state)
 *     m     = beta1 * m + (1 - beta1) * g
 *     v     = beta2 * v + (1 - beta2) * g^2
 *     d     = sqrt(v / (1 - beta2^t)) + eps
 *     p    -= lr (1 - mu_t) / (1 - P_t) * g / d
 *     p    -= lr mu_{t+1} / (1 - P_t mu_{t+1}) * m / d
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_BETA1, HP_BETA2, HP_EPS, HP_WEIGHT_DECAY, HP_MOMENTUM_DECAY, HP_COUNT };

static const os_hparam nadam_hparams[HP_COUNT] = {
    [HP_BETA1]          = OS_HP_ROW_BETA1,
    [HP_BETA2]          = OS_HP_ROW_BETA2,
    [HP_EPS]            = OS_HP_ROW_EPS(1e-8),
    [HP_WEIGHT_DECAY]   = OS_HP_ROW_L2_DECAY,
    [HP_MOMENTUM_DECAY] = { "momentum_decay", 4e-3, 0.0, 1.0, OS_HP_TUNABLE,
                            "rate of the momentum schedule mu_t" },
};

/* m, v, then one float: the running product of mu (kept in float, as torch). */
static size_t nadam_state_bytes(const os_env *env)
{
    return (2 * env->layout->n + 1) * sizeof(float);
}

static int nadam_init(const os_env *env, void *state, const float *params)
{
    memset(state, 0, nadam_state_bytes(env));
    os_slot(state, env->layout->n, 2)[0] = 1.0f;
    return OS_OK;
}

OS_VECTORISED
static int nadam_step(const os_env *env, void *state, float *p, const float *grad,
                      double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const double beta1 = hp[HP_BETA1], psi = hp[HP_MOMENTUM_DECAY];
    const float b1 = (float)beta1, one_minus_b1 = (float)(1.0 - beta1);
    const float b2 = (float)hp[HP_BETA2], one_minus_b2 = (float)(1.0 - hp[HP_BETA2]);
    const float eps = (float)hp[HP_EPS], wd_all = (float)hp[HP_WEIGHT_DECAY];
    const float bc2 = (float)(1.0 - pow(hp[HP_BETA2], (double)t));
    float *m = os_slot(state, n, 0), *v = os_slot(state, n, 1);
    float *mu_product = os_slot(state, n, 2);

    const double mu = beta1 * (1.0 - 0.5 * pow(0.96, (double)t * psi));
    const double mu_next = beta1 * (1.0 - 0.5 * pow(0.96, (double)(t + 1) * psi));
    *mu_product = *mu_product * (float)mu;
    const float mu_product_next = *mu_product * (float)mu * (float)mu_next;
    const float coef_g = (float)(-lr * (1.0 - mu) / (1.0 - (double)*mu_product));
    const float coef_m = (float)(-lr * mu_next / (1.0 - (double)mu_product_next));

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const float wd = os_span_decay(&r, wd_all);
        for (size_t i = r.begin; i < r.end; i++) {
            float g = os_l2_grad(grad[i], p[i], wd);
            m[i] = m[i] * b1 + one_minus_b1 * g;
            v[i] = v[i] * b2 + one_minus_b2 * g * g;
            float denom = sqrtf(v[i] / bc2) + eps;
            p[i] = p[i] + coef_g * g / denom;
            p[i] = p[i] + coef_m * m[i] / denom;
        }
    }
    return OS_OK;
}

static const os_optimizer nadam = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "nadam",
    .summary = "NAdam: Adam with Nesterov momentum (torch.optim.NAdam; Dozat 2016)",
    .default_lr = 2e-3,
    .n_hparams = HP_COUNT,
    .hparams = nadam_hparams,
    .state_bytes = nadam_state_bytes,
    .init = nadam_init,
    .step = nadam_step,
};

OS_EXPORT_OPTIMIZERS(&nadam)
