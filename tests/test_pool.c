/*
 * Max pooling against a reference written out from its contract (the first
 * strict maximum of a window in reading order takes the value and the
 * gradient), on inputs full of ties, NaNs, infinities and signed zeros,
 * for every row width from 1 to 24 outputs: pool.c's AVX2 kernels (where
 * the CPU has them) and its portable loops must both give the reference's
 * bits, forward (values and places) and backward.
 */
#include <config.h>
#include <math.h>
#include <string.h>
#include "tap.h"
#include "conv.h"
#include "rng.h"

static os_rng rng;

/* Values that make the rule matter: many ties, NaN, ±inf, ±0. */
static float awkward(void)
{
    static const float v[] = { 0.0f, -0.0f, 1.0f, 1.0f, 2.0f, -1.0f, NAN, INFINITY, -INFINITY,
                               0.5f };
    double u = os_rng_uniform(&rng);
    if (u < 0.5) /* half the time a plain value, so windows also differ */
        return (float)(os_rng_uniform(&rng) * 4.0 - 2.0);
    return v[(size_t)(os_rng_uniform(&rng) * (sizeof v / sizeof v[0])) % (sizeof v / sizeof v[0])];
}

/* The contract, one window at a time. */
static void reference(const os_layer *l, const float *x, const float *dy, size_t batch,
                      float *y, unsigned char *where, float *dx)
{
    const size_t k = l->kernel;
    memset(dx, 0, batch * l->in * sizeof *dx);
    for (size_t p = 0; p < batch * l->c_in; p++)
        for (size_t oi = 0; oi < l->h_out; oi++)
            for (size_t oj = 0; oj < l->w_out; oj++) {
                const float *win = x + p * l->h_in * l->w_in + oi * k * l->w_in + oj * k;
                float m = win[0];
                unsigned at = 0;
                for (size_t a = 0; a < k; a++)
                    for (size_t b = 0; b < k; b++)
                        if (win[a * l->w_in + b] > m) {
                            m = win[a * l->w_in + b];
                            at = (unsigned)(a * k + b);
                        }
                const size_t o = (p * l->h_out + oi) * l->w_out + oj;
                y[o] = m;
                where[o] = (unsigned char)at;
                dx[p * l->in / l->c_in + (oi * k + at / k) * l->w_in + oj * k + at % k] = dy[o];
            }
}

/* Runs the layer both ways; returns the widths (as a count) that differ. */
static int check(size_t c, size_t h, size_t w, size_t batch, int simd, int *compared)
{
    os_layer l = os_layer_maxpool2d(c, h, w, 2);
    size_t nx = batch * l.in, ny = batch * l.out;
    float *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
    float *y = malloc(ny * sizeof *y), *dx = malloc(nx * sizeof *dx);
    float *ry = malloc(ny * sizeof *ry), *rdx = malloc(nx * sizeof *rdx);
    unsigned char *rwhere = malloc(ny);
    float *scratch = malloc(os_pool_scratch(&l, batch) * sizeof(float));
    for (size_t i = 0; i < nx; i++)
        x[i] = awkward();
    for (size_t i = 0; i < ny; i++)
        dy[i] = awkward();
    reference(&l, x, dy, batch, ry, rwhere, rdx);
    os_pool_simd_use(simd);
    memset(dx, 0xa5, nx * sizeof *dx); /* every place must be written */
    os_pool_forward(&l, x, y, batch, scratch);
    os_pool_backward(&l, dy, dx, batch, scratch);
    int bad = memcmp(y, ry, ny * sizeof *y) || memcmp(scratch, rwhere, ny) ||
              memcmp(dx, rdx, nx * sizeof *dx);
    (*compared)++;
    free(x), free(dy), free(y), free(dx), free(ry), free(rdx), free(rwhere), free(scratch);
    return bad;
}

int main(void)
{
    os_rng_seed(&rng, 7, 0);
    int kernels = os_pool_simd_use(1);
    diag("AVX2 kernels on this CPU: %s", kernels ? "yes" : "no");
    for (int simd = 1; simd >= 0; simd--) {
        const char *way = simd ? "the kernels (or the loops, without AVX2)" : "the portable loops";
        int bad = 0, compared = 0;
        for (size_t wo = 1; wo <= 24; wo++)
            bad += check(3, 6, 2 * wo, 2, simd, &compared);
        ok(bad == 0, "%s: rows of 1 to 24 outputs give the reference's bits (%d of %d differ)",
           way, bad, compared);
        /* LeNet's two pooling layers, at a small batch */
        bad = check(16, 28, 28, 4, simd, &compared) + check(32, 10, 10, 4, simd, &compared);
        ok(bad == 0, "%s: LeNet's pooling layers give the reference's bits", way);
        /* windows that do not tile (an edge left over) keep the general loops */
        bad = check(2, 5, 17, 3, simd, &compared);
        ok(bad == 0, "%s: an input with an edge left over gives the reference's bits", way);
    }
    os_pool_simd_use(1);
    return done_testing();
}
