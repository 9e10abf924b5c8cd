/*
 * conv_winograd.c — the forward of a convolution of stride 1 and a 3 × 3
 * or 5 × 5 kernel in Winograd's minimal filtering form, F(4 × 4, 3 × 3)
 * and F(2 × 2, 5 × 5), both on tiles of α × α = 6 × 6 input pixels,
 * vectorised over channels with AVX2 and fused multiply-adds.
 *
 * Why: the forward of LeNet's second layer (16 -> 32 channels, 5 × 5,
 * 10 × 10 outputs) was the largest part of a CNN step and more of a CNN
 * study, whose measurements are forwards alone; conv_channels.c ran it at
 * the FMA units' rate.  Here a tile of m × m outputs costs 36 products per
 * pair of channels instead of m² k² (100 for 5 × 5, 144 for 3 × 3), for
 * the price of transforming each input tile and each output tile (additions
 * over channels, vectorised the same way) and the weights once per call.
 *
 * The form (Lavin and Gray, "Fast algorithms for convolutional neural
 * networks", 2016): with the points 0, 1, −1, 2, −2 and ∞,
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
 * for each output tile Y (m × m), its input tile d (6 × 6) and a kernel g
 * (r × r), summed over input channels before Aᵀ · A.  Bᵀ (6 × 6) is the
 * same for both kernels; G is r columns of pᵏ/Π(p − q) and Aᵀ m rows of
 * pᵃ (docs/performance.md prints them).
 *
 * The numbers are not the direct sum's: the transforms add and subtract
 * values up to 5 × 5 = 25 times a pixel, and the products round in
 * another order, so an output is within a few 1e-6 of the largest
 * output's size of the exact sum, where the direct sum is within about
 * 1e-7 (tests/test_conv_winograd.c checks the gap, and that the bits
 * depend on nothing but the image and the weights: not on the batch's
 * chunks nor the thread count; tests/test_conv_paths.c the gap too).  An output is its bias plus the transformed sum,
 * added last.  The layer's numerics version (models/layer.c) says so.
 */
#include <string.h>
#include "conv.h"

#if OS_CONV_AVX2
#include <immintrin.h>
#endif

#define ALPHA 6             /* input tile side, m + r − 1 */
#define NXI (ALPHA * ALPHA) /* its points ξ = (ξy, ξx) */

static int winograd_allowed = 1; /* os_conv_winograd_use */

int os_conv_winograd_use(int on)
{
    winograd_allowed = on;
    return os_conv_cpu_fma();
}

static size_t tile_m(const os_layer *l) { return ALPHA + 1 - l->kernel; }
static size_t tiles_h(const os_layer *l) { return (l->h_out + tile_m(l) - 1) / tile_m(l); }
static size_t tiles_w(const os_layer *l) { return (l->w_out + tile_m(l) - 1) / tile_m(l); }
/* The padded input, grown to whole tiles (zero past the padding). */
static size_t ext_h(const os_layer *l) { return tiles_h(l) * tile_m(l) + l->kernel - 1; }
static size_t ext_w(const os_layer *l) { return tiles_w(l) * tile_m(l) + l->kernel - 1; }

/* Whether the geometry fits, whatever the CPU: stride 1, a 3 × 3 or 5 × 5
 * kernel, channels in eights both sides (vectors of eight), and outputs
 * that fill their tiles well enough that the 36 products a tile come to at
 * most two thirds of the direct k² an output, which pays for the
 * transforms (a 2 × 2 output of a 3 × 3 kernel, one 4 × 4 tile, does not). */
static int winograd_fits(const os_layer *l)
{
    if (l->kind != OS_LAYER_CONV2D || l->stride != 1 || (l->kernel != 3 && l->kernel != 5) ||
        l->c_in % 8 || l->c_out % 8 || !l->c_in || !l->c_out || !l->h_out || !l->w_out)
        return 0;
    return 3 * NXI * tiles_h(l) * tiles_w(l) <= 2 * l->kernel * l->kernel * l->h_out * l->w_out;
}

int os_conv_winograd_takes(const os_layer *l)
{
    return OS_CONV_AVX2 && winograd_allowed && os_conv_cpu_fma() && winograd_fits(l);
}

/* How many rows of tiles one pass transforms and multiplies: enough tiles
 * for the products to reuse each transformed weight several times, few
 * enough that the pass's V and M (36 floats a tile and channel) stay in
 * the L1 and L2 caches.  LeNet's second layer: two rows of 5 tiles. */
