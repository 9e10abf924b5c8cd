/*
 * conv_direct.c — direct convolutions for a layer with one input channel
 * (the first layer of a grayscale image), forward and the weights'
 * gradient, with AVX2 and fused multiply-adds.
 *
 * Why not the lowering: with one input channel the lowered product is
 * 16 outputs × 25 taps × (R × 784) pixels for LeNet's first layer, a
 * shape no sgemm runs well (about 33 GFLOP/s here, against 75 and more on
 * the other layers' shapes), after an im2col that writes each pixel 25
 * times.  A direct kernel reads a zero-padded copy of the image, a few KiB
 * that stays in the L1 cache, and keeps its sums in registers.
 *
 * The numbers: every output is its bias plus the taps' products in (ky,
 * kx) order, each a fused multiply-add, whichever tile computes it; every
 * weight's gradient is eight lanes, each a chain of fused multiply-adds
 * over the batch's pixels in order (lane = output column mod 8), added in
 * a fixed tree at the end; the bias's, the same with additions.  So
 * the bits do not depend on the batch's chunks or the thread count.  They
 * differ from the lowering's in the last places (os_layer_numerics).  A
 * CPU without AVX2 and FMA lowers the layer (conv.c).
 */
#include <string.h>
#include "conv.h"

#if OS_CONV_AVX2
#include <immintrin.h>
#endif

static int direct_allowed = 1; /* os_conv_direct_use */

int os_conv_direct_use(int on)
{
    direct_allowed = on;
    return os_conv_cpu_fma();
}

/* The geometry the kernels cover: one input channel, stride 1, rows of at
 * least one vector of outputs, kernels up to OS_CONV_K_MAX. */
static int direct_fits(const os_layer *l)
{
    return l->kind == OS_LAYER_CONV2D && l->c_in == 1 && l->stride == 1 && l->w_out >= 8 &&
           l->kernel >= 1 && l->kernel <= OS_CONV_K_MAX;
}

int os_conv_direct_takes(const os_layer *l)
{
    return OS_CONV_AVX2 && direct_allowed && direct_fits(l) && os_conv_cpu_fma();
}

/* The padded plane: (h_out + k - 1) × (w_out + k - 1) floats and a vector's
 * slack after them. */
static size_t plane_width(const os_layer *l) { return l->w_out + l->kernel - 1; }
static size_t plane_floats(const os_layer *l)
{
    return (l->h_out + l->kernel - 1) * plane_width(l) + 8;
}

size_t os_conv_direct_scratch(const os_layer *l)
{
    if (!direct_fits(l))
        return 0;
    /* the plane, then the gradient (weights and bias) as eight lanes a value */
    return plane_floats(l) + 8 * (l->c_out * l->kernel * l->kernel + l->c_out);
}

/* Image x into the plane's interior; its border stays as zeroed. */
static void fill_plane(const os_layer *l, const float *x, float *plane)
{
    const size_t wp = plane_width(l);
    for (size_t i = 0; i < l->h_in; i++)
        memcpy(plane + (l->pad + i) * wp + l->pad, x + i * l->w_in, l->w_in * sizeof *x);
}

#if OS_CONV_AVX2

/* Outputs [ox0, ox0 + 8) and [ox1, ox1 + 8) of row oy for channels
 * c0 .. c0 + NC - 1: bias, then every tap in (ky, kx) order. */
