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
#define OS_MAX_SPLIT 64       /* chunks of a data-parallel step */
#define OS_MAX_AUTO_SPLIT 16  /* what batch_split = auto goes up to */

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
    unsigned char *roles;       /* OS_ROLE_* per tensor (layout.roles)        */
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
    float *scratch;   /* the largest os_layer_scratch of the layers that share
                         one                                                  */
    float **layer_scratch; /* layer i's: ws->scratch, or its own where it keeps
                         it from forward to backward (os_layer_keeps_scratch) */
    float *block;     /* the single allocation behind everything above        */
} os_workspace;

int os_workspace_init(os_workspace *ws, const os_model *m, size_t max_batch);
/* The same without parameters of its own: ws->params is `params`, owned by
 * another workspace (a chunk of a split step reads its trial's weights). */
int os_workspace_init_sharing(os_workspace *ws, const os_model *m, size_t max_batch,
                              float *params);
void os_workspace_free(os_workspace *ws);

/* Forward over x [batch × in]; returns the mean loss.  With train set, also
 * runs backward and leaves the gradient in ws->grads.  *correct as os_loss.
 * x is read where it is (ws->act[0] or any other rows, unchanged until the
 * call returns), never copied. */
double os_model_forward(const os_model *m, os_workspace *ws, const float *x,
                        const float *target, size_t batch, int train, size_t *correct);

/* A training step with the batch split into `split` chunks (data-parallel
 * steps).  The batch is in ws->act[0] (batch rows) and target; chunk 0 runs
 * on ws itself, chunk c > 0 on chunks[c - 1], a workspace sharing ws's
 * parameters and sized for os_split_rows(batch, split, 0) rows.  Chunk c
 * takes the next os_split_rows(batch, split, c) rows.  The chunks run on up
 * to `threads` threads; their losses and gradients are then weighted by
 * their share of the rows and summed in chunk order, so the result depends
 * on split, never on threads.  Returns the batch's mean loss; the gradient
 * is left in ws->grads. */
double os_model_train_split(const os_model *m, os_workspace *ws, os_workspace *chunks,
                            size_t split, const float *target, size_t batch, int threads);
size_t os_split_rows(size_t batch, size_t split, size_t chunk);

/* Floating-point operations of one training step over `rows` rows: the
 * forward and backward matrix products of every dense and convolution
 * layer (2 per multiply-add, three products per layer). */
double os_model_flops(const os_model *m, size_t rows);

#endif
