/* Plain SGD that calls abort() in its third step: under isolation = process the
 * study must file a failed (or diverged) trial with the cause and go on. */
#include "stateless.h"
#include <stdlib.h>

static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    if (t == 3) {
        abort();
    }
    sgd_update(env, p, g, lr);
    return OS_OK;
}

BROKEN_PLUGIN("abort", "sgd that calls abort() in its third step", 0.01)
