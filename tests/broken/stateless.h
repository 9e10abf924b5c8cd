/*
 * stateless.h — what most deliberately broken plugins share: no state, plain
 * SGD's update for those whose defect lies elsewhere, and the descriptor and
 * entry point around the file's own step().  Each plugin stays one file of
 * its own, built as its own module.
 */
#ifndef OS_TESTS_STATELESS_H
#define OS_TESTS_STATELESS_H

#include <optselect/plugin.h>

static size_t bytes(const os_env *env) { (void)env; return 0; }
static int init(const os_env *env, void *s, const float *p)
{
    (void)env, (void)s, (void)p;
    return OS_OK;
}

static inline void sgd_update(const os_env *env, float *p, const float *g, double lr)
{
    for (size_t i = 0; i < env->layout->n; i++)
        p[i] -= (float)lr * g[i];
}

/* The descriptor of the file's step() and the entry point that returns it. */
#define BROKEN_PLUGIN(lbl, sum, lr0)                                                 \
    static const os_optimizer d = {                                                 \
        OS_OPTIMIZER_HEADER, .label = lbl, .summary = sum, .default_lr = lr0,       \
        .state_bytes = bytes, .init = init, .step = step,                           \
    };                                                                              \
    OS_PLUGIN_EXPORT const os_optimizer *optselect_descriptor(unsigned long index)  \
    {                                                                               \
        return index == 0 ? &d : NULL;                                              \
    }

#endif
