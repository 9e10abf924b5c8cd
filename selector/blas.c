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

const char *os_blas_wanted_coretype(void)
{
#if defined(HAVE_OPENBLAS) && (defined(__x86_64__) || defined(__i386__))
    if (getenv("OPENBLAS_CORETYPE"))
        return NULL;
    const char *core = openblas_get_corename();
    if (!core)
        return NULL;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
        !core_has_avx512(core))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !core_has_avx2(core))
        return "Haswell";
#endif
    return NULL;
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
