/* A plugin as built against the ABI 1.1 header: minor 1, a descriptor that
 * ends after eval_params, and an os_env that ends at err_size as far as it
 * knows.  Later 1.x hosts must keep loading and running it, and never read
 * its descriptor past eval_params (the 1.2 version field). */
#include <stddef.h>
#include <optselect/plugin.h>

/* The ABI 1.1 descriptor, field for field. */
typedef struct {
    uint32_t abi_major, abi_minor, struct_size, float_size;
    const char *label, *summary;
    double default_lr;
    size_t n_hparams;
    const os_hparam *hparams;
    int (*check)(const double *, char *, size_t);
    size_t (*state_bytes)(const os_env *);
    int (*init)(const os_env *, void *, const float *);
    int (*step)(const os_env *, void *, float *, const float *, double, uint64_t);
    int (*eval_params)(const os_env *, const void *, const float *, float *);
} descriptor_1_1;

/* Heavy-ball momentum with an L2 penalty on every tensor (a 1.1 plugin
 * cannot see which tensors take none); evaluates at the training point
 * (eval_params copies). */
static const os_hparam hparams[] = {
    { "weight_decay", 0.0, 0.0, 1.0, OS_HP_TUNABLE, "L2 penalty added to the gradient" },
};
static size_t bytes(const os_env *env) { return env->layout->n * sizeof(float); }
static int init(const os_env *env, void *s, const float *p)
{
    float *v = s;
    for (size_t i = 0; i < env->layout->n; i++)
        v[i] = 0;
    return OS_OK;
}
static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    float *v = s;
    const float wd = (float)env->hparams[0];
    for (size_t i = 0; i < env->layout->n; i++) {
        v[i] = 0.9f * v[i] + g[i] + wd * p[i];
        p[i] -= (float)lr * v[i];
    }
    return OS_OK;
}
static int eval(const os_env *env, const void *s, const float *p, float *out)
{
    for (size_t i = 0; i < env->layout->n; i++)
        out[i] = p[i];
    return OS_OK;
}

static const descriptor_1_1 mid = {
    1, 1, sizeof(descriptor_1_1), sizeof(float), "mid-momentum",
    "heavy-ball momentum built for ABI 1.1", 0.01, 1, hparams, NULL, bytes, init, step, eval,
};

/* (the 1.1 header declared no prototype: the cast stands for that) */
const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? (const os_optimizer *)(const void *)&mid : NULL;
}
