/* Declares n floats of state but writes n + 1: conformance's canary after
 * the state must catch it.  (One float past the end lands in the host's
 * guard bytes, so even an AddressSanitizer build reaches the check.) */
#include <optselect/plugin.h>

static size_t bytes(const os_env *env) { return env->layout->n * sizeof(float); }
static int init(const os_env *env, void *s, const float *p) { return OS_OK; }
static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    float *m = s;
    for (size_t i = 0; i <= env->layout->n; i++) { /* off by one */
        float gi = i < env->layout->n ? g[i] : 1.0f;
        m[i] = 0.9f * m[i] + gi;
        if (i < env->layout->n)
            p[i] -= (float)lr * m[i];
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
