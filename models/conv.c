/*
 * conv.c — the convolution layer (max pooling is pool.c's).
 *
 * A convolution is lowered over many images at once: im2col writes the
 * windows of R images side by side, [c_in k k] rows × [R h_out w_out]
 * columns, so that one sgemm per direction covers the R images.  One
 * product per image (c_out × h_out w_out by c_in k k) is too small for the
 * BLAS to run near its peak: LeNet's first layer is an 8 × 784 × 25
 * product.  R is chosen so that the column matrix stays around 4 MiB.
 */
#include <string.h>
#include <cblas.h>
#include "conv.h"

/* How many images one product lowers.  Few enough that the column matrix
 * stays in the L2 cache (COL_CACHED floats), where im2col writes it and
 * the product reads it back; but enough for COLUMNS_MIN output columns, a
 * product wide enough for the BLAS, even when the column matrix then
 * spills to the L3 (COL_FLOATS at most).  Measured with LeNet's layers on
 * an AMD EPYC core: the first (25 taps × 784 pixels an image) ran twice as
 * fast 3 images at a time as 53, the second (400 × 100) best at 20 to 30. */
#define COL_CACHED (1u << 16)
#define COLUMNS_MIN 2048u
#define COL_FLOATS (1u << 20)

static size_t conv_ckk(const os_layer *l) { return l->c_in * l->kernel * l->kernel; }
static size_t conv_hw(const os_layer *l) { return l->h_out * l->w_out; }

size_t os_conv_chunk(const os_layer *l, size_t batch)
{
    const size_t per = conv_ckk(l) * conv_hw(l), hw = conv_hw(l);
    size_t r = per ? COL_CACHED / per : batch;
    if (r * hw < COLUMNS_MIN)
        r = (COLUMNS_MIN + hw - 1) / hw;
    if (per && r * per > COL_FLOATS)
        r = COL_FLOATS / per;
    return r < 1 ? 1 : r > batch ? batch : r;
}

size_t os_conv_scratch(const os_layer *l, size_t batch)
{
    /* the column matrix (its gradient reuses it), and the output or its
     * gradient as one [c_out × R hw] matrix */
    size_t own = os_conv_chunk(l, batch) * conv_hw(l) * (conv_ckk(l) + l->c_out);
    /* the direct kernels' (conv_direct.c, conv_channels.c), whether or not
     * they run */
    size_t direct = os_conv_direct_scratch(l), channels = os_conv_channels_scratch(l),
           sparse = os_conv_sparse_scratch(l), winograd = os_conv_winograd_scratch(l);
    own = direct > own ? direct : own;
    own = winograd > own ? winograd : own;
    winograd = os_conv_winograd_dx_scratch(l);
    own = winograd > own ? winograd : own;
    own = channels > own ? channels : own;
    own = sparse > own ? sparse : own;
    if (!os_conv_dnnl_takes(l))
        return own;
    /* oneDNN's layouts and scratchpads grow with the batch but for a
     * part that does not (its weights' layout): the larger of the two ends
     * covers every smaller batch too.  Ours stays for a call that oneDNN
     * refuses. */
    size_t a = os_conv_dnnl_scratch(l, batch), b = os_conv_dnnl_scratch(l, 1);
    a = a > b ? a : b;
    return a > own ? a : own;
}

/* The rows im2col and col2im move are short (28 floats for a Fashion-MNIST
 * image): as library calls (GCC turns such loops into memcpy and memset)
 * their overhead costs more than the copy. */
/* They are also compiled for AVX-512 and AVX2 beside the build's baseline,
 * the loader picking the widest the CPU has, as the plugins' update loops
 * are (a copy gives the same bits at any width). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define INLINE_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns"), \
                                    target_clones("avx512f", "avx2", "default")))
#else
#define INLINE_LOOPS
#endif

/* im2col of one image x into columns [0, hw) of col, whose rows are ld
 * floats apart: col[(c k k), i] is the input under kernel tap (c, ki, kj) at
 * output pixel i, zero where the window hangs over the padding.  With
 * stride 1 each (tap, output row) is a shifted copy of an input row. */
