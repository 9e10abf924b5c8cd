/* SGD that writes NaN into one weight (the first of the first layer) in
 * its third step.  Behind a ReLU the NaN never reaches the loss (the unit
 * is clamped to 0), so only a check of the parameters catches it: the
 * trial must end as diverged, naming the tensor. */
#include <math.h>
#include "stateless.h"

static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    sgd_update(env, p, g, lr);
    if (t == 3)
        p[0] = NAN;
    return OS_OK;
}

BROKEN_PLUGIN("nan-weight", "sgd that poisons one weight", 0.1)
