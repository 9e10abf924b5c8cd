/*
 * The direct kernels of the convolutions against their contracts, bit for
 * bit: those of a one-channel layer (conv_direct.c) and those of layers of
 * several channels (conv_channels.c, at the end).  conv_direct.c's: every
 * output is its bias and then each tap's fused multiply-add in (ky, kx)
 * order; every weight's gradient is eight lanes (lane = output column mod
 * 8), each a chain of fused multiply-adds over the batch's pixels in
 * order, then added in the tree ((0+1)+(2+3))+((4+5)+(6+7)); the bias's
 * the same with additions.  Written here with fmaf, one value at a time,
 * for rows of 8 to 29 outputs, kernels of 1 to 7, channel counts that
 * leave every remainder of the kernels' blocks.  Also: the layer dispatch
 * routes such layers there, and the lowering agrees with them to rounding.
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

/* Input plane c of image xn at row i0, column j0 of its padded plane:
 * zero over the padding. */
static float padded_x(const os_layer *l, const float *xn, size_t c, size_t i0, size_t j0)
{
    long i = (long)i0 - (long)l->pad, j = (long)j0 - (long)l->pad;
    if (i < 0 || j < 0 || i >= (long)l->h_in || j >= (long)l->w_in)
        return 0.0f;
    return xn[(c * l->h_in + (size_t)i) * l->w_in + (size_t)j];
}

/* Forward, both files' contract: the bias, then a fused multiply-add for
 * each tap in (ky, kx, input channel) order. */
