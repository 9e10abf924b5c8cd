/*
 * layer.c — the layers' dispatch, and the dense and activation layers
 * (convolution and pooling are conv.c's).  Matrix products go to CBLAS; a
 * dense layer's bias is fused by preloading Y with it and calling sgemm
 * with beta = 1.
 */
#include <math.h>
#include <string.h>
#include <cblas.h>
#include "conv.h"
#include "layer.h"

static const char *const kind_names[] = {
    [OS_LAYER_DENSE] = "dense",
    [OS_LAYER_RELU] = "relu",
    [OS_LAYER_TANH] = "tanh",
    [OS_LAYER_SIGMOID] = "sigmoid",
    [OS_LAYER_LEAKY_RELU] = "leaky_relu",
    [OS_LAYER_GELU] = "gelu",
    [OS_LAYER_CONV2D] = "conv2d",
    [OS_LAYER_MAXPOOL2D] = "maxpool2d",
};

#define LEAKY_SLOPE 0.01f

unsigned os_layer_numerics(const os_layer *l)
{
    if (l->kind != OS_LAYER_CONV2D)
        return 1;
    /* 2: convolutions lowered over several images at once (2026-12-06);
     * 3: the layers oneDNN takes (2026-12-06);
     * 4: one input channel, direct with FMA (conv_direct.c, 2026-12-06);
     * 5: the same, its dW from dY's nonzeros under pooling (conv_sparse.c,
     *    one chain a weight instead of eight lanes, 2026-12-06); 6: that
     *    dW with a lowered forward;
     * 8 + the directions conv_channels.c's contract computes (2026-12-06:
     * its own kernels, or conv_sparse.c's gradients of channels in eights,
     * which keep its bits), and 8 more where oneDNN takes what is left;
     * 32 more where the forward is in Winograd's form (conv_winograd.c,
     * 2026-12-06), whatever computes the gradients, and 64 more where dX
     * is (2026-12-06) */
    const unsigned wino =
        (os_conv_winograd_takes(l) ? 32 : 0) | (os_conv_winograd_dx_takes(l) ? 64 : 0);
    const unsigned sp = os_conv_sparse_takes(l);
    const unsigned ch = os_conv_channels_takes(l) | (l->c_in > 1 ? sp : 0);
    if (ch)
        return wino + 8 + ch + (os_conv_dnnl_takes(l) ? 8 : 0);
    if (os_conv_dnnl_takes(l))
        return wino + 3;
    if (sp) /* one input channel */
        return os_conv_direct_takes(l) ? 5 : 6;
    return os_conv_direct_takes(l) ? 4 : 2;
}

const char *os_layer_kind_name(os_layer_kind kind)
{
    return kind_names[kind];
}

int os_layer_kind_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof *kind_names; i++)
        if (!strcmp(kind_names[i], name))
            return (int)i;
    return -1;
}

size_t os_layer_param_count(os_layer_kind kind, size_t in, size_t out)
{
    return kind == OS_LAYER_DENSE ? out * in + out : 0;
}

os_layer os_layer_conv2d(size_t c, size_t h, size_t w, size_t c_out, size_t kernel, size_t pad,
                         size_t stride)
{
    os_layer l = { .kind = OS_LAYER_CONV2D, .c_in = c, .h_in = h, .w_in = w, .c_out = c_out,
                   .kernel = kernel, .pad = pad, .stride = stride ? stride : 1 };
    l.h_out = h + 2 * pad >= kernel ? (h + 2 * pad - kernel) / l.stride + 1 : 0;
    l.w_out = w + 2 * pad >= kernel ? (w + 2 * pad - kernel) / l.stride + 1 : 0;
    l.in = c * h * w;
    l.out = c_out * l.h_out * l.w_out;
    l.n_params = c_out * c * kernel * kernel + c_out;
    return l;
}

size_t os_layer_scratch(const os_layer *l, size_t batch)
{
    return l->kind == OS_LAYER_CONV2D      ? os_conv_scratch(l, batch)
         : l->kind == OS_LAYER_MAXPOOL2D ? os_pool_scratch(l, batch)
                                          : 0;
}

int os_layer_keeps_scratch(const os_layer *l)
{
    return l->kind == OS_LAYER_MAXPOOL2D;
}

