/*
 * pool.c — the max-pooling layer: non-overlapping max over window × window.
 *
 * The first maximum of a window (in reading order) takes the gradient:
 * forward records where it was, a byte per output (a k + b for the
 * window's row a and column b) in the layer's scratch, and backward sends
 * each output's gradient there.  A maximum moves only on a strictly
 * greater value, so a NaN never takes the place of a number once one is
 * held, and a NaN in a window's first place stays.
 *
 * The common window, 2 × 2 over an input it tiles, has kernels of its own
 * for AVX2.  Its rows are short (14 outputs after LeNet's first layer,
 * 5 after its second), which GCC's vectorised loops spend on versioning
 * checks and scalar tails: the kernels cover a row in blocks of 8 (or 4)
 * outputs, the last block overlapping the one before it.  They select and
 * copy, never compute, so they give the same bits as the portable loops,
 * NaNs and ties included (tests/test_pool.c compares them).
 */
#include <stdint.h>
#include <string.h>
#include "conv.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define POOL_AVX2 1
#else
#define POOL_AVX2 0
#endif

/* The portable loops are compiled for AVX-512 and AVX2 beside the build's
 * baseline, the loader picking the widest the CPU has. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VECTORISED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTORISED
#endif

static int simd_allowed = 1; /* os_pool_simd_use */

int os_pool_simd_use(int on)
{
    simd_allowed = on;
#if POOL_AVX2
    return __builtin_cpu_supports("avx2") != 0;
#else
    return 0;
#endif
}

os_layer os_layer_maxpool2d(size_t c, size_t h, size_t w, size_t window)
{
    os_layer l = { .kind = OS_LAYER_MAXPOOL2D, .c_in = c, .h_in = h, .w_in = w, .c_out = c,
                   .kernel = window, .h_out = h / window, .w_out = w / window };
    l.in = c * h * w;
    l.out = c * l.h_out * l.w_out;
    return l;
}

size_t os_pool_scratch(const os_layer *l, size_t batch)
{
    return (batch * l->out + sizeof(float) - 1) / sizeof(float);
}

/* Whether the layer's windows are 2 × 2 and tile its input: an output row
 * r of any plane then reads input rows 2r and 2r + 1, planes flattened. */
static int tiles2(const os_layer *l)
{
    return l->kernel == 2 && l->h_in == 2 * l->h_out && l->w_in == 2 * l->w_out;
}

/* ---- AVX2 kernels for 2 × 2 windows -------------------------------------- */
#if POOL_AVX2
/* Whether the kernels cover this layer: rows of 4 outputs or more, on a CPU
 * with AVX2. */
static int use_avx2(const os_layer *l)
{
    return simd_allowed && tiles2(l) && l->w_out >= 4 && __builtin_cpu_supports("avx2");
}

/* The blocks of `step` outputs that cover a row of wo >= step: at 0, step,
 * 2 step and so on, the last at wo - step, overlapping the one before it
 * (a block is written whole, and writing an output twice writes the same).
 * Returns the block after the one at oj, or wo after the last. */
static inline size_t next_block(size_t oj, size_t step, size_t wo)
{
    return oj + step == wo ? wo : oj + 2 * step > wo ? wo - step : oj + step;
}

/* The window's maximum and its place, as the portable loop finds them:
 * the places a (0), b (1), c (2), d (3) in reading order, each taking over
 * only when strictly greater.  `at` is the place as a float. */
#define POOL_SELECT(cmp, blend, set1, m, at, a, b, c, d)                                   \
    do {                                                                                  \
        m = a;                                                                            \
        at = set1(0.0f);                                                                  \
        __typeof__(m) gt_ = cmp(b, m, _CMP_GT_OQ);                                        \
        m = blend(m, b, gt_), at = blend(at, set1(1.0f), gt_);                            \
        gt_ = cmp(c, m, _CMP_GT_OQ);                                                      \
        m = blend(m, c, gt_), at = blend(at, set1(2.0f), gt_);                            \
        gt_ = cmp(d, m, _CMP_GT_OQ);                                                      \
        m = blend(m, d, gt_), at = blend(at, set1(3.0f), gt_);                            \
    } while (0)

