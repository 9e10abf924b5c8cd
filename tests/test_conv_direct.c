/*
 * The direct kernels of the convolutions against their contracts, bit for
 * bit: those of a one-channel layer (conv_direct.c) and the weights'
 * gradient of a layer of several channels (conv_weights.c, at the end).
 * conv_direct.c's: every output is its bias and then each
 * tap's fused multiply-add in (ky, kx) order; every weight's gradient is
 * eight lanes (lane = output column mod 8), each a chain of fused
 * multiply-adds over the batch's pixels in order, then added in the tree
 * ((0+1)+(2+3))+((4+5)+(6+7)); the bias's the same with additions.  Written here with fmaf, one value at a
 * time, for rows of 8 to 29 outputs, kernels of 1 to 7, channel counts
 * that leave every remainder of the kernels' blocks.  Also: the layer
 * dispatch routes such layers there, and the lowering agrees with them to
 * rounding.
 */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "conv.h"
#include "rng.h"

static os_rng rng;

static void fill(float *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = (float)(os_rng_uniform(&rng) * 2.0 - 1.0);
}

/* The input under tap (ky, kx) at output (oy, ox), zero over the padding. */
static float tap(const os_layer *l, const float *x, size_t oy, size_t ox, size_t ky, size_t kx)
{
    long i = (long)(oy + ky) - (long)l->pad, j = (long)(ox + kx) - (long)l->pad;
    if (i < 0 || j < 0 || i >= (long)l->h_in || j >= (long)l->w_in)
        return 0.0f;
    return x[(size_t)i * l->w_in + (size_t)j];
}

static void forward_ref(const os_layer *l, const float *p, const float *x, float *y, size_t batch)
{
    const size_t k = l->kernel;
    const float *b = p + l->c_out * k * k;
    for (size_t n = 0; n < batch; n++)
        for (size_t c = 0; c < l->c_out; c++)
            for (size_t oy = 0; oy < l->h_out; oy++)
                for (size_t ox = 0; ox < l->w_out; ox++) {
                    float s = b[c];
                    for (size_t ky = 0; ky < k; ky++)
                        for (size_t kx = 0; kx < k; kx++)
                            s = fmaf(p[(c * k + ky) * k + kx], tap(l, x + n * l->in, oy, ox, ky, kx),
                                     s);
                    y[((n * l->c_out + c) * l->h_out + oy) * l->w_out + ox] = s;
                }
}

static void weights_ref(const os_layer *l, const float *x, const float *dy, float *dw,
                        size_t batch)
{
    const size_t k = l->kernel, wo = l->w_out, hw = l->h_out * wo, tail = wo % 8;
    for (size_t c = 0; c < l->c_out; c++)
        for (size_t t = 0; t < k * k; t++) {
            float s[8] = { 0 };
            for (size_t n = 0; n < batch; n++)
                for (size_t oy = 0; oy < l->h_out; oy++) {
                    for (size_t ox = 0; ox < wo; ox++)
                        s[ox % 8] = fmaf(dy[(n * l->c_out + c) * hw + oy * wo + ox],
                                         tap(l, x + n * l->in, oy, ox, t / k, t % k), s[ox % 8]);
                    for (size_t j = tail; tail && j < 8; j++) /* the masked lanes */
                        s[j] = fmaf(0.0f, 0.0f, s[j]);
                }
            dw[c * k * k + t] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        }
    for (size_t c = 0; c < l->c_out; c++) { /* the bias: the same lanes, with additions */
        float s[8] = { 0 };
        for (size_t n = 0; n < batch; n++)
            for (size_t oy = 0; oy < l->h_out; oy++) {
                for (size_t ox = 0; ox < wo; ox++)
                    s[ox % 8] += dy[(n * l->c_out + c) * hw + oy * wo + ox];
                for (size_t j = tail; tail && j < 8; j++)
                    s[j] += 0.0f;
            }
        dw[l->c_out * k * k + c] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }
}