#define BAND_FLOATS 32768
static size_t band_rows(const os_layer *l)
{
    const size_t per_row = NXI * tiles_w(l) * (l->c_in + l->c_out);
    const size_t rows = BAND_FLOATS / per_row;
    return rows < 1 ? 1 : rows > tiles_h(l) ? tiles_h(l) : rows;
}

/* The scratch, in this order (floats):
 *   u      36 c_in c_out     the transformed weights, [ξ][c][o]
 *   wt     c_in k k c_out    the weights, [c][ky][kx][o]
 *   image  ext_h ext_w c_in  the padded input, pixel-major
 *   s      6 ext_w c_in      a row of tiles, transformed down its columns
 *   v      36 tiles c_in     a band's input tiles, transformed, [ξ][t][c]
 *   m      36 tiles c_out    their products, [ξ][t][o]
 *   yt     h_out w_out c_out the output, pixel-major */
size_t os_conv_winograd_scratch(const os_layer *l)
{
    if (!winograd_fits(l))
        return 0;
    const size_t ci = l->c_in, co = l->c_out, band = band_rows(l) * tiles_w(l);
    return NXI * ci * co + ci * l->kernel * l->kernel * co + ext_h(l) * ext_w(l) * ci +
           ALPHA * ext_w(l) * ci + NXI * band * (ci + co) + l->h_out * l->w_out * co;
}

/* dX of a stride-1 convolution is the forward of its transpose: dY padded
 * by k − 1 − pad, correlated with the kernels turned by 180° and their
 * channels swapped.  *t is that layer (its parameters at offset 0, then a
 * zero bias); whether this form takes it and pays: the transpose's tiles
 * cover dY's halo too, so their 36 products a tile must come to at most
 * two thirds of the direct dX's k² a pixel of dY (conv_channels.c scatters
 * from dY's pixels alone).  LeNet's second layer (5 × 5, no padding: a
 * halo of 4) does not pass; a padded 3 × 3 layer does. */
static int transpose_fits(const os_layer *l, os_layer *t)
{
    if (l->kind != OS_LAYER_CONV2D || l->stride != 1 || l->pad + 1 > l->kernel)
        return 0;
    *t = os_layer_conv2d(l->c_out, l->h_out, l->w_out, l->c_in, l->kernel,
                         l->kernel - 1 - l->pad, 1);
    t->param_offset = 0;
    return winograd_fits(t) &&
           3 * NXI * tiles_h(t) * tiles_w(t) <= 2 * l->kernel * l->kernel * l->h_out * l->w_out;
}

int os_conv_winograd_dx_takes(const os_layer *l)
{
    os_layer t;
    return !(os_conv_sparse_takes(l) & OS_CONV_DX) && transpose_fits(l, &t) &&
           os_conv_winograd_takes(&t);
}

/* The transpose's parameters, then its scratch. */
size_t os_conv_winograd_dx_scratch(const os_layer *l)
{
    os_layer t;
    return transpose_fits(l, &t) ? t.n_params + os_conv_winograd_scratch(&t) : 0;
}

void os_conv_winograd_dx(const os_layer *l, const float *params, const float *dy, float *dx,
                         size_t batch, float *scratch)
{
    os_layer t;
    transpose_fits(l, &t);
    const float *w = params + l->param_offset;
    const size_t kk = l->kernel * l->kernel, ci = l->c_in, co = l->c_out;
    float *tw = scratch; /* [c][o][ky][kx]: l's [o][c][k − 1 − ky][k − 1 − kx] */
    for (size_t c = 0; c < ci; c++)
        for (size_t o = 0; o < co; o++)
            for (size_t i = 0; i < kk; i++)
                tw[(c * co + o) * kk + i] = w[(o * ci + c) * kk + kk - 1 - i];
    memset(tw + ci * co * kk, 0, ci * sizeof *tw);
    os_conv_winograd_forward(&t, tw, dy, dx, batch, scratch + t.n_params);
}

#if OS_CONV_AVX2

/* G's row ξ, column k for a kernel of r: pᵏ / Π_{q ≠ p} (p − q) over the
 * finite points p, and the point at infinity picking the last column. */
static float g_at(size_t xi, size_t k, size_t r)
{
    static const float p[ALPHA - 1] = { 0, 1, -1, 2, -2 };
    static const float scale[ALPHA - 1] = { 1.0f / 4, -1.0f / 6, -1.0f / 6, 1.0f / 24,
                                            1.0f / 24 };
    if (xi == ALPHA - 1)
        return k == r - 1 ? 1.0f : 0.0f;
    float v = scale[xi];
    for (size_t i = 0; i < k; i++)
        v *= p[xi];
    return v;
}

