/*
 * conv_channels.c — direct convolutions for layers of several channels,
 * vectorised over channels, with AVX2 and fused multiply-adds: forward and
 * the weights' gradient over output channels, the input's gradient over
 * input channels.
 *
 * Why: LeNet's second layer (16 -> 32 channels, 5 × 5 on 14 × 14) ran in
 * oneDNN at 55-75 GFLOP/s a direction on one core, its reorders to and
 * from its blocked layouts counted, the weights' gradient slowest; the
 * lowering's products of 32 rows are slower still.  Here its weights'
 * gradient takes a third less time than in oneDNN, its input's a tenth
 * less, its forward a few hundredths less (bench/conv_dnnl.sh measures the
 * ways).  Every direction keeps a tile of sums in registers: a pixel's
 * channels are vectors (the tensors a direction writes or reads pixel by
 * pixel are turned to pixel-major order per image, a few KiB that stay in
 * the L1 cache), and each scalar they meet is broadcast to them.
 *
 * The numbers (tests/test_conv_direct.c checks them bit for bit):
 *  - forward: an output is its bias, then a fused multiply-add for each
 *    tap in (ky, kx, input channel) order;
 *  - dX: for each kernel row, kernel column and output pixel in that
 *    order, the input pixel under the tap gains a sum over output channels
 *    in order (a chain of fused multiply-adds from zero), added once;
 *  - dW: one chain of fused multiply-adds over the batch's images and their
 *    output pixels in order; the bias's, a chain of additions.
 * Nothing depends on the batch's chunks or the thread count.  A direction
 * the layer's channels do not fit (forward and dW: output channels in
 * eights; dX: input channels in eights), or a CPU without AVX2 and FMA,
 * keeps the other ways (conv.c).
 */
#include <string.h>
#include "conv.h"

#if OS_CONV_AVX2
#include <immintrin.h>
#endif

static int channels_allowed = 1; /* os_conv_channels_use */

int os_conv_channels_use(int on)
{
    channels_allowed = on;
    return os_conv_cpu_fma();
}

/* The directions the geometry fits, whatever the CPU. */
static unsigned channels_fit(const os_layer *l)
{
    if (l->kind != OS_LAYER_CONV2D || l->c_in < 2 || l->kernel < 1 || l->kernel > OS_CONV_K_MAX ||
        l->stride < 1)
        return 0;
    unsigned d = 0;
    if (l->c_out % 8 == 0)
        d |= OS_CONV_FORWARD | OS_CONV_DW;
    if (l->c_in % 8 == 0)
        d |= OS_CONV_DX;
    return d;
}

unsigned os_conv_channels_takes(const os_layer *l)
{
    return OS_CONV_AVX2 && channels_allowed && os_conv_cpu_fma() ? channels_fit(l) : 0;
}

static size_t padded_h(const os_layer *l) { return l->h_in + 2 * l->pad; }
static size_t padded_w(const os_layer *l) { return l->w_in + 2 * l->pad; }
static size_t taps(const os_layer *l) { return l->c_in * l->kernel * l->kernel; }
static size_t padded(const os_layer *l) { return l->c_in * padded_h(l) * padded_w(l); }

size_t os_conv_channels_scratch(const os_layer *l)
{
    if (!channels_fit(l))
        return 0;
    const size_t hw = l->h_out * l->w_out, nw = taps(l) * l->c_out;
    /* forward: the weights [ky][kx][c][o], the padded image, Y pixel-major;
     * dX: the weights [ky][kx][o][c], dX pixel-major and padded;
     * dW: dY pixel-major, the padded image, the sums [tap][o] and the bias's */
    size_t f = nw + padded(l) + hw * l->c_out, x = nw + padded(l),
           w = hw * l->c_out + padded(l) + nw + l->c_out;
    f = f > x ? f : x;
    return f > w ? f : w;
}

/* Image x (c_in planes) as padded planes: copied into xp, whose border
 * stays as zeroed; x itself when there is no padding. */
static const float *pad_image(const os_layer *l, const float *x, float *xp)
{
    const size_t hp = padded_h(l), wp = padded_w(l);
    if (!l->pad)
        return x;
    for (size_t c = 0; c < l->c_in; c++)
        for (size_t i = 0; i < l->h_in; i++)
            memcpy(xp + (c * hp + l->pad + i) * wp + l->pad, x + (c * l->h_in + i) * l->w_in,
                   l->w_in * sizeof *xp);
    return xp;
}

#if OS_CONV_AVX2

/* ---- forward ----------------------------------------------------------- */

