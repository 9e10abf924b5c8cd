/* Normalises by |g| without a guard: NaN on a zero gradient.  Conformance
 * must catch it. */
#include "stateless.h"

static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    for (size_t i = 0; i < env->layout->n; i++) {
        float mag = g[i] < 0 ? -g[i] : g[i];
        p[i] -= (float)lr * g[i] / mag;
    }
    return OS_OK;
}

BROKEN_PLUGIN("nan-zero", "sign descent without a guard", 0.01)