INLINE_LOOPS
static void im2col(const os_layer *l, const float *x, float *col, size_t ld)
{
    const size_t k = l->kernel, s = l->stride, wo = l->w_out, ho = l->h_out, hw = ho * wo;
    for (size_t c = 0; c < l->c_in; c++)
        for (size_t ki = 0; ki < k; ki++) {
            /* output rows whose input row oi s + ki - pad is inside */
            size_t r_lo = ki >= l->pad ? 0 : (l->pad - ki + s - 1) / s, r_hi = ho;
            /* a tap that stays over the padding for every output row (the
             * padding wider than the output) covers none of them */
            r_lo = r_lo < ho ? r_lo : ho;
            while (r_hi > r_lo && (r_hi - 1) * s + ki >= l->pad + l->h_in)
                r_hi--;
            for (size_t kj = 0; kj < k; kj++) {
                float *dst = col + ((c * k + ki) * k + kj) * ld;
                /* output columns whose input column oj s + kj - pad is inside */
                size_t lo = kj >= l->pad ? 0 : (l->pad - kj + s - 1) / s, hi = wo;
                lo = lo < wo ? lo : wo; /* as r_lo above */
                while (hi > lo && (hi - 1) * s + kj >= l->pad + l->w_in)
                    hi--;
                const size_t n = hi - lo, n16 = (n + 15) / 16 * 16, rows = r_hi - r_lo;
                const float *src = x + (c * l->h_in + r_lo * s + ki - l->pad) * l->w_in +
                                   (lo * s + kj - l->pad);
                float *d = dst + r_lo * wo + lo;
                size_t fast = 0;
                if (s == 1 && rows) {
                    /* whole blocks of 16 floats, a fixed size the compiler
                     * moves in registers; what spills past a row's end is
                     * a later row's, written after it, or zeroed below.
                     * Only rows whose blocks stay inside this image's
                     * columns and inside the input go so. */
                    const size_t d_at = (size_t)(d - dst), s_at = (size_t)(src - x);
                    const size_t d_room = hw >= d_at + n16 ? (hw - d_at - n16) / wo + 1 : 0;
                    const size_t s_room = l->in >= s_at + n16 ? (l->in - s_at - n16) / l->w_in + 1
                                                              : 0;
                    fast = rows < d_room ? rows : d_room;
                    fast = fast < s_room ? fast : s_room;
                    for (size_t r = 0; r < fast; r++, d += wo, src += l->w_in)
                        for (size_t j = 0; j < n16; j += 16)
                            memcpy(d + j, src + j, 16 * sizeof *d);
                }
                for (size_t r = fast; r < rows; r++, d += wo, src += s * l->w_in)
                    for (size_t j = 0; j < n; j++)
                        d[j] = src[j * s];
                if (lo > 0 || hi < wo) /* the columns over the padding */
                    for (size_t r = r_lo; r < r_hi; r++) {
                        for (size_t oj = 0; oj < lo; oj++)
                            dst[r * wo + oj] = 0.0f;
                        for (size_t oj = hi; oj < wo; oj++)
                            dst[r * wo + oj] = 0.0f;
                    }
                /* and the rows, after the copies that may spill into them */
                for (size_t i = 0; i < r_lo * wo; i++)
                    dst[i] = 0.0f;
                for (size_t i = r_hi * wo; i < hw; i++)
                    dst[i] = 0.0f;
            }
        }
}

/* The adjoint of im2col: adds columns [0, hw) of col (rows ld apart) back
 * onto the input pixels they came from; dx must start at zero. */
