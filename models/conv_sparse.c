/*
 * conv_sparse.c — a convolution's gradients (dX and dW) read from the
 * nonzero values of dY alone, vectorised over input channels, with AVX2 and
 * fused multiply-adds.
 *
 * Why: a convolution followed by max pooling gets a gradient that is zero
 * wherever its output was not the maximum of its window (three pixels in
 * four under 2 × 2 pooling), and zero again where a relu after the pooling
 * was off: LeNet's second layer sees 10-16% of its dY nonzero in a study
 * of configs/fashion-mnist-cnn.ini.  The dense kernels (conv_channels.c)
 * multiply every value; here each image's nonzeros are first listed, per
 * output channel for dW and per output pixel for dX, and only those are
 * multiplied.  (The same for the forward over a relu's output, 45-63%
 * nonzero there, was slower than the dense kernel: the lists' short runs
 * of uneven length cost more than the skipped half.)
 *
 * The numbers are conv_channels.c's contract (tests/test_conv_direct.c),
 * because a zero of dY adds nothing there either: a fused multiply-add of
 * zero and a finite number leaves its sum as it was, but for the sign of a
 * zero sum, which no later step can see.  (An infinite weight turns those
 * products into NaN in the dense kernels and not here; its loss is not
 * finite either way.)
 *  - dW: one chain of fused multiply-adds per weight over the images and
 *    their output pixels in order; the bias's a chain of additions.
 *  - dX: for each tap in (ky, kx) order and each output pixel, the input
 *    pixel under the tap gains the chain over output channels (from zero).
 *    Here the output pixels are visited backwards, each adding all its
 *    taps: an input pixel q meets pixel p through tap q - p s, so visiting
 *    p from the last to the first hands q its taps in increasing order.
 * Nothing depends on the batch's chunks or the thread count.
 */
#include <stdint.h>
#include <string.h>
#include "conv.h"

#if OS_CONV_AVX2
#include <immintrin.h>
#endif

static int sparse_allowed = 1; /* os_conv_sparse_use */

int os_conv_sparse_use(int on)
{
    sparse_allowed = on;
    return os_conv_cpu_fma();
}

/* The gradients of a layer that max pooling follows (its dY mostly zero),
 * whatever the CPU: dX and dW for input channels in eights, dW for one.
 * Where dY is dense, as without pooling, the dense kernels are faster:
 * about 2.4 times the time here for LeNet's second layer's dW on a dense
 * dY, against a third of it on a pooled one. */
static unsigned sparse_fits(const os_layer *l)
{
    if (l->kind != OS_LAYER_CONV2D || l->pooled_by < 2 || l->kernel < 1 ||
        l->kernel > OS_CONV_K_MAX || l->stride < 1)
        return 0;
    if (l->c_in == 1) /* a first layer: dW alone, each kernel row a vector */
        return OS_CONV_DW;
    return l->c_in % 8 == 0 ? OS_CONV_DX | OS_CONV_DW : 0;
}

unsigned os_conv_sparse_takes(const os_layer *l)
{
    return OS_CONV_AVX2 && sparse_allowed && os_conv_cpu_fma() ? sparse_fits(l) : 0;
}

static size_t padded_w(const os_layer *l) { return l->w_in + 2 * l->pad; }
static size_t padded(const os_layer *l)
{
    return l->c_in * (l->h_in + 2 * l->pad) * padded_w(l);
}
static size_t taps(const os_layer *l) { return l->c_in * l->kernel * l->kernel; }

/* The scratch, in this order (floats; the lists' indices are uint32_t):
 *   image     padded input, pixel-major (dW), on a cache line's boundary,
 *             16 floats of slack after it; dX's sums, the same shape
 *   weights   taps × c_out   dX's weights, [o][ky][kx][c]
 *   sums      dW's sums (sums_floats), then the bias's
 *   at        h_out w_out    offset of each output pixel's window there
 *   by_o      value, pixel and the pixel's window in the image (at) of each
 *             nonzero of an image, channel by channel
 *             (eight slots of slack each, which the packing writes past the end)
 *   o_start   c_out + 1      where each channel's run starts
 *   by_p      value and weights' offset of each, pixel by pixel (dX)
 *   p_start   h_out w_out + 1
 *   next      h_out w_out    each pixel's next slot while by_p is filled
 *   pack      256 × 8 + 256  the packing's table (pack_table) */