/* NP output pixels from (oy, ox) on, output channels o0 .. o0 + 8 NV - 1,
 * in yt (pixel-major): kernel row ky's taps, each of every input channel
 * in order, added to the sums there (to the bias for the first row). */
OS_INLINE_AVX2 void forward_tile(const os_layer *l, const float *wt, const float *bias,
                                 const float *xp, float *yt, size_t ky, size_t oy, size_t ox,
                                 size_t o0, const int NP, const int NV)
{
    const size_t co = l->c_out, ci = l->c_in, s = l->stride, k = l->kernel;
    const size_t plane = padded_h(l) * padded_w(l);
    float *out = yt + (oy * l->w_out + ox) * co + o0;
    __m256 a[OS_CONV_TILE_MAX][2];
    _Pragma("GCC unroll 8") for (int j = 0; j < NP; j++)
        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
            a[j][v] = _mm256_loadu_ps(ky ? out + (size_t)j * co + 8 * (size_t)v
                                         : bias + o0 + 8 * (size_t)v);
    const float *w = wt + ky * k * ci * co + o0;
    const float *row = xp + (oy * s + ky) * padded_w(l) + ox * s;
    for (size_t kx = 0; kx < k; kx++) {
        const float *xv = row + kx;
        for (size_t c = 0; c < ci; c++, w += co, xv += plane) {
            __m256 wv[2];
            _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
                wv[v] = _mm256_loadu_ps(w + 8 * (size_t)v);
            _Pragma("GCC unroll 8") for (int j = 0; j < NP; j++) {
                const __m256 xb = _mm256_broadcast_ss(xv + (size_t)j * s);
                _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
                    a[j][v] = _mm256_fmadd_ps(wv[v], xb, a[j][v]);
            }
        }
    }
    _Pragma("GCC unroll 8") for (int j = 0; j < NP; j++)
        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
            _mm256_storeu_ps(out + (size_t)j * co + 8 * (size_t)v, a[j][v]);
}

/* A row of output pixels in tiles, for one kernel row and one block of
 * output channels. */
OS_INLINE_AVX2 void forward_row(const os_layer *l, const float *wt, const float *bias,
                                const float *xp, float *yt, size_t ky, size_t oy, size_t o0,
                                const int NV)
{
#define FORWARD_TILE(n) forward_tile(l, wt, bias, xp, yt, ky, oy, ox, o0, n, NV)
    OS_CONV_TILES(l->w_out, FORWARD_TILE)
#undef FORWARD_TILE
}

OS_AVX2_FMA
void os_conv_channels_forward(const os_layer *l, const float *params, const float *x, float *y,
                              size_t batch, float *scratch)
{
    const size_t co = l->c_out, ci = l->c_in, k = l->kernel, nt = taps(l),
                 hw = l->h_out * l->w_out;
    const float *w = params + l->param_offset, *bias = w + co * nt;
    float *wt = scratch, *xp = wt + nt * co, *yt = xp + padded(l);
    for (size_t o = 0; o < co; o++) /* the weights [ky][kx][c][o] */
        for (size_t c = 0; c < ci; c++)
            for (size_t t = 0; t < k * k; t++)
                wt[(t * ci + c) * co + o] = w[(o * ci + c) * k * k + t];
    if (l->pad) /* the border stays zero; an unpadded input is read in place */
        memset(xp, 0, padded(l) * sizeof *xp);
    for (size_t n = 0; n < batch; n++) {
        const float *xn = pad_image(l, x + n * l->in, xp);
        /* one kernel row at a time, its weights (k c_in c_out floats) in
         * the L1 cache; the sums wait in yt */
        for (size_t ky = 0; ky < k; ky++)
            for (size_t oy = 0; oy < l->h_out; oy++) {
                size_t o = 0;
                for (; o + 16 <= co; o += 16)
                    forward_row(l, wt, bias, xn, yt, ky, oy, o, 2);
                for (; o < co; o += 8)
                    forward_row(l, wt, bias, xn, yt, ky, oy, o, 1);
            }
        for (size_t o = 0; o < co; o += 8) /* pixel-major to NCHW */
            os_conv_pixels_to_planes(yt + o, co, y + n * l->out + o * hw, hw, hw);
    }
}

/* ---- dX ------------------------------------------------------------------ */

/* NP output pixels from (oy, ox) on, tap (ky, kx), input channels c0 ..
 * c0 + 8 NV - 1: each pixel's sum over output channels of W × dY, added to
 * the input pixel under the tap in dxt (pixel-major, padded). */
