/* Plain SGD that calls exit(3) in its third step: under isolation = process the
 * study must file a failed (or diverged) trial with the cause and go on. */
#include "stateless.h"
#include <stdlib.h>

static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    if (t == 3) {
        exit(3);
    }
    sgd_update(env, p, g, lr);
    return OS_OK;
}

BROKEN_PLUGIN("exit", "sgd that calls exit(3) in its third step", 0.01)
