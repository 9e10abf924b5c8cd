/* Plain SGD that loops forever in its third step: under isolation = process the
 * study must file a failed (or diverged) trial with the cause and go on. */
#include "stateless.h"

static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    if (t == 3) {
        for (volatile unsigned long spin = 0;; spin++) ;
    }
    sgd_update(env, p, g, lr);
    return OS_OK;
}

BROKEN_PLUGIN("hang", "sgd that loops forever in its third step", 0.01)
