/* SGD that ignores the learning rate it is given (a fixed step of 0.01):
 * it descends, so every other check passes, but in a study every rate
 * would score the same.  Conformance must catch it. */
#include <optselect/plugin.h>

static size_t bytes(const os_env *env) { return 0; }
static int init(const os_env *env, void *s, const float *p) { return OS_OK; }
static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    for (size_t i = 0; i < env->layout->n; i++)
        p[i] -= 0.01f * g[i];
    return OS_OK;
}

static const os_optimizer d = {
    OS_OPTIMIZER_HEADER, .label = "ignore-lr", .summary = "sgd with a fixed step",
    .default_lr = 0.1, .state_bytes = bytes, .init = init, .step = step,
};

OS_PLUGIN_EXPORT const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? &d : NULL;
}
