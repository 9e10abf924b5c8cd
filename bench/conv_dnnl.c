/*
 * conv_dnnl.c — the CNN step's two convolutions (configs/fashion-mnist-cnn.ini:
 * 1 -> 16 channels, 5x5, pad 2 on 28x28; 16 -> 32, 5x5 on 14x14), forward and
 * backward at batch 128 on one thread, five ways, all through the layer
 * functions on optselect's NCHW buffers (os_conv_dnnl_use and the
 * kernels' os_conv_*_use pick the way):
 *   lowering  — models/conv.c's im2col and sgemm for every layer;
 *   oneDNN    — models/conv_dnnl.c for every layer: oneDNN's direct
 *               kernels in its blocked layouts, the reorders from and to
 *               NCHW counted in;
 *   dense     — optselect's direct kernels, models/conv_direct.c (one
 *               input channel) and models/conv_channels.c (channels in
 *               eights), the lowering for what they do not cover;
 *   direct    — the same, with the gradients of layers whose input
 *               channels come in eights from dY's nonzeros alone
 *               (models/conv_sparse.c);
 *   optselect — the rule a build with oneDNN follows: the forward in
 *               Winograd's form where it fits (models/conv_winograd.c:
 *               conv2), the direct kernels where they fit, then oneDNN
 *               for eight input channels or more, the lowering for the
 *               rest.
 * dY is what 2 × 2 max pooling and a relu after it hand a convolution in
 * training: in each window of each channel one pixel holds a value, in
 * three windows of five (the CNN's second layer sees 10-16% of its dY
 * nonzero in a study of configs/fashion-mnist-cnn.ini; this is 15%).
 * Prints milliseconds per step, the best of rounds; then the forward alone,
 * direct (conv_direct.c, conv_channels.c) and as optselect runs it.  bench/conv_dnnl.sh
 * builds and runs it; docs/performance.md holds its results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "../models/conv.h"

#define BATCH 128
#define ROUNDS 7
#define REPS 10

typedef struct shape { size_t c, h, w, c_out, k, pad; int need_dx; } shape;

static const shape shapes[] = {
    { 1, 28, 28, 16, 5, 2, 0 },   /* conv1: the input needs no gradient */
    { 16, 14, 14, 32, 5, 0, 1 },
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *randoms(size_t n)
{
    float *p = malloc(n * sizeof *p);
    if (!p) {
        perror("conv_dnnl");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        p[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    return p;
}

/* dY as pooling leaves it (above), the layer's output planes h × w. */
static float *pooled_gradient(size_t planes, size_t h, size_t w)
{
    float *d = calloc(planes * h * w, sizeof *d);
    if (!d) {
        perror("conv_dnnl");
        exit(1);
    }
    for (size_t p = 0; p < planes; p++)
        for (size_t i = 0; i + 1 < h; i += 2)
            for (size_t j = 0; j + 1 < w; j += 2)
                if (rand() % 5 < 3)
                    d[(p * h + i + (size_t)(rand() % 2)) * w + j + (size_t)(rand() % 2)] =
                        (float)rand() / (float)RAND_MAX - 0.5f;
    return d;
}

/* Best milliseconds of one forward and backward of the layer, over rounds
 * of REPS, with oneDNN taking layers as `dnnl` says (os_conv_dnnl_use) and
 * the direct kernels as `direct` does. */
static double time_layer(const shape *s, int dnnl, int direct, int sparse, int winograd,
                         int backward)
{
    os_conv_dnnl_use(dnnl); /* before the scratch is sized */
    os_conv_direct_use(direct);
    os_conv_channels_use(direct);
    os_conv_sparse_use(sparse);
    os_conv_winograd_use(winograd);
    os_layer l = os_layer_conv2d(s->c, s->h, s->w, s->c_out, s->k, s->pad, 1);
    l.param_offset = 0;
    l.pooled_by = 2;
    float *params = randoms(l.n_params), *dparams = randoms(l.n_params);
    float *x = randoms(BATCH * l.in), *dx = randoms(BATCH * l.in);
    float *y = randoms(BATCH * l.out), *dy = pooled_gradient(BATCH * s->c_out, l.h_out, l.w_out);
    float *scratch = randoms(os_conv_scratch(&l, BATCH) + 1);
    double best = 1e30;
    for (int r = 0; r <= ROUNDS; r++) { /* round 0 warms up */
        double t0 = now();
        for (int i = 0; i < REPS; i++) {
            os_conv_forward(&l, params, x, y, BATCH, scratch);
            if (backward)
                os_conv_backward(&l, params, x, dy, s->need_dx ? dx : NULL, dparams, BATCH,
                                 scratch);
        }
        double ms = (now() - t0) * 1e3 / REPS;
        if (r && ms < best)
            best = ms;
    }
    free(params), free(dparams), free(x), free(dx), free(y), free(dy), free(scratch);
    return best;
}

int main(void)
{
    printf("batch %d, one thread, ms per step (best of %d rounds of %d)\n", BATCH, ROUNDS, REPS);
    printf("%-6s %9s %9s %9s %9s %9s\n", "layer", "lowering", "oneDNN", "dense", "direct",
           "optselect");
    double tot[5] = { 0 };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        double t[5] = { time_layer(&shapes[i], 0, 0, 0, 0, 1),
                        time_layer(&shapes[i], 2, 0, 0, 0, 1),
                        time_layer(&shapes[i], 0, 1, 0, 0, 1),
                        time_layer(&shapes[i], 0, 1, 1, 0, 1),
                        time_layer(&shapes[i], 1, 1, 1, 1, 1) };
        printf("conv%-2zu %9.2f %9.2f %9.2f %9.2f %9.2f\n", i + 1, t[0], t[1], t[2], t[3], t[4]);
        for (int k = 0; k < 5; k++)
            tot[k] += t[k];
    }
    printf("%-6s %9.2f %9.2f %9.2f %9.2f %9.2f\n", "both", tot[0], tot[1], tot[2], tot[3],
           tot[4]);
    printf("forward alone, ms\n%-6s %9s %9s\n", "layer", "direct", "optselect");
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        printf("conv%-2zu %9.2f %9.2f\n", i + 1, time_layer(&shapes[i], 0, 1, 1, 0, 0),
               time_layer(&shapes[i], 1, 1, 1, 1, 0));
    return 0;
}
