/* A normalised step written naively: |g| as sqrt(g^4) / |g|, which
 * overflows float once |g| passes 1e9.5 and turns the parameters infinite;
 * ordinary gradients (and zero ones) are fine.  Conformance must catch it. */
#include <math.h>
#include "stateless.h"

static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    (void)s, (void)t;
    for (size_t i = 0; i < env->layout->n; i++) {
        float q = g[i] * g[i] * g[i] * g[i];
        p[i] -= g[i] == 0 ? 0 : (float)lr * g[i] * (sqrtf(q) / (g[i] * g[i]));
    }
    return OS_OK;
}

BROKEN_PLUGIN("big-grad", "a normalised step that overflows on large gradients", 0.1)
