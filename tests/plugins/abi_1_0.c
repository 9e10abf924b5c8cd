/* A plugin as built against the ABI 1.0 header: minor 0, and a descriptor
 * that ends after step.  Later 1.x hosts must keep loading and running it. */
#include <stddef.h>
#include <optselect/plugin.h>

/* The ABI 1.0 descriptor, field for field. */
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
} descriptor_1_0;

static size_t bytes(const os_env *env) { return 0; }
static int init(const os_env *env, void *s, const float *p) { return OS_OK; }
static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    for (size_t i = 0; i < env->layout->n; i++)
        p[i] -= (float)lr * g[i];
    return OS_OK;
}

static const descriptor_1_0 old = {
    1, 0, sizeof(descriptor_1_0), sizeof(float), "old-sgd", "plain SGD built for ABI 1.0",
    0.1, 0, NULL, NULL, bytes, init, step,
};

/* (the 1.0 header declared no prototype: the cast stands for that) */
const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? (const os_optimizer *)(const void *)&old : NULL;
}