/* t = Bᵀ d for six vectors. */
OS_INLINE_AVX2 void input_transform(const __m256 d[ALPHA], __m256 t[ALPHA])
{
    const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f),
                 five = _mm256_set1_ps(5.0f);
    t[0] = _mm256_fnmadd_ps(five, d[2], _mm256_fmadd_ps(four, d[0], d[4]));
    const __m256 s12 = _mm256_add_ps(d[1], d[2]), s34 = _mm256_add_ps(d[3], d[4]);
    const __m256 d12 = _mm256_sub_ps(d[1], d[2]), d43 = _mm256_sub_ps(d[4], d[3]);
    t[1] = _mm256_fnmadd_ps(four, s12, s34);
    t[2] = _mm256_fmadd_ps(four, d12, d43);
    const __m256 d42 = _mm256_sub_ps(d[4], d[2]), d31 = _mm256_sub_ps(d[3], d[1]);
    t[3] = _mm256_fmadd_ps(two, d31, d42);
    t[4] = _mm256_fnmadd_ps(two, d31, d42);
    t[5] = _mm256_fnmadd_ps(five, d[3], _mm256_fmadd_ps(four, d[1], d[5]));
}

/* y = Aᵀ s for six vectors, M = 2 or 4 outputs. */
OS_INLINE_AVX2 void output_transform(const __m256 s[ALPHA], __m256 y[4], const int M)
{
    const __m256 s12 = _mm256_add_ps(s[1], s[2]), s34 = _mm256_add_ps(s[3], s[4]);
    const __m256 d12 = _mm256_sub_ps(s[1], s[2]), d34 = _mm256_sub_ps(s[3], s[4]);
    y[0] = _mm256_add_ps(_mm256_add_ps(s[0], s12), s34);
    if (M == 2) {
        y[1] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(2.0f), d34, d12), s[5]);
        return;
    }
    y[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d34, d12);
    y[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), s34, s12);
    y[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), d34, d12), s[5]);
}

/* u[ξ][c][o] = (G g_{o,c} Gᵀ)[ξy][ξx], eight output channels a vector
 * (wt is [c][ky][kx][o]). */
OS_INLINE_AVX2 void transform_weights(const os_layer *l, const float *w, float *wt, float *u,
                                      const int K)
{
    const size_t ci = l->c_in, co = l->c_out, kk = (size_t)K * (size_t)K;
    for (size_t o = 0; o < co; o++)
        for (size_t c = 0; c < ci; c++)
            for (size_t t = 0; t < kk; t++)
                wt[(c * kk + t) * co + o] = w[(o * ci + c) * kk + t];
    __m256 g[ALPHA][5];
    for (size_t xi = 0; xi < ALPHA; xi++)
        for (int a = 0; a < K; a++)
            g[xi][a] = _mm256_set1_ps(g_at(xi, (size_t)a, (size_t)K));
    for (size_t c = 0; c < ci; c++)
        for (size_t o = 0; o < co; o += 8) {
            const float *wc = wt + c * kk * co + o;
            __m256 gw[ALPHA][5]; /* G g: [ξy][kx] */
            _Pragma("GCC unroll 5") for (int kx = 0; kx < K; kx++) {
                __m256 col[5];
                _Pragma("GCC unroll 5") for (int a = 0; a < K; a++)
                    col[a] = _mm256_loadu_ps(wc + ((size_t)a * (size_t)K + (size_t)kx) * co);
                _Pragma("GCC unroll 6") for (int xy = 0; xy < ALPHA; xy++) {
                    __m256 sum = _mm256_mul_ps(g[xy][0], col[0]);
                    _Pragma("GCC unroll 5") for (int a = 1; a < K; a++)
                        sum = _mm256_fmadd_ps(g[xy][a], col[a], sum);
                    gw[xy][kx] = sum;
                }
            }
            _Pragma("GCC unroll 6") for (int xy = 0; xy < ALPHA; xy++)
                _Pragma("GCC unroll 6") for (int xx = 0; xx < ALPHA; xx++) {
                    __m256 sum = _mm256_mul_ps(g[xx][0], gw[xy][0]);
                    _Pragma("GCC unroll 5") for (int b = 1; b < K; b++)
                        sum = _mm256_fmadd_ps(g[xx][b], gw[xy][b], sum);
                    _mm256_storeu_ps(u + (((size_t)xy * ALPHA + (size_t)xx) * ci + c) * co + o,
                                     sum);
                }
        }
}