struct lists {
    float *weights, *sums, *image, *val_o, *val_p;
    uint32_t *at, *pix_o, *off_o, *o_start, *w_p, *p_start, *next, *pack, *packed;
};

/* dW's sums but the bias's: [o][ky][kx][c], or with one input channel
 * [o][ky][8], a vector of kx. */
static size_t sums_floats(const os_layer *l)
{
    return l->c_in == 1 ? l->c_out * l->kernel * 8 : taps(l) * l->c_out;
}

size_t os_conv_sparse_scratch(const os_layer *l)
{
    if (!sparse_fits(l))
        return 0;
    const size_t hw = l->h_out * l->w_out, nz = hw * l->c_out;
    return 16 + padded(l) + 16 + taps(l) * l->c_out + sums_floats(l) + l->c_out + hw + 4 * nz +
           16 + nz + 8 + l->c_out + 1 + hw + 1 + hw + 9 * 256;
}

/* A float pointer from p on a cache line's boundary (16 floats of slack). */
static float *aligned(float *p)
{
    return p + (16 - (uintptr_t)p / sizeof *p % 16) % 16;
}

static struct lists carve(const os_layer *l, float *scratch)
{
    const size_t hw = l->h_out * l->w_out, nz = hw * l->c_out, nt = taps(l);
    struct lists s;
    /* the image on a cache line's boundary (pixels of 16 channels are
     * whole lines), and after it, the weights */
    s.image = aligned(scratch);
    s.weights = s.image + padded(l) + 16; /* a vector's reach past its end */
    s.sums = s.weights + nt * l->c_out;
    s.val_o = s.sums + sums_floats(l) + l->c_out;
    s.val_p = s.val_o + nz + 8;
    /* the rest holds indices only, never floats */
    s.at = (uint32_t *)(s.val_p + nz);
    s.pix_o = s.at + hw;
    s.off_o = s.pix_o + nz + 8;
    s.w_p = s.off_o + nz + 8;
    s.o_start = s.w_p + nz;
    s.p_start = s.o_start + l->c_out + 1;
    s.next = s.p_start + hw + 1;
    s.pack = s.next + hw;
    s.packed = s.pack + 8 * 256;
    return s;
}

/* The same values pixel by pixel, each pixel's in channel order, with the
 * offset of their channel's weights (a counting sort of the list above). */
static void list_by_pixel(const os_layer *l, struct lists *s)
{
    const size_t hw = l->h_out * l->w_out, nt = taps(l);
    memset(s->p_start, 0, (hw + 1) * sizeof *s->p_start);
    for (uint32_t e = 0; e < s->o_start[l->c_out]; e++)
        s->p_start[s->pix_o[e] + 1]++;
    for (size_t p = 0; p < hw; p++)
        s->p_start[p + 1] += s->p_start[p];
    memcpy(s->next, s->p_start, hw * sizeof *s->next);
    for (size_t o = 0; o < l->c_out; o++)
        for (uint32_t e = s->o_start[o]; e < s->o_start[o + 1]; e++) {
            const uint32_t slot = s->next[s->pix_o[e]]++;
            s->val_p[slot] = s->val_o[e];
            s->w_p[slot] = (uint32_t)(o * nt);
        }
}

/* Each output pixel's window in the pixel-major padded image (and in dX's
 * sums, which have its shape): the offset of its first tap. */
static void window_offsets(const os_layer *l, uint32_t *at)
{
    const size_t wp = padded_w(l), ci = l->c_in, s = l->stride;
    for (size_t oy = 0; oy < l->h_out; oy++)
        for (size_t ox = 0; ox < l->w_out; ox++)
            at[oy * l->w_out + ox] = (uint32_t)((oy * s * wp + ox * s) * ci);
}

#if OS_CONV_AVX2

/* ---- the lists ------------------------------------------------------------- */

/* For each mask of eight lanes, the lanes it keeps, first to last, then
 * zeros; and how many (struct lists' pack and packed). */
