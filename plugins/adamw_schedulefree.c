/*
 * adamw_schedulefree — Schedule-Free AdamW (Defazio et al., 2024, "The Road
 * Less Scheduled"), as the authors' simplified reference implementation
 * computes it (facebookresearch/schedule_free, AdamWScheduleFreeReference):
 *
 *     lr_t   = lr * min(1, t / warmup_steps) * sqrt(1 - beta2^t)
 *     w_t    = t^r * max_{s<=t}(lr_s)^weight_lr_power;  c = w_t / sum_{s<=t} w_s
 *     z     -= lr_t * weight_decay * (decay_at_z ? z : y)
 *     v      = beta2 * v + (1 - beta2) * g^2
 *     z     -= lr_t * g / (sqrt(v) + eps)
 *     x      = (1 - c) * x + c * z
 *     y      = beta1 * x + (1 - beta1) * z       (the training parameters)
 *
 * Gradients are taken at y; the model is evaluated at the average x, which
 * the host asks for through eval_params (plugin ABI 1.1).
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_BETA1, HP_BETA2, HP_EPS, HP_WEIGHT_DECAY, HP_WARMUP, HP_R, HP_WEIGHT_LR_POWER,
       HP_DECAY_AT_Z, HP_COUNT };

static const os_hparam sf_hparams[HP_COUNT] = {
    [HP_BETA1]           = { "beta1", 0.9, 0.0, 0.9999999, OS_HP_TUNABLE,
                             "interpolation between the average x and z for training" },
    [HP_BETA2]           = OS_HP_ROW_BETA2,
    [HP_EPS]             = OS_HP_ROW_EPS(1e-8),
    [HP_WEIGHT_DECAY]    = { "weight_decay", 0.0, 0.0, 1.0, OS_HP_TUNABLE,
                             "decoupled weight decay applied to z" },
    [HP_WARMUP]          = { "warmup_steps", 0.0, 0.0, 1e9, OS_HP_INT | OS_HP_TUNABLE,
                             "linear learning-rate warm-up steps" },
    [HP_R]               = { "r", 0.0, 0.0, 10.0, 0,
                             "polynomial weighting power of the average" },
    [HP_WEIGHT_LR_POWER] = { "weight_lr_power", 2.0, 0.0, 10.0, 0,
                             "average weights grow as max lr to this power" },
    [HP_DECAY_AT_Z]      = { "decay_at_z", 0.0, 0.0, 1.0, OS_HP_BOOL,
                             "take weight decay at z instead of y" },
};

/* Two doubles first — the running maximum of lr_t and the weight sum —
 * where the host's 64-byte alignment keeps them aligned whatever n is; then
 * z, x and v. */
typedef struct sf_scalars {
    double lr_max, weight_sum;
} sf_scalars;

static size_t sf_state_bytes(const os_env *env)
{
    return sizeof(sf_scalars) + 3 * env->layout->n * sizeof(float);
}

/* Vector k (0 z, 1 x, 2 v) of the state. */
static float *sf_vec(const void *state, size_t n, unsigned k)
{
    return (float *)((char *)state + sizeof(sf_scalars)) + (size_t)k * n;
}

static int sf_init(const os_env *env, void *state, const float *params)
{
    const size_t n = env->layout->n;
    *(sf_scalars *)state = (sf_scalars){ -1.0, 0.0 };
    memcpy(sf_vec(state, n, 0), params, n * sizeof(float)); /* z */
    memcpy(sf_vec(state, n, 1), params, n * sizeof(float)); /* x */
    memset(sf_vec(state, n, 2), 0, n * sizeof(float));      /* v */
    return OS_OK;
}

static int sf_step(const os_env *env, void *state, float *y, const float *grad, double lr,
                   uint64_t t)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const double beta2 = hp[HP_BETA2];
    const double warmup = hp[HP_WARMUP];
    const double sched = (double)(t - 1) < warmup ? (double)t / warmup : 1.0;
    const double lr_t = lr * sched * sqrt(1.0 - pow(beta2, (double)t));
    sf_scalars *sc = state;
    sc->lr_max = fmax(lr_t, sc->lr_max);
    const double weight = pow((double)t, hp[HP_R]) * pow(sc->lr_max, hp[HP_WEIGHT_LR_POWER]);
    sc->weight_sum += weight;
    const double ckp1 = sc->weight_sum != 0.0 ? weight / sc->weight_sum : 0.0;

    const float b1 = (float)hp[HP_BETA1], one_minus_b1 = (float)(1.0 - hp[HP_BETA1]);
    const float b2 = (float)beta2, one_minus_b2 = (float)(1.0 - beta2);
    const float eps = (float)hp[HP_EPS];
    const float neg_decay = (float)-(lr_t * hp[HP_WEIGHT_DECAY]);
    const int decay_all = hp[HP_WEIGHT_DECAY] != 0.0, at_z = hp[HP_DECAY_AT_Z] != 0.0;
    const float neg_lr = (float)-lr_t;
    const float keep = (float)(1.0 - ckp1), take = (float)ckp1;
    float *z = sf_vec(state, n, 0), *x = sf_vec(state, n, 1), *v = sf_vec(state, n, 2);

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const int decay = decay_all && r.decays;
        for (size_t i = r.begin; i < r.end; i++) {
            if (decay)
                z[i] = z[i] + neg_decay * (at_z ? z[i] : y[i]);
            v[i] = v[i] * b2 + one_minus_b2 * grad[i] * grad[i];
            z[i] = z[i] + neg_lr * grad[i] / (sqrtf(v[i]) + eps);
            x[i] = x[i] * keep + take * z[i];
            y[i] = x[i] * b1 + one_minus_b1 * z[i];
        }
    }
    return OS_OK;
}

static int sf_eval_params(const os_env *env, const void *state, const float *params,
                          float *out)
{
    const size_t n = env->layout->n;
    memcpy(out, sf_vec(state, n, 1), n * sizeof(float)); /* x */
    return OS_OK;
}

static const os_optimizer adamw_schedulefree = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "adamw_schedulefree",
    .summary = "Schedule-Free AdamW, evaluated at its average (Defazio et al. 2024)",
    .default_lr = 0.0025,
    .n_hparams = HP_COUNT,
    .hparams = sf_hparams,
    .state_bytes = sf_state_bytes,
    .init = sf_init,
    .step = sf_step,
    .eval_params = sf_eval_params,
};

OS_EXPORT_OPTIMIZERS(&adamw_schedulefree)