/* The input tiles of tile row ty into v, from tile index t0 on: Bᵀ down
 * the six rows' columns into s, then Bᵀ along each tile's six columns. */
OS_INLINE_AVX2 void input_tiles(const os_layer *l, const float *image, float *s, float *v,
                                size_t ty, size_t t0, size_t band)
{
    const size_t ci = l->c_in, ew = ext_w(l), m = tile_m(l), tw = tiles_w(l);
    const float *rows = image + ty * m * ew * ci;
    for (size_t x = 0; x < ew; x++)
        for (size_t c = 0; c < ci; c += 8) {
            __m256 d[ALPHA], t[ALPHA];
            _Pragma("GCC unroll 6") for (int i = 0; i < ALPHA; i++)
                d[i] = _mm256_loadu_ps(rows + ((size_t)i * ew + x) * ci + c);
            input_transform(d, t);
            _Pragma("GCC unroll 6") for (int i = 0; i < ALPHA; i++)
                _mm256_storeu_ps(s + ((size_t)i * ew + x) * ci + c, t[i]);
        }
    for (size_t tx = 0; tx < tw; tx++)
        for (size_t xy = 0; xy < ALPHA; xy++)
            for (size_t c = 0; c < ci; c += 8) {
                __m256 d[ALPHA], t[ALPHA];
                _Pragma("GCC unroll 6") for (int j = 0; j < ALPHA; j++)
                    d[j] = _mm256_loadu_ps(s + (xy * ew + tx * m + (size_t)j) * ci + c);
                input_transform(d, t);
                _Pragma("GCC unroll 6") for (int j = 0; j < ALPHA; j++)
                    _mm256_storeu_ps(v + (((xy * ALPHA + (size_t)j) * band) + t0 + tx) * ci + c,
                                     t[j]);
            }
}

/* m[ξ][t][o] = Σ_c v[ξ][t][c] u[ξ][c][o] for NP tiles from t0 on and
 * output channels o0 .. o0 + 8 NV − 1, for one ξ (u, v and m its slices). */
OS_INLINE_AVX2 void product_tile(const float *u, const float *v, float *m, size_t ci, size_t co,
                                 size_t t0, size_t o0, const int NP, const int NV)
{
    __m256 a[OS_CONV_TILE_MAX][2];
    _Pragma("GCC unroll 8") for (int j = 0; j < NP; j++)
        _Pragma("GCC unroll 2") for (int q = 0; q < NV; q++)
            a[j][q] = _mm256_setzero_ps();
    const float *w = u + o0, *x = v + t0 * ci;
    for (size_t c = 0; c < ci; c++, w += co) {
        __m256 wv[2];
        _Pragma("GCC unroll 2") for (int q = 0; q < NV; q++)
            wv[q] = _mm256_loadu_ps(w + 8 * (size_t)q);
        _Pragma("GCC unroll 8") for (int j = 0; j < NP; j++) {
            const __m256 xb = _mm256_broadcast_ss(x + (size_t)j * ci + c);
            _Pragma("GCC unroll 2") for (int q = 0; q < NV; q++)
                a[j][q] = _mm256_fmadd_ps(wv[q], xb, a[j][q]);
        }
    }
    _Pragma("GCC unroll 8") for (int j = 0; j < NP; j++)
        _Pragma("GCC unroll 2") for (int q = 0; q < NV; q++)
            _mm256_storeu_ps(m + (t0 + (size_t)j) * co + o0 + 8 * (size_t)q, a[j][q]);
}

OS_INLINE_AVX2 void products(const os_layer *l, const float *u, const float *v, float *m,
                             size_t nt, size_t band)
{
    const size_t ci = l->c_in, co = l->c_out;
    for (size_t xi = 0; xi < NXI; xi++) {
        const float *uxi = u + xi * ci * co, *vxi = v + xi * band * ci;
        float *mxi = m + xi * band * co;
        size_t o = 0;
#define PRODUCT_TILE2(n) product_tile(uxi, vxi, mxi, ci, co, ox, o, n, 2)
#define PRODUCT_TILE1(n) product_tile(uxi, vxi, mxi, ci, co, ox, o, n, 1)
        for (; o + 16 <= co; o += 16)
            OS_CONV_TILES(nt, PRODUCT_TILE2)
        for (; o < co; o += 8)
            OS_CONV_TILES(nt, PRODUCT_TILE1)
#undef PRODUCT_TILE2
#undef PRODUCT_TILE1
    }
}

