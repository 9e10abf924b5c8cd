/*
 * lion — Lion, "EvoLved Sign Momentum" (Chen et al., 2023, "Symbolic
 * Discovery of Optimization Algorithms", Algorithm 2; the authors' code in
 * google/automl lion/lion_pytorch.py):
 *
 *     p *= 1 - lr * weight_decay
 *     p -= lr * sign(beta1 * m + (1 - beta1) * g)
 *     m  = beta2 * m + (1 - beta2) * g
 *
 * The authors' defaults: lr 1e-4, betas (0.9, 0.99), weight_decay 0; they
 * advise a learning rate 3-10x smaller than AdamW's.
 */
#include <string.h>
#include "plugin_util.h"

enum { HP_BETA1, HP_BETA2, HP_WEIGHT_DECAY, HP_COUNT };

static const os_hparam lion_hparams[HP_COUNT] = {
    [HP_BETA1]        = { "beta1", 0.9, 0.0, 0.9999999, OS_HP_TUNABLE,
                          "weight of the momentum in the update's interpolation" },
    [HP_BETA2]        = { "beta2", 0.99, 0.0, 0.9999999, OS_HP_TUNABLE,
                          "decay rate of the momentum" },
    [HP_WEIGHT_DECAY] = { "weight_decay", 0.0, 0.0, 10.0, OS_HP_TUNABLE,
                          "decoupled decay: p *= 1 - lr * weight_decay" },
};

OS_ZEROED_SLOTS(lion, 1)

OS_VECTORISED
static int lion_step(const os_env *env, void *state, float *p, const float *grad,
                     double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const float b1 = (float)hp[HP_BETA1], one_minus_b1 = (float)(1.0 - hp[HP_BETA1]);
    const float b2 = (float)hp[HP_BETA2], one_minus_b2 = (float)(1.0 - hp[HP_BETA2]);
    const float shrink_all = (float)(1.0 - lr * hp[HP_WEIGHT_DECAY]);
    const float neg_lr = (float)-lr;
    float *m = state;

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const float shrink = r.decays ? shrink_all : 1.0f;
        for (size_t i = r.begin; i < r.end; i++) {
            float c = m[i] * b1 + one_minus_b1 * grad[i];
            float sign = (float)((c > 0.0f) - (c < 0.0f));
            p[i] = p[i] * shrink;
            p[i] = p[i] + neg_lr * sign;
            m[i] = m[i] * b2 + one_minus_b2 * grad[i];
        }
    }
    return OS_OK;
}

static const os_optimizer lion = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "lion",
    .summary = "Lion, sign of interpolated momentum (Chen et al. 2023)",
    .default_lr = 1e-4,
    .n_hparams = HP_COUNT,
    .hparams = lion_hparams,
    .state_bytes = lion_state_bytes,
    .init = lion_init,
    .step = lion_step,
};

OS_EXPORT_OPTIMIZERS(&lion)
