/*
 * Every way a convolution can be computed gives the convolution: random
 * geometries (channels 1 to 17, kernels 1 to 7, padding, strides 1 to 3,
 * batches 1 to 5) through the layer dispatch, each under five settings —
 * the default (direct kernels, then oneDNN, then the lowering), the direct
 * kernels without the sparse gradients (conv_sparse.c), no direct kernels,
 * oneDNN for every layer it can take, and the lowering alone — against a
 * reference computed in double from the definition.  dY is dense in a
 * third of the layers, and mostly zero in the rest (as pooling leaves it),
 * some images without a nonzero at all; every other layer is marked as
 * pooled, whatever its dY, which is what lets the sparse gradients take it.  So the
 * hand-overs between the ways (a direction computed by one, the rest by
 * another, the scratch they share) are checked on shapes no other test
 * names, and each setting's result is its own, not the default's.
 */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "conv.h"
#include "rng.h"
#include "conv_ref.h"

static os_rng rng;

static size_t pick(size_t lo, size_t hi)
{
    return lo + (size_t)os_rng_below(&rng, hi - lo + 1);
}

static float value(void)
{
    return (float)(os_rng_uniform(&rng) * 2.0 - 1.0);
}

/* Settings: 0 the default, 1 no sparse gradients, 2 no direct kernels, 3
 * oneDNN wherever it can take a layer, 4 the lowering alone. */
#define SETTINGS 5
static void set(int s)
{
    os_conv_direct_use(s <= 1);
    os_conv_channels_use(s <= 1);
    os_conv_winograd_use(s <= 1);
    os_conv_sparse_use(s == 0);
    os_conv_dnnl_use(s <= 2 ? 1 : s == 3 ? 2 : 0);
}

int main(void)
{
    os_rng_seed(&rng, 42, 13);
    static const char *names[] = { "the default", "no sparse gradients", "no direct kernels",
                                   "oneDNN everywhere", "the lowering alone" };
    const int layers = 48;
    double worst[SETTINGS] = { 0 };
    int first_layer_worst[SETTINGS] = { 0 };
    for (int i = 0; i < layers; i++) {
        /* channels from the shapes the kernels take (1, eights) and others */
        static const size_t channels[] = { 1, 2, 3, 8, 16, 12, 5, 17, 24 };
        const size_t c = channels[pick(0, 8)], c_out = channels[pick(0, 8)];
        const size_t k = pick(1, 7), pad = pick(0, k - 1 < 3 ? k - 1 : 3), stride = pick(1, 3);
        const size_t h = pick(k > 2 * pad ? k - 2 * pad : 1, 15);
        const size_t w = pick(k > 2 * pad ? k - 2 * pad : 1, 30), batch = pick(1, 5);
        os_layer l = os_layer_conv2d(c, h, w, c_out, k, pad, stride);
        l.pooled_by = i % 2 ? 2 : 0; /* the sparse gradients take every other layer */
        const size_t np = l.n_params, nx = batch * l.in, ny = batch * l.out;
        float *p = malloc(np * sizeof *p), *x = malloc(nx * sizeof *x);
        float *dy = malloc(ny * sizeof *dy), *y = malloc(ny * sizeof *y);
        float *dx = malloc(nx * sizeof *dx), *g = malloc(np * sizeof *g);
        double *ry = malloc(ny * sizeof *ry), *rdx = malloc(nx * sizeof *rdx);
        double *rdw = malloc(np * sizeof *rdw);
        for (size_t j = 0; j < np; j++)
            p[j] = value();
        for (size_t j = 0; j < nx; j++)
            x[j] = value();
        const double nonzero = i % 3 == 0 ? 1.0 : i % 3 == 1 ? 0.2 : 0.02;
        for (size_t j = 0; j < ny; j++)
            dy[j] = os_rng_uniform(&rng) < nonzero ? value() : 0.0f;
        conv_reference(&l, p, x, dy, batch, ry, rdx, rdw);
        for (int s = 0; s < SETTINGS; s++) {
            set(s); /* before the scratch is sized */
            float *scratch = malloc((os_layer_scratch(&l, batch) + 1) * sizeof *scratch);
            os_layer_forward(&l, p, x, y, batch, scratch);
            os_layer_backward(&l, p, x, y, dy, dx, g, batch, scratch);
            double e = fmax(conv_ref_gap(y, ry, ny),
                            fmax(conv_ref_gap(dx, rdx, nx), conv_ref_gap(g, rdw, np)));
            /* and as a first layer, without dX (conv_direct.c's weights) */
            os_layer_backward(&l, p, x, y, dy, NULL, g, batch, scratch);
            double e1 = conv_ref_gap(g, rdw, np);
            if (e > worst[s])
                worst[s] = e;
            if (e1 > worst[s]) {
                worst[s] = e1;
                first_layer_worst[s] = 1;
            }
            free(scratch);
        }
        set(0);
        free(p), free(x), free(dy), free(y), free(dx), free(g), free(ry), free(rdx), free(rdw);
    }
    for (int s = 0; s < SETTINGS; s++)
        ok(worst[s] < 1e-5, "%d random convolutions, %s: Y, dX and dW as the definition gives "
           "them (largest gap %.2g of the largest value%s)", layers, names[s], worst[s],
           first_layer_worst[s] ? ", in a first layer's dW" : "");
    return done_testing();
}
