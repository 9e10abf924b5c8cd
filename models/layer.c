/*
 * layer.c — dense and activation layers.  Matrix products go to CBLAS; the
 * bias is fused by preloading Y with it and calling sgemm with beta = 1.
 */
#include <math.h>
#include <string.h>
#include <cblas.h>
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

os_layer os_layer_maxpool2d(size_t c, size_t h, size_t w, size_t window)
{
    os_layer l = { .kind = OS_LAYER_MAXPOOL2D, .c_in = c, .h_in = h, .w_in = w, .c_out = c,
                   .kernel = window, .h_out = h / window, .w_out = w / window };
    l.in = c * h * w;
    l.out = c * l.h_out * l.w_out;
    return l;
}

size_t os_layer_scratch(const os_layer *l)
{
    /* a column matrix [c_in k k × h_out w_out], and its gradient */
    return l->kind == OS_LAYER_CONV2D
         ? 2 * l->c_in * l->kernel * l->kernel * l->h_out * l->w_out : 0;
}

/* im2col for one row: col[(c k k) × (h_out w_out)], zero where the window
 * hangs over the padding. */
static void im2col(const os_layer *l, const float *x, float *col)
{
    const size_t k = l->kernel, hw = l->h_out * l->w_out;
    for (size_t c = 0; c < l->c_in; c++)
        for (size_t ki = 0; ki < k; ki++)
            for (size_t kj = 0; kj < k; kj++) {
                float *dst = col + ((c * k + ki) * k + kj) * hw;
                for (size_t oi = 0; oi < l->h_out; oi++) {
                    long ii = (long)(oi * l->stride + ki) - (long)l->pad;
                    for (size_t oj = 0; oj < l->w_out; oj++) {
                        long jj = (long)(oj * l->stride + kj) - (long)l->pad;
                        int inside = ii >= 0 && ii < (long)l->h_in && jj >= 0 &&
                                     jj < (long)l->w_in;
                        dst[oi * l->w_out + oj] =
                            inside ? x[(c * l->h_in + (size_t)ii) * l->w_in + (size_t)jj] : 0.0f;
                    }
                }
            }
}

/* The adjoint of im2col: adds each column entry back to its input pixel. */
static void col2im(const os_layer *l, const float *col, float *dx)
{
    const size_t k = l->kernel, hw = l->h_out * l->w_out;
    memset(dx, 0, l->in * sizeof *dx);
    for (size_t c = 0; c < l->c_in; c++)
        for (size_t ki = 0; ki < k; ki++)
            for (size_t kj = 0; kj < k; kj++) {
                const float *src = col + ((c * k + ki) * k + kj) * hw;
                for (size_t oi = 0; oi < l->h_out; oi++) {
                    long ii = (long)(oi * l->stride + ki) - (long)l->pad;
                    if (ii < 0 || ii >= (long)l->h_in)
                        continue;
                    for (size_t oj = 0; oj < l->w_out; oj++) {
                        long jj = (long)(oj * l->stride + kj) - (long)l->pad;
                        if (jj >= 0 && jj < (long)l->w_in)
                            dx[(c * l->h_in + (size_t)ii) * l->w_in + (size_t)jj] +=
                                src[oi * l->w_out + oj];
                    }
                }
            }
}

/* Y_b [c_out × hw] = W [c_out × ckk] · col_b + bias, one row at a time. */
static void conv_forward(const os_layer *l, const float *params, const float *x, float *y,
                         size_t batch, float *col)
{
    const float *w = params + l->param_offset;
    const float *b = w + l->c_out * l->c_in * l->kernel * l->kernel;
    const int ckk = (int)(l->c_in * l->kernel * l->kernel), hw = (int)(l->h_out * l->w_out);
    for (size_t r = 0; r < batch; r++) {
        float *yr = y + r * l->out;
        im2col(l, x + r * l->in, col);
        for (size_t o = 0; o < l->c_out; o++)
            for (int i = 0; i < hw; i++)
                yr[o * (size_t)hw + (size_t)i] = b[o];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)l->c_out, hw, ckk, 1.0f,
                    w, ckk, col, hw, 1.0f, yr, hw);
    }
}

