/* model.c — MLP builder, initialisation, workspace, forward and backward. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "util.h"

static void add_layer(os_model *m, os_layer_kind kind, size_t in, size_t out, size_t *offset)
{
    os_layer *l = &m->layers[m->n_layers++];
    *l = (os_layer){ kind, in, out, *offset, os_layer_param_count(kind, in, out) };
    *offset += l->n_params;
}

int os_model_build_mlp(os_model *m, const os_mlp_spec *spec, size_t in, size_t out)
{
    *m = (os_model){ 0 };
    size_t n_dense = spec->n_hidden + 1;
    m->layers = calloc(2 * n_dense, sizeof *m->layers);
    m->tensors = calloc(2 * n_dense, sizeof *m->tensors);
    m->tensor_names = calloc(2 * n_dense, sizeof *m->tensor_names);
    if (!m->layers || !m->tensors || !m->tensor_names) {
        os_model_free(m);
        return -1;
    }
    m->in = in;
    m->out = out;
    m->loss = spec->loss;
    m->init = spec->init != OS_INIT_AUTO ? spec->init
            : spec->activation == OS_LAYER_RELU ? OS_INIT_HE : OS_INIT_XAVIER;

    size_t offset = 0, width = in, t = 0;
    for (size_t d = 0; d < n_dense; d++) {
        size_t next = d < spec->n_hidden ? spec->hidden[d] : out;
        size_t w_off = offset;
        add_layer(m, OS_LAYER_DENSE, width, next, &offset);
        snprintf(m->tensor_names[t], sizeof m->tensor_names[t], "dense%zu.weight", d + 1);
        m->tensors[t] = (os_tensor){ m->tensor_names[t], w_off, next * width, 2, { next, width } };
        t++;
        snprintf(m->tensor_names[t], sizeof m->tensor_names[t], "dense%zu.bias", d + 1);
        m->tensors[t] = (os_tensor){ m->tensor_names[t], w_off + next * width, next, 1, { next } };
        t++;
        if (d < spec->n_hidden)
            add_layer(m, spec->activation, next, next, &offset);
        width = next;
    }
    m->layout = (os_layout){ offset, t, m->tensors };
    return 0;
}

void os_model_free(os_model *m)
{
    free(m->layers);
    free(m->tensors);
    free(m->tensor_names);
    *m = (os_model){ 0 };
}

void os_model_init_params(const os_model *m, float *params, os_rng *rng)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        const os_layer *l = &m->layers[i];
        if (l->kind != OS_LAYER_DENSE)
            continue;
        float *w = params + l->param_offset;
        size_t nw = l->out * l->in;
        if (m->init == OS_INIT_HE) {
            double std = sqrt(2.0 / (double)l->in);
            for (size_t j = 0; j < nw; j++)
                w[j] = (float)(std * os_rng_normal(rng));
        } else {
            double a = sqrt(6.0 / (double)(l->in + l->out));
            for (size_t j = 0; j < nw; j++)
                w[j] = (float)(a * (2.0 * os_rng_uniform(rng) - 1.0));
        }
        memset(w + nw, 0, l->out * sizeof *w);
    }
}

int os_workspace_init(os_workspace *ws, const os_model *m, size_t max_batch)
{
    *ws = (os_workspace){ 0 };
    ws->max_batch = max_batch;
    /* Each buffer is rounded up to 16 floats so every one starts 64-byte aligned. */
#define ROUND16(x) (((x) + 15) / 16 * 16)
    size_t total = 2 * ROUND16(m->layout.n);
    for (size_t i = 0; i <= m->n_layers; i++) {
        size_t width = i < m->n_layers ? m->layers[i].in : m->out;
        total += 2 * ROUND16(max_batch * width);
    }
    ws->block = os_alloc_aligned(total * sizeof(float));
    ws->act = calloc(m->n_layers + 1, sizeof *ws->act);
    ws->dact = calloc(m->n_layers + 1, sizeof *ws->dact);
    if (!ws->block || !ws->act || !ws->dact) {
        os_workspace_free(ws);
        return -1;
    }
    float *p = ws->block;
    ws->params = p;
    p += ROUND16(m->layout.n);
    ws->grads = p;
    p += ROUND16(m->layout.n);
    for (size_t i = 0; i <= m->n_layers; i++) {
        size_t width = i < m->n_layers ? m->layers[i].in : m->out;
        ws->act[i] = p;
        p += ROUND16(max_batch * width);
        ws->dact[i] = p;
        p += ROUND16(max_batch * width);
    }
#undef ROUND16
    return 0;
}

void os_workspace_free(os_workspace *ws)
{
    os_free_aligned(ws->block);
    free(ws->act);
    free(ws->dact);
    *ws = (os_workspace){ 0 };
}

double os_model_forward(const os_model *m, os_workspace *ws, const float *x,
                        const float *target, size_t batch, int train, size_t *correct)
{
    if (x != ws->act[0]) /* callers may gather the batch straight into act[0] */
        memcpy(ws->act[0], x, batch * m->in * sizeof *x);
    for (size_t i = 0; i < m->n_layers; i++)
        os_layer_forward(&m->layers[i], ws->params, ws->act[i], ws->act[i + 1], batch);
    size_t L = m->n_layers;
    double loss = os_loss(m->loss, ws->act[L], target, batch, m->out,
                          train ? ws->dact[L] : NULL, correct);
    if (train)
        for (size_t i = L; i-- > 0;)
            os_layer_backward(&m->layers[i], ws->params, ws->act[i], ws->act[i + 1],
                              ws->dact[i + 1], i > 0 ? ws->dact[i] : NULL, ws->grads, batch);
    return loss;
}
