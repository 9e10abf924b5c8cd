/* model.c — MLP builder, initialisation, workspace, forward and backward. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "util.h"

/* Appends l at *offset and, when it has parameters, its weight and bias
 * tensors. */
static void add(os_model *m, os_layer l, size_t *offset)
{
    l.param_offset = *offset;
    m->layers[m->n_layers++] = l;
    *offset += l.n_params;
    if (!l.n_params)
        return;
    size_t t = m->layout.n_tensors, k = 0;
    for (size_t i = 0; i < m->n_layers; i++)
        k += m->layers[i].n_params > 0;
    os_tensor *w = &m->tensors[t], *b = &m->tensors[t + 1];
    snprintf(m->tensor_names[t], sizeof m->tensor_names[t], "%s%zu.weight",
             os_layer_kind_name(l.kind), k);
    snprintf(m->tensor_names[t + 1], sizeof m->tensor_names[t + 1], "%s%zu.bias",
             os_layer_kind_name(l.kind), k);
    size_t bias = l.kind == OS_LAYER_CONV2D ? l.c_out : l.out;
    size_t nw = l.n_params - bias;
    if (l.kind == OS_LAYER_CONV2D)
        *w = (os_tensor){ m->tensor_names[t], l.param_offset, nw, 4,
                          { l.c_out, l.c_in, l.kernel, l.kernel } };
    else
        *w = (os_tensor){ m->tensor_names[t], l.param_offset, nw, 2, { l.out, l.in } };
    *b = (os_tensor){ m->tensor_names[t + 1], l.param_offset + nw, bias, 1, { bias } };
    m->roles[t] = OS_ROLE_WEIGHT;
    m->roles[t + 1] = OS_ROLE_BIAS;
    m->layout.n_tensors += 2;
}

static os_layer plain(os_layer_kind kind, size_t width)
{
    return (os_layer){ .kind = kind, .in = width, .out = width };
}

int os_model_build(os_model *m, const os_model_spec *spec, size_t in, size_t out)
{
    *m = (os_model){ 0 };
    size_t max_layers = 3 * spec->n_conv + 2 * (spec->n_hidden + 1);
    m->layers = calloc(max_layers, sizeof *m->layers);
    m->tensors = calloc(max_layers, sizeof *m->tensors);
    m->tensor_names = calloc(max_layers, sizeof *m->tensor_names);
    m->roles = calloc(max_layers, sizeof *m->roles);
    if (!m->layers || !m->tensors || !m->tensor_names || !m->roles) {
        os_model_free(m);
        return -1;
    }
    m->in = in;
    m->out = out;
    m->loss = spec->loss;
    m->init = spec->init != OS_INIT_AUTO ? spec->init
            : spec->activation == OS_LAYER_RELU || spec->activation == OS_LAYER_LEAKY_RELU ||
              spec->activation == OS_LAYER_GELU ? OS_INIT_HE : OS_INIT_XAVIER;
    m->layout.tensors = m->tensors;
    m->layout.roles = m->roles;

    size_t offset = 0, width = in;
    if (spec->n_conv) {
        size_t c = spec->image[0], h = spec->image[1], w = spec->image[2];
        if (c * h * w != in) {
            os_model_free(m);
            return -2;
        }
        for (size_t i = 0; i < spec->n_conv; i++) {
            const os_conv_spec *cs = &spec->conv[i];
            os_layer conv = os_layer_conv2d(c, h, w, cs->channels, cs->kernel, cs->pad,
                                            cs->stride);
            if (!conv.h_out || !conv.w_out || (spec->pool > 1 && (conv.h_out < spec->pool ||
                                                                   conv.w_out < spec->pool))) {
                os_model_free(m);
                return -2;
            }
            conv.pooled_by = spec->pool; /* whatever activation is between */
            add(m, conv, &offset);
            c = conv.c_out, h = conv.h_out, w = conv.w_out;
            /* relu commutes with max: pooled first, relu reads and writes a
             * quarter of the values, forward and backward.  Both orders give
             * the same outputs and gradients, ties included (a window whose
             * maximum is at most 0 passes no gradient either way); only a
             * NaN, which max skips and relu turns into 0, could tell them
             * apart. */
            int pool_first = spec->pool > 1 && spec->activation == OS_LAYER_RELU;
            if (!pool_first)
                add(m, plain(spec->activation, conv.out), &offset);
            if (spec->pool > 1) {
                os_layer pool = os_layer_maxpool2d(c, h, w, spec->pool);
                add(m, pool, &offset);
                h = pool.h_out, w = pool.w_out;
                if (pool_first)
                    add(m, plain(spec->activation, pool.out), &offset);
            }
        }
        width = c * h * w; /* NCHW rows are already flat */
    }
    for (size_t d = 0; d <= spec->n_hidden; d++) {
        size_t next = d < spec->n_hidden ? spec->hidden[d] : out;
        add(m, (os_layer){ .kind = OS_LAYER_DENSE, .in = width, .out = next,
                           .n_params = os_layer_param_count(OS_LAYER_DENSE, width, next) },
            &offset);
        if (d < spec->n_hidden)
            add(m, plain(spec->activation, next), &offset);
        width = next;
    }
    m->layout.n = offset;
    return 0;
}