static void forward_ref(const os_layer *l, const float *p, const float *x, float *y, size_t batch)
{
    const size_t k = l->kernel, nt = l->c_in * k * k, s = l->stride, hw = l->h_out * l->w_out;
    const float *b = p + l->c_out * nt;
    for (size_t n = 0; n < batch; n++)
        for (size_t o = 0; o < l->c_out; o++)
            for (size_t oy = 0; oy < l->h_out; oy++)
                for (size_t ox = 0; ox < l->w_out; ox++) {
                    float v = b[o];
                    for (size_t ky = 0; ky < k; ky++)
                        for (size_t kx = 0; kx < k; kx++)
                            for (size_t c = 0; c < l->c_in; c++)
                                v = fmaf(p[o * nt + (c * k + ky) * k + kx],
                                         padded_x(l, x + n * l->in, c, oy * s + ky, ox * s + kx),
                                         v);
                    y[n * l->out + o * hw + oy * l->w_out + ox] = v;
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
                                         padded_x(l, x + n * l->in, 0, oy + t / k, ox + t % k),
                                         s[ox % 8]);
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
        dw[l->c_out * k * k + c] =
            ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
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

/* conv_channels.c's contracts.  Forward: bias, then a fused multiply-add
 * for each tap in (ky, kx, c) order.  dX: for each kernel row, kernel
 * column and output pixel in that order, the input pixel under the tap
 * gains the chain over output channels (from zero).  dW: one chain
 * of fused multiply-adds over the images and their output pixels in
 * order, the bias's a chain of additions. */
static void channels_ref(const os_layer *l, const float *p, const float *x, const float *dy,
                         float *y, float *dx, float *dw, size_t batch)
{
    const size_t k = l->kernel, hw = l->h_out * l->w_out, nt = l->c_in * k * k, s = l->stride;
    const size_t hp = l->h_in + 2 * l->pad, wp = l->w_in + 2 * l->pad;
    float *dxt = calloc(l->c_in * hp * wp, sizeof *dxt);
    forward_ref(l, p, x, y, batch);
    for (size_t n = 0; n < batch; n++) {
        const float *dn = dy + n * l->out;
        memset(dxt, 0, l->c_in * hp * wp * sizeof *dxt);
        for (size_t ky = 0; ky < k; ky++)
            for (size_t kx = 0; kx < k; kx++)
                for (size_t oy = 0; oy < l->h_out; oy++)
                    for (size_t ox = 0; ox < l->w_out; ox++)
                        for (size_t c = 0; c < l->c_in; c++) {
                            float v = 0.0f;
                            for (size_t o = 0; o < l->c_out; o++)
                                v = fmaf(p[o * nt + (c * k + ky) * k + kx],
                                         dn[o * hw + oy * l->w_out + ox], v);
                            dxt[(c * hp + oy * s + ky) * wp + ox * s + kx] += v;
                        }
        for (size_t c = 0; c < l->c_in; c++)
            for (size_t i = 0; i < l->h_in; i++)
                for (size_t j = 0; j < l->w_in; j++)
                    dx[n * l->in + (c * l->h_in + i) * l->w_in + j] =
                        dxt[(c * hp + l->pad + i) * wp + l->pad + j];
    }
    free(dxt);
    for (size_t o = 0; o < l->c_out; o++) {
        for (size_t t = 0; t < nt; t++) {
            float v = 0.0f;
            for (size_t n = 0; n < batch; n++)
                for (size_t oy = 0; oy < l->h_out; oy++)
                    for (size_t ox = 0; ox < l->w_out; ox++)
                        v = fmaf(dy[n * l->out + o * hw + oy * l->w_out + ox],
                                 padded_x(l, x + n * l->in, t / (k * k), oy * s + t / k % k,
                                          ox * s + t % k),
                                 v);
            dw[o * nt + t] = v;
        }
        float v = 0.0f;
        for (size_t n = 0; n < batch; n++)
            for (size_t q = 0; q < hw; q++)
                v += dy[n * l->out + o * hw + q];
        dw[l->c_out * nt + o] = v;
    }
}

/* One geometry through the layer dispatch, marked as followed by 2 × 2
 * pooling when `nonzero` < 1, that fraction of dY not zero: 0 when every
 * direction that conv_channels.c and conv_sparse.c take gives the
 * contract's bits (and they take `want` together). */
static int check_sparse(size_t c, size_t h, size_t w, size_t c_out, size_t k, size_t pad,
                        size_t stride, size_t batch, unsigned want, double nonzero)
{
    os_layer l = os_layer_conv2d(c, h, w, c_out, k, pad, stride);
    l.pooled_by = nonzero < 1.0 ? 2 : 0;
    const size_t np = l.n_params, nx = batch * l.in, ny = batch * l.out;
    float *p = malloc(np * sizeof *p), *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
    float *y = malloc(ny * sizeof *y), *dx = malloc(nx * sizeof *dx), *g = malloc(np * sizeof *g);
    float *yr = malloc(ny * sizeof *yr), *dxr = malloc(nx * sizeof *dxr);
    float *gr = malloc(np * sizeof *gr);
    float *scratch = malloc(os_layer_scratch(&l, batch) * sizeof *scratch);
    fill(p, np), fill(x, nx), fill(dy, ny);
    for (size_t i = 0; i < ny; i++)
        if (os_rng_uniform(&rng) >= nonzero)
            dy[i] = 0.0f;
    os_layer_forward(&l, p, x, y, batch, scratch);
    os_layer_backward(&l, p, x, y, dy, dx, g, batch, scratch);
    channels_ref(&l, p, x, dy, yr, dxr, gr, batch);
    const unsigned took = os_conv_channels_takes(&l) | os_conv_sparse_takes(&l);
    int bad = took != want;
    if (took & OS_CONV_FORWARD)
        bad |= memcmp(y, yr, ny * sizeof *y) != 0;
    if (took & OS_CONV_DX)
        bad |= memcmp(dx, dxr, nx * sizeof *dx) != 0;
    if (took & OS_CONV_DW)
        bad |= memcmp(g, gr, np * sizeof *g) != 0;
    free(p), free(x), free(dy), free(y), free(dx), free(g), free(yr), free(dxr), free(gr);
    free(scratch);
    return bad;
}

static int check_channels(size_t c, size_t h, size_t w, size_t c_out, size_t k, size_t pad,
                          size_t stride, size_t batch, unsigned want)
{
    return check_sparse(c, h, w, c_out, k, pad, stride, batch, want, 1.0);
}

static void check_channel_kernels(void)
{
    const unsigned all = OS_CONV_FORWARD | OS_CONV_DX | OS_CONV_DW;
    const os_layer lenet2 = os_layer_conv2d(16, 14, 14, 32, 5, 0, 1);
    ok(os_conv_channels_takes(&lenet2) == all, "LeNet's second layer: every direction here");
    ok(!os_conv_channels_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 1, .c_out = 16,
                                            .stride = 1, .kernel = 5 }) &&
           os_conv_channels_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 16, .c_out = 12,
                                               .stride = 1, .kernel = 5 }) == OS_CONV_DX &&
           os_conv_channels_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 6, .c_out = 8,
                                               .stride = 1, .kernel = 5 }) ==
               (OS_CONV_FORWARD | OS_CONV_DW),
       "conv_channels.c takes forward and dW for output channels in eights, dX for input "
       "channels in eights, nothing for one input channel");
    ok(check_channels(16, 14, 14, 32, 5, 0, 1, 3, all) == 0,
       "LeNet's second layer (16x14x14 -> 32@5x5): the contract's bits, forward, dX and dW");
    size_t bad = 0, cases = 0;
    for (size_t k = 1; k <= 7; k++, cases++) /* two vectors of channels, then one */
        bad += (size_t)check_channels(k % 2 ? 24 : 16, 4 + k, 5 + k, k % 2 ? 16 : 24, k, k / 2, 1,
                                      2, all);
    ok(bad == 0, "kernels of 1 to 7, 16 and 24 channels: the contract's bits (%zu of %zu differ)",
       bad, cases);
    bad = cases = 0;
    for (size_t w = 1; w <= 9; w++, cases++) /* rows of every remainder of four pixels */
        bad += (size_t)check_channels(8, 3, w, 8, 3, 1, 1, 2, all);
    ok(bad == 0, "rows of 1 to 9 pixels: the contract's bits (%zu of %zu differ)", bad, cases);
    ok(check_channels(3, 9, 8, 8, 3, 1, 2, 2, OS_CONV_FORWARD | OS_CONV_DW) == 0 &&
           check_channels(8, 11, 10, 40, 5, 2, 3, 1, all) == 0 &&
           check_channels(16, 7, 9, 12, 3, 0, 2, 2, OS_CONV_DX) == 0,
       "strides 2 and 3 with padding, and a layer of 12 outputs (dX alone): the contract's bits");
}

