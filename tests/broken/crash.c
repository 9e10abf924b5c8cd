/* Plain SGD that segfaults in its third step: under isolation = process the
 * study must file a failed (or diverged) trial with the cause and go on. */
#include "stateless.h"
#include <signal.h>

static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    if (t == 3) {
        raise(SIGSEGV); /* a null store would be caught by UBSan in sanitizer builds */
    }
    sgd_update(env, p, g, lr);
    return OS_OK;
}

BROKEN_PLUGIN("crash", "sgd that segfaults in its third step", 0.01)