static void pack_table(struct lists *s)
{
    for (uint32_t m = 0; m < 256; m++) {
        uint32_t k = 0;
        for (uint32_t i = 0; i < 8; i++)
            if (m >> i & 1)
                s->pack[8 * m + k++] = i;
        s->packed[m] = k;
        while (k < 8)
            s->pack[8 * m + k++] = 0;
    }
}

/* The nonzeros of eight values v (a NaN counts as one), the ith at index
 * first + i, appended at e to val and index (eight slots written whatever
 * their number); returns the new end. */
OS_INLINE_AVX2 uint32_t append8(const struct lists *s, __m256 v, uint32_t first, float *val,
                                uint32_t *index, uint32_t e)
{
    const int m = _mm256_movemask_ps(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_NEQ_UQ));
    const __m256i lanes = _mm256_loadu_si256((const __m256i *)(s->pack + 8 * m));
    _mm256_storeu_ps(val + e, _mm256_permutevar8x32_ps(v, lanes));
    _mm256_storeu_si256((__m256i *)(index + e),
                        _mm256_add_epi32(lanes, _mm256_set1_epi32((int)first)));
    /* and each one's window in the image, for dW */
    const __m256i at = _mm256_loadu_si256((const __m256i *)(s->at + first));
    _mm256_storeu_si256((__m256i *)(s->off_o + e), _mm256_permutevar8x32_epi32(at, lanes));
    return e + s->packed[m];
}

/* One image's nonzero gradient values, channel by channel, each channel's
 * in pixel order (a NaN counts as nonzero): eight values compared at once,
 * the nonzeros packed by a table, without a branch to mispredict. */
OS_INLINE_AVX2 void list_by_channel(const os_layer *l, const float *dn, struct lists *s)
{
    const size_t hw = l->h_out * l->w_out;
    uint32_t e = 0;
    for (size_t o = 0; o < l->c_out; o++) {
        s->o_start[o] = e;
        const float *d = dn + o * hw;
        size_t p = 0;
        for (; p + 8 <= hw; p += 8)
            e = append8(s, _mm256_loadu_ps(d + p), (uint32_t)p, s->val_o, s->pix_o, e);
        for (; p < hw; p++) {
            s->val_o[e] = d[p];
            s->pix_o[e] = (uint32_t)p;
            s->off_o[e] = s->at[p];
            e += d[p] != 0.0f;
        }
    }
    s->o_start[l->c_out] = e;
}

/* ---- dW -------------------------------------------------------------------- */

/* Kernel row ky of output channel o, input channels c0 .. c0 + 8 NV - 1:
 * its K NV sums gain dY × the image under each tap, nonzero by nonzero;
 * with BIAS (once an image) the bias's sum gains dY too. */
OS_INLINE_AVX2 void weights_row(const os_layer *l, const struct lists *s, size_t o, size_t ky,
                                size_t c0, const int NV, const int K, const int BIAS)
{
    const size_t ci = l->c_in, row = ky * padded_w(l) * ci + c0;
    float *sum = s->sums + (o * (size_t)K + ky) * (size_t)K * ci + c0;
    float *bias = s->sums + sums_floats(l) + o;
    __m256 a[OS_CONV_K_MAX][2], b = _mm256_set1_ps(BIAS ? *bias : 0.0f);
    _Pragma("GCC unroll 8") for (int kx = 0; kx < K; kx++)
        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
            a[kx][v] = _mm256_loadu_ps(sum + (size_t)kx * ci + 8 * (size_t)v);
    const float *image = s->image + row, *val = s->val_o;
    const uint32_t *off = s->off_o, end = s->o_start[o + 1];
    for (uint32_t e = s->o_start[o]; e < end; e++) {
        const __m256 d = _mm256_broadcast_ss(val + e);
        const float *x = image + off[e];
        if (BIAS) /* beside the products' chains, not after them */
            b = _mm256_add_ps(b, d);
        _Pragma("GCC unroll 8") for (int kx = 0; kx < K; kx++)
            _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
                a[kx][v] = _mm256_fmadd_ps(
                    d, _mm256_loadu_ps(x + (size_t)kx * ci + 8 * (size_t)v), a[kx][v]);
    }
    _Pragma("GCC unroll 8") for (int kx = 0; kx < K; kx++)
        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
            _mm256_storeu_ps(sum + (size_t)kx * ci + 8 * (size_t)v, a[kx][v]);
    if (BIAS)
        *bias = _mm256_cvtss_f32(b);
}

