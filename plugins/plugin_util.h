/*
 * plugin_util.h — small helpers shared by the bundled plugins (not installed;
 * third-party plugins need only <optselect/plugin.h>).
 */
#ifndef OS_PLUGIN_UTIL_H
#define OS_PLUGIN_UTIL_H

#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <optselect/plugin.h>

/* Writes a message into the host's buffer (if any) and returns code, so that
 * a failing path reads:  return os_fail(env->err, env->err_size, OS_EINVAL, ...). */
static inline int os_fail(char *err, size_t err_size, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int os_fail(char *err, size_t err_size, int code, const char *fmt, ...)
{
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* The state is a run of float vectors of length n each; slot k of it. */
static inline float *os_slot(void *state, size_t n, unsigned k)
{
    return (float *)state + (size_t)k * n;
}

/* init for optimizers whose state starts at zero: zeroes bytes of state
 * (state may be NULL when bytes is 0). */
static inline int os_zero_state(void *state, size_t bytes)
{
    if (state && bytes)
        memset(state, 0, bytes);
    return OS_OK;
}

/* init for a plugin NAME whose state starts at zero: defines NAME_init
 * over NAME_state_bytes. */
#define OS_ZERO_INIT(name)                                                          \
    static int name##_init(const os_env *env, void *state, const float *params)    \
    {                                                                              \
        (void)params;                                                              \
        return os_zero_state(state, name##_state_bytes(env));                      \
    }

/* state_bytes and init for a plugin NAME whose state is `slots` floats per
 * parameter, all starting at zero (os_slot addresses slot k). */
#define OS_ZEROED_SLOTS(name, slots)                                               \
    static size_t name##_state_bytes(const os_env *env)                            \
    {                                                                              \
        return (size_t)(slots) * env->layout->n * sizeof(float);                   \
    }                                                                              \
    OS_ZERO_INIT(name)

/* The hyperparameter rows many optimizers share, with torch's defaults and
 * bounds: one text for one meaning. */
#define OS_HP_ROW_BETA1 { "beta1", 0.9, 0.0, 0.9999999, OS_HP_TUNABLE, \
                          "decay rate of the first-moment estimate" }
#define OS_HP_ROW_BETA2 { "beta2", 0.999, 0.0, 0.9999999, OS_HP_TUNABLE, \
                          "decay rate of the second-moment estimate" }
#define OS_HP_ROW_EPS(def) { "eps", def, 0.0, 1.0, 0, \
                             "added to the denominator for numerical stability" }
#define OS_HP_ROW_L2_DECAY { "weight_decay", 0.0, 0.0, 1.0, OS_HP_TUNABLE, \
                             "L2 penalty added to the gradient" }

/* Consecutive tensors that take weight decay alike (os_env.decays), as a
 * range of elements, for the element-wise methods, whose loops then run
 * unchanged over each range:
 *     for (os_span r = { 0 }; os_next_span(env, &r);)
 *         update(p + r.begin, r.end - r.begin, r.decays ? wd : 0);
 * Without flags the one range is [0, n), so a study without decay =
 * weights computes exactly what one loop over the buffer did. */
typedef struct os_span {
    size_t begin, end; /* the elements [begin, end)                          */
    int    decays;     /* whether they take weight decay                     */
    size_t tensor;     /* the first tensor after them (the iterator's own)   */
} os_span;

static inline int os_next_span(const os_env *env, os_span *r)
{
    const os_layout *l = env->layout;
    if (r->end >= l->n || (env->decays && r->tensor >= l->n_tensors))
        return 0;
    r->begin = r->end;
    if (!env->decays) {
        r->end = l->n;
        r->decays = 1;
        return 1;
    }
    r->decays = env->decays[r->tensor] != 0;
    while (r->tensor < l->n_tensors && (env->decays[r->tensor] != 0) == r->decays) {
        r->end = l->tensors[r->tensor].offset + l->tensors[r->tensor].size;
        r->tensor++;
    }
    return 1;
}

/* The weight decay of span r: wd where its tensors take it, 0 where not. */
static inline float os_span_decay(const os_span *r, float wd)
{
    return r->decays ? wd : 0.0f;
}

/* The gradient an update sees under torch's coupled weight_decay (an L2
 * penalty): g + wd * p, exactly g when wd is 0. */
static inline float os_l2_grad(float g, float p, float wd)
{
    return wd != 0.0f ? g + wd * p : g;
}

/* Marks an update loop's function to be compiled for AVX-512 and AVX2 as
 * well as the build's baseline, the loader picking the widest the CPU has
 * (GCC's target_clones, through an ifunc).  Elementwise float arithmetic
 * gives the same bits at any vector width (the build turns off FMA
 * contraction), so only the speed depends on the machine. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define OS_VECTORISED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define OS_VECTORISED
#endif

/* Defines the file's one exported symbol over its descriptors, in order:
 *     OS_EXPORT_OPTIMIZERS(&adam, &adamw) */
#define OS_EXPORT_OPTIMIZERS(...)                                                   \
    OS_PLUGIN_EXPORT const os_optimizer *optselect_descriptor(unsigned long index) \
    {                                                                              \
        static const os_optimizer *const all[] = { __VA_ARGS__ };                  \
        return index < sizeof all / sizeof *all ? all[index] : NULL;               \
    }

/* The length of the approximated simple moving average behind RAdam's
 * rectification (Liu et al. 2020, eq. 6): rho_inf, and rho_t at step t
 * given beta2^t.  Shared by radam and adabelief's rectified mode. */
static inline void os_sma_length(double beta2, double beta2_t, uint64_t t, double *rho_inf,
                                 double *rho_t)
{
    *rho_inf = 2.0 / (1.0 - beta2) - 1.0;
    *rho_t = *rho_inf - 2.0 * (double)t * beta2_t / (1.0 - beta2_t);
}

/* Euclidean norm of x[0..n), accumulated in double: per-tensor trust ratios
 * compare norms of vectors with up to millions of entries. */
static inline float os_norm(const float *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return (float)sqrt(s);
}

#endif
