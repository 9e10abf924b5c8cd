/*
 * The forward in Winograd's form (models/conv_winograd.c): which layers it
 * takes; its outputs against the definition computed in double, for both
 * kernels, every remainder of a row or column of tiles, padding, and 8 to
 * 24 channels either side; bits that depend on the image and the weights
 * alone (a batch gives what its images give one at a time, whatever the
 * scratch held before); the layer dispatch routing such layers there and
 * the numerics' version saying so.
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

static void fill(float *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = (float)(os_rng_uniform(&rng) * 2.0 - 1.0);
}

static os_layer conv(size_t c, size_t h, size_t w, size_t c_out, size_t k, size_t pad,
                     size_t stride)
{
    os_layer l = os_layer_conv2d(c, h, w, c_out, k, pad, stride);
    l.param_offset = 0;
    return l;
}

/* Whether it takes a layer of these channels, square outputs of side hw,
 * kernel and stride. */
static int takes(size_t c_in, size_t c_out, size_t hw, size_t k, size_t stride)
{
    return os_conv_winograd_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = c_in,
                                                .c_out = c_out, .h_out = hw, .w_out = hw,
                                                .kernel = k, .stride = stride });
}

static void fill_nan(float *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = NAN;
}

/* The forward of l through the dispatch, against the reference: the largest
 * gap over the largest output; *same says whether a batch gave the bits of
 * its images one at a time, each call on a scratch full of NaNs. */
static double forward_gap(const os_layer *l, size_t batch, int *same)
{
    const size_t np = l->n_params, nx = batch * l->in, ny = batch * l->out;
    const size_t ns = os_layer_scratch(l, batch);
    float *p = malloc(np * sizeof *p), *x = malloc(nx * sizeof *x);
    float *y = malloc(ny * sizeof *y), *y1 = malloc(ny * sizeof *y1);
    float *scratch = malloc(ns * sizeof *scratch);
    double *r = malloc(ny * sizeof *r);
    fill(p, np), fill(x, nx);
    fill_nan(scratch, ns);
    os_layer_forward(l, p, x, y, batch, scratch);
    for (size_t n = 0; n < batch; n++) {
        fill_nan(scratch, ns);
        os_layer_forward(l, p, x + n * l->in, y1 + n * l->out, 1, scratch);
    }
    *same = !memcmp(y, y1, ny * sizeof *y);
    conv_reference(l, p, x, NULL, batch, r, NULL, NULL);
    const double gap = conv_ref_gap(y, r, ny);
    free(p), free(x), free(y), free(y1), free(scratch), free(r);
    return gap;
}

/* The same for dX through the layer dispatch (a dense dY, no pooling). */
static double dx_gap(const os_layer *l, size_t batch, int *same)
{
    const size_t np = l->n_params, nx = batch * l->in, ny = batch * l->out;
    const size_t ns = os_layer_scratch(l, batch);
    float *p = malloc(np * sizeof *p), *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
    float *y = malloc(ny * sizeof *y), *g = malloc(np * sizeof *g);
    float *dx = malloc(nx * sizeof *dx), *dx1 = malloc(nx * sizeof *dx1);
    float *scratch = malloc(ns * sizeof *scratch);
    double *r = malloc(nx * sizeof *r);
    fill(p, np), fill(x, nx), fill(dy, ny);
    fill_nan(scratch, ns);
    os_layer_backward(l, p, x, y, dy, dx, g, batch, scratch);
    for (size_t n = 0; n < batch; n++) {
        fill_nan(scratch, ns);
        os_layer_backward(l, p, x + n * l->in, y, dy + n * l->out, dx1 + n * l->in, g, 1,
                          scratch);
    }
    *same = !memcmp(dx, dx1, nx * sizeof *dx);
    conv_reference(l, p, x, dy, batch, NULL, r, NULL);
    const double gap = conv_ref_gap(dx, r, nx);
    free(p), free(x), free(dy), free(y), free(g), free(dx), free(dx1), free(scratch), free(r);
    return gap;
}