/* A layer of one input channel: output channel o's K sums, a vector each
 * (kernel row ky, lanes kx < K meaningful), gain dY × the plane's eight
 * values from each nonzero's window on, nonzero by nonzero; the bias's sum
 * gains dY. */
OS_INLINE_AVX2 void plane_weights(const os_layer *l, const struct lists *s, size_t o, const int K)
{
    const size_t wp = padded_w(l);
    float *sum = s->sums + o * (size_t)K * 8, *bias = s->sums + sums_floats(l) + o;
    __m256 a[OS_CONV_K_MAX], b = _mm256_set1_ps(*bias);
    _Pragma("GCC unroll 8") for (int ky = 0; ky < K; ky++)
        a[ky] = _mm256_loadu_ps(sum + 8 * (size_t)ky);
    const float *image = s->image, *val = s->val_o;
    const uint32_t *off = s->off_o, end = s->o_start[o + 1];
    for (uint32_t e = s->o_start[o]; e < end; e++) {
        const __m256 d = _mm256_broadcast_ss(val + e);
        const float *x = image + off[e];
        b = _mm256_add_ps(b, d); /* the bias's, beside the products' chains */
        _Pragma("GCC unroll 8") for (int ky = 0; ky < K; ky++)
            a[ky] = _mm256_fmadd_ps(d, _mm256_loadu_ps(x + (size_t)ky * wp), a[ky]);
    }
    _Pragma("GCC unroll 8") for (int ky = 0; ky < K; ky++)
        _mm256_storeu_ps(sum + 8 * (size_t)ky, a[ky]);
    *bias = _mm256_cvtss_f32(b);
}

/* One image into every sum: two vectors of input channels at a time while
 * their 2 K sums fit the registers (K <= 5), then one. */
OS_INLINE_AVX2 void weights_image(const os_layer *l, const struct lists *s, const int K)
{
    for (size_t o = 0; o < l->c_out; o++) {
        if (s->o_start[o] == s->o_start[o + 1])
            continue;
        if (l->c_in == 1) {
            plane_weights(l, s, o, K);
            continue;
        }
        /* the bias's sum with the first kernel row's first channels */
#define ROW(NV)                                                                            \
    if (ky == 0 && c == 0)                                                                 \
        weights_row(l, s, o, ky, c, NV, K, 1);                                             \
    else                                                                                   \
        weights_row(l, s, o, ky, c, NV, K, 0)
        for (size_t ky = 0; ky < (size_t)K; ky++) {
            size_t c = 0;
            for (; K <= 5 && c + 16 <= l->c_in; c += 16) {
                ROW(2);
            }
            for (; c < l->c_in; c += 8) {
                ROW(1);
            }
        }
#undef ROW
    }
}

/* ---- dX -------------------------------------------------------------------- */

/* Output pixel p's nonzeros, kernel row ky, input channels c0 .. c0 + 8 NV
 * - 1: each tap's chain over them (from zero), added to the input pixel
 * under the tap in s->image (dX's sums, pixel-major and padded). */
OS_INLINE_AVX2 void input_row(const os_layer *l, const struct lists *s, size_t p, size_t ky,
                              size_t c0, const int NV, const int K)
{
    const size_t ci = l->c_in;
    __m256 a[OS_CONV_K_MAX][2];
    _Pragma("GCC unroll 8") for (int kx = 0; kx < K; kx++)
        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
            a[kx][v] = _mm256_setzero_ps();
    const float *weights = s->weights + ky * (size_t)K * ci + c0, *val = s->val_p;
    const uint32_t *wat = s->w_p, end = s->p_start[p + 1];
    for (uint32_t e = s->p_start[p]; e < end; e++) {
        const __m256 d = _mm256_broadcast_ss(val + e);
        const float *w = weights + wat[e];
        _Pragma("GCC unroll 8") for (int kx = 0; kx < K; kx++)
            _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
                a[kx][v] = _mm256_fmadd_ps(
                    _mm256_loadu_ps(w + (size_t)kx * ci + 8 * (size_t)v), d, a[kx][v]);
    }
    float *to = s->image + s->at[p] + ky * padded_w(l) * ci + c0;
    _Pragma("GCC unroll 8") for (int kx = 0; kx < K; kx++)
        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) {
            float *t = to + (size_t)kx * ci + 8 * (size_t)v;
            _mm256_storeu_ps(t, _mm256_add_ps(_mm256_loadu_ps(t), a[kx][v]));
        }
}