INLINE_LOOPS
static void col2im(const os_layer *l, const float *col, size_t ld, float *dx)
{
    const size_t k = l->kernel, s = l->stride, wo = l->w_out;
    for (size_t c = 0; c < l->c_in; c++)
        for (size_t ki = 0; ki < k; ki++)
            for (size_t kj = 0; kj < k; kj++) {
                const float *src = col + ((c * k + ki) * k + kj) * ld;
                size_t lo = kj >= l->pad ? 0 : (l->pad - kj + s - 1) / s, hi = wo;
                lo = lo < wo ? lo : wo; /* as in im2col */
                while (hi > lo && (hi - 1) * s + kj >= l->pad + l->w_in)
                    hi--;
                for (size_t oi = 0; oi < l->h_out; oi++, src += wo) {
                    long ii = (long)(oi * s + ki) - (long)l->pad;
                    if (ii < 0 || ii >= (long)l->h_in)
                        continue;
                    float *d = dx + (c * l->h_in + (size_t)ii) * l->w_in + (lo * s + kj - l->pad);
                    const float *from = src + lo;
                    if (s == 1)
                        for (size_t j = 0; j < hi - lo; j++)
                            d[j] += from[j];
                    else
                        for (size_t j = 0; j < hi - lo; j++)
                            d[j * s] += from[j];
                }
            }
}

/* Y = W · col + bias for every image, R images a product:
 * out [c_out × R hw] = W [c_out × ckk] · col [ckk × R hw], then each image's
 * [c_out × hw] block to its row of y. */
void os_conv_forward(const os_layer *l, const float *params, const float *x, float *y,
                     size_t batch, float *scratch)
{
    if (os_conv_direct_takes(l)) {
        os_conv_direct_forward(l, params, x, y, batch, scratch);
        return;
    }
    if (os_conv_winograd_takes(l)) {
        os_conv_winograd_forward(l, params, x, y, batch, scratch);
        return;
    }
    if (os_conv_channels_takes(l) & OS_CONV_FORWARD) {
        os_conv_channels_forward(l, params, x, y, batch, scratch);
        return;
    }
    if (os_conv_dnnl_takes(l) && !os_conv_dnnl_forward(l, params, x, y, batch, scratch))
        return;
    const float *w = params + l->param_offset;
    const float *bias = w + l->c_out * conv_ckk(l);
    const size_t ckk = conv_ckk(l), hw = conv_hw(l), chunk = os_conv_chunk(l, batch);
    for (size_t b0 = 0; b0 < batch; b0 += chunk) {
        const size_t r_n = batch - b0 < chunk ? batch - b0 : chunk, ld = r_n * hw;
        float *col = scratch, *out = scratch + ckk * ld;
        for (size_t r = 0; r < r_n; r++)
            im2col(l, x + (b0 + r) * l->in, col + r * hw, ld);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)l->c_out, (int)ld, (int)ckk,
                    1.0f, w, (int)ckk, col, (int)ld, 0.0f, out, (int)ld);
        for (size_t r = 0; r < r_n; r++)
            for (size_t o = 0; o < l->c_out; o++) {
                const float *src = out + o * ld + r * hw;
                float *dst = y + (b0 + r) * l->out + o * hw;
                for (size_t i = 0; i < hw; i++)
                    dst[i] = src[i] + bias[o];
            }
    }
}

/* db[o] += the sum of one image's gradient dy over channel o's hw pixels,
 * added in pixel order, which fixes the bits.  One such sum is a chain of
 * additions, each waiting on the one before: eight channels are summed
 * side by side, eight chains that overlap, each in the same order. */
static void add_channel_sums(const float *dy, size_t c_out, size_t hw, float *db)
{
    size_t o = 0;
    for (; o + 8 <= c_out; o += 8) {
        const float *p = dy + o * hw;
        float s[8] = { 0.0f };
        for (size_t i = 0; i < hw; i++)
            for (size_t j = 0; j < 8; j++)
                s[j] += p[j * hw + i];
        for (size_t j = 0; j < 8; j++)
            db[o + j] += s[j];
    }
    for (; o < c_out; o++) {
        const float *p = dy + o * hw;
        float sum = 0.0f;
        for (size_t i = 0; i < hw; i++)
            sum += p[i];
        db[o] += sum;
    }
}

/* dW = Σ dY colᵀ, db = Σ dY, dX = col2im(Wᵀ dY), R images a product; dw
 * NULL: dX alone. */
