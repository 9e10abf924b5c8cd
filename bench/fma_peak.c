/*
 * fma_peak.c — the single-precision peak of one core, measured: the GFLOP/s
 * of fused multiply-adds that depend on nothing but themselves, the most
 * any product (sgemm's included) can reach on this core.
 *
 *   cc -O2 -mavx2 -mfma fma_peak.c -o fma_peak
 *   ./fma_peak [SECONDS]        (0.3 s a round unless given; best of 5)
 *
 * Prints the GFLOP/s (an FMA of 8 lanes counts 16 FLOP).  An FMA's result
 * is ready some cycles after it issues (4 on Zen 3 and on Intel's cores
 * since Skylake) and two can issue a cycle, so 8 chains at least keep both
 * units busy; 12 leave a margin for cores with a longer latency.  Built
 * without AVX2 and FMA it says so and exits 1: the figure would not be the
 * core's.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#define CHAINS 12

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* n rounds of CHAINS independent FMAs; returns a sum of the lanes so the
 * compiler cannot drop the work.  a * x + b with a just under 1 and b
 * small keeps every value finite and normal however long it runs. */
static float fma_rounds(long n)
{
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
    /* twelve named registers: an array of them, looped over, is kept in
     * memory at -O2 and measures the stores instead */
    __m256 c0 = _mm256_set1_ps(0.f), c1 = _mm256_set1_ps(1.f), c2 = _mm256_set1_ps(2.f),
           c3 = _mm256_set1_ps(3.f), c4 = _mm256_set1_ps(4.f), c5 = _mm256_set1_ps(5.f),
           c6 = _mm256_set1_ps(6.f), c7 = _mm256_set1_ps(7.f), c8 = _mm256_set1_ps(8.f),
           c9 = _mm256_set1_ps(9.f), c10 = _mm256_set1_ps(10.f), c11 = _mm256_set1_ps(11.f);
#define CHAIN(c) c = _mm256_fmadd_ps(c, a, b)
    for (long r = 0; r < n; r++) {
        CHAIN(c0), CHAIN(c1), CHAIN(c2), CHAIN(c3), CHAIN(c4), CHAIN(c5);
        CHAIN(c6), CHAIN(c7), CHAIN(c8), CHAIN(c9), CHAIN(c10), CHAIN(c11);
    }
#undef CHAIN
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
}
#endif

int main(int argc, char **argv)
{
#if defined(__AVX2__) && defined(__FMA__)
    double seconds = argc > 1 ? atof(argv[1]) : 0.3;
    if (!(seconds > 0 && seconds < 60)) {
        fprintf(stderr, "fma_peak: SECONDS '%s': expected a number in (0, 60)\n", argv[1]);
        return 2;
    }
    /* calibrate: rounds in about a tenth of the round's time */
    long n = 1 << 16;
    double t;
    for (;;) {
        double t0 = now();
        volatile float sink = fma_rounds(n);
        (void)sink;
        t = now() - t0;
        if (t > seconds / 10)
            break;
        n *= 2;
    }
    n = (long)((double)n * seconds / t);
    double best = 0.0;
    for (int round = 0; round < 5; round++) {
        double t0 = now();
        volatile float sink = fma_rounds(n);
        (void)sink;
        double gflops = (double)n * CHAINS * 16 / (now() - t0) / 1e9;
        if (gflops > best)
            best = gflops;
    }
    printf("%.1f\n", best);
    return 0;
#else
    (void)argc;
    (void)argv;
    fprintf(stderr, "fma_peak: built without AVX2 and FMA (cc -O2 -mavx2 -mfma)\n");
    return 1;
#endif
}