/* One image's dX sums, output pixels from the last to the first. */
OS_INLINE_AVX2 void input_image(const os_layer *l, const struct lists *s, const int K)
{
    for (size_t p = l->h_out * l->w_out; p-- > 0;) {
        if (s->p_start[p] == s->p_start[p + 1])
            continue;
        for (size_t ky = 0; ky < (size_t)K; ky++) {
            size_t c = 0;
            if (K <= 5)
                for (; c + 16 <= l->c_in; c += 16)
                    input_row(l, s, p, ky, c, 2, K);
            for (; c < l->c_in; c += 8)
                input_row(l, s, p, ky, c, 1, K);
        }
    }
}


OS_AVX2_FMA
void os_conv_sparse_backward(const os_layer *l, const float *params, const float *x,
                             const float *dy, float *dx, float *dw, size_t batch, float *scratch)
{
    const size_t ci = l->c_in, co = l->c_out, k = l->kernel, kk = k * k, nt = taps(l);
    const float *w = params + l->param_offset;
    struct lists s = carve(l, scratch);
    pack_table(&s);
    if (dx) /* the weights [o][ky][kx][c] */
        for (size_t o = 0; o < co; o++)
            for (size_t c = 0; c < ci; c++)
                for (size_t t = 0; t < kk; t++)
                    s.weights[(o * kk + t) * ci + c] = w[o * nt + c * kk + t];
    if (dw) {
        memset(s.sums, 0, (sums_floats(l) + co) * sizeof *s.sums);
        memset(s.image + padded(l), 0, 16 * sizeof *s.image); /* what vectors reach past */
    }
    float *bias = s.sums + sums_floats(l);
    window_offsets(l, s.at);
    for (size_t n = 0; n < batch; n++) {
        list_by_channel(l, dy + n * l->out, &s);
        if (dw) {
            if (l->pad) /* the interior is overwritten */
                memset(s.image, 0, padded(l) * sizeof *s.image);
            if (ci == 1)
                for (size_t i = 0; i < l->h_in; i++)
                    memcpy(s.image + (l->pad + i) * padded_w(l) + l->pad,
                           x + n * l->in + i * l->w_in, l->w_in * sizeof *s.image);
            else
                os_conv_planes_to_image(l, x + n * l->in, s.image, padded_w(l));
#define WEIGHTS(K) weights_image(l, &s, K)
            OS_CONV_K_SWITCH(k, WEIGHTS)
#undef WEIGHTS
        }
        if (!dx)
            continue;
        list_by_pixel(l, &s);
        memset(s.image, 0, padded(l) * sizeof *s.image);
#define INPUT(K) input_image(l, &s, K)
        OS_CONV_K_SWITCH(k, INPUT)
#undef INPUT
        os_conv_image_to_planes(l, s.image, padded_w(l), dx + n * l->in); /* the interior */
    }
    if (!dw)
        return;
    for (size_t o = 0; o < co; o++) /* [o][ky][kx][c] to the weights' [o][c][ky][kx] */
        for (size_t t = 0; t < kk; t++)
            for (size_t c = 0; c < ci; c++)
                dw[o * nt + c * kk + t] =
                    s.sums[ci == 1 ? (o * k + t / k) * 8 + t % k : (o * kk + t) * ci + c];
    memcpy(dw + co * nt, bias, co * sizeof *dw);
}
#else /* never called: os_conv_sparse_takes is 0 without AVX2 */
void os_conv_sparse_backward(const os_layer *l, const float *params, const float *x,
                             const float *dy, float *dx, float *dw, size_t batch, float *scratch)
{
    (void)l, (void)params, (void)x, (void)dy, (void)dx, (void)dw, (void)batch, (void)scratch;
}
#endif