OS_INLINE_AVX2 void input_tile(const os_layer *l, const float *wt, const float *dy, float *dxt,
                               size_t oy, size_t ox, size_t ky, size_t kx, size_t c0,
                               const int NP, const int NV)
{
    const size_t ci = l->c_in, co = l->c_out, s = l->stride, hw = l->h_out * l->w_out;
    __m256 a[OS_CONV_TILE_MAX][2];
    _Pragma("GCC unroll 8") for (int j = 0; j < NP; j++)
        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
            a[j][v] = _mm256_setzero_ps();
    const float *w = wt + ((ky * l->kernel + kx) * co) * ci + c0, *d = dy + oy * l->w_out + ox;
    for (size_t o = 0; o < co; o++, w += ci, d += hw) {
        __m256 wv[2];
        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
            wv[v] = _mm256_loadu_ps(w + 8 * (size_t)v);
        _Pragma("GCC unroll 8") for (int j = 0; j < NP; j++) {
            const __m256 db = _mm256_broadcast_ss(d + j);
            _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
                a[j][v] = _mm256_fmadd_ps(wv[v], db, a[j][v]);
        }
    }
    float *to = dxt + ((oy * s + ky) * padded_w(l) + ox * s + kx) * ci + c0;
    _Pragma("GCC unroll 8") for (int j = 0; j < NP; j++)
        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) {
            float *at = to + (size_t)j * s * ci + 8 * (size_t)v;
            _mm256_storeu_ps(at, _mm256_add_ps(_mm256_loadu_ps(at), a[j][v]));
        }
}

OS_INLINE_AVX2 void input_row(const os_layer *l, const float *wt, const float *dy, float *dxt,
                              size_t oy, size_t ky, size_t kx, size_t c0, const int NV)
{
#define INPUT_TILE(n) input_tile(l, wt, dy, dxt, oy, ox, ky, kx, c0, n, NV)
    OS_CONV_TILES(l->w_out, INPUT_TILE)
#undef INPUT_TILE
}

OS_AVX2_FMA
void os_conv_channels_dx(const os_layer *l, const float *params, const float *dy, float *dx,
                         size_t batch, float *scratch)
{
    const size_t ci = l->c_in, co = l->c_out, k = l->kernel;
    const float *w = params + l->param_offset;
    float *wt = scratch, *dxt = wt + taps(l) * co;
    for (size_t o = 0; o < co; o++) /* the weights [ky][kx][o][c] */
        for (size_t c = 0; c < ci; c++)
            for (size_t t = 0; t < k * k; t++)
                wt[(t * co + o) * ci + c] = w[(o * ci + c) * k * k + t];
    for (size_t n = 0; n < batch; n++) {
        memset(dxt, 0, padded(l) * sizeof *dxt);
        const float *dn = dy + n * l->out;
        /* one tap at a time, its weights (c_out c_in floats) in the L1 cache */
        for (size_t ky = 0; ky < k; ky++)
            for (size_t kx = 0; kx < k; kx++)
                for (size_t oy = 0; oy < l->h_out; oy++) {
                    size_t c = 0;
                    for (; c + 16 <= ci; c += 16)
                        input_row(l, wt, dn, dxt, oy, ky, kx, c, 2);
                    for (; c < ci; c += 8)
                        input_row(l, wt, dn, dxt, oy, ky, kx, c, 1);
                }
        os_conv_image_to_planes(l, dxt, padded_w(l), dx + n * l->in); /* the interior */
    }
}

/* ---- dW ------------------------------------------------------------------ */

/* One kernel row (input channel c, row ky) of one image for output
 * channels o0 .. o0 + 8 NV - 1: sums[(c k + ky) k + kx][o] += dY[pixel][o] ×
 * X[c][pixel's window at (ky, kx)], pixel by pixel; with BIAS the bias's
 * sums too. */
