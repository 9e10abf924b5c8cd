/* Declares 4 bytes of state per parameter but writes 8: conformance's
 * canary after the state must catch it. */
#include <optselect/plugin.h>

static size_t bytes(const os_env *env) { return env->layout->n * sizeof(float); }
static int init(const os_env *env, void *s, const float *p) { return OS_OK; }
static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    float *m = s;
    for (size_t i = 0; i < env->layout->n; i++) {
        m[2 * i] = 0.9f * m[2 * i] + g[i]; /* strides past the end */
        p[i] -= (float)lr * m[2 * i];
    }
    return OS_OK;
}

static const os_optimizer d = {
    OS_OPTIMIZER_HEADER, .label = "overflow-state", .summary = "writes past its state",
    .default_lr = 0.01, .state_bytes = bytes, .init = init, .step = step,
};

const os_optimizer *optselect_descriptor(unsigned long index);
const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? &d : NULL;
}
