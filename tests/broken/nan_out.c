/* Plain SGD that writes NaN into the parameters in its third step: under isolation = process the
 * study must file a failed (or diverged) trial with the cause and go on. */
#include "stateless.h"
#include <math.h>

static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    if (t == 3) {
        for (size_t i = 0; i < env->layout->n; i++) p[i] = NAN;
    }
    sgd_update(env, p, g, lr);
    return OS_OK;
}

BROKEN_PLUGIN("nan-out", "sgd that writes NaN into the parameters in its third step", 0.01)
