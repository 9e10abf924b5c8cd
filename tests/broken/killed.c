/* Plain SGD whose process is SIGKILLed in its third step, as if by the
 * out-of-memory killer each time: under isolation = process the trial
 * restarts once in a new worker, is killed again, and then fails, saying
 * it was killed twice. */
#include "stateless.h"
#include <signal.h>

static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    if (t == 3)
        raise(SIGKILL);
    sgd_update(env, p, g, lr);
    return OS_OK;
}

BROKEN_PLUGIN("killed", "sgd whose process is killed in its third step", 0.01)
