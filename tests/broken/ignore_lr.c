/* SGD that ignores the learning rate it is given (a fixed step of 0.01):
 * it descends, so every other check passes, but in a study every rate
 * would score the same.  Conformance must catch it. */
#include "stateless.h"

static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    for (size_t i = 0; i < env->layout->n; i++)
        p[i] -= 0.01f * g[i];
    return OS_OK;
}

BROKEN_PLUGIN("ignore-lr", "sgd with a fixed step", 0.1)