OS_INLINE_AVX2 void forward_tile(const os_layer *l, const float *w, const float *bias,
                                 const float *plane, float *y, size_t c0, size_t oy, size_t ox0,
                                 size_t ox1, const int NC)
{
    const size_t k = l->kernel, wp = plane_width(l), hw = l->h_out * l->w_out;
    __m256 a0[4], a1[4];
    _Pragma("GCC unroll 8")
    for (int c = 0; c < NC; c++)
        a0[c] = a1[c] = _mm256_broadcast_ss(bias + c0 + (size_t)c);
    for (size_t ky = 0; ky < k; ky++) {
        const float *row = plane + (oy + ky) * wp;
        for (size_t kx = 0; kx < k; kx++) {
            const __m256 x0 = _mm256_loadu_ps(row + ox0 + kx), x1 = _mm256_loadu_ps(row + ox1 + kx);
            _Pragma("GCC unroll 8")
            for (int c = 0; c < NC; c++) {
                const __m256 wv = _mm256_broadcast_ss(w + (c0 + (size_t)c) * k * k + ky * k + kx);
                a0[c] = _mm256_fmadd_ps(wv, x0, a0[c]);
                a1[c] = _mm256_fmadd_ps(wv, x1, a1[c]);
            }
        }
    }
    _Pragma("GCC unroll 8")
    for (int c = 0; c < NC; c++) {
        float *out = y + (c0 + (size_t)c) * hw + oy * l->w_out;
        _mm256_storeu_ps(out + ox0, a0[c]);
        _mm256_storeu_ps(out + ox1, a1[c]);
    }
}

/* A row's vectors: at 0, 8, 16 and so on, the last at w_out - 8 (it may
 * overlap the one before; both write the same values).  Two at a time. */
OS_INLINE_AVX2 void forward_rows(const os_layer *l, const float *w, const float *bias,
                                 const float *plane, float *y, size_t c0, const int NC)
{
    const size_t wo = l->w_out, last = wo - 8;
    for (size_t oy = 0; oy < l->h_out; oy++)
        for (size_t ox = 0; ox < wo; ox += 16) {
            size_t v0 = ox < last ? ox : last, v1 = ox + 8 < last ? ox + 8 : last;
            forward_tile(l, w, bias, plane, y, c0, oy, v0, v1, NC);
            if (v1 == last)
                break;
        }
}

OS_AVX2_FMA
void os_conv_direct_forward(const os_layer *l, const float *params, const float *x, float *y,
                            size_t batch, float *plane)
{
    const float *w = params + l->param_offset, *bias = w + l->c_out * l->kernel * l->kernel;
    memset(plane, 0, plane_floats(l) * sizeof *plane);
    for (size_t n = 0; n < batch; n++) {
        fill_plane(l, x + n * l->in, plane);
        float *yn = y + n * l->out;
        size_t c = 0;
        for (; c + 4 <= l->c_out; c += 4)
            forward_rows(l, w, bias, plane, yn, c, 4);
        switch (l->c_out - c) {
        case 3: forward_rows(l, w, bias, plane, yn, c, 3); break;
        case 2: forward_rows(l, w, bias, plane, yn, c, 2); break;
        case 1: forward_rows(l, w, bias, plane, yn, c, 1); break;
        default: break;
        }
    }
}

/* Adds one image's share to the lanes of channels c0 .. c0 + NC - 1, kernel
 * row ky: lanes[(c k + ky) k + kx] += dy[c] × the plane under tap (ky, kx),
 * pixel by pixel in order, a vector of 8 at a time (the row's last, short
 * vector masked to zero on both sides).  With BIAS (one kernel row of the
 * image's), also the bias's lanes: lanes[c_out k k + c] += dy[c]. */
