/*
 * conv_layout.c — eight channels at a time between the two layouts of an
 * image: planes (NCHW, each channel's pixels side by side) and pixels
 * (each pixel's channels side by side), as the direct kernels need them
 * (conv_channels.c, conv_sparse.c).
 *
 * Why not a loop of single floats: a strided store per value costs more
 * than the 8 × 8 transposes in registers, and an image of LeNet's second
 * layer is turned around several times a step.
 */
#include "conv.h"

#if OS_CONV_AVX2
#include <immintrin.h>

/* Eight vectors r[0..7] turned to their transpose in place. */
OS_INLINE_AVX2 void transpose8(__m256 r[8])
{
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/* n pixels of eight channels: TO_PIXELS reads planes (channel q's pixel j
 * at from[q fs + j]) and writes pixels (to[j ts + q]), else the reverse.
 * Blocks of eight pixels, the last one overlapping the one before where n
 * is no multiple of eight (some values copied twice). */
OS_INLINE_AVX2 void turn(const float *from, size_t fs, float *to, size_t ts, size_t n,
                         const int TO_PIXELS)
{
    for (size_t b = 0; n >= 8 && b < n; b += 8) {
        const size_t j = b + 8 <= n ? b : n - 8;
        __m256 r[8];
        for (size_t q = 0; q < 8; q++)
            r[q] = _mm256_loadu_ps(TO_PIXELS ? from + q * fs + j : from + (j + q) * fs);
        transpose8(r);
        for (size_t q = 0; q < 8; q++)
            _mm256_storeu_ps(TO_PIXELS ? to + (j + q) * ts : to + q * ts + j, r[q]);
    }
    for (size_t j = 0; n < 8 && j < n; j++)
        for (size_t q = 0; q < 8; q++) {
            if (TO_PIXELS)
                to[j * ts + q] = from[q * fs + j];
            else
                to[q * ts + j] = from[j * fs + q];
        }
}

OS_AVX2_FMA void os_conv_planes_to_pixels(const float *planes, size_t plane_stride, float *pixels,
                                          size_t pixel_stride, size_t n)
{
    turn(planes, plane_stride, pixels, pixel_stride, n, 1);
}

OS_AVX2_FMA void os_conv_pixels_to_planes(const float *pixels, size_t pixel_stride, float *planes,
                                          size_t plane_stride, size_t n)
{
    turn(pixels, pixel_stride, planes, plane_stride, n, 0);
}
#else /* never called: the direct kernels need AVX2 */
void os_conv_planes_to_pixels(const float *planes, size_t plane_stride, float *pixels,
                              size_t pixel_stride, size_t n)
{
    for (size_t j = 0; j < n; j++)
        for (size_t q = 0; q < 8; q++)
            pixels[j * pixel_stride + q] = planes[q * plane_stride + j];
}

void os_conv_pixels_to_planes(const float *pixels, size_t pixel_stride, float *planes,
                              size_t plane_stride, size_t n)
{
    for (size_t j = 0; j < n; j++)
        for (size_t q = 0; q < 8; q++)
            planes[q * plane_stride + j] = pixels[j * pixel_stride + q];
}
#endif

/* Between an image's planes and the interior of its pixel-major padded
 * form (l's c_in channels, in eights, padded by l->pad, rows of width
 * pixels: w_in + 2 pad, or more where a kernel wants whole tiles), its
 * border left alone. */
void os_conv_planes_to_image(const os_layer *l, const float *planes, float *image, size_t width)
{
    const size_t ci = l->c_in, hw = l->h_in * l->w_in;
    for (size_t c = 0; c < ci; c += 8)
        for (size_t i = 0; i < l->h_in; i++)
            os_conv_planes_to_pixels(planes + c * hw + i * l->w_in, hw,
                                     image + ((l->pad + i) * width + l->pad) * ci + c, ci,
                                     l->w_in);
}

void os_conv_image_to_planes(const os_layer *l, const float *image, size_t width, float *planes)
{
    const size_t ci = l->c_in, hw = l->h_in * l->w_in;
    for (size_t c = 0; c < ci; c += 8)
        for (size_t i = 0; i < l->h_in; i++)
            os_conv_pixels_to_planes(image + ((l->pad + i) * width + l->pad) * ci + c, ci,
                                     planes + c * hw + i * l->w_in, hw, l->w_in);
}
