/*
 * layer.h — the layers of a model.  Each layer is a forward, a backward and
 * a parameter count over flat, row-major buffers; parameters are views into
 * the model's arena (offset + count), so a layer owns no memory.
 *
 * Shapes: X is [batch × in], Y is [batch × out].  A dense layer's weight is
 * [out × in] (PyTorch's nn.Linear layout) followed by its bias [out].
 * Images are NCHW: each row of X is C planes of H × W.  A convolution's
 * weight is [c_out × c_in × k × k] (nn.Conv2d's layout), then its bias.
 */
#ifndef OS_LAYER_H
#define OS_LAYER_H

#include <stddef.h>

typedef enum os_layer_kind {
    OS_LAYER_DENSE,
    OS_LAYER_RELU,
    OS_LAYER_TANH,
    OS_LAYER_SIGMOID,
    OS_LAYER_LEAKY_RELU,  /* slope 0.01 below zero, torch's default          */
    OS_LAYER_GELU,        /* exact: x * Phi(x)                               */
    OS_LAYER_CONV2D,      /* square kernel, stride, zero padding             */
    OS_LAYER_MAXPOOL2D    /* square window, stride = window                  */
} os_layer_kind;

typedef struct os_layer {
    os_layer_kind kind;
    size_t in, out;       /* widths per row; equal for activations          */
    size_t param_offset;  /* first parameter in the arena                   */
    size_t n_params;      /* dense: out*in + out; conv: c_out*c_in*k*k + c_out */
    /* conv2d and maxpool2d only: input and output geometry */
    size_t c_in, h_in, w_in, c_out, h_out, w_out, kernel, pad, stride;
    /* conv2d only: the window of the max pooling after it (0 or 1: none),
     * which leaves its dY zero but at one pixel of each window; the model
     * sets it, and the gradients then read dY's nonzeros alone */
    size_t pooled_by;
} os_layer;

/* A convolution or pooling layer over c × h × w inputs; fills the geometry,
 * in, out and n_params (param_offset is the caller's). */
os_layer os_layer_conv2d(size_t c, size_t h, size_t w, size_t c_out, size_t kernel, size_t pad,
                         size_t stride);
os_layer os_layer_maxpool2d(size_t c, size_t h, size_t w, size_t window);

/* Scratch floats this layer needs in forward and backward for a batch of
 * up to `batch` rows. */
size_t os_layer_scratch(const os_layer *l, size_t batch);

/* Whether backward reads what forward left in the scratch (max-pooling:
 * where each maximum was), so that the layer needs a scratch of its own
 * rather than one shared with the other layers. */
int os_layer_keeps_scratch(const os_layer *l);

/* Parameters a layer of this kind and shape needs. */
size_t os_layer_param_count(os_layer_kind kind, size_t in, size_t out);

/* The version of a layer's arithmetic: raised whenever a change makes its
 * results differ in the last bit (the order of a sum, a new lowering, a
 * build with oneDNN), so that a journal of trials computed the old way is
 * not resumed (the study's fingerprint hashes the versions of its model's
 * layers). */
unsigned os_layer_numerics(const os_layer *l);

/* Name of a kind ("dense", "relu", ...), and the kind for a name (-1 if none). */
const char *os_layer_kind_name(os_layer_kind kind);
int os_layer_kind_from_name(const char *name);

/* Y = f(X).  params is the whole arena; scratch holds os_layer_scratch(l)
 * floats (may be NULL when that is 0). */
void os_layer_forward(const os_layer *l, const float *params, const float *x, float *y,
                      size_t batch, float *scratch);

/* Given X, Y = f(X) and dY, writes dX (skipped when dx is NULL) and this
 * layer's slice of dparams (overwritten, not accumulated). */
void os_layer_backward(const os_layer *l, const float *params, const float *x,
                       const float *y, const float *dy, float *dx, float *dparams,
                       size_t batch, float *scratch);

#endif