/* Checks one geometry; returns the number of mismatches (0 passes). */
static size_t check(size_t h, size_t w, size_t c_out, size_t k, size_t pad, size_t batch)
{
    const os_layer l = os_layer_conv2d(1, h, w, c_out, k, pad, 1);
    const size_t np = l.n_params, nx = batch * l.in, ny = batch * l.out;
    float *p = malloc(np * sizeof *p), *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
    float *y = malloc(ny * sizeof *y), *yr = malloc(ny * sizeof *yr);
    float *g = malloc(np * sizeof *g), *gr = malloc(np * sizeof *gr);
    float *scratch = malloc(os_layer_scratch(&l, batch) * sizeof *scratch);
    fill(p, np), fill(x, nx), fill(dy, ny);
    if (nx > 3)
        x[3] = -0.0f; /* a signed zero in the input */
    size_t bad = 0;
    if (!os_conv_direct_takes(&l))
        bad++;
    os_layer_forward(&l, p, x, y, batch, scratch);
    forward_ref(&l, p, x, yr, batch);
    bad += memcmp(y, yr, ny * sizeof *y) != 0;
    os_layer_backward(&l, p, x, y, dy, NULL, g, batch, scratch);
    weights_ref(&l, x, dy, gr, batch);
    bad += memcmp(g, gr, np * sizeof *g) != 0;
    free(p), free(x), free(dy), free(y), free(yr), free(g), free(gr), free(scratch);
    return bad;
}

/* conv_weights.c's contract: each weight's gradient one chain of fused
 * multiply-adds over the images and their output pixels in order, the
 * bias's one chain of additions. */
static void channels_ref(const os_layer *l, const float *x, const float *dy, float *dw,
                         size_t batch)
{
    const size_t k = l->kernel, hw = l->h_out * l->w_out, nt = l->c_in * k * k;
    for (size_t o = 0; o < l->c_out; o++) {
        for (size_t t = 0; t < nt; t++) {
            const size_t c = t / (k * k), ky = t / k % k, kx = t % k;
            float s = 0.0f;
            for (size_t n = 0; n < batch; n++)
                for (size_t oy = 0; oy < l->h_out; oy++)
                    for (size_t ox = 0; ox < l->w_out; ox++) {
                        long i = (long)(oy * l->stride + ky) - (long)l->pad;
                        long j = (long)(ox * l->stride + kx) - (long)l->pad;
                        float v = i < 0 || j < 0 || i >= (long)l->h_in || j >= (long)l->w_in
                                      ? 0.0f
                                      : x[n * l->in + (c * l->h_in + (size_t)i) * l->w_in + (size_t)j];
                        s = fmaf(dy[(n * l->c_out + o) * hw + oy * l->w_out + ox], v, s);
                    }
            dw[o * nt + t] = s;
        }
        float s = 0.0f;
        for (size_t n = 0; n < batch; n++)
            for (size_t p = 0; p < hw; p++)
                s += dy[(n * l->c_out + o) * hw + p];
        dw[l->c_out * nt + o] = s;
    }
}

/* One geometry through os_layer_backward (with dX): the contract's bits;
 * returns 1 when they differ or the kernels did not take the layer. */
static int check_channels(size_t c, size_t h, size_t w, size_t c_out, size_t k, size_t pad,
                          size_t stride, size_t batch)
{
    const os_layer l = os_layer_conv2d(c, h, w, c_out, k, pad, stride);
    const size_t np = l.n_params, nx = batch * l.in, ny = batch * l.out;
    float *p = malloc(np * sizeof *p), *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
    float *y = malloc(ny * sizeof *y), *dx = malloc(nx * sizeof *dx);
    float *g = malloc(np * sizeof *g), *gr = malloc(np * sizeof *gr);
    float *scratch = malloc(os_layer_scratch(&l, batch) * sizeof *scratch);
    fill(p, np), fill(x, nx), fill(dy, ny);
    os_layer_backward(&l, p, x, y, dy, dx, g, batch, scratch);
    channels_ref(&l, x, dy, gr, batch);
    int bad = !os_conv_weights_takes(&l) || memcmp(g, gr, np * sizeof *g) != 0;
    free(p), free(x), free(dy), free(y), free(dx), free(g), free(gr), free(scratch);
    return bad;
}