OS_INLINE_AVX2 void weights_row(const os_layer *l, const float *dy, const float *plane,
                                float *lanes, size_t c0, size_t ky, const int NC, const int K,
                                const int BIAS)
{
    const size_t wo = l->w_out, wp = plane_width(l), hw = l->h_out * wo, full = wo / 8 * 8;
    const int tail = (int)(wo - full);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(tail),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    float *at[2], *bias_at[2];
    __m256 a[2][OS_CONV_K_MAX], b[2], dv[2];
    _Pragma("GCC unroll 8") for (int c = 0; c < NC; c++) {
        at[c] = lanes + ((c0 + (size_t)c) * (size_t)K + ky) * (size_t)K * 8;
        bias_at[c] = lanes + (l->c_out * (size_t)K * (size_t)K + c0 + (size_t)c) * 8;
        _Pragma("GCC unroll 8") for (int kx = 0; kx < K; kx++)
            a[c][kx] = _mm256_loadu_ps(at[c] + 8 * kx);
        b[c] = BIAS ? _mm256_loadu_ps(bias_at[c]) : _mm256_setzero_ps();
    }
    for (size_t oy = 0; oy < l->h_out; oy++) {
        const float *row = plane + (oy + ky) * wp, *d = dy + c0 * hw + oy * wo;
        for (size_t ox = 0; ox <= full; ox += 8) {
            if (ox == full && !tail)
                break;
            _Pragma("GCC unroll 8") for (int c = 0; c < NC; c++) {
                dv[c] = ox < full ? _mm256_loadu_ps(d + (size_t)c * hw + ox)
                                  : _mm256_maskload_ps(d + (size_t)c * hw + ox, mask);
                if (BIAS)
                    b[c] = _mm256_add_ps(b[c], dv[c]);
            }
            _Pragma("GCC unroll 8") for (int kx = 0; kx < K; kx++) {
                const __m256 xv = ox < full ? _mm256_loadu_ps(row + ox + (size_t)kx)
                                            : _mm256_maskload_ps(row + ox + (size_t)kx, mask);
                _Pragma("GCC unroll 8") for (int c = 0; c < NC; c++)
                    a[c][kx] = _mm256_fmadd_ps(dv[c], xv, a[c][kx]);
            }
        }
    }
    _Pragma("GCC unroll 8") for (int c = 0; c < NC; c++) {
        _Pragma("GCC unroll 8") for (int kx = 0; kx < K; kx++)
            _mm256_storeu_ps(at[c] + 8 * kx, a[c][kx]);
        if (BIAS)
            _mm256_storeu_ps(bias_at[c], b[c]);
    }
}

/* One image into the lanes, for kernels of K taps a side: two channels at a
 * time (2 K sums in registers) while they fit, one when K > 5. */
OS_INLINE_AVX2 void weights_image(const os_layer *l, const float *dy, const float *plane,
                                  float *lanes, const int K)
{
    const size_t step = K <= 5 ? 2 : 1;
    size_t c = 0;
    for (; c + step <= l->c_out; c += step) {
        weights_row(l, dy, plane, lanes, c, 0, (int)step, K, 1);
        for (size_t ky = 1; ky < (size_t)K; ky++)
            weights_row(l, dy, plane, lanes, c, ky, (int)step, K, 0);
    }
    for (; c < l->c_out; c++) {
        weights_row(l, dy, plane, lanes, c, 0, 1, K, 1);
        for (size_t ky = 1; ky < (size_t)K; ky++)
            weights_row(l, dy, plane, lanes, c, ky, 1, K, 0);
    }
}

OS_AVX2_FMA
void os_conv_direct_weights(const os_layer *l, const float *x, const float *dy, float *dw,
                            size_t batch, float *plane)
{
    /* the weights' lanes, then the bias's: dw's layout */
    const size_t taps = l->c_out * l->kernel * l->kernel + l->c_out;
    float *lanes = plane + plane_floats(l);
    memset(plane, 0, plane_floats(l) * sizeof *plane);
    memset(lanes, 0, 8 * taps * sizeof *lanes);
    for (size_t n = 0; n < batch; n++) {
        fill_plane(l, x + n * l->in, plane);
        const float *d = dy + n * l->out;
#define WEIGHTS_IMAGE(K) weights_image(l, d, plane, lanes, K)
        OS_CONV_K_SWITCH(l->kernel, WEIGHTS_IMAGE)
#undef WEIGHTS_IMAGE
    }
    for (size_t t = 0; t < taps; t++) { /* a fixed tree over the lanes */
        const float *s = lanes + 8 * t;
        dw[t] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }
}
#else /* never called: os_conv_direct_takes is 0 without AVX2 */
void os_conv_direct_forward(const os_layer *l, const float *params, const float *x, float *y,
                            size_t batch, float *scratch)
{
    (void)l, (void)params, (void)x, (void)y, (void)batch, (void)scratch;
}

void os_conv_direct_weights(const os_layer *l, const float *x, const float *dy, float *dw,
                            size_t batch, float *scratch)
{
    (void)l, (void)x, (void)dy, (void)dw, (void)batch, (void)scratch;
}
#endif
