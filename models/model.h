/*
 * model.h — a model: a chain of layers over one parameter arena, its loss,
 * and the parameter layout optimizers see.  An MLP, or a CNN: convolution
 * blocks (conv, activation, max-pool) whose output is flattened into the
 * dense layers.
 *
 * An os_model is an immutable description shared read-only by every trial.
 * What a trial mutates lives in its own os_workspace: parameters, gradients
 * (same layout, one allocation) and activation buffers sized for the largest
 * batch, so a training step allocates nothing.
 */
#ifndef OS_MODEL_H
#define OS_MODEL_H

#include <stddef.h>
#include <optselect/plugin.h>
#include "layer.h"
#include "loss.h"
#include "rng.h"

#define OS_MAX_HIDDEN 16
#define OS_MAX_CONV 8

typedef enum os_init_kind {
    OS_INIT_AUTO,    /* He for relu, Xavier for tanh and sigmoid */
    OS_INIT_HE,      /* normal, std = sqrt(2 / fan_in)           */
    OS_INIT_XAVIER   /* uniform, ±sqrt(6 / (fan_in + fan_out))    */
} os_init_kind;

/* One convolution block: conv, activation, then max-pool. */
typedef struct os_conv_spec {
    size_t channels, kernel, pad, stride; /* stride 0 means 1 */
} os_conv_spec;

/* What the config asks for. */
typedef struct os_model_spec {
    size_t        n_hidden;               /* 0 gives a linear model           */
    size_t        hidden[OS_MAX_HIDDEN];  /* dense widths                      */
    os_layer_kind activation;             /* an activation kind                */
    os_init_kind  init;
    os_loss_kind  loss;
    size_t        n_conv;                 /* 0 for an MLP                      */
    os_conv_spec  conv[OS_MAX_CONV];
    size_t        pool;                   /* window after each conv; 1 = none  */
    size_t        image[3];               /* c, h, w of the input; needed with
                                             n_conv > 0                        */
} os_model_spec;

typedef struct os_model {
    os_layer    *layers;
    size_t       n_layers;
    size_t       in, out;       /* input features; outputs (classes or 1)    */
    os_loss_kind loss;
    os_init_kind init;          /* resolved: never OS_INIT_AUTO              */
    os_tensor   *tensors;       /* weight and bias of every dense layer      */
    char       (*tensor_names)[40];
    os_layout    layout;        /* what optimizers are told                   */
} os_model;

/* Builds the model from in features to out outputs.  Returns 0, -1 (no
 * memory) or -2 (the convolution blocks shrink the image to nothing, or
 * image does not multiply out to in). */
int os_model_build(os_model *m, const os_model_spec *spec, size_t in, size_t out);
void os_model_free(os_model *m);

/* Draws initial parameters from rng (weights per init, biases zero). */
void os_model_init_params(const os_model *m, float *params, os_rng *rng);

typedef struct os_workspace {
    size_t max_batch;
    float *params;    /* layout.n floats                                      */
    float *grads;     /* layout.n floats, same layout                         */
    float **act;      /* act[i] is layer i's input; act[n_layers] the output  */
    float **dact;     /* gradients of the same                                */
    float *scratch;   /* the largest os_layer_scratch of any layer            */
    float *block;     /* the single allocation behind everything above        */
} os_workspace;

int os_workspace_init(os_workspace *ws, const os_model *m, size_t max_batch);
void os_workspace_free(os_workspace *ws);

/* Forward over x [batch × in]; returns the mean loss.  With train set, also
 * runs backward and leaves the gradient in ws->grads.  *correct as os_loss. */
double os_model_forward(const os_model *m, os_workspace *ws, const float *x,
                        const float *target, size_t batch, int train, size_t *correct);

#endif
