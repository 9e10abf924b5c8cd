/*
 * adadelta — Adadelta (Zeiler, 2012), exactly as torch.optim.Adadelta
 * (PyTorch 1.13, _single_tensor_adadelta):
 *
 *     g  = grad + weight_decay * p
 *     s  = rho * s + (1 - rho) * g^2
 *     d  = sqrt(a + eps) / sqrt(s + eps) * g
 *     a  = rho * a + (1 - rho) * d^2
 *     p -= lr * d                     (lr scales the update; 1.0 is the paper's)
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_RHO, HP_EPS, HP_WEIGHT_DECAY, HP_COUNT };

static const os_hparam adadelta_hparams[HP_COUNT] = {
    [HP_RHO]          = { "rho", 0.9, 0.0, 1.0, OS_HP_TUNABLE,
                          "decay rate of both running averages" },
    [HP_EPS]          = { "eps", 1e-6, 0.0, 1.0, 0,
                          "added inside both square roots" },
    [HP_WEIGHT_DECAY] = OS_HP_ROW_L2_DECAY,
};

OS_ZEROED_SLOTS(adadelta, 2)

OS_VECTORISED
static int adadelta_step(const os_env *env, void *state, float *p, const float *grad,
                         double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const float rho = (float)hp[HP_RHO], one_minus_rho = (float)(1.0 - hp[HP_RHO]);
    const float eps = (float)hp[HP_EPS], wd_all = (float)hp[HP_WEIGHT_DECAY];
    const float neg_lr = (float)-lr;
    float *sq = os_slot(state, n, 0), *acc = os_slot(state, n, 1);

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const float wd = os_span_decay(&r, wd_all);
        for (size_t i = r.begin; i < r.end; i++) {
            float g = os_l2_grad(grad[i], p[i], wd);
            sq[i] = sq[i] * rho + one_minus_rho * g * g;
            float std = sqrtf(sq[i] + eps);
            float delta = sqrtf(acc[i] + eps) / std * g;
            acc[i] = acc[i] * rho + one_minus_rho * delta * delta;
            p[i] = p[i] + neg_lr * delta;
        }
    }
    return OS_OK;
}

static const os_optimizer adadelta = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "adadelta",
    .summary = "Adadelta (torch.optim.Adadelta; Zeiler 2012)",
    .default_lr = 1.0,
    .n_hparams = HP_COUNT,
    .hparams = adadelta_hparams,
    .state_bytes = adadelta_state_bytes,
    .init = adadelta_init,
    .step = adadelta_step,
};

OS_EXPORT_OPTIMIZERS(&adadelta)
