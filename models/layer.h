/*
 * layer.h — the layers of a model.  Each layer is a forward, a backward and
 * a parameter count over flat, row-major buffers; parameters are views into
 * the model's arena (offset + count), so a layer owns no memory.
 *
 * Shapes: X is [batch × in], Y is [batch × out].  A dense layer's weight is
 * [out × in] (PyTorch's nn.Linear layout) followed by its bias [out].
 */
#ifndef OS_LAYER_H
#define OS_LAYER_H

#include <stddef.h>

typedef enum os_layer_kind {
    OS_LAYER_DENSE,
    OS_LAYER_RELU,
    OS_LAYER_TANH,
    OS_LAYER_SIGMOID
} os_layer_kind;

typedef struct os_layer {
    os_layer_kind kind;
    size_t in, out;       /* widths; equal for activations                  */
    size_t param_offset;  /* first parameter in the arena                   */
    size_t n_params;      /* dense: out*in + out; activations: 0            */
} os_layer;

/* Parameters a layer of this kind and shape needs. */
size_t os_layer_param_count(os_layer_kind kind, size_t in, size_t out);

/* Name of a kind ("dense", "relu", ...), and the kind for a name (-1 if none). */
const char *os_layer_kind_name(os_layer_kind kind);
int os_layer_kind_from_name(const char *name);

/* Y = f(X).  params is the whole arena. */
void os_layer_forward(const os_layer *l, const float *params, const float *x, float *y,
                      size_t batch);

/* Given X, Y = f(X) and dY, writes dX (skipped when dx is NULL) and this
 * layer's slice of dparams (overwritten, not accumulated). */
void os_layer_backward(const os_layer *l, const float *params, const float *x,
                       const float *y, const float *dy, float *dx, float *dparams,
                       size_t batch);

#endif