static void lowered_backward(const os_layer *l, const float *params, const float *x,
                             const float *dy, float *dx, float *dw, size_t batch, float *scratch)
{
    const float *w = params + l->param_offset;
    const size_t ckk = conv_ckk(l), hw = conv_hw(l), chunk = os_conv_chunk(l, batch);
    float *db = dw ? dw + l->c_out * ckk : NULL;
    if (dw)
        memset(dw, 0, (l->c_out * ckk + l->c_out) * sizeof *dw);
    if (dx)
        memset(dx, 0, batch * l->in * sizeof *dx);
    for (size_t b0 = 0; b0 < batch; b0 += chunk) {
        const size_t r_n = batch - b0 < chunk ? batch - b0 : chunk, ld = r_n * hw;
        float *col = scratch, *dout = scratch + ckk * ld;
        for (size_t r = 0; r < r_n; r++) {
            if (dw)
                im2col(l, x + (b0 + r) * l->in, col + r * hw, ld);
            for (size_t o = 0; o < l->c_out; o++)
                memcpy(dout + o * ld + r * hw, dy + (b0 + r) * l->out + o * hw,
                       hw * sizeof *dout);
            if (dw)
                add_channel_sums(dy + (b0 + r) * l->out, l->c_out, hw, db);
        }
        if (dw)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)l->c_out, (int)ckk,
                        (int)ld, 1.0f, dout, (int)ld, col, (int)ld, 1.0f, dw, (int)ckk);
        if (!dx)
            continue;
        /* dcol = Wᵀ dY, over the column matrix (no longer needed) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ckk, (int)ld, (int)l->c_out,
                    1.0f, w, (int)ckk, dout, (int)ld, 0.0f, col, (int)ld);
        for (size_t r = 0; r < r_n; r++)
            col2im(l, col + r * hw, ld, dx + (b0 + r) * l->in);
    }
}

/* Each part of the gradient the fastest way that covers the layer: under
 * max pooling, from dY's nonzeros (conv_sparse.c: dW of one input channel,
 * dX and dW of input channels in eights); a first layer of one channel
 * direct (conv_direct.c); dX of a stride-1 3 × 3 or 5 × 5 layer of
 * channels in eights in Winograd's form; channels in eights, direct over
 * them (conv_channels.c); what is left in oneDNN, else lowered (also where
 * oneDNN refuses). */
void os_conv_backward(const os_layer *l, const float *params, const float *x, const float *dy,
                      float *dx, float *dparams, size_t batch, float *scratch)
{
    float *dw = dparams + l->param_offset;
    const unsigned sp = os_conv_sparse_takes(l);
    if (sp)
        os_conv_sparse_backward(l, params, x, dy, sp & OS_CONV_DX ? dx : NULL, dw, batch,
                                scratch);
    if (!dx && !sp && os_conv_direct_takes(l)) {
        os_conv_direct_weights(l, x, dy, dw, batch, scratch);
        return;
    }
    const unsigned wdx = dx && os_conv_winograd_dx_takes(l) ? OS_CONV_DX : 0;
    if (wdx)
        os_conv_winograd_dx(l, params, dy, dx, batch, scratch);
    const unsigned ch = os_conv_channels_takes(l) & ~sp & ~wdx;
    if (ch & OS_CONV_DW)
        os_conv_channels_dw(l, x, dy, dw, batch, scratch);
    if (dx && (ch & OS_CONV_DX))
        os_conv_channels_dx(l, params, dy, dx, batch, scratch);
    const unsigned done = sp | ch | wdx;
    float *left_dx = done & OS_CONV_DX ? NULL : dx,
          *left_dparams = done & OS_CONV_DW ? NULL : dparams;
    if (!left_dx && !left_dparams)
        return;
    if (os_conv_dnnl_takes(l) &&
        !os_conv_dnnl_backward(l, params, x, dy, left_dx, left_dparams, batch, scratch))
        return;
    lowered_backward(l, params, x, dy, left_dx, left_dparams ? dw : NULL, batch, scratch);
}