/* Bits of l's forward with Winograd's form allowed or not. */
static float *forward_bits(const os_layer *l, const float *p, const float *x, size_t batch,
                           int winograd)
{
    os_conv_winograd_use(winograd);
    float *y = malloc(batch * l->out * sizeof *y);
    float *scratch = calloc(os_layer_scratch(l, batch), sizeof *scratch);
    os_layer_forward(l, p, x, y, batch, scratch);
    free(scratch);
    os_conv_winograd_use(1);
    return y;
}

int main(void)
{
    os_rng_seed(&rng, 42, 17);
    const os_layer lenet2 = conv(16, 14, 14, 32, 5, 0, 1);
    if (!os_conv_winograd_use(1)) {
        ok(!os_conv_winograd_takes(&lenet2), "without AVX2 and FMA it takes no layer");
        return done_testing();
    }
    const os_layer vgg = conv(16, 28, 28, 16, 3, 1, 1);
    ok(os_conv_winograd_takes(&lenet2) && os_conv_winograd_takes(&vgg),
       "it takes LeNet's second layer (5x5) and a 3x3 layer of 16 channels");
    ok(!takes(16, 32, 10, 5, 2) && !takes(16, 32, 10, 4, 1) && !takes(12, 32, 10, 5, 1) &&
           !takes(16, 12, 10, 5, 1) && !takes(1, 16, 28, 5, 1) && !takes(16, 16, 2, 3, 1),
       "not a stride of 2, a 4x4 kernel, 12 channels in or out, one input channel, nor a 2x2 "
       "output of a 3x3 kernel (one tile of 4x4, three quarters of it wasted)");
    os_conv_winograd_use(0);
    ok(!os_conv_winograd_takes(&lenet2), "os_conv_winograd_use(0) turns it off");
    os_conv_winograd_use(1);

    int same;
    double gap = forward_gap(&lenet2, 3, &same);
    ok(gap < 1e-5 && same, "LeNet's second layer: the definition's outputs to %.2g of the "
       "largest, a batch the bits of its images one at a time", gap);
    gap = forward_gap(&vgg, 2, &same);
    ok(gap < 1e-5 && same, "a 3x3 layer of 16 channels, 28x28 padded: to %.2g, the same bits "
       "in a batch", gap);
    /* every remainder of a row and a column of tiles (2 or 4 outputs),
     * padding, channels 8 to 24 either side, one and two vectors of them */
    double worst = 0;
    size_t bad = 0, cases = 0;
    for (size_t k = 3; k <= 5; k += 2)
        for (size_t ho = 1; ho <= 9; ho++, cases++) {
            const size_t wo = 13 - ho, pad = ho % (k / 2 + 1);
            const size_t c = 8 * (1 + ho % 3), c_out = 8 * (1 + (ho + k) % 3);
            const os_layer l = conv(c, ho + k - 1 - 2 * pad, wo + k - 1 - 2 * pad, c_out, k, pad, 1);
            if (!os_conv_winograd_takes(&l) && 3 * 36 * ((ho + 6 - k) / (7 - k)) *
                                                       ((wo + 6 - k) / (7 - k)) <=
                                                   2 * k * k * ho * wo)
                bad++; /* it should have taken it */
            if (!os_conv_winograd_takes(&l))
                continue;
            gap = forward_gap(&l, 2, &same);
            worst = fmax(worst, gap);
            bad += gap >= 1e-5 || !same;
        }
    ok(bad == 0, "3x3 and 5x5 kernels, outputs of 1x12 to 9x4, padding, 8 to 24 channels: "
       "the definition's outputs (largest gap %.2g), the same bits in a batch (%zu of %zu "
       "differ)", worst, bad, cases);

    /* dX as the forward of the transposed layer, where dY is dense (no
     * pooling: the sparse gradients take a pooled layer's) */
    const os_layer strided = conv(16, 14, 14, 32, 5, 0, 2);
    os_layer vgg_pooled = vgg;
    vgg_pooled.pooled_by = 2;
    ok(os_conv_winograd_dx_takes(&vgg) && !os_conv_winograd_dx_takes(&vgg_pooled) &&
           !os_conv_winograd_dx_takes(&lenet2) && !os_conv_winograd_dx_takes(&strided),
       "dX in Winograd's form for the 3x3 layer without pooling; not under pooling (dY's "
       "nonzeros), not for LeNet's second layer (its transpose's halo of 4 costs more than "
       "it saves), not at stride 2");
    worst = 0, bad = cases = 0;
    static const size_t geo[][5] = { /* c, c_out, k, pad, h = w: each taken */
        { 16, 32, 3, 1, 14 }, { 16, 16, 3, 1, 28 }, { 8, 24, 3, 0, 17 }, { 24, 8, 5, 2, 17 },
        { 8, 8, 3, 2, 9 },    { 16, 8, 5, 4, 10 },  { 8, 16, 3, 1, 13 },
    };
    for (size_t i = 0; i < sizeof geo / sizeof *geo; i++, cases++) {
        const os_layer l = conv(geo[i][0], geo[i][4], geo[i][4] + i % 3, geo[i][1], geo[i][2],
                                geo[i][3], 1);
        if (!os_conv_winograd_dx_takes(&l)) {
            bad++;
            continue;
        }
        gap = dx_gap(&l, 2, &same);
        worst = fmax(worst, gap);
        bad += gap >= 1e-5 || !same;
    }
    ok(bad == 0, "dX of 3x3 and 5x5 layers, pads 0 to k - 1, 8 to 32 channels: the "
       "definition's (largest gap %.2g), the same bits in a batch (%zu of %zu differ)", worst,
       bad, cases);

    /* the dispatch: Winograd's bits where it takes the layer, the direct
     * kernels' without it; the numerics' version follows */
    const size_t batch = 2, np = lenet2.n_params, nx = batch * lenet2.in;
    float *p = malloc(np * sizeof *p), *x = malloc(nx * sizeof *x);
    fill(p, np), fill(x, nx);
    float *yw = forward_bits(&lenet2, p, x, batch, 1), *yd = forward_bits(&lenet2, p, x, batch, 0);
    float *yk = malloc(batch * lenet2.out * sizeof *yk);
    float *scratch = malloc(os_conv_winograd_scratch(&lenet2) * sizeof *scratch);
    os_conv_winograd_forward(&lenet2, p, x, yk, batch, scratch);
    ok(!memcmp(yw, yk, batch * lenet2.out * sizeof *yw) &&
           memcmp(yw, yd, batch * lenet2.out * sizeof *yw),
       "the layer dispatch hands LeNet's second layer to it, and to the direct kernels "
       "(other bits) without it");
    const unsigned with = os_layer_numerics(&lenet2);
    os_conv_winograd_use(0);
    const unsigned without = os_layer_numerics(&lenet2);
    os_conv_winograd_use(1);
    const os_layer stride2 = conv(16, 14, 14, 32, 5, 0, 2);
    const unsigned s_with = os_layer_numerics(&stride2);
    os_conv_winograd_use(0);
    const unsigned s_without = os_layer_numerics(&stride2);
    os_conv_winograd_use(1);
    /* the 3x3 layer: its dX in Winograd's form unpooled, from dY's nonzeros pooled */
    os_conv_winograd_use(0);
    const int same_without = os_layer_numerics(&vgg) == os_layer_numerics(&vgg_pooled);
    os_conv_winograd_use(1);
    ok(with != without && s_with == s_without && same_without &&
           os_layer_numerics(&vgg) != os_layer_numerics(&vgg_pooled),
       "the numerics' version: another with Winograd's form (%u, %u without), the same for a "
       "layer it does not take; another where dX is in that form (%u against %u)", with,
       without, os_layer_numerics(&vgg), os_layer_numerics(&vgg_pooled));
    free(p), free(x), free(yw), free(yd), free(yk), free(scratch);
    return done_testing();
}
