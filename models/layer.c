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
};

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
                      size_t batch)
{
    const size_t n = batch * l->out;
    switch (l->kind) {
    case OS_LAYER_DENSE:
        dense_forward(l, params, x, y, batch);
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

/* Activation derivatives are written in terms of the output Y, which the
 * forward pass already stored, so no transcendental is recomputed. */
void os_layer_backward(const os_layer *l, const float *params, const float *x,
                       const float *y, const float *dy, float *dx, float *dparams,
                       size_t batch)
{
    const size_t n = batch * l->out;
    switch (l->kind) {
    case OS_LAYER_DENSE:
        dense_backward(l, params, x, dy, dx, dparams, batch);
        return;
    case OS_LAYER_RELU:
        if (dx)
            for (size_t i = 0; i < n; i++)
                dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
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