static void dense_forward(const os_layer *l, const float *params, const float *x,
                          float *y, size_t batch)
{
    const float *w = params + l->param_offset;
    const float *b = w + l->out * l->in;
    for (size_t r = 0; r < batch; r++)
        memcpy(y + r * l->out, b, l->out * sizeof *y);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)l->out,
                (int)l->in, 1.0f, x, (int)l->in, w, (int)l->in, 1.0f, y, (int)l->out);
}

static void dense_backward(const os_layer *l, const float *params, const float *x,
                           const float *dy, float *dx, float *dparams, size_t batch)
{
    const float *w = params + l->param_offset;
    float *dw = dparams + l->param_offset;
    float *db = dw + l->out * l->in;
    /* dW = dYᵀ X,  db = column sums of dY,  dX = dY W */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)l->out, (int)l->in,
                (int)batch, 1.0f, dy, (int)l->out, x, (int)l->in, 0.0f, dw, (int)l->in);
    memset(db, 0, l->out * sizeof *db);
    for (size_t r = 0; r < batch; r++) {
        const float *row = dy + r * l->out;
        for (size_t j = 0; j < l->out; j++)
            db[j] += row[j];
    }
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)l->in,
                    (int)l->out, 1.0f, dy, (int)l->out, w, (int)l->in, 0.0f, dx, (int)l->in);
}

void os_layer_forward(const os_layer *l, const float *params, const float *x, float *y,
                      size_t batch, float *scratch)
{
    const size_t n = batch * l->out;
    switch (l->kind) {
    case OS_LAYER_DENSE:
        dense_forward(l, params, x, y, batch);
        break;
    case OS_LAYER_CONV2D:
        os_conv_forward(l, params, x, y, batch, scratch);
        break;
    case OS_LAYER_MAXPOOL2D:
        os_pool_forward(l, x, y, batch, scratch);
        break;
    case OS_LAYER_LEAKY_RELU:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 0.0f ? x[i] : LEAKY_SLOPE * x[i];
        break;
    case OS_LAYER_GELU:
        for (size_t i = 0; i < n; i++)
            y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
        break;
    case OS_LAYER_RELU:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case OS_LAYER_TANH:
        for (size_t i = 0; i < n; i++)
            y[i] = tanhf(x[i]);
        break;
    case OS_LAYER_SIGMOID:
        for (size_t i = 0; i < n; i++)
            y[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    }
}

/* Where an activation's derivative follows from its output Y (tanh, sigmoid)
 * it is written that way, so no transcendental is recomputed. */
void os_layer_backward(const os_layer *l, const float *params, const float *x,
                       const float *y, const float *dy, float *dx, float *dparams,
                       size_t batch, float *scratch)
{
    const size_t n = batch * l->out;
    switch (l->kind) {
    case OS_LAYER_DENSE:
        dense_backward(l, params, x, dy, dx, dparams, batch);
        return;
    case OS_LAYER_CONV2D:
        os_conv_backward(l, params, x, dy, dx, dparams, batch, scratch);
        return;
    case OS_LAYER_MAXPOOL2D:
        if (dx)
            os_pool_backward(l, dy, dx, batch, scratch);
        return;
    case OS_LAYER_LEAKY_RELU:
        if (dx)
            for (size_t i = 0; i < n; i++) {
                float g = dy[i];
                dx[i] = x[i] > 0.0f ? g : LEAKY_SLOPE * g;
            }
        return;
    case OS_LAYER_GELU:
        /* d/dx x Phi(x) = Phi(x) + x phi(x); GELU's output does not give x back */
        if (dx)
            for (size_t i = 0; i < n; i++) {
                float cdf = 0.5f * (1.0f + erff(x[i] * (float)M_SQRT1_2));
                float pdf = expf(-0.5f * x[i] * x[i]) * (float)(0.5 * M_2_SQRTPI * M_SQRT1_2);
                dx[i] = dy[i] * (cdf + x[i] * pdf);
            }
        return;
    case OS_LAYER_RELU:
        if (dx)
            for (size_t i = 0; i < n; i++) {
                float g = dy[i]; /* loaded unconditionally, so the loop vectorises */
                dx[i] = x[i] > 0.0f ? g : 0.0f;
            }
        return;
    case OS_LAYER_TANH:
        if (dx)
            for (size_t i = 0; i < n; i++)
                dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        return;
    case OS_LAYER_SIGMOID:
        if (dx)
            for (size_t i = 0; i < n; i++)
                dx[i] = dy[i] * y[i] * (1.0f - y[i]);
        return;
    }
}