static void conv_backward(const os_layer *l, const float *params, const float *x,
                          const float *dy, float *dx, float *dparams, size_t batch,
                          float *scratch)
{
    const float *w = params + l->param_offset;
    const size_t nw = l->c_out * l->c_in * l->kernel * l->kernel;
    float *dw = dparams + l->param_offset, *db = dw + nw;
    const int ckk = (int)(l->c_in * l->kernel * l->kernel), hw = (int)(l->h_out * l->w_out);
    float *col = scratch, *dcol = scratch + (size_t)ckk * (size_t)hw;
    memset(dw, 0, (nw + l->c_out) * sizeof *dw);
    for (size_t r = 0; r < batch; r++) {
        const float *dyr = dy + r * l->out;
        im2col(l, x + r * l->in, col);
        /* dW += dY_b col_bᵀ;  db += row sums of dY_b;  dcol = Wᵀ dY_b */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)l->c_out, ckk, hw, 1.0f, dyr,
                    hw, col, hw, 1.0f, dw, ckk);
        for (size_t o = 0; o < l->c_out; o++)
            for (int i = 0; i < hw; i++)
                db[o] += dyr[o * (size_t)hw + (size_t)i];
        if (dx) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ckk, hw, (int)l->c_out, 1.0f,
                        w, ckk, dyr, hw, 0.0f, dcol, hw);
            col2im(l, dcol, dx + r * l->in);
        }
    }
}

/* Non-overlapping max over window × window; the first maximum of a window
 * takes the gradient, so backward needs only X and Y. */
static void pool_forward(const os_layer *l, const float *x, float *y, size_t batch)
{
    const size_t k = l->kernel;
    for (size_t r = 0; r < batch; r++)
        for (size_t c = 0; c < l->c_in; c++) {
            const float *xp = x + r * l->in + c * l->h_in * l->w_in;
            float *yp = y + r * l->out + c * l->h_out * l->w_out;
            for (size_t oi = 0; oi < l->h_out; oi++)
                for (size_t oj = 0; oj < l->w_out; oj++) {
                    float best = xp[(oi * k) * l->w_in + oj * k];
                    for (size_t a = 0; a < k; a++)
                        for (size_t b = 0; b < k; b++)
                            best = fmaxf(best, xp[(oi * k + a) * l->w_in + oj * k + b]);
                    yp[oi * l->w_out + oj] = best;
                }
        }
}

static void pool_backward(const os_layer *l, const float *x, const float *y, const float *dy,
                          float *dx, size_t batch)
{
    const size_t k = l->kernel;
    memset(dx, 0, batch * l->in * sizeof *dx);
    for (size_t r = 0; r < batch; r++)
        for (size_t c = 0; c < l->c_in; c++) {
            const size_t in_base = r * l->in + c * l->h_in * l->w_in;
            const size_t out_base = r * l->out + c * l->h_out * l->w_out;
            for (size_t oi = 0; oi < l->h_out; oi++)
                for (size_t oj = 0; oj < l->w_out; oj++) {
                    const float best = y[out_base + oi * l->w_out + oj];
                    int done = 0;
                    for (size_t a = 0; a < k && !done; a++)
                        for (size_t b = 0; b < k && !done; b++) {
                            size_t at = in_base + (oi * k + a) * l->w_in + oj * k + b;
                            if (x[at] == best) {
                                dx[at] = dy[out_base + oi * l->w_out + oj];
                                done = 1;
                            }
                        }
                }
        }
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
        conv_forward(l, params, x, y, batch, scratch);
        break;
    case OS_LAYER_MAXPOOL2D:
        pool_forward(l, x, y, batch);
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
        conv_backward(l, params, x, dy, dx, dparams, batch, scratch);
        return;
    case OS_LAYER_MAXPOOL2D:
        if (dx)
            pool_backward(l, x, y, dy, dx, batch);
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
