/*
 * lars — LARS, layer-wise adaptive rate scaling (You, Gitman & Ginsburg,
 * 2017, "Large Batch Training of Convolutional Networks", Algorithm 1).  Per
 * tensor of the layout, with trust coefficient eta and weight decay beta:
 *
 *     local = eta * ||p|| / (||g|| + beta * ||p||)   (1 if a norm is zero)
 *     v     = momentum * v + lr * local * (g + beta * p)
 *     p    -= v
 *
 * The paper sets eta = 0.001 and momentum 0.9 and gives no default learning
 * rate; with eta folded into the local rate, 1.0 is the neutral choice.
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_MOMENTUM, HP_WEIGHT_DECAY, HP_TRUST, HP_COUNT };

static const os_hparam lars_hparams[HP_COUNT] = {
    [HP_MOMENTUM]     = { "momentum", 0.9, 0.0, 0.9999999, OS_HP_TUNABLE,
                          "momentum of the scaled update" },
    [HP_WEIGHT_DECAY] = { "weight_decay", 0.0, 0.0, 1.0, OS_HP_TUNABLE,
                          "weight decay beta, in the update and the local rate" },
    [HP_TRUST]        = { "trust_coefficient", 1e-3, 1e-6, 1.0, OS_HP_LOG | OS_HP_TUNABLE,
                          "eta: how far one step may move a tensor relative to its norm" },
};

OS_ZEROED_SLOTS(lars, 1)

static int lars_step(const os_env *env, void *state, float *p, const float *grad,
                     double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const os_layout *layout = env->layout;
    const float momentum = (float)hp[HP_MOMENTUM], wd_all = (float)hp[HP_WEIGHT_DECAY];
    const float eta = (float)hp[HP_TRUST], flr = (float)lr;
    float *v = state;

    for (size_t k = 0; k < layout->n_tensors; k++) {
        const size_t off = layout->tensors[k].offset, len = layout->tensors[k].size;
        const float wd = OS_TENSOR_DECAYS(env, k) ? wd_all : 0.0f;
        const float w_norm = os_norm(p + off, len), g_norm = os_norm(grad + off, len);
        const float denom = g_norm + wd * w_norm;
        const float local = w_norm > 0.0f && denom > 0.0f ? eta * w_norm / denom : 1.0f;
        const float scale = flr * local;
        for (size_t i = off; i < off + len; i++) {
            v[i] = v[i] * momentum + scale * (grad[i] + wd * p[i]);
            p[i] = p[i] - v[i];
        }
    }
    return OS_OK;
}

static const os_optimizer lars = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "lars",
    .summary = "LARS, SGD with per-tensor trust ratios (You, Gitman & Ginsburg 2017)",
    .default_lr = 1.0,
    .n_hparams = HP_COUNT,
    .hparams = lars_hparams,
    .state_bytes = lars_state_bytes,
    .init = lars_init,
    .step = lars_step,
};

OS_EXPORT_OPTIMIZERS(&lars)
