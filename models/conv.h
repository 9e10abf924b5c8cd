/*
 * conv.h — the convolution and max-pooling layers of layer.c's dispatch
 * (conv.c, conv_dnnl.c and pool.c).  Not for other modules: os_layer_forward and os_layer_backward
 * are the interface.
 */
#ifndef OS_CONV_H
#define OS_CONV_H

#include <stddef.h>
#include "layer.h"

/* Images a convolution lowers into one product, for a batch of `batch`. */
size_t os_conv_chunk(const os_layer *l, size_t batch);

/* Scratch floats a convolution needs for a batch of `batch` rows. */
size_t os_conv_scratch(const os_layer *l, size_t batch);

void os_conv_forward(const os_layer *l, const float *params, const float *x, float *y,
                     size_t batch, float *scratch);
/* dparams' slice is overwritten; dx (may be NULL) too. */
void os_conv_backward(const os_layer *l, const float *params, const float *x, const float *dy,
                      float *dx, float *dparams, size_t batch, float *scratch);

/* Scratch floats a max-pooling layer keeps from forward to backward (where
 * each window's maximum was) for a batch of `batch` rows. */
size_t os_pool_scratch(const os_layer *l, size_t batch);

void os_pool_forward(const os_layer *l, const float *x, float *y, size_t batch,
                     float *scratch);
/* dx is overwritten, from the scratch its forward wrote. */
void os_pool_backward(const os_layer *l, const float *dy, float *dx, size_t batch,
                      const float *scratch);
/* Tests and benches only: 0 makes 2 × 2 pooling take its portable loops
 * even where the CPU has AVX2; 1 (the default) lets it use its kernels.
 * Returns whether this build and CPU have those kernels. */
int os_pool_simd_use(int on);

/* The direct kernels below (conv_direct.c, conv_channels.c, conv_sparse.c,
 * conv_layout.c) are built where GCC targets x86-64 (OS_CONV_AVX2), their
 * functions compiled for AVX2 and FMA beside the build's baseline
 * (OS_AVX2_FMA; OS_INLINE_AVX2 for the inner ones), and run where the CPU
 * has both (os_conv_cpu_fma).  Their loops are specialised for kernels up
 * to OS_CONV_K_MAX, OS_CONV_K_SWITCH making K a constant in each call, for
 * the registers. */
#if defined(__GNUC__) && defined(__x86_64__)
#define OS_CONV_AVX2 1
#define OS_AVX2_FMA __attribute__((target("avx2,fma")))
#define OS_INLINE_AVX2 __attribute__((target("avx2,fma"), always_inline)) static inline
#else
#define OS_CONV_AVX2 0
#endif
/* call(N) with N the constant equal to n, for n of 1 to 6 (6 for more). */
#define OS_CONV_SWITCH6(n, call)                                                           \
    switch (n) {                                                                           \
    case 1: call(1); break;                                                                \
    case 2: call(2); break;                                                                \
    case 3: call(3); break;                                                                \
    case 4: call(4); break;                                                                \
    case 5: call(5); break;                                                                \
    default: call(6); break;                                                               \
    }
#define OS_CONV_K_MAX 7
#define OS_CONV_K_SWITCH(k, call)                                                          \
    if ((k) >= 7) {                                                                        \
        call(7);                                                                           \
    } else                                                                                 \
        OS_CONV_SWITCH6(k, call)

/* The tiles of a row of n pixels for the kernels that keep a tile of sums
 * in registers: at most OS_CONV_TILE_MAX each (the registers hold
 * OS_CONV_TILE_MAX × 2 vectors of sums), as even as possible, so that no
 * short tile is left whose few chains of sums wait on each other.
 * OS_CONV_TILES calls call(NP) for each, ox its first pixel and NP a
 * constant, for the registers. */
#define OS_CONV_TILE_MAX 6
static inline size_t os_conv_tile_next(size_t left)
{
    const size_t tiles = (left + OS_CONV_TILE_MAX - 1) / OS_CONV_TILE_MAX;
    return (left + tiles - 1) / tiles;
}
#define OS_CONV_TILES(n, call)                                                             \
    for (size_t ox = 0, np; ox < (n); ox += np) {                                          \
        np = os_conv_tile_next((n) - ox);                                                  \
        OS_CONV_SWITCH6(np, call)                                                          \
    }

static inline int os_conv_cpu_fma(void)
{
#if OS_CONV_AVX2
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* Eight channels of n pixels between an image's two layouts
 * (conv_layout.c): planes, channel q's pixel j at planes[q plane_stride +
 * j], and pixels, at pixels[j pixel_stride + q]. */
void os_conv_planes_to_pixels(const float *planes, size_t plane_stride, float *pixels,
                              size_t pixel_stride, size_t n);
void os_conv_pixels_to_planes(const float *pixels, size_t pixel_stride, float *planes,
                              size_t plane_stride, size_t n);
/* The same for a layer's whole input image: its planes and the interior of
 * its pixel-major padded form (c_in channels in eights, padded by l->pad,
 * a pixel's channels side by side, rows of width pixels), whose border is
 * left alone. */
void os_conv_planes_to_image(const os_layer *l, const float *planes, float *image, size_t width);
void os_conv_image_to_planes(const os_layer *l, const float *image, size_t width, float *planes);

