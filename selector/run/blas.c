/* blas.c — see blas.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include "blas.h"

#ifdef HAVE_OPENBLAS
/* Cores whose kernels use AVX-512 or AVX2, best first. */
static int core_has_avx512(const char *core)
{
    return strstr(core, "SkylakeX") || strstr(core, "Cooperlake") ||
           strstr(core, "SapphireRapids");
}

static int core_has_avx2(const char *core)
{
    return core_has_avx512(core) || strstr(core, "Haswell") || strstr(core, "Zen");
}
#endif

/* The best core type whose kernels this CPU can run, or NULL. */
static const char *best_coretype(void)
{
#if defined(HAVE_OPENBLAS) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
#endif
    return NULL;
}

/* Whether the running core's kernels fall short of best. */
static int core_is_weaker(const char *best)
{
#ifdef HAVE_OPENBLAS
    const char *core = openblas_get_corename();
    if (!best || !core)
        return 0;
    return !strcmp(best, "SkylakeX") ? !core_has_avx512(core) : !core_has_avx2(core);
#else
    (void)best;
    return 0;
#endif
}

const char *os_blas_wanted_coretype(void)
{
    if (getenv("OPENBLAS_CORETYPE"))
        return NULL;
    const char *best = best_coretype();
    return core_is_weaker(best) ? best : NULL;
}

const char *os_blas_advice(void)
{
    static char buf[256];
    const char *set = getenv("OPENBLAS_CORETYPE"), *best = best_coretype();
    if (!set || !core_is_weaker(best))
        return NULL;
    snprintf(buf, sizeof buf, "OPENBLAS_CORETYPE=%s is set, but this CPU runs %s kernels; "
             "unset it or set OPENBLAS_CORETYPE=%s for faster matrix products", set, best, best);
    return buf;
}

void os_blas_set_threads(int n)
{
#ifdef HAVE_OPENBLAS
    openblas_set_num_threads(n);
#else
    (void)n;
#endif
}

const char *os_blas_describe(void)
{
#ifdef HAVE_OPENBLAS
    static char buf[256];
    snprintf(buf, sizeof buf, "%s (core %s)", openblas_get_config(), openblas_get_corename());
    return buf;
#else
    return "CBLAS";
#endif
}
