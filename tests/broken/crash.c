/* Plain SGD that segfaults in its third step: under isolation = process the
 * study must file a failed (or diverged) trial with the cause and go on. */
#include <optselect/plugin.h>
#include <signal.h>

static size_t bytes(const os_env *env) { return 0; }
static int init(const os_env *env, void *s, const float *p) { return OS_OK; }
static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    if (t == 3) {
        raise(SIGSEGV); /* a null store would be caught by UBSan in sanitizer builds */
    }
    for (size_t i = 0; i < env->layout->n; i++)
        p[i] -= (float)lr * g[i];
    return OS_OK;
}

static const os_optimizer d = {
    OS_OPTIMIZER_HEADER, .label = "crash", .summary = "sgd that segfaults in its third step",
    .default_lr = 0.01, .state_bytes = bytes, .init = init, .step = step,
};

const os_optimizer *optselect_descriptor(unsigned long index);
const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? &d : NULL;
}
