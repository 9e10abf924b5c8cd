/* Normalises by |g| without a guard: NaN on a zero gradient.  Conformance
 * must catch it. */
#include <optselect/plugin.h>

static size_t bytes(const os_env *env) { return 0; }
static int init(const os_env *env, void *s, const float *p) { return OS_OK; }
static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    for (size_t i = 0; i < env->layout->n; i++) {
        float mag = g[i] < 0 ? -g[i] : g[i];
        p[i] -= (float)lr * g[i] / mag;
    }
    return OS_OK;
}

static const os_optimizer d = {
    OS_OPTIMIZER_HEADER, .label = "nan-zero", .summary = "sign descent without a guard",
    .default_lr = 0.01, .state_bytes = bytes, .init = init, .step = step,
};

const os_optimizer *optselect_descriptor(unsigned long index);
const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? &d : NULL;
}
