/*
 * radam — Rectified Adam (Liu et al., 2020), exactly as torch.optim.RAdam
 * (PyTorch 1.13, _single_tensor_radam):
 *
 *     g     = grad + weight_decay * p
 *     m, v  as Adam;  mhat = m / (1 - beta1^t)
 *     rho_inf = 2 / (1 - beta2) - 1
 *     rho_t   = rho_inf - 2 t beta2^t / (1 - beta2^t)
 *     rho_t > 5:  r = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))
 *                 p -= mhat * lr * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r
 *     otherwise:  p -= mhat * lr          (an SGD-with-momentum warm-up)
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_BETA1, HP_BETA2, HP_EPS, HP_WEIGHT_DECAY, HP_COUNT };

static const os_hparam radam_hparams[HP_COUNT] = {
    [HP_BETA1]        = OS_HP_ROW_BETA1,
    [HP_BETA2]        = OS_HP_ROW_BETA2,
    [HP_EPS]          = OS_HP_ROW_EPS(1e-8),
    [HP_WEIGHT_DECAY] = OS_HP_ROW_L2_DECAY,
};

OS_ZEROED_SLOTS(radam, 2)

OS_VECTORISED
static int radam_step(const os_env *env, void *state, float *p, const float *grad,
                      double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const double beta1 = hp[HP_BETA1], beta2 = hp[HP_BETA2];
    const float b1 = (float)beta1, one_minus_b1 = (float)(1.0 - beta1);
    const float b2 = (float)beta2, one_minus_b2 = (float)(1.0 - beta2);
    const float eps = (float)hp[HP_EPS], wd_all = (float)hp[HP_WEIGHT_DECAY];
    const double bc1 = 1.0 - pow(beta1, (double)t), bc2 = 1.0 - pow(beta2, (double)t);
    double rho_inf, rho_t;
    os_sma_length(beta2, pow(beta2, (double)t), t, &rho_inf, &rho_t);
    const int rectify = rho_t > 5.0;
    const float rect = rectify ? (float)sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                                             ((rho_inf - 4) * (rho_inf - 2) * rho_t)) : 0.0f;
    const float fbc1 = (float)bc1, flr = (float)lr, bc2_sqrt = (float)sqrt(bc2);
    float *m = os_slot(state, n, 0), *v = os_slot(state, n, 1);

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const float wd = os_span_decay(&r, wd_all);
        for (size_t i = r.begin; i < r.end; i++) {
            float g = os_l2_grad(grad[i], p[i], wd);
            m[i] = m[i] * b1 + one_minus_b1 * g;
            v[i] = v[i] * b2 + one_minus_b2 * g * g;
            float update = m[i] / fbc1 * flr;
            if (rectify)
                update = update * (bc2_sqrt / (sqrtf(v[i]) + eps)) * rect;
            p[i] = p[i] - update;
        }
    }
    return OS_OK;
}

static const os_optimizer radam = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "radam",
    .summary = "RAdam: variance-rectified Adam (torch.optim.RAdam; Liu et al. 2020)",
    .default_lr = 1e-3,
    .n_hparams = HP_COUNT,
    .hparams = radam_hparams,
    .state_bytes = radam_state_bytes,
    .init = radam_init,
    .step = radam_step,
};

OS_EXPORT_OPTIMIZERS(&radam)
