/*
 * asgd — averaged SGD (Polyak & Juditsky, 1992) with a decaying step, exactly
 * as torch.optim.ASGD (PyTorch 1.13, _single_tensor_asgd):
 *
 *     g    = grad + weight_decay * p
 *     p   *= 1 - lambd * eta;   p -= eta * g
 *     ax  += mu * (p - ax)     (ax = p while mu == 1)
 *     eta  = lr / (1 + lambd * lr * t)^alpha;   mu = 1 / max(1, t - t0)
 *
 * eta starts at lr.  torch keeps eta and mu as float32 scalars; so does this.
 * torch trains and reports p, not the average ax; so does this plugin.
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_LAMBD, HP_ALPHA, HP_T0, HP_WEIGHT_DECAY, HP_COUNT };

static const os_hparam asgd_hparams[HP_COUNT] = {
    [HP_LAMBD]        = { "lambd", 1e-4, 0.0, 1.0, OS_HP_TUNABLE,
                          "decay term of the step size" },
    [HP_ALPHA]        = { "alpha", 0.75, 0.0, 1.0, OS_HP_TUNABLE,
                          "power of the step-size decay" },
    [HP_T0]           = { "t0", 1e6, 0.0, 1e12, 0,
                          "step at which averaging starts" },
    [HP_WEIGHT_DECAY] = OS_HP_ROW_L2_DECAY,
};

/* ax (n floats), then eta and mu as two floats. */
static size_t asgd_state_bytes(const os_env *env)
{
    return (env->layout->n + 2) * sizeof(float);
}

OS_ZERO_INIT(asgd)

OS_VECTORISED
static int asgd_step(const os_env *env, void *state, float *p, const float *grad,
                     double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const double lambd = hp[HP_LAMBD];
    const float wd_all = (float)hp[HP_WEIGHT_DECAY];
    float *ax = state, *eta = ax + n, *mu = eta + 1;
    if (t == 1) {
        *eta = (float)lr;
        *mu = 1.0f;
    }
    const float decay = (float)(1.0 - lambd * (double)*eta);
    const float neg_eta = (float)-(double)*eta;

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const float wd = os_span_decay(&r, wd_all);
        for (size_t i = r.begin; i < r.end; i++) {
            float g = os_l2_grad(grad[i], p[i], wd);
            p[i] = p[i] * decay;
            p[i] = p[i] + neg_eta * g;
            ax[i] = *mu != 1.0f ? ax[i] + (p[i] - ax[i]) * *mu : p[i];
        }
    }
    *eta = (float)(lr / pow(1.0 + lambd * lr * (double)t, hp[HP_ALPHA]));
    *mu = (float)(1.0 / fmax(1.0, (double)t - hp[HP_T0]));
    return OS_OK;
}

static const os_optimizer asgd = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "asgd",
    .summary = "Averaged SGD (torch.optim.ASGD; Polyak & Juditsky 1992)",
    .default_lr = 1e-2,
    .n_hparams = HP_COUNT,
    .hparams = asgd_hparams,
    .state_bytes = asgd_state_bytes,
    .init = asgd_init,
    .step = asgd_step,
};

OS_EXPORT_OPTIMIZERS(&asgd)