/* The output tiles of tile row ty (tile index t0 on in m): Aᵀ · A, the
 * bias added last, the pixels inside the output stored in yt. */
OS_INLINE_AVX2 void output_tiles(const os_layer *l, const float *bias, const float *m, float *yt,
                                 size_t ty, size_t t0, size_t band, const int M)
{
    const size_t co = l->c_out, tw = tiles_w(l);
    for (size_t tx = 0; tx < tw; tx++)
        for (size_t o = 0; o < co; o += 8) {
            __m256 cols[4][ALPHA]; /* Aᵀ down each column: [a][ξx] */
            _Pragma("GCC unroll 6") for (int xx = 0; xx < ALPHA; xx++) {
                __m256 s[ALPHA], y[4];
                _Pragma("GCC unroll 6") for (int xy = 0; xy < ALPHA; xy++)
                    s[xy] = _mm256_loadu_ps(m + (((size_t)xy * ALPHA + (size_t)xx) * band + t0 +
                                                 tx) * co + o);
                output_transform(s, y, M);
                _Pragma("GCC unroll 4") for (int a = 0; a < M; a++)
                    cols[a][xx] = y[a];
            }
            const __m256 b = _mm256_loadu_ps(bias + o);
            _Pragma("GCC unroll 4") for (int a = 0; a < M; a++) {
                const size_t oy = ty * (size_t)M + (size_t)a;
                __m256 y[4];
                output_transform(cols[a], y, M);
                _Pragma("GCC unroll 4") for (int c = 0; c < M; c++) {
                    const size_t ox = tx * (size_t)M + (size_t)c;
                    if (oy < l->h_out && ox < l->w_out)
                        _mm256_storeu_ps(yt + (oy * l->w_out + ox) * co + o,
                                         _mm256_add_ps(y[c], b));
                }
            }
        }
}

OS_INLINE_AVX2 void forward_image(const os_layer *l, const float *u, const float *bias,
                                  const float *image, float *s, float *v, float *m, float *yt,
                                  const int M)
{
    const size_t th = tiles_h(l), tw = tiles_w(l), rows = band_rows(l), band = rows * tw;
    for (size_t ty0 = 0; ty0 < th; ty0 += rows) {
        const size_t ty1 = ty0 + rows < th ? ty0 + rows : th;
        for (size_t ty = ty0; ty < ty1; ty++)
            input_tiles(l, image, s, v, ty, (ty - ty0) * tw, band);
        products(l, u, v, m, (ty1 - ty0) * tw, band);
        for (size_t ty = ty0; ty < ty1; ty++)
            output_tiles(l, bias, m, yt, ty, (ty - ty0) * tw, band, M);
    }
}

OS_AVX2_FMA
void os_conv_winograd_forward(const os_layer *l, const float *params, const float *x, float *y,
                              size_t batch, float *scratch)
{
    const size_t ci = l->c_in, co = l->c_out, k = l->kernel, ew = ext_w(l),
                 hw = l->h_out * l->w_out, band = band_rows(l) * tiles_w(l);
    const float *w = params + l->param_offset, *bias = w + co * ci * k * k;
    float *u = scratch, *wt = u + NXI * ci * co, *image = wt + ci * k * k * co,
          *s = image + ext_h(l) * ew * ci, *v = s + ALPHA * ew * ci, *m = v + NXI * band * ci,
          *yt = m + NXI * band * co;
    if (k == 3)
        transform_weights(l, w, wt, u, 3);
    else
        transform_weights(l, w, wt, u, 5);
    /* the padding and the part past it stay zero; the interior is each image's */
    memset(image, 0, ext_h(l) * ew * ci * sizeof *image);
    for (size_t n = 0; n < batch; n++) {
        os_conv_planes_to_image(l, x + n * l->in, image, ew);
        if (tile_m(l) == 2)
            forward_image(l, u, bias, image, s, v, m, yt, 2);
        else
            forward_image(l, u, bias, image, s, v, m, yt, 4);
        for (size_t o = 0; o < co; o += 8) /* pixel-major to NCHW */
            os_conv_pixels_to_planes(yt + o, co, y + n * l->out + o * hw, hw, hw);
    }
}

#else /* never called: os_conv_winograd_takes is 0 without AVX2 */
void os_conv_winograd_forward(const os_layer *l, const float *params, const float *x, float *y,
                              size_t batch, float *scratch)
{
    (void)l, (void)params, (void)x, (void)y, (void)batch, (void)scratch;
}
#endif