/* Outputs oj .. oj + 7 of a row whose input rows are x0 and x1.  The
 * in-lane shuffles that split even from odd columns leave the outputs in
 * the order 0 1 4 5 2 3 6 7, which one 64-bit permute puts right. */
__attribute__((target("avx2"))) static inline void
pool2_block8(const float *x0, const float *x1, float *out, unsigned char *where)
{
    __m256 r0 = _mm256_loadu_ps(x0), r0n = _mm256_loadu_ps(x0 + 8);
    __m256 r1 = _mm256_loadu_ps(x1), r1n = _mm256_loadu_ps(x1 + 8);
    __m256 a = _mm256_shuffle_ps(r0, r0n, 0x88), b = _mm256_shuffle_ps(r0, r0n, 0xdd);
    __m256 c = _mm256_shuffle_ps(r1, r1n, 0x88), d = _mm256_shuffle_ps(r1, r1n, 0xdd);
    __m256 m, at;
    POOL_SELECT(_mm256_cmp_ps, _mm256_blendv_ps, _mm256_set1_ps, m, at, a, b, c, d);
    m = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(m), 0xd8));
    at = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(at), 0xd8));
    _mm256_storeu_ps(out, m);
    __m256i i32 = _mm256_cvttps_epi32(at);                   /* 0 .. 3 each */
    __m256i i16 = _mm256_packs_epi32(i32, i32);              /* lanes: 0-3 0-3 | 4-7 4-7 */
    __m256i i8 = _mm256_packus_epi16(i16, i16);
    uint32_t lo = (uint32_t)_mm_cvtsi128_si32(_mm256_castsi256_si128(i8));
    uint32_t hi = (uint32_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(i8, 1));
    memcpy(where, &lo, 4);
    memcpy(where + 4, &hi, 4);
}

/* Outputs oj .. oj + 3, the same with 128-bit vectors (in order already). */
__attribute__((target("avx2"))) static inline void
pool2_block4(const float *x0, const float *x1, float *out, unsigned char *where)
{
    __m128 r0 = _mm_loadu_ps(x0), r0n = _mm_loadu_ps(x0 + 4);
    __m128 r1 = _mm_loadu_ps(x1), r1n = _mm_loadu_ps(x1 + 4);
    __m128 a = _mm_shuffle_ps(r0, r0n, 0x88), b = _mm_shuffle_ps(r0, r0n, 0xdd);
    __m128 c = _mm_shuffle_ps(r1, r1n, 0x88), d = _mm_shuffle_ps(r1, r1n, 0xdd);
    __m128 m, at;
    POOL_SELECT(_mm_cmp_ps, _mm_blendv_ps, _mm_set1_ps, m, at, a, b, c, d);
    _mm_storeu_ps(out, m);
    __m128i i32 = _mm_cvttps_epi32(at);
    __m128i i8 = _mm_packus_epi16(_mm_packs_epi32(i32, i32), _mm_setzero_si128());
    uint32_t v = (uint32_t)_mm_cvtsi128_si32(i8);
    memcpy(where, &v, 4);
}

__attribute__((target("avx2"))) static void
pool2_forward_avx2(const os_layer *l, const float *x, float *y, size_t batch,
                   unsigned char *where)
{
    const size_t wi = l->w_in, wo = l->w_out, rows = batch * l->c_in * l->h_out;
    const size_t step = wo >= 8 ? 8 : 4;
    for (size_t r = 0; r < rows; r++) {
        const float *x0 = x + 2 * r * wi, *x1 = x0 + wi;
        float *out = y + r * wo;
        unsigned char *at = where + r * wo;
        for (size_t oj = 0; oj < wo; oj = next_block(oj, step, wo)) {
            if (step == 8)
                pool2_block8(x0 + 2 * oj, x1 + 2 * oj, out + oj, at + oj);
            else
                pool2_block4(x0 + 2 * oj, x1 + 2 * oj, out + oj, at + oj);
        }
    }
}

