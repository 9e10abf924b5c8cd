/*
 * adam — Adam (Kingma & Ba, 2015) with optional AMSGrad (Reddi et al., 2018)
 * and L2 weight decay, exactly as torch.optim.Adam (PyTorch 1.13,
 * _single_tensor_adam, the CPU path):
 *
 *     g  = grad + weight_decay * p
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

static const os_hparam adam_hparams[HP_COUNT] = {
    [HP_BETA1]        = { "beta1", 0.9, 0.0, 0.9999999, OS_HP_TUNABLE,
                          "decay rate of the first-moment (mean) estimate" },
    [HP_BETA2]        = { "beta2", 0.999, 0.0, 0.9999999, OS_HP_TUNABLE,
                          "decay rate of the second-moment estimate" },
    [HP_EPS]          = { "eps", 1e-8, 0.0, 1.0, 0,
                          "added to the denominator for numerical stability" },
    [HP_WEIGHT_DECAY] = { "weight_decay", 0.0, 0.0, 1.0, OS_HP_TUNABLE,
                          "L2 penalty added to the gradient (not decoupled)" },
    [HP_AMSGRAD]      = { "amsgrad", 0.0, 0.0, 1.0, OS_HP_BOOL | OS_HP_TUNABLE,
                          "normalise by the running maximum of v (AMSGrad)" },
};

static size_t adam_state_bytes(const os_env *env)
{
    unsigned slots = env->hparams[HP_AMSGRAD] != 0.0 ? 3 : 2;
    return slots * env->layout->n * sizeof(float);
}

static int adam_init(const os_env *env, void *state, const float *params)
{
    memset(state, 0, adam_state_bytes(env));
    return OS_OK;
}

static int adam_step(const os_env *env, void *state, float *p, const float *grad,
                     double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const double beta1 = hp[HP_BETA1], beta2 = hp[HP_BETA2];
    const float b1 = (float)beta1, b2 = (float)beta2;
    const float one_minus_b1 = (float)(1.0 - beta1), one_minus_b2 = (float)(1.0 - beta2);
    const float eps = (float)hp[HP_EPS];
    const float wd = (float)hp[HP_WEIGHT_DECAY];
    const int amsgrad = hp[HP_AMSGRAD] != 0.0;
    const double bc1 = 1.0 - pow(beta1, (double)t);
    const float bc2_sqrt = (float)sqrt(1.0 - pow(beta2, (double)t));
    const float neg_step = (float)-(lr / bc1);
    float *m = os_slot(state, n, 0), *v = os_slot(state, n, 1);
    float *vmax = amsgrad ? os_slot(state, n, 2) : NULL;

    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        if (wd != 0.0f)
            g = g + wd * p[i];
        m[i] = m[i] * b1 + one_minus_b1 * g;
        v[i] = v[i] * b2 + one_minus_b2 * (g * g);
        float second = v[i];
        if (amsgrad) {
            vmax[i] = fmaxf(vmax[i], v[i]);
            second = vmax[i];
        }
        float denom = sqrtf(second) / bc2_sqrt + eps;
        p[i] = p[i] + neg_step * m[i] / denom; /* addcdiv: (value * m) / denom */
    }
    return OS_OK;
}

static const os_optimizer adam = {
    OS_OPTIMIZER_HEADER,
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

const os_optimizer *optselect_descriptor(unsigned long index);
const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? &adam : NULL;
}
