/*
 * lamb — LAMB, layer-wise adaptive moments (You et al., 2020, "Large Batch
 * Optimization for Deep Learning: Training BERT in 76 Minutes", Algorithm 2),
 * as TensorFlow Addons' LAMB computes it (bias-corrected moments, identity
 * scaling function, a trust ratio of 1 when either norm is zero).  Per
 * tensor of the layout:
 *
 *     m, v as Adam;  u = m / (1 - beta1^t) / (sqrt(v / (1 - beta2^t)) + eps) + wd * p
 *     r = ||p|| / ||u||   (1 if either is 0)
 *     p -= lr * r * u
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_BETA1, HP_BETA2, HP_EPS, HP_WEIGHT_DECAY, HP_COUNT };

static const os_hparam lamb_hparams[HP_COUNT] = {
    [HP_BETA1]        = OS_HP_ROW_BETA1,
    [HP_BETA2]        = OS_HP_ROW_BETA2,
    [HP_EPS]          = OS_HP_ROW_EPS(1e-6),
    [HP_WEIGHT_DECAY] = { "weight_decay", 0.0, 0.0, 1.0, OS_HP_TUNABLE,
                          "decay added to the update before the trust ratio" },
};

/* m and v.  The update is computed twice — for its norm, then to apply it —
 * rather than stored: a third buffer would cost as much as Adam's state. */
static size_t lamb_state_bytes(const os_env *env)
{
    return 2 * env->layout->n * sizeof(float);
}

static inline float lamb_update(float m, float v, float p, float bc1, float bc2, float eps,
                                float wd)
{
    return (m / bc1) / (sqrtf(v / bc2) + eps) + wd * p;
}

OS_ZERO_INIT(lamb)

static int lamb_step(const os_env *env, void *state, float *p, const float *grad,
                     double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const os_layout *layout = env->layout;
    const size_t n = layout->n;
    const float b1 = (float)hp[HP_BETA1], one_minus_b1 = (float)(1.0 - hp[HP_BETA1]);
    const float b2 = (float)hp[HP_BETA2], one_minus_b2 = (float)(1.0 - hp[HP_BETA2]);
    const float eps = (float)hp[HP_EPS], wd_all = (float)hp[HP_WEIGHT_DECAY];
    const float bc1 = (float)(1.0 - pow(hp[HP_BETA1], (double)t));
    const float bc2 = (float)(1.0 - pow(hp[HP_BETA2], (double)t));
    const float flr = (float)lr;
    float *m = os_slot(state, n, 0), *v = os_slot(state, n, 1);

    for (size_t k = 0; k < layout->n_tensors; k++) {
        const size_t off = layout->tensors[k].offset, len = layout->tensors[k].size;
        const float wd = OS_TENSOR_DECAYS(env, k) ? wd_all : 0.0f;
        double u_sq = 0.0;
        for (size_t i = off; i < off + len; i++) {
            m[i] = m[i] * b1 + one_minus_b1 * grad[i];
            v[i] = v[i] * b2 + one_minus_b2 * grad[i] * grad[i];
            float u = lamb_update(m[i], v[i], p[i], bc1, bc2, eps, wd);
            u_sq += (double)u * u;
        }
        const float w_norm = os_norm(p + off, len), u_norm = (float)sqrt(u_sq);
        const float ratio = w_norm > 0.0f && u_norm > 0.0f ? w_norm / u_norm : 1.0f;
        const float scale = ratio * flr;
        for (size_t i = off; i < off + len; i++)
            p[i] = p[i] - scale * lamb_update(m[i], v[i], p[i], bc1, bc2, eps, wd);
    }
    return OS_OK;
}

static const os_optimizer lamb = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "lamb",
    .summary = "LAMB, Adam with per-tensor trust ratios (You et al. 2020)",
    .default_lr = 1e-3,
    .n_hparams = HP_COUNT,
    .hparams = lamb_hparams,
    .state_bytes = lamb_state_bytes,
    .init = lamb_init,
    .step = lamb_step,
};

OS_EXPORT_OPTIMIZERS(&lamb)