/* Gradients of outputs oj .. oj + 7 into their windows' four places: each
 * place gets the output's gradient where the maximum was, else +0 (an AND
 * with the comparison's mask, as the portable select gives). */
__attribute__((target("avx2"))) static inline void
unpool2_block8(const float *g, const unsigned char *where, float *d0, float *d1)
{
    uint64_t bytes;
    memcpy(&bytes, where, 8);
    __m256i at = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)bytes));
    __m256 gv = _mm256_loadu_ps(g);
#define PLACE(k)                                                                           \
    _mm256_and_ps(gv, _mm256_castsi256_ps(_mm256_cmpeq_epi32(at, _mm256_set1_epi32(k))))
    __m256 a = PLACE(0), b = PLACE(1), c = PLACE(2), d = PLACE(3);
#undef PLACE
    __m256 ab_lo = _mm256_unpacklo_ps(a, b), ab_hi = _mm256_unpackhi_ps(a, b);
    __m256 cd_lo = _mm256_unpacklo_ps(c, d), cd_hi = _mm256_unpackhi_ps(c, d);
    _mm256_storeu_ps(d0, _mm256_permute2f128_ps(ab_lo, ab_hi, 0x20));
    _mm256_storeu_ps(d0 + 8, _mm256_permute2f128_ps(ab_lo, ab_hi, 0x31));
    _mm256_storeu_ps(d1, _mm256_permute2f128_ps(cd_lo, cd_hi, 0x20));
    _mm256_storeu_ps(d1 + 8, _mm256_permute2f128_ps(cd_lo, cd_hi, 0x31));
}

__attribute__((target("avx2"))) static inline void
unpool2_block4(const float *g, const unsigned char *where, float *d0, float *d1)
{
    uint32_t bytes;
    memcpy(&bytes, where, 4);
    __m128i at = _mm_cvtepu8_epi32(_mm_cvtsi32_si128((int)bytes));
    __m128 gv = _mm_loadu_ps(g);
#define PLACE(k) _mm_and_ps(gv, _mm_castsi128_ps(_mm_cmpeq_epi32(at, _mm_set1_epi32(k))))
    __m128 a = PLACE(0), b = PLACE(1), c = PLACE(2), d = PLACE(3);
#undef PLACE
    _mm_storeu_ps(d0, _mm_unpacklo_ps(a, b));
    _mm_storeu_ps(d0 + 4, _mm_unpackhi_ps(a, b));
    _mm_storeu_ps(d1, _mm_unpacklo_ps(c, d));
    _mm_storeu_ps(d1 + 4, _mm_unpackhi_ps(c, d));
}

__attribute__((target("avx2"))) static void
pool2_backward_avx2(const os_layer *l, const float *dy, float *dx, size_t batch,
                    const unsigned char *where)
{
    const size_t wi = l->w_in, wo = l->w_out, rows = batch * l->c_in * l->h_out;
    const size_t step = wo >= 8 ? 8 : 4;
    for (size_t r = 0; r < rows; r++) {
        const float *g = dy + r * wo;
        const unsigned char *at = where + r * wo;
        float *d0 = dx + 2 * r * wi, *d1 = d0 + wi;
        for (size_t oj = 0; oj < wo; oj = next_block(oj, step, wo)) {
            if (step == 8)
                unpool2_block8(g + oj, at + oj, d0 + 2 * oj, d1 + 2 * oj);
            else
                unpool2_block4(g + oj, at + oj, d0 + 2 * oj, d1 + 2 * oj);
        }
    }
}
#endif

/* ---- portable loops ------------------------------------------------------ */

