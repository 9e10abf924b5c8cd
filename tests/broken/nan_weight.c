/* SGD that writes NaN into one weight (the first of the first layer) in
 * its third step.  Behind a ReLU the NaN never reaches the loss (the unit
 * is clamped to 0), so only a check of the parameters catches it: the
 * trial must end as diverged, naming the tensor. */
#include <math.h>
#include <optselect/plugin.h>

static size_t bytes(const os_env *env) { return 0; }
static int init(const os_env *env, void *s, const float *p) { return OS_OK; }
static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    for (size_t i = 0; i < env->layout->n; i++)
        p[i] -= (float)lr * g[i];
    if (t == 3)
        p[0] = NAN;
    return OS_OK;
}

static const os_optimizer d = {
    OS_OPTIMIZER_HEADER, .label = "nan-weight", .summary = "sgd that poisons one weight",
    .default_lr = 0.1, .state_bytes = bytes, .init = init, .step = step,
};

OS_PLUGIN_EXPORT const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? &d : NULL;
}
