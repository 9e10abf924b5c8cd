/* SGD that also reads the gradient one past the end (an off-by-one in a
 * loop that pairs neighbours): every number it produces is right, so only
 * a guard page behind the buffer shows it.  Conformance must catch it. */
#include "stateless.h"

static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    (void)s, (void)t;
    const size_t n = env->layout->n;
    volatile float edge = 0;
    for (size_t i = 0; i <= n; i++) /* <= : one past */
        edge += g[i] * 0.0f;
    sgd_update(env, p, g, lr);
    return edge == 0 ? OS_OK : OS_ENUMERIC;
}

BROKEN_PLUGIN("read-past", "sgd that reads one gradient past the end", 0.1)
