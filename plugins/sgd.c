/*
 * sgd — stochastic gradient descent with momentum, dampening, Nesterov
 * momentum and L2 weight decay, exactly as torch.optim.SGD (PyTorch 1.13,
 * _single_tensor_sgd):
 *
 *     g  = grad + weight_decay * p
 *     b  = g                                  on the first step
 *     b  = momentum * b + (1 - dampening) * g on later steps
 *     d  = nesterov ? g + momentum * b : b    (d = g when momentum == 0)
 *     p -= lr * d
 *
 * torch.optim.SGD has no default learning rate; 0.01 is used here.
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_MOMENTUM, HP_DAMPENING, HP_WEIGHT_DECAY, HP_NESTEROV, HP_COUNT };

static const os_hparam sgd_hparams[HP_COUNT] = {
    [HP_MOMENTUM]     = { "momentum", 0.0, 0.0, 1.0, OS_HP_TUNABLE,
                          "momentum factor (0 disables the momentum buffer)" },
    [HP_DAMPENING]    = { "dampening", 0.0, 0.0, 1.0, 0,
                          "dampening for momentum: new gradient weighted by 1 - dampening" },
    [HP_WEIGHT_DECAY] = OS_HP_ROW_L2_DECAY,
    [HP_NESTEROV]     = { "nesterov", 0.0, 0.0, 1.0, OS_HP_BOOL | OS_HP_TUNABLE,
                          "Nesterov momentum (needs momentum > 0 and dampening = 0)" },
};

static int sgd_check(const double *hp, char *err, size_t err_size)
{
    if (hp[HP_NESTEROV] != 0.0 && (hp[HP_MOMENTUM] <= 0.0 || hp[HP_DAMPENING] != 0.0))
        return os_fail(err, err_size, OS_EINVAL,
                       "nesterov requires momentum > 0 and dampening = 0");
    return OS_OK;
}

static size_t sgd_state_bytes(const os_env *env)
{
    return env->hparams[HP_MOMENTUM] != 0.0 ? env->layout->n * sizeof(float) : 0;
}

OS_ZERO_INIT(sgd)

OS_VECTORISED
static int sgd_step(const os_env *env, void *state, float *p, const float *grad,
                    double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const float momentum = (float)hp[HP_MOMENTUM];
    const float damp = (float)(1.0 - hp[HP_DAMPENING]);
    const float wd_all = (float)hp[HP_WEIGHT_DECAY];
    const int nesterov = hp[HP_NESTEROV] != 0.0;
    const float neg_lr = (float)-lr;
    float *buf = state;

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const float wd = os_span_decay(&r, wd_all);
        for (size_t i = r.begin; i < r.end; i++) {
            float g = os_l2_grad(grad[i], p[i], wd);
            if (momentum != 0.0f) {
                /* torch clones the first gradient into the buffer undamped. */
                buf[i] = t == 1 ? g : buf[i] * momentum + damp * g;
                g = nesterov ? g + momentum * buf[i] : buf[i];
            }
            p[i] = p[i] + neg_lr * g;
        }
    }
    return OS_OK;
}

static const os_optimizer sgd = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "sgd",
    .summary = "SGD with momentum/Nesterov and L2 decay (torch.optim.SGD)",
    .default_lr = 0.01,
    .n_hparams = HP_COUNT,
    .hparams = sgd_hparams,
    .check = sgd_check,
    .state_bytes = sgd_state_bytes,
    .init = sgd_init,
    .step = sgd_step,
};

OS_EXPORT_OPTIMIZERS(&sgd)
