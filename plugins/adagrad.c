/*
 * adagrad — Adagrad (Duchi, Hazan & Singer, 2011) with learning-rate decay,
 * initial accumulator and L2 weight decay, exactly as torch.optim.Adagrad
 * (PyTorch 1.13, _single_tensor_adagrad, dense gradients):
 *
 *     g   = grad + weight_decay * p
 *     clr = lr / (1 + (t - 1) * lr_decay)
 *     s  += g^2                      (s starts at initial_accumulator_value)
 *     p  -= clr * g / (sqrt(s) + eps)
 */
#include <math.h>
#include "plugin_util.h"

enum { HP_LR_DECAY, HP_WEIGHT_DECAY, HP_INITIAL_ACC, HP_EPS, HP_COUNT };

static const os_hparam adagrad_hparams[HP_COUNT] = {
    [HP_LR_DECAY]     = { "lr_decay", 0.0, 0.0, 1e3, OS_HP_TUNABLE,
                          "learning rate divided by 1 + (t - 1) * lr_decay" },
    [HP_WEIGHT_DECAY] = OS_HP_ROW_L2_DECAY,
    [HP_INITIAL_ACC]  = { "initial_accumulator_value", 0.0, 0.0, 1e6, 0,
                          "starting value of the sum of squared gradients" },
    [HP_EPS]          = OS_HP_ROW_EPS(1e-10),
};

static size_t adagrad_state_bytes(const os_env *env)
{
    return env->layout->n * sizeof(float);
}

static int adagrad_init(const os_env *env, void *state, const float *params)
{
    float *sum = state;
    const float init = (float)env->hparams[HP_INITIAL_ACC];
    for (size_t i = 0; i < env->layout->n; i++)
        sum[i] = init;
    return OS_OK;
}

OS_VECTORISED
static int adagrad_step(const os_env *env, void *state, float *p, const float *grad,
                        double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const float wd_all = (float)hp[HP_WEIGHT_DECAY];
    const float eps = (float)hp[HP_EPS];
    const float neg_clr = (float)-(lr / (1.0 + (double)(t - 1) * hp[HP_LR_DECAY]));
    float *sum = state;

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const float wd = os_span_decay(&r, wd_all);
        for (size_t i = r.begin; i < r.end; i++) {
            float g = os_l2_grad(grad[i], p[i], wd);
            sum[i] = sum[i] + g * g;
            float std = sqrtf(sum[i]) + eps;
            p[i] = p[i] + neg_clr * g / std; /* addcdiv: (value * g) / std */
        }
    }
    return OS_OK;
}

static const os_optimizer adagrad = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "adagrad",
    .summary = "Adagrad with lr decay and L2 decay (torch.optim.Adagrad; Duchi et al. 2011)",
    .default_lr = 1e-2,
    .n_hparams = HP_COUNT,
    .hparams = adagrad_hparams,
    .check = NULL,
    .state_bytes = adagrad_state_bytes,
    .init = adagrad_init,
    .step = adagrad_step,
};

OS_EXPORT_OPTIMIZERS(&adagrad)