void os_model_free(os_model *m)
{
    free(m->layers);
    free(m->tensors);
    free(m->tensor_names);
    free(m->roles);
    *m = (os_model){ 0 };
}

void os_model_init_params(const os_model *m, float *params, os_rng *rng)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        const os_layer *l = &m->layers[i];
        if (!l->n_params)
            continue;
        /* fans as torch computes them: a conv's receptive field counts */
        int conv = l->kind == OS_LAYER_CONV2D;
        size_t field = conv ? l->kernel * l->kernel : 1;
        size_t fan_in = conv ? l->c_in * field : l->in, fan_out = conv ? l->c_out * field : l->out;
        size_t bias = conv ? l->c_out : l->out, nw = l->n_params - bias;
        float *w = params + l->param_offset;
        if (m->init == OS_INIT_HE) {
            double std = sqrt(2.0 / (double)fan_in);
            for (size_t j = 0; j < nw; j++)
                w[j] = (float)(std * os_rng_normal(rng));
        } else {
            double a = sqrt(6.0 / (double)(fan_in + fan_out));
            for (size_t j = 0; j < nw; j++)
                w[j] = (float)(a * (2.0 * os_rng_uniform(rng) - 1.0));
        }
        memset(w + nw, 0, bias * sizeof *w);
    }
}