/* The lowering computes the same layer to rounding. */
/* conv_sparse.c: the same contract from dY's nonzeros alone. */
static void check_sparse_kernels(void)
{
    const unsigned both = OS_CONV_DX | OS_CONV_DW, all = both | OS_CONV_FORWARD;
    os_layer lenet2 = os_layer_conv2d(16, 14, 14, 32, 5, 0, 1);
    ok(!os_conv_sparse_takes(&lenet2), "without pooling after it, the sparse gradients leave "
       "LeNet's second layer to the dense kernels");
    lenet2.pooled_by = 2;
    ok(os_conv_sparse_takes(&lenet2) == both &&
           !os_conv_sparse_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 12, .c_out = 32,
                                              .stride = 1, .kernel = 5, .pooled_by = 2 }) &&
           os_conv_sparse_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 8, .c_out = 3,
                                             .stride = 1, .kernel = 5, .pooled_by = 2 }) == both,
       "with pooling after it they take dX and dW of input channels in eights, whatever the "
       "output channels");
    ok(check_sparse(16, 14, 14, 32, 5, 0, 1, 3, all, 0.15) == 0,
       "LeNet's second layer, 15%% of dY nonzero: the contract's bits, dX and dW");
    size_t bad = 0, cases = 0;
    for (size_t k = 1; k <= 7; k++) /* two vectors of channels, then one */
        for (int z = 0; z < 3; z++, cases++) /* dY a fifth nonzero, all nonzero, all zero */
            bad += (size_t)check_sparse(k % 2 ? 24 : 16, 4 + k, 5 + k, k % 2 ? 16 : 24, k, k / 2,
                                        1, 2, all, z == 0 ? 0.2 : z == 1 ? 0.999999 : 0.0);
    ok(bad == 0, "kernels of 1 to 7, dY a fifth nonzero, dense or all zero: the contract's bits "
       "(%zu of %zu differ)", bad, cases);
    bad = cases = 0;
    for (size_t w = 1; w <= 17; w++, cases++) /* every remainder of the eight-pixel packing */
        bad += (size_t)check_sparse(8, 3, w, 8, 3, 1, 1, 2, all, 0.3);
    ok(bad == 0, "rows of 1 to 17 pixels: the contract's bits (%zu of %zu differ)", bad, cases);
    ok(os_conv_sparse_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 1, .c_out = 16,
                                         .stride = 1, .kernel = 5, .pooled_by = 2 }) ==
               OS_CONV_DW &&
           check_sparse(1, 28, 28, 16, 5, 2, 1, 3, OS_CONV_DW, 0.15) == 0,
       "LeNet's first layer under pooling: dW alone, the contract's bits (one chain a weight)");
    bad = cases = 0;
    for (size_t k = 1; k <= 7; k++) /* every kernel, strides 1 to 3, rows short and long */
        for (size_t st = 1; st <= 3; st++, cases++)
            bad += (size_t)check_sparse(1, 6 + k + st, 3 + 4 * k, 8, k, k / 2, st, 2, OS_CONV_DW,
                                        0.2);
    ok(bad == 0, "one input channel, kernels of 1 to 7, strides 1 to 3: the contract's bits "
       "(%zu of %zu differ)", bad, cases);
    /* a journal of other bits is not resumed: the numerics' version moves
     * where the sums' order does, and only there */
    const os_layer plain2 = os_layer_conv2d(16, 14, 14, 32, 5, 0, 1);
    const os_layer lenet1 = os_layer_conv2d(1, 28, 28, 16, 5, 2, 1);
    const os_layer twelve = os_layer_conv2d(16, 14, 14, 12, 5, 0, 1);
    os_layer pooled1 = lenet1, pooled12 = twelve;
    pooled1.pooled_by = pooled12.pooled_by = 2;
    ok(os_layer_numerics(&plain2) == os_layer_numerics(&lenet2) &&
           os_layer_numerics(&lenet1) != os_layer_numerics(&pooled1) &&
           os_layer_numerics(&twelve) != os_layer_numerics(&pooled12),
       "the numerics' version: the same for LeNet's second layer pooled or not (the same "
       "bits), another for a first layer's dW and for a dW oneDNN or the lowering took");
    ok(check_sparse(8, 11, 10, 40, 5, 2, 3, 1, all, 0.2) == 0 &&
           check_sparse(16, 7, 9, 12, 3, 0, 2, 2, both, 0.2) == 0 &&
           check_sparse(8, 13, 17, 3, 4, 3, 2, 3, both, 0.2) == 0,
       "strides 2 and 3 with padding, and layers of 12 and 3 outputs: the contract's bits");
}

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
                                              .w_out = 28, .kernel = 5 }) &&
               !os_conv_channels_takes(&(os_layer){ .kind = OS_LAYER_CONV2D, .c_in = 16,
                                                    .c_out = 32, .stride = 1, .kernel = 5 }),
           "without AVX2 and FMA no direct kernel takes a layer");
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
    os_conv_winograd_use(0); /* the forward the contract describes, not Winograd's form */
    check_channel_kernels();
    check_sparse_kernels();
    os_conv_winograd_use(1);
    return done_testing();
}
