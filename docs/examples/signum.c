/*
 * signum — an example optimizer plugin for optselect, built out of tree:
 *
 *     cc -O2 -shared -fPIC $(pkg-config --cflags optselect-plugin) signum.c -o signum.so
 *
 * signSGD and Signum (Bernstein et al., 2018, "signSGD: Compressed
 * Optimisation for Non-Convex Problems", Algorithm 1 and 3): step along the
 * sign of the gradient, or of its momentum.
 *
 *     m  = beta * m + (1 - beta) * g        (Signum; beta = 0 is signSGD)
 *     p -= lr * (sign(m) + weight_decay * p)
 */
#include <string.h>
#include <optselect/plugin.h>

/* Hyperparameters: the host validates config values against this table and
 * passes them to every call, in this order, as doubles. */
enum { HP_BETA, HP_WEIGHT_DECAY, HP_COUNT };

static const os_hparam signum_hparams[HP_COUNT] = {
    [HP_BETA]         = { "beta", 0.9, 0.0, 0.999, OS_HP_TUNABLE,
                          "momentum of the averaged gradient (0 gives signSGD)" },
    [HP_WEIGHT_DECAY] = { "weight_decay", 0.0, 0.0, 1.0, OS_HP_TUNABLE,
                          "decoupled weight decay, scaled by lr" },
};

/* The state is one float per parameter (the momentum); the host allocates
 * it, so it must hold no pointers. */
static size_t signum_state_bytes(const os_env *env)
{
    return env->layout->n * sizeof(float);
}

static int signum_init(const os_env *env, void *state, const float *params)
{
    memset(state, 0, signum_state_bytes(env));
    return OS_OK;
}

static int signum_step(const os_env *env, void *state, float *p, const float *grad,
                       double lr, uint64_t t)
{
    const float beta = (float)env->hparams[HP_BETA];
    const float wd = (float)env->hparams[HP_WEIGHT_DECAY];
    const float step = (float)lr;
    float *m = state;
    for (size_t i = 0; i < env->layout->n; i++) {
        m[i] = beta * m[i] + (1.0f - beta) * grad[i];
        /* sign(0) = 0, so a zero gradient moves nothing: no NaN, no drift */
        float sign = (float)((m[i] > 0.0f) - (m[i] < 0.0f));
        p[i] -= step * (sign + wd * p[i]);
    }
    return OS_OK;
}

static const os_optimizer signum = {
    OS_OPTIMIZER_HEADER,  /* the ABI handshake: versions and sizes */
    .version = 1,         /* raise it whenever its numbers change */
    .label = "signum",
    .summary = "Signum / signSGD: steps along the sign of the momentum (Bernstein et al. 2018)",
    .default_lr = 1e-3,
    .n_hparams = HP_COUNT,
    .hparams = signum_hparams,
    .state_bytes = signum_state_bytes,
    .init = signum_init,
    .step = signum_step,
};

/* The one exported symbol: descriptors by index, NULL past the last. */
OS_PLUGIN_EXPORT const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? &signum : NULL;
}
