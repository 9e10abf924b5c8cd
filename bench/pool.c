/*
 * bench/pool.c — max pooling 2 × 2 on the CNN's two pooled tensors (conv1's
 * 16 × 28 × 28 and conv2's 32 × 10 × 10 outputs), batch 128, one thread:
 * models/pool.c's AVX2 kernels against its portable loops (the
 * vectorised C that ran before them), forward and backward, milliseconds
 * a call, best of 7 rounds of 20 calls.  Both ways must give the same
 * bits, which it checks.  Built and run by bench/pool.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../models/conv.h"

#define BATCH 128
#define ROUNDS 7
#define REPS 20

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct timing {
    double fwd, bwd;
} timing;

/* Times one way (kernels on or off) into t; out, dx and where receive the
 * last call's results. */
static void time_pool(const os_layer *l, int kernels, const float *x, const float *dy, float *y,
                      float *dx, float *where, timing *t)
{
    os_pool_simd_use(kernels);
    t->fwd = t->bwd = 1e30;
    for (int r = 0; r <= ROUNDS; r++) { /* round 0 warms up */
        double t0 = now();
        for (int i = 0; i < REPS; i++)
            os_pool_forward(l, x, y, BATCH, where);
        double t1 = now();
        for (int i = 0; i < REPS; i++)
            os_pool_backward(l, dy, dx, BATCH, where);
        double t2 = now();
        if (r && (t1 - t0) * 1e3 / REPS < t->fwd)
            t->fwd = (t1 - t0) * 1e3 / REPS;
        if (r && (t2 - t1) * 1e3 / REPS < t->bwd)
            t->bwd = (t2 - t1) * 1e3 / REPS;
    }
}

int main(void)
{
    static const size_t shapes[][2] = { { 16, 28 }, { 32, 10 } }; /* channels, side */
    int have = os_pool_simd_use(1);
    printf("batch %d, one thread, ms per call (best of %d rounds of %d); AVX2 kernels: %s\n",
           BATCH, ROUNDS, REPS, have ? "yes" : "no (both columns are the loops)");
    printf("%-14s %9s %9s %9s %9s  %s\n", "input", "fwd loops", "fwd AVX2", "bwd loops",
           "bwd AVX2", "bits");
    srand(1);
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        os_layer l = os_layer_maxpool2d(shapes[s][0], shapes[s][1], shapes[s][1], 2);
        size_t nx = BATCH * l.in, ny = BATCH * l.out, nw = os_pool_scratch(&l, BATCH);
        float *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
        float *y[2], *dx[2], *where[2];
        for (int k = 0; k < 2; k++) {
            y[k] = malloc(ny * sizeof *y[k]);
            dx[k] = malloc(nx * sizeof *dx[k]);
            where[k] = malloc(nw * sizeof *where[k]);
        }
        for (size_t i = 0; i < nx; i++) /* a convolution's output: half below zero */
            x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
        for (size_t i = 0; i < ny; i++)
            dy[i] = (float)rand() / (float)RAND_MAX - 0.5f;
        timing t[2];
        for (int k = 0; k < 2; k++)
            time_pool(&l, k, x, dy, y[k], dx[k], where[k], &t[k]);
        int same = !memcmp(y[0], y[1], ny * sizeof *y[0]) &&
                   !memcmp(where[0], where[1], BATCH * l.out) &&
                   !memcmp(dx[0], dx[1], nx * sizeof *dx[0]);
        char name[32];
        snprintf(name, sizeof name, "%zux%zux%zu", shapes[s][0], shapes[s][1], shapes[s][1]);
        printf("%-14s %9.3f %9.3f %9.3f %9.3f  %s\n", name, t[0].fwd, t[1].fwd, t[0].bwd,
               t[1].bwd, same ? "same" : "DIFFERENT");
        for (int k = 0; k < 2; k++)
            free(y[k]), free(dx[k]), free(where[k]);
        free(x), free(dy);
        if (!same)
            return 1;
    }
    os_pool_simd_use(1);
    return 0;
}
