/*
 * rprop — resilient backpropagation (Riedmiller & Braun, 1993), exactly as
 * torch.optim.Rprop (PyTorch 1.13, _single_tensor_rprop).  Each parameter
 * has its own step size, grown by etaplus while the gradient keeps its sign
 * and shrunk by etaminus when it flips (after which that gradient counts as
 * zero); the update uses only the sign of the gradient:
 *
 *     f    = etaplus if g*prev > 0, etaminus if < 0, else 1
 *     s    = clamp(s * f, step_size_min, step_size_max)   (s starts at lr)
 *     g    = 0 where f == etaminus
 *     p   -= sign(g) * s;   prev = g
 *
 * Meant for full-batch training; mini-batch noise flips signs often.
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_ETAMINUS, HP_ETAPLUS, HP_STEP_MIN, HP_STEP_MAX, HP_COUNT };

static const os_hparam rprop_hparams[HP_COUNT] = {
    [HP_ETAMINUS] = { "etaminus", 0.5, 1e-6, 0.999999, OS_HP_TUNABLE,
                      "step-size factor when the gradient changes sign (< 1)" },
    [HP_ETAPLUS]  = { "etaplus", 1.2, 1.000001, 10.0, OS_HP_TUNABLE,
                      "step-size factor while the sign holds (> 1)" },
    [HP_STEP_MIN] = { "step_size_min", 1e-6, 0.0, 1e6, 0, "smallest step size" },
    [HP_STEP_MAX] = { "step_size_max", 50.0, 0.0, 1e6, 0, "largest step size" },
};

static int rprop_check(const double *hp, char *err, size_t err_size)
{
    if (hp[HP_STEP_MIN] > hp[HP_STEP_MAX])
        return os_fail(err, err_size, OS_EINVAL, "step_size_min %g exceeds step_size_max %g",
                       hp[HP_STEP_MIN], hp[HP_STEP_MAX]);
    return OS_OK;
}

/* prev, then the step sizes. */
OS_ZEROED_SLOTS(rprop, 2)

static float sign_of(float x)
{
    return (float)((x > 0.0f) - (x < 0.0f));
}

static int rprop_step(const os_env *env, void *state, float *p, const float *grad,
                      double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const size_t n = env->layout->n;
    const float etaminus = (float)hp[HP_ETAMINUS], etaplus = (float)hp[HP_ETAPLUS];
    const float smin = (float)hp[HP_STEP_MIN], smax = (float)hp[HP_STEP_MAX];
    float *prev = os_slot(state, n, 0), *size = os_slot(state, n, 1);
    if (t == 1) /* torch fills the step sizes with lr on the first step */
        for (size_t i = 0; i < n; i++)
            size[i] = (float)lr;

    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        float s = sign_of(g * prev[i]);
        float f = s > 0.0f ? etaplus : s < 0.0f ? etaminus : 1.0f;
        size[i] = fminf(fmaxf(size[i] * f, smin), smax);
        if (f == etaminus)
            g = 0.0f;
        p[i] = p[i] - sign_of(g) * size[i];
        prev[i] = g;
    }
    return OS_OK;
}

static const os_optimizer rprop = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "rprop",
    .summary = "Rprop, sign-based per-parameter step sizes (torch.optim.Rprop; Riedmiller & Braun 1993)",
    .default_lr = 1e-2,
    .n_hparams = HP_COUNT,
    .hparams = rprop_hparams,
    .check = rprop_check,
    .state_bytes = rprop_state_bytes,
    .init = rprop_init,
    .step = rprop_step,
};

OS_EXPORT_OPTIMIZERS(&rprop)