/* Direct convolutions (conv_direct.c) for a layer of one input channel,
 * stride 1 and rows of 8 outputs or more, on a CPU with AVX2 and FMA:
 * forward, and the weights' gradient of a first layer (no dX).  takes says
 * whether they run for l; scratch is the floats they need (0 for a layer
 * they do not fit); weights overwrites the layer's slice of the gradient,
 * dw (c_out k k floats, then the bias's c_out). */
int os_conv_direct_takes(const os_layer *l);
size_t os_conv_direct_scratch(const os_layer *l);
void os_conv_direct_forward(const os_layer *l, const float *params, const float *x, float *y,
                            size_t batch, float *scratch);
void os_conv_direct_weights(const os_layer *l, const float *x, const float *dy, float *dw,
                            size_t batch, float *scratch);
/* Tests and benches only: 0 lowers such layers too, 1 (the default) lets
 * the direct kernels take them.  Returns whether this build and CPU have
 * them. */
int os_conv_direct_use(int on);

/* Direct kernels vectorised over channels (conv_channels.c) for layers of
 * two input channels or more, on a CPU with AVX2 and FMA: takes says which
 * directions they cover for l (forward and dW when the output channels
 * come in eights, dX when the input channels do; 0 for none).  dw as for
 * os_conv_direct_weights (weights, then bias, overwritten); dx overwritten.
 * scratch and use as for the direct kernels above. */
enum { OS_CONV_FORWARD = 1, OS_CONV_DX = 2, OS_CONV_DW = 4 };
unsigned os_conv_channels_takes(const os_layer *l);
size_t os_conv_channels_scratch(const os_layer *l);
void os_conv_channels_forward(const os_layer *l, const float *params, const float *x, float *y,
                              size_t batch, float *scratch);
void os_conv_channels_dx(const os_layer *l, const float *params, const float *dy, float *dx,
                         size_t batch, float *scratch);
void os_conv_channels_dw(const os_layer *l, const float *x, const float *dy, float *dw,
                         size_t batch, float *scratch);
int os_conv_channels_use(int on);

/* A convolution's gradients from dY's nonzero values alone (conv_sparse.c),
 * for layers that max pooling follows (l->pooled_by > 1) whose input
 * channels come in eights (c_in >= 8), on a CPU with AVX2 and FMA: takes is
 * OS_CONV_DX | OS_CONV_DW where they run, else 0.  backward gives
 * conv_channels.c's bits; dx or dw may be NULL (not wanted), dw as for
 * os_conv_direct_weights, both overwritten.  scratch and use as for the
 * direct kernels above. */
unsigned os_conv_sparse_takes(const os_layer *l);
size_t os_conv_sparse_scratch(const os_layer *l);
void os_conv_sparse_backward(const os_layer *l, const float *params, const float *x,
                             const float *dy, float *dx, float *dw, size_t batch, float *scratch);
int os_conv_sparse_use(int on);

/* The forward in Winograd's form (conv_winograd.c) for layers of stride 1,
 * a 3 × 3 or 5 × 5 kernel and channels in eights both sides, on a CPU
 * with AVX2 and FMA, where the outputs fill its tiles well enough: takes
 * says whether it runs for l.  Its numbers are not the direct sum's bits
 * (within a few 1e-6 of the largest output).  scratch and use as for the
 * direct kernels above. */
int os_conv_winograd_takes(const os_layer *l);
size_t os_conv_winograd_scratch(const os_layer *l);
void os_conv_winograd_forward(const os_layer *l, const float *params, const float *x, float *y,
                              size_t batch, float *scratch);
int os_conv_winograd_use(int on);
/* dX in that form, as the forward of l's transpose, for a layer whose dX
 * the sparse gradients do not take and where it pays (dx_takes); dx
 * overwritten, scratch of dx_scratch floats (0 where it never runs). */
int os_conv_winograd_dx_takes(const os_layer *l);
size_t os_conv_winograd_dx_scratch(const os_layer *l);
void os_conv_winograd_dx(const os_layer *l, const float *params, const float *dy, float *dx,
                         size_t batch, float *scratch);

/* oneDNN's convolutions (conv_dnnl.c), which os_conv_forward and
 * os_conv_backward hand a layer when the build has oneDNN and
 * os_conv_dnnl_takes says so; they return non-zero when oneDNN refused the
 * call, which the lowering then does (scratch: the larger of the two).
 * backward's dparams may be NULL: dX alone. */
/* Tests and benches only: which layers oneDNN takes: 0 none, 1 those with
 * eight input channels or more (the default), 2 all.  Set it before sizing
 * the scratch of the layers it is to cover. */
void os_conv_dnnl_use(int mode);
int os_conv_dnnl_takes(const os_layer *l);
size_t os_conv_dnnl_scratch(const os_layer *l, size_t batch);
int os_conv_dnnl_forward(const os_layer *l, const float *params, const float *x, float *y,
                         size_t batch, float *scratch);
int os_conv_dnnl_backward(const os_layer *l, const float *params, const float *x,
                          const float *dy, float *dx, float *dparams, size_t batch,
                          float *scratch);

#endif
