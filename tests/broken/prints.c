/* SGD that prints to standard output at every step: in a study it would
 * garble the report on stdout.  Conformance must catch it. */
#include <stdio.h>
#include <optselect/plugin.h>

static size_t bytes(const os_env *env) { return 0; }
static int init(const os_env *env, void *s, const float *p) { return OS_OK; }
static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    printf("step %llu\n", (unsigned long long)t);
    for (size_t i = 0; i < env->layout->n; i++)
        p[i] -= (float)lr * g[i];
    return OS_OK;
}

static const os_optimizer d = {
    OS_OPTIMIZER_HEADER, .label = "prints", .summary = "sgd that prints every step",
    .default_lr = 0.1, .state_bytes = bytes, .init = init, .step = step,
};

OS_PLUGIN_EXPORT const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? &d : NULL;
}