/* The 2 × 2 case, branch-free. */
static void pool2_forward(const os_layer *l, const float *x, float *y, size_t batch,
                          unsigned char *where)
{
    const size_t wi = l->w_in, wo = l->w_out, rows = batch * l->c_in * l->h_out;
    for (size_t r = 0; r < rows; r++) {
        const float *x0 = x + 2 * r * wi, *x1 = x0 + wi;
        float *out = y + r * wo;
        unsigned char *at = where + r * wo;
        for (size_t oj = 0; oj < wo; oj++) {
            float m = x0[2 * oj], v;
            unsigned i = 0;
            v = x0[2 * oj + 1];
            i = v > m ? 1 : i;
            m = v > m ? v : m;
            v = x1[2 * oj];
            i = v > m ? 2 : i;
            m = v > m ? v : m;
            v = x1[2 * oj + 1];
            i = v > m ? 3 : i;
            m = v > m ? v : m;
            out[oj] = m;
            at[oj] = (unsigned char)i;
        }
    }
}

VECTORISED
void os_pool_forward(const os_layer *l, const float *x, float *y, size_t batch,
                     float *scratch)
{
    const size_t k = l->kernel, wi = l->w_in, wo = l->w_out;
    unsigned char *where = (unsigned char *)scratch;
#if POOL_AVX2
    if (use_avx2(l)) {
        pool2_forward_avx2(l, x, y, batch, where);
        return;
    }
#endif
    if (tiles2(l)) {
        pool2_forward(l, x, y, batch, where);
        return;
    }
    for (size_t p = 0; p < batch * l->c_in; p++) { /* one image plane a time */
        const float *xp = x + p * l->h_in * wi;
        float *yp = y + p * l->h_out * wo;
        unsigned char *wp = where + p * l->h_out * wo;
        for (size_t oi = 0; oi < l->h_out; oi++) {
            const float *row = xp + oi * k * wi;
            float *out = yp + oi * wo;
            unsigned char *at = wp + oi * wo;
            for (size_t oj = 0; oj < wo; oj++) {
                out[oj] = row[oj * k];
                at[oj] = 0;
            }
            for (size_t a = 0; a < k; a++)
                for (size_t b = a ? 0 : 1; b < k; b++)
                    for (size_t oj = 0; oj < wo; oj++) {
                        const float v = row[a * wi + oj * k + b];
                        const int more = v > out[oj];
                        out[oj] = more ? v : out[oj];
                        at[oj] = more ? (unsigned char)(a * k + b) : at[oj];
                    }
        }
    }
}

VECTORISED
void os_pool_backward(const os_layer *l, const float *dy, float *dx, size_t batch,
                      const float *scratch)
{
    const size_t k = l->kernel, wi = l->w_in, wo = l->w_out;
    const unsigned char *where = (const unsigned char *)scratch;
#if POOL_AVX2
    if (use_avx2(l)) {
        pool2_backward_avx2(l, dy, dx, batch, where);
        return;
    }
#endif
    if (tiles2(l)) { /* all four places written, no memset */
        for (size_t r = 0; r < batch * l->c_in * l->h_out; r++) { /* output rows */
            const float *g = dy + r * wo;
            const unsigned char *at = where + r * wo;
            float *d0 = dx + 2 * r * wi, *d1 = d0 + wi;
            for (size_t oj = 0; oj < wo; oj++) {
                d0[2 * oj] = at[oj] == 0 ? g[oj] : 0.0f;
                d0[2 * oj + 1] = at[oj] == 1 ? g[oj] : 0.0f;
                d1[2 * oj] = at[oj] == 2 ? g[oj] : 0.0f;
                d1[2 * oj + 1] = at[oj] == 3 ? g[oj] : 0.0f;
            }
        }
        return;
    }
    memset(dx, 0, batch * l->in * sizeof *dx);
    for (size_t p = 0; p < batch * l->c_in; p++) {
        float *dxp = dx + p * l->h_in * wi;
        const size_t out_base = p * l->h_out * wo;
        for (size_t oi = 0; oi < l->h_out; oi++)
            for (size_t oj = 0; oj < wo; oj++) {
                const size_t o = out_base + oi * wo + oj, a = where[o] / k, b = where[o] % k;
                dxp[(oi * k + a) * wi + oj * k + b] = dy[o];
            }
    }
}
