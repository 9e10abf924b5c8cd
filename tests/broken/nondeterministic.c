/* Keeps a hidden global counter that perturbs its steps: two identical runs
 * differ.  Conformance must catch it. */
#include <optselect/plugin.h>

static unsigned long calls;

static size_t bytes(const os_env *env) { return 0; }
static int init(const os_env *env, void *s, const float *p) { return OS_OK; }
static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    float jitter = 1.0f + 1e-3f * (float)(++calls % 7);
    for (size_t i = 0; i < env->layout->n; i++)
        p[i] -= (float)lr * jitter * g[i];
    return OS_OK;
}

static const os_optimizer d = {
    OS_OPTIMIZER_HEADER, .label = "nondeterministic", .summary = "SGD with hidden state",
    .default_lr = 0.1, .state_bytes = bytes, .init = init, .step = step,
};

const os_optimizer *optselect_descriptor(unsigned long index);
const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? &d : NULL;
}
