/*
 * conv_weights.c — the weights' and bias's gradient of a convolution with
 * several input channels, direct, vectorised over output channels, with
 * AVX2 and fused multiply-adds.
 *
 *   dW[o][c][ky][kx] = Σ over images and output pixels of
 *                      dY[o][pixel] × X[c][the pixel's window at (ky, kx)]
 *
 * Why: this direction was the slowest of LeNet's second layer in oneDNN
 * (16 -> 32 channels, 5 × 5 on 14 × 14: 5.5 ms a batch of 128 on one core,
 * against 3.5 here, bench/conv_dnnl.sh), and the lowering's is an im2col
 * and a product of 32 rows.  Here each image's dY is turned to pixel-major
 * order, so that a pixel's output channels are vectors, and each input
 * value under a tap is broadcast to them: a kernel row's taps (k sums of
 * two vectors) stay in registers over the image's pixels, and the image
 * (a few KiB of X, zero-padded, and of dY) stays in the L1 cache.
 *
 * The numbers: every weight's gradient is one chain of fused multiply-adds
 * over the batch's images, and each image's output pixels, in order; the
 * bias's the same chain of additions.  Nothing depends on the batch's
 * chunks or the thread count.  A layer whose output channels are not a
 * multiple of 8, or a CPU without AVX2 and FMA, keeps the other ways
 * (conv.c).
 */
#include <string.h>
#include "conv.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define WEIGHTS_AVX2 1
#else
#define WEIGHTS_AVX2 0
#endif

#define K_MAX 7 /* kernels the loops are specialised for */

static int weights_allowed = 1; /* os_conv_weights_use */

static int cpu_has(void)
{
#if WEIGHTS_AVX2
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int os_conv_weights_use(int on)
{
    weights_allowed = on;
    return cpu_has();
}

static int weights_fit(const os_layer *l)
{
    return l->kind == OS_LAYER_CONV2D && l->c_in >= 2 && l->c_out % 8 == 0 && l->kernel >= 1 &&
           l->kernel <= K_MAX && l->stride >= 1;
}

int os_conv_weights_takes(const os_layer *l)
{
    return WEIGHTS_AVX2 && weights_allowed && weights_fit(l) && cpu_has();
}

static size_t padded_h(const os_layer *l) { return l->h_in + 2 * l->pad; }
static size_t padded_w(const os_layer *l) { return l->w_in + 2 * l->pad; }
static size_t taps(const os_layer *l) { return l->c_in * l->kernel * l->kernel; }

size_t os_conv_weights_scratch(const os_layer *l)
{
    if (!weights_fit(l))
        return 0;
    /* dY pixel-major, the padded image, the sums [tap][o] and the bias's */
    return l->h_out * l->w_out * l->c_out + l->c_in * padded_h(l) * padded_w(l) +
           (taps(l) + 1) * l->c_out;
}

#if WEIGHTS_AVX2
#define INLINE_AVX2 __attribute__((target("avx2,fma"), always_inline)) static inline

/* One kernel row (input channel c, row ky) of one image for output
 * channels o0 .. o0 + 8 NV - 1: sums[(c k + ky) k + kx][o] += dY[pixel][o] ×
 * X[c][pixel's window at (ky, kx)], pixel by pixel; with BIAS the bias's
 * sums too. */
INLINE_AVX2 void kernel_row(const os_layer *l, const float *dyt, const float *xp, float *sums,
                            size_t o0, size_t c, size_t ky, const int NV, const int K,
                            const int BIAS)
{
    const size_t co = l->c_out, s = l->stride, wp = padded_w(l);
    float *at = sums + ((c * (size_t)K + ky) * (size_t)K) * co + o0;
    float *bias_at = sums + taps(l) * co + o0;
    __m256 a[K_MAX][2], b[2], d[2];
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
INLINE_AVX2 void channel_block(const os_layer *l, const float *dyt, const float *xp,
                               float *sums, size_t o, const int NV, const int K)
{
    kernel_row(l, dyt, xp, sums, o, 0, 0, NV, K, 1);
    for (size_t r = 1; r < l->c_in * (size_t)K; r++)
        kernel_row(l, dyt, xp, sums, o, r / (size_t)K, r % (size_t)K, NV, K, 0);
}

/* One image into the sums: two vectors of output channels at a time while
 * their 2 K sums fit the registers (K <= 5), then one. */
INLINE_AVX2 void image_sums(const os_layer *l, const float *dyt, const float *xp, float *sums,
                            const int K)
{
    size_t o = 0;
    if (K <= 5)
        for (; o + 16 <= l->c_out; o += 16)
            channel_block(l, dyt, xp, sums, o, 2, K);
    for (; o < l->c_out; o += 8)
        channel_block(l, dyt, xp, sums, o, 1, K);
}

__attribute__((target("avx2,fma")))
static void weights_avx2(const os_layer *l, const float *x, const float *dy, float *dw,
                         size_t batch, float *scratch)
{
    const size_t hw = l->h_out * l->w_out, co = l->c_out, hp = padded_h(l), wp = padded_w(l);
    const size_t nt = taps(l);
    float *dyt = scratch, *xp = dyt + hw * co, *sums = xp + l->c_in * hp * wp;
    memset(xp, 0, l->c_in * hp * wp * sizeof *xp); /* the padding stays zero */
    memset(sums, 0, (nt + 1) * co * sizeof *sums);
    for (size_t n = 0; n < batch; n++) {
        const float *xn = x + n * l->in, *dn = dy + n * l->out;
        for (size_t o = 0; o < co; o++) /* dY pixel-major */
            for (size_t p = 0; p < hw; p++)
                dyt[p * co + o] = dn[o * hw + p];
        for (size_t c = 0; c < l->c_in; c++)
            for (size_t i = 0; i < l->h_in; i++)
                memcpy(xp + (c * hp + l->pad + i) * wp + l->pad,
                       xn + (c * l->h_in + i) * l->w_in, l->w_in * sizeof *xp);
        switch (l->kernel) { /* K a constant in each, for the registers */
        case 1: image_sums(l, dyt, xp, sums, 1); break;
        case 2: image_sums(l, dyt, xp, sums, 2); break;
        case 3: image_sums(l, dyt, xp, sums, 3); break;
        case 4: image_sums(l, dyt, xp, sums, 4); break;
        case 5: image_sums(l, dyt, xp, sums, 5); break;
        case 6: image_sums(l, dyt, xp, sums, 6); break;
        default: image_sums(l, dyt, xp, sums, 7); break;
        }
    }
    for (size_t t = 0; t < nt; t++) /* [tap][o] to the weights' [o][tap] */
        for (size_t o = 0; o < co; o++)
            dw[o * nt + t] = sums[t * co + o];
    memcpy(dw + co * nt, sums + nt * co, co * sizeof *dw);
}
#endif

void os_conv_weights(const os_layer *l, const float *x, const float *dy, float *dw,
                     size_t batch, float *scratch)
{
#if WEIGHTS_AVX2
    weights_avx2(l, x, dy, dw, batch, scratch);
#else
    (void)l, (void)x, (void)dy, (void)dw, (void)batch, (void)scratch;
#endif
}
