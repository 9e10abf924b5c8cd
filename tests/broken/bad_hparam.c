/* A plugin whose hyperparameter default lies outside its own bounds. */
#include <stddef.h>
#include <optselect/plugin.h>

static size_t bytes(const os_env *env) { return 0; }
static int init(const os_env *env, void *s, const float *p) { return OS_OK; }
static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    return OS_OK;
}

static const os_hparam hps[] = {
    { "beta", 2.0, 0.0, 1.0, OS_HP_TUNABLE, "default above max" },
};

static const os_optimizer bad = {
    OS_OPTIMIZER_HEADER,
    .label = "bad-hparam", .summary = "broken table", .default_lr = 0.1,
    .n_hparams = 1, .hparams = hps,
    .state_bytes = bytes, .init = init, .step = step,
};

const os_optimizer *optselect_descriptor(unsigned long index);
const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? &bad : NULL;
}