static int workspace_init(os_workspace *ws, const os_model *m, size_t max_batch,
                          float *shared_params)
{
    *ws = (os_workspace){ 0 };
    ws->max_batch = max_batch;
    /* Each buffer is rounded up to 16 floats so every one starts 64-byte aligned. */
#define ROUND16(x) (((x) + 15) / 16 * 16)
    size_t scratch = 0, kept = 0;
    for (size_t i = 0; i < m->n_layers; i++) {
        size_t need = os_layer_scratch(&m->layers[i], max_batch);
        if (os_layer_keeps_scratch(&m->layers[i]))
            kept += ROUND16(need);
        else if (need > scratch)
            scratch = need;
    }
    const size_t own_params = shared_params ? 0 : ROUND16(m->layout.n);
    size_t total = own_params + ROUND16(m->layout.n) + ROUND16(scratch) + kept;
    for (size_t i = 0; i <= m->n_layers; i++) {
        size_t width = i < m->n_layers ? m->layers[i].in : m->out;
        total += 2 * ROUND16(max_batch * width);
    }
    ws->block = os_alloc_aligned(total * sizeof(float));
    ws->act = calloc(m->n_layers + 1, sizeof *ws->act);
    ws->dact = calloc(m->n_layers + 1, sizeof *ws->dact);
    ws->layer_scratch = calloc(m->n_layers + 1, sizeof *ws->layer_scratch);
    if (!ws->block || !ws->act || !ws->dact || !ws->layer_scratch) {
        os_workspace_free(ws);
        return -1;
    }
    float *p = ws->block;
    ws->params = shared_params ? shared_params : p;
    p += own_params;
    ws->grads = p;
    p += ROUND16(m->layout.n);
    ws->scratch = p;
    p += ROUND16(scratch);
    for (size_t i = 0; i < m->n_layers; i++)
        if (os_layer_keeps_scratch(&m->layers[i])) {
            ws->layer_scratch[i] = p;
            p += ROUND16(os_layer_scratch(&m->layers[i], max_batch));
        } else {
            ws->layer_scratch[i] = ws->scratch;
        }
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

int os_workspace_init(os_workspace *ws, const os_model *m, size_t max_batch)
{
    return workspace_init(ws, m, max_batch, NULL);
}

int os_workspace_init_sharing(os_workspace *ws, const os_model *m, size_t max_batch,
                              float *params)
{
    return workspace_init(ws, m, max_batch, params);
}

void os_workspace_free(os_workspace *ws)
{
    os_free_aligned(ws->block);
    free(ws->act);
    free(ws->dact);
    free(ws->layer_scratch);
    *ws = (os_workspace){ 0 };
}

double os_model_forward(const os_model *m, os_workspace *ws, const float *x,
                        const float *target, size_t batch, int train, size_t *correct)
{
    /* The first layer reads the rows where they are (a batch gathered into
     * act[0], or the validation rows in place), forward and backward: no
     * copy. */
    for (size_t i = 0; i < m->n_layers; i++)
        os_layer_forward(&m->layers[i], ws->params, i ? ws->act[i] : x, ws->act[i + 1], batch,
                         ws->layer_scratch[i]);
    size_t L = m->n_layers;
    double loss = os_loss(m->loss, ws->act[L], target, batch, m->out,
                          train ? ws->dact[L] : NULL, correct);
    if (train)
        for (size_t i = L; i-- > 0;)
            os_layer_backward(&m->layers[i], ws->params, i ? ws->act[i] : x, ws->act[i + 1],
                              ws->dact[i + 1], i > 0 ? ws->dact[i] : NULL, ws->grads, batch,
                              ws->layer_scratch[i]);
    return loss;
}

size_t os_split_rows(size_t batch, size_t split, size_t chunk)
{
    return batch / split + (chunk < batch % split);
}

double os_model_train_split(const os_model *m, os_workspace *ws, os_workspace *chunks,
                            size_t split, const float *target, size_t batch, int threads)
{
    if (split <= 1)
        return os_model_forward(m, ws, ws->act[0], target, batch, 1, NULL);
    double losses[OS_MAX_SPLIT], share[OS_MAX_SPLIT]; /* share: of the batch's rows */
    size_t first[OS_MAX_SPLIT], rows[OS_MAX_SPLIT];
    float weight[OS_MAX_SPLIT];
    for (size_t c = 0, row = 0; c < split; c++) {
        first[c] = row;
        row += rows[c] = os_split_rows(batch, split, c);
        share[c] = (double)rows[c] / (double)batch;
        weight[c] = (float)share[c];
    }
    const size_t n = m->layout.n, block = 4096;
    /* One parallel region per step (two would pay for two fork/joins).
     * Chunk 0 computes in place over the first rows of ws->act[0], which no
     * layer writes; the others copy their rows into their own workspace.
     * Then g = w0 g0 + w1 g1 + ..., each element summed in chunk order, the
     * threads taking contiguous ranges of elements. */
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) if (threads > 1)
#endif
    {
#ifdef _OPENMP
#pragma omp for schedule(static, 1)
#endif
        for (size_t c = 0; c < split; c++) {
            os_workspace *w = c ? &chunks[c - 1] : ws;
            losses[c] = os_model_forward(m, w, ws->act[0] + first[c] * m->in,
                                         target + first[c], rows[c], 1, NULL);
        }
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (size_t lo = 0; lo < n; lo += block) {
            size_t hi = lo + block < n ? lo + block : n;
            float *restrict g = ws->grads;
            for (size_t i = lo; i < hi; i++)
                g[i] = weight[0] * g[i];
            for (size_t c = 1; c < split; c++) {
                const float *restrict gc = chunks[c - 1].grads;
                const float wc = weight[c];
                for (size_t i = lo; i < hi; i++)
                    g[i] = g[i] + wc * gc[i];
            }
        }
    }
    double loss = 0.0;
    for (size_t c = 0; c < split; c++)
        loss += share[c] * losses[c];
    return loss;
}

double os_model_flops(const os_model *m, size_t rows)
{
    double per_row = 0.0;
    for (size_t i = 0; i < m->n_layers; i++) {
        const os_layer *l = &m->layers[i];
        if (l->kind == OS_LAYER_DENSE)
            per_row += 2.0 * (double)l->in * (double)l->out;
        else if (l->kind == OS_LAYER_CONV2D)
            per_row += 2.0 * (double)(l->c_out * l->c_in * l->kernel * l->kernel) *
                       (double)(l->h_out * l->w_out);
    }
    return 3.0 * per_row * (double)rows;
}
