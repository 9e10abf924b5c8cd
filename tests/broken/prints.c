/* SGD that prints to standard output at every step: in a study it would
 * garble the report on stdout.  Conformance must catch it. */
#include <stdio.h>
#include "stateless.h"

static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    printf("step %llu\n", (unsigned long long)t);
    sgd_update(env, p, g, lr);
    return OS_OK;
}

BROKEN_PLUGIN("prints", "sgd that prints every step", 0.1)