OS_INLINE_AVX2 void kernel_row(const os_layer *l, const float *dyt, const float *xp, float *sums,
                               size_t o0, size_t c, size_t ky, const int NV, const int K,
                               const int BIAS)
{
    const size_t co = l->c_out, s = l->stride, wp = padded_w(l);
    float *at = sums + ((c * (size_t)K + ky) * (size_t)K) * co + o0;
    float *bias_at = sums + taps(l) * co + o0;
    __m256 a[OS_CONV_K_MAX][2], b[2], d[2];
    _Pragma("GCC unroll 8") for (int kx = 0; kx < K; kx++)
        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
            a[kx][v] = _mm256_loadu_ps(at + (size_t)kx * co + 8 * (size_t)v);
    _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
        b[v] = BIAS ? _mm256_loadu_ps(bias_at + 8 * (size_t)v) : _mm256_setzero_ps();
    const float *plane = xp + (c * padded_h(l) + ky) * wp, *dp = dyt + o0;
    for (size_t oy = 0; oy < l->h_out; oy++) {
        const float *row = plane + oy * s * wp;
        for (size_t ox = 0; ox < l->w_out; ox++, dp += co) {
            _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) {
                d[v] = _mm256_loadu_ps(dp + 8 * (size_t)v);
                if (BIAS)
                    b[v] = _mm256_add_ps(b[v], d[v]);
            }
            const float *xv = row + ox * s;
            _Pragma("GCC unroll 8") for (int kx = 0; kx < K; kx++) {
                const __m256 xb = _mm256_broadcast_ss(xv + kx);
                _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
                    a[kx][v] = _mm256_fmadd_ps(d[v], xb, a[kx][v]);
            }
        }
    }
    _Pragma("GCC unroll 8") for (int kx = 0; kx < K; kx++)
        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
            _mm256_storeu_ps(at + (size_t)kx * co + 8 * (size_t)v, a[kx][v]);
    if (BIAS)
        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)
            _mm256_storeu_ps(bias_at + 8 * (size_t)v, b[v]);
}

/* One image into the sums of output channels o .. o + 8 NV - 1, every
 * kernel row; the first also takes the bias's sums. */
OS_INLINE_AVX2 void channel_block(const os_layer *l, const float *dyt, const float *xp,
                                  float *sums, size_t o, const int NV, const int K)
{
    kernel_row(l, dyt, xp, sums, o, 0, 0, NV, K, 1);
    for (size_t r = 1; r < l->c_in * (size_t)K; r++)
        kernel_row(l, dyt, xp, sums, o, r / (size_t)K, r % (size_t)K, NV, K, 0);
}

/* One image into the sums: two vectors of output channels at a time while
 * their 2 K sums fit the registers (K <= 5), then one. */
OS_INLINE_AVX2 void image_sums(const os_layer *l, const float *dyt, const float *xp, float *sums,
                               const int K)
{
    size_t o = 0;
    if (K <= 5)
        for (; o + 16 <= l->c_out; o += 16)
            channel_block(l, dyt, xp, sums, o, 2, K);
    for (; o < l->c_out; o += 8)
        channel_block(l, dyt, xp, sums, o, 1, K);
}

OS_AVX2_FMA
void os_conv_channels_dw(const os_layer *l, const float *x, const float *dy, float *dw,
                         size_t batch, float *scratch)
{
    const size_t hw = l->h_out * l->w_out, co = l->c_out, nt = taps(l);
    float *dyt = scratch, *xp = dyt + hw * co, *sums = xp + padded(l);
    if (l->pad) /* the border stays zero; an unpadded input is read in place */
        memset(xp, 0, padded(l) * sizeof *xp);
    memset(sums, 0, (nt + 1) * co * sizeof *sums);
    for (size_t n = 0; n < batch; n++) {
        const float *dn = dy + n * l->out;
        for (size_t o = 0; o < co; o += 8) /* dY pixel-major */
            os_conv_planes_to_pixels(dn + o * hw, hw, dyt + o, co, hw);
        const float *xn = pad_image(l, x + n * l->in, xp);
#define IMAGE_SUMS(K) image_sums(l, dyt, xn, sums, K)
        OS_CONV_K_SWITCH(l->kernel, IMAGE_SUMS)
#undef IMAGE_SUMS
    }
    for (size_t t = 0; t < nt; t++) /* [tap][o] to the weights' [o][tap] */
        for (size_t o = 0; o < co; o++)
            dw[o * nt + t] = sums[t * co + o];
    memcpy(dw + co * nt, sums + nt * co, co * sizeof *dw);
}
#else /* never called: os_conv_channels_takes is 0 without AVX2 */
void os_conv_channels_forward(const os_layer *l, const float *params, const float *x, float *y,
                              size_t batch, float *scratch)
{
    (void)l, (void)params, (void)x, (void)y, (void)batch, (void)scratch;
}

void os_conv_channels_dx(const os_layer *l, const float *params, const float *dy, float *dx,
                         size_t batch, float *scratch)
{
    (void)l, (void)params, (void)dy, (void)dx, (void)batch, (void)scratch;
}

void os_conv_channels_dw(const os_layer *l, const float *x, const float *dy, float *dw,
                         size_t batch, float *scratch)
{
    (void)l, (void)x, (void)dy, (void)dw, (void)batch, (void)scratch;
}
#endif
