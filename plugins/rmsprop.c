/*
 * rmsprop — RMSprop (Hinton, Coursera lecture 6e) with optional centring
 * (Graves 2013), momentum and L2 weight decay, exactly as torch.optim.RMSprop
 * (PyTorch 1.13, _single_tensor_rmsprop):
 *
 *     g   = grad + weight_decay * p
 *     s   = alpha * s + (1 - alpha) * g^2
 *     a   = alpha * a + (1 - alpha) * g        (centered only)
 *     den = sqrt(s - a^2) + eps   (centered)   or   sqrt(s) + eps
 *     b   = momentum * b + g / den;  p -= lr * b   (momentum > 0)
 *     p  -= lr * g / den                           (otherwise)
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_ALPHA, HP_EPS, HP_WEIGHT_DECAY, HP_MOMENTUM, HP_CENTERED, HP_COUNT };

static const os_hparam rmsprop_hparams[HP_COUNT] = {
    [HP_ALPHA]        = { "alpha", 0.99, 0.0, 1.0, OS_HP_TUNABLE,
                          "smoothing constant of the squared-gradient average" },
    [HP_EPS]          = OS_HP_ROW_EPS(1e-8),
    [HP_WEIGHT_DECAY] = OS_HP_ROW_L2_DECAY,
    [HP_MOMENTUM]     = { "momentum", 0.0, 0.0, 1.0, OS_HP_TUNABLE,
                          "momentum factor applied to the normalised step" },
    [HP_CENTERED]     = { "centered", 0.0, 0.0, 1.0, OS_HP_BOOL | OS_HP_TUNABLE,
                          "normalise by an estimate of the gradient's variance" },
};

/* State slots, in order: square_avg, then grad_avg if centered, then the
 * momentum buffer if momentum > 0. */
static unsigned rmsprop_slots(const double *hp, unsigned *grad_avg, unsigned *buf)
{
    unsigned k = 1;
    *grad_avg = hp[HP_CENTERED] != 0.0 ? k++ : 0;
    *buf = hp[HP_MOMENTUM] > 0.0 ? k++ : 0;
    return k;
}

static size_t rmsprop_state_bytes(const os_env *env)
{
    unsigned a, b;
    return rmsprop_slots(env->hparams, &a, &b) * env->layout->n * sizeof(float);
}

OS_ZERO_INIT(rmsprop)

/* One pass; the flags are constants at each call in rmsprop_step, so every
 * combination compiles to its own branch-free, vectorised loop. */
static inline __attribute__((always_inline)) void
rmsprop_pass(size_t n, float *restrict p, const float *restrict grad, float *restrict sq,
             float *restrict ga, float *restrict buf, float alpha, float one_minus_alpha,
             float eps, float wd, float momentum, float neg_lr, const int decay,
             const int centered, const int with_momentum)
{
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        if (decay)
            g = g + wd * p[i];
        sq[i] = sq[i] * alpha + one_minus_alpha * (g * g);
        float avg;
        if (centered) {
            ga[i] = ga[i] * alpha + one_minus_alpha * g;
            avg = sqrtf(sq[i] - ga[i] * ga[i]);
        } else {
            avg = sqrtf(sq[i]);
        }
        avg = avg + eps;
        if (with_momentum) {
            buf[i] = buf[i] * momentum + g / avg;
            p[i] = p[i] + neg_lr * buf[i];
        } else {
            p[i] = p[i] + neg_lr * g / avg; /* addcdiv: (value * g) / avg */
        }
    }
}

OS_VECTORISED
static int rmsprop_step(const os_env *env, void *state, float *p, const float *grad,
                        double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const float alpha = (float)hp[HP_ALPHA], one_minus_alpha = (float)(1.0 - hp[HP_ALPHA]);
    const float eps = (float)hp[HP_EPS];
    const float wd = (float)hp[HP_WEIGHT_DECAY];
    const float momentum = (float)hp[HP_MOMENTUM];
    const float neg_lr = (float)-lr;
    unsigned ga_slot, buf_slot;
    rmsprop_slots(hp, &ga_slot, &buf_slot);
    float *sq = os_slot(state, n, 0);
    float *ga = ga_slot ? os_slot(state, n, ga_slot) : NULL;
    float *buf = buf_slot ? os_slot(state, n, buf_slot) : NULL;

    for (os_span r = { 0 }; os_next_span(env, &r);) {
        const size_t b = r.begin, len = r.end - r.begin;
        float *ga_r = ga ? ga + b : NULL, *buf_r = buf ? buf + b : NULL;
#define PASS(d, c, mo) rmsprop_pass(len, p + b, grad + b, sq + b, ga_r, buf_r, alpha,         \
                                    one_minus_alpha, eps, wd, momentum, neg_lr, d, c, mo)
        if (wd != 0.0f && r.decays)
            ga ? (buf ? PASS(1, 1, 1) : PASS(1, 1, 0)) : (buf ? PASS(1, 0, 1) : PASS(1, 0, 0));
        else
            ga ? (buf ? PASS(0, 1, 1) : PASS(0, 1, 0)) : (buf ? PASS(0, 0, 1) : PASS(0, 0, 0));
#undef PASS
    }
    return OS_OK;
}

static const os_optimizer rmsprop = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "rmsprop",
    .summary = "RMSprop, optionally centred, with momentum (torch.optim.RMSprop)",
    .default_lr = 1e-2,
    .n_hparams = HP_COUNT,
    .hparams = rmsprop_hparams,
    .check = NULL,
    .state_bytes = rmsprop_state_bytes,
    .init = rmsprop_init,
    .step = rmsprop_step,
};

OS_EXPORT_OPTIMIZERS(&rmsprop)