static void check_channel_weights(void)
{
    ok(!os_conv_weights_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 16, .c_out = 12,
                                           .stride = 1, .kernel = 5 }) &&
           !os_conv_weights_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 1, .c_out = 16,
                                               .stride = 1, .kernel = 5 }),
       "output channels not a multiple of 8, or one input channel: not conv_weights.c's");
    ok(check_channels(16, 14, 14, 32, 5, 0, 1, 3) == 0,
       "LeNet's second layer (16x14x14 -> 32@5x5): the contract's dW and db bits");
    size_t bad = 0, cases = 0;
    for (size_t k = 1; k <= 7; k++, cases++) /* two vectors of channels, then one */
        bad += (size_t)check_channels(2 + k % 3, 5 + k, 6 + k, k % 2 ? 24 : 16, k, k / 2, 1, 2);
    ok(bad == 0, "kernels of 1 to 7, 16 and 24 output channels: the contract's bits (%zu of %zu "
       "differ)", bad, cases);
    ok(check_channels(3, 9, 8, 8, 3, 1, 2, 2) == 0 && check_channels(2, 11, 10, 40, 5, 2, 3, 1) == 0,
       "strides 2 and 3 with padding: the contract's bits");
}

/* The lowering computes the same layer to rounding. */
static void check_lowering(void)
{
    const os_layer l = os_layer_conv2d(1, 28, 28, 16, 5, 2, 1); /* LeNet's first */
    const size_t batch = 4, np = l.n_params, nx = batch * l.in, ny = batch * l.out;
    float *p = malloc(np * sizeof *p), *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
    float *y[2], *g[2], *scratch = malloc(os_layer_scratch(&l, batch) * sizeof *scratch);
    fill(p, np), fill(x, nx), fill(dy, ny);
    for (int k = 0; k < 2; k++) { /* direct, then lowered */
        os_conv_direct_use(!k);
        y[k] = malloc(ny * sizeof *y[k]), g[k] = malloc(np * sizeof *g[k]);
        os_layer_forward(&l, p, x, y[k], batch, scratch);
        os_layer_backward(&l, p, x, y[k], dy, NULL, g[k], batch, scratch);
    }
    os_conv_direct_use(1);
    double gy = 0, gw = 0, sy = 1e-30, sw = 1e-30;
    for (size_t i = 0; i < ny; i++)
        gy = fmax(gy, fabs((double)y[0][i] - y[1][i])), sy = fmax(sy, fabs((double)y[1][i]));
    for (size_t i = 0; i < np; i++)
        gw = fmax(gw, fabs((double)g[0][i] - g[1][i])), sw = fmax(sw, fabs((double)g[1][i]));
    ok(gy / sy < 1e-5 && gw / sw < 1e-5 && memcmp(y[0], y[1], ny * sizeof(float)),
       "LeNet's first layer: direct and lowered agree to rounding, not to the bit (gaps %.2g "
       "and %.2g of the largest values)", gy / sy, gw / sw);
    for (int k = 0; k < 2; k++)
        free(y[k]), free(g[k]);
    free(p), free(x), free(dy), free(scratch);
}

int main(void)
{
    os_rng_seed(&rng, 42, 11);
    if (!os_conv_direct_use(1)) {
        ok(!os_conv_direct_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 1, .stride = 1,
                                              .w_out = 28, .kernel = 5 }),
           "without AVX2 and FMA every layer is lowered");
        return done_testing();
    }
    ok(!os_conv_direct_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 2, .stride = 1,
                                          .w_out = 28, .kernel = 5 }) &&
           !os_conv_direct_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 1, .stride = 2,
                                              .w_out = 28, .kernel = 5 }) &&
           !os_conv_direct_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 1, .stride = 1,
                                              .w_out = 7, .kernel = 5 }),
       "two input channels, a stride or rows under 8 outputs are lowered");
    ok(check(28, 28, 16, 5, 2, 3) == 0, "LeNet's first layer (1x28x28 -> 16@5x5 pad 2): "
       "the contract's bits, forward, dW and db");
    size_t bad = 0, cases = 0;
    for (size_t w = 8; w <= 29; w++, cases++) /* every row remainder, channel blocks of 4 and 2 */
        bad += check(3 + w % 4, w, 1 + w % 7, 3, 1, 2);
    ok(bad == 0, "rows of 8 to 29 outputs, 1 to 7 channels: the contract's bits (%zu of %zu "
       "differ)", bad, cases);
    bad = cases = 0;
    for (size_t k = 1; k <= 7; k++, cases++) /* every kernel the weights are specialised for */
        bad += check(12, 9 + k, 5, k, k / 2, 2);
    ok(bad == 0, "kernels of 1 to 7, pads of 0 to 3: the contract's bits (%zu of %zu differ)", bad,
       cases);
    ok(check(10, 14, 3, 3, 0, 1) == 0, "no padding, a batch of one");
    check_lowering();
    check_channel_weights();
    return done_testing();
}
