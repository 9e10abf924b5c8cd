/*
 * conv_dnnl.c — convolutions in oneDNN (Debian's libdnnl-dev), for the
 * layers where its direct convolutions beat the batch-lowered products of
 * conv.c: those with several input channels (bench/conv_dnnl.sh: LeNet's
 * second layer, 16 -> 32 channels, 1.4x faster forward and backward; its
 * first, one input channel, 1.7x slower).  It computes only what
 * conv_channels.c's kernels, faster still, do not cover: the directions
 * of a layer whose channels do not come in eights.
 *
 * The layer stays a pure function over the caller's buffers: each call
 * describes the convolution, gets its primitives (oneDNN's primitive cache
 * makes that cheap after the first call of a shape), and runs them on
 * optselect's NCHW buffers.  oneDNN's blocked layouts, the reorders into
 * and out of them, and its scratchpads all live in the layer's scratch
 * (os_conv_dnnl_scratch says how much), never in memory oneDNN allocates:
 * so two trials may run the same shapes at once.
 *
 * oneDNN runs on one thread (the OpenMP thread count is set to 1 around
 * every call): each trial is one thread, and a reduction split over a
 * varying number of threads would make results depend on the thread count.
 */
#include <config.h>
#include "conv.h"

#ifdef HAVE_DNNL
#include <omp.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <dnnl.h>

/* Input channels from which oneDNN takes a layer (below, its blocked
 * layouts pad the channels to 8 and the lowering is faster). */
#define DNNL_MIN_CHANNELS 8

static int mode = 1;

void os_conv_dnnl_use(int m)
{
    mode = m;
}

static dnnl_engine_t engine;
static int engine_ok;

static void engine_create(void)
{
    engine_ok = dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success;
}

static int ready(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, engine_create);
    return engine_ok;
}

int os_conv_dnnl_takes(const os_layer *l)
{
    return (mode == 2 || (mode == 1 && l->c_in >= DNNL_MIN_CHANNELS)) && ready();
}

/* The three directions of one layer at one batch size, and the layouts
 * they chose. */
typedef struct plan {
    dnnl_memory_desc_t src, dst, w, bias;           /* optselect's buffers */
    dnnl_primitive_desc_t fwd, bwd_data, bwd_w;
    dnnl_primitive_t p_fwd, p_bwd_data, p_bwd_w;
} plan;

static dnnl_memory_desc_t md4(size_t a, size_t b, size_t c, size_t d, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t dims = { (dnnl_dim_t)a, (dnnl_dim_t)b, (dnnl_dim_t)c, (dnnl_dim_t)d };
    dnnl_memory_desc_init_by_tag(&md, 4, dims, dnnl_f32, tag);
    return md;
}

static void plan_free(plan *p)
{
    dnnl_primitive_destroy(p->p_fwd);
    dnnl_primitive_destroy(p->p_bwd_data);
    dnnl_primitive_destroy(p->p_bwd_w);
    dnnl_primitive_desc_destroy(p->fwd);
    dnnl_primitive_desc_destroy(p->bwd_data);
    dnnl_primitive_desc_destroy(p->bwd_w);
}

/* 0 on success.  Only the directions asked for (1 forward, 2 backward, 0
 * none: the descriptors alone, to size the scratch) get primitives. */
static int plan_make(plan *p, const os_layer *l, size_t batch, int primitives)
{
    memset(p, 0, sizeof *p);
    p->src = md4(batch, l->c_in, l->h_in, l->w_in, dnnl_nchw);
    p->dst = md4(batch, l->c_out, l->h_out, l->w_out, dnnl_nchw);
    p->w = md4(l->c_out, l->c_in, l->kernel, l->kernel, dnnl_oihw);
    dnnl_dims_t bd = { (dnnl_dim_t)l->c_out };
    dnnl_memory_desc_init_by_tag(&p->bias, 1, bd, dnnl_f32, dnnl_x);
    dnnl_memory_desc_t src = md4(batch, l->c_in, l->h_in, l->w_in, dnnl_format_tag_any);
    dnnl_memory_desc_t dst = md4(batch, l->c_out, l->h_out, l->w_out, dnnl_format_tag_any);
    dnnl_memory_desc_t w = md4(l->c_out, l->c_in, l->kernel, l->kernel, dnnl_format_tag_any);
    dnnl_dims_t stride = { (dnnl_dim_t)l->stride, (dnnl_dim_t)l->stride };
    dnnl_dims_t pad = { (dnnl_dim_t)l->pad, (dnnl_dim_t)l->pad };
    dnnl_primitive_attr_t attr;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success)
        return -1;
    int bad = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    dnnl_convolution_desc_t cd;
    bad = bad || dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training,
                                                    dnnl_convolution_direct, &src, &w, &p->bias,
                                                    &dst, stride, pad, pad);
    bad = bad || dnnl_primitive_desc_create(&p->fwd, &cd, attr, engine, NULL);
    /* backward's descriptors (forward's is their hint) for backward and for
     * sizing the scratch; a forward call has no use for them */
    const int backward = primitives != 1;
    bad = bad || (backward && dnnl_convolution_backward_data_desc_init(
                                  &cd, dnnl_convolution_direct, &src, &w, &dst, stride, pad, pad));
    bad = bad || (backward && dnnl_primitive_desc_create(&p->bwd_data, &cd, attr, engine, p->fwd));
    bad = bad || (backward && dnnl_convolution_backward_weights_desc_init(
                                  &cd, dnnl_convolution_direct, &src, &w, &p->bias, &dst, stride,
                                  pad, pad));
    bad = bad || (backward && dnnl_primitive_desc_create(&p->bwd_w, &cd, attr, engine, p->fwd));
    dnnl_primitive_attr_destroy(attr);
    if (!bad && (primitives & 1))
        bad = dnnl_primitive_create(&p->p_fwd, p->fwd);
    if (!bad && (primitives & 2))
        bad = dnnl_primitive_create(&p->p_bwd_data, p->bwd_data);
    if (!bad && (primitives & 2))
        bad = dnnl_primitive_create(&p->p_bwd_w, p->bwd_w);
    if (bad)
        plan_free(p);
    return bad ? -1 : 0;
}

static const dnnl_memory_desc_t *want(const_dnnl_primitive_desc_t pd, dnnl_query_t what)
{
    return dnnl_primitive_desc_query_md(pd, what, 0);
}

/* Floats for a buffer of this layout, rounded to a cache line. */
static size_t floats(const dnnl_memory_desc_t *md)
{
    return (dnnl_memory_desc_get_size(md) / sizeof(float) + 15) / 16 * 16;
}

/* A place in the scratch for a tensor that oneDNN wants in another layout
 * than optselect's, or optselect's own buffer when the layouts agree. */
typedef struct slot {
    dnnl_memory_t user, inner;
} slot;

/* The scratch a direction uses, in the order the functions below take it. */
static size_t fwd_floats(const plan *p)
{
    return floats(want(p->fwd, dnnl_query_src_md)) + floats(want(p->fwd, dnnl_query_weights_md)) +
           floats(want(p->fwd, dnnl_query_dst_md)) + floats(want(p->fwd, dnnl_query_scratchpad_md));
}

static size_t bwd_floats(const plan *p)
{
    return floats(want(p->bwd_data, dnnl_query_diff_dst_md)) +
           floats(want(p->bwd_data, dnnl_query_weights_md)) +
           floats(want(p->bwd_data, dnnl_query_diff_src_md)) +
           floats(want(p->bwd_data, dnnl_query_scratchpad_md)) +
           floats(want(p->bwd_w, dnnl_query_src_md)) +
           floats(want(p->bwd_w, dnnl_query_diff_dst_md)) +
           floats(want(p->bwd_w, dnnl_query_diff_weights_md)) +
           floats(want(p->bwd_w, dnnl_query_scratchpad_md));
}

/* Runs stmt with OpenMP at one thread in this thread, then restores it. */
#define ONE_THREAD(stmt) do { int nthr_ = omp_get_max_threads(); omp_set_num_threads(1); \
    stmt; omp_set_num_threads(nthr_); } while (0)

size_t os_conv_dnnl_scratch(const os_layer *l, size_t batch)
{
    plan p;
    int bad;
    ONE_THREAD(bad = plan_make(&p, l, batch, 0));
    if (bad)
        return 0;
    size_t f = fwd_floats(&p), b = bwd_floats(&p);
    plan_free(&p);
    return f > b ? f : b;
}

typedef struct run {
    dnnl_stream_t stream;
    float *next;                     /* the scratch not yet handed out */
    int bad;
    dnnl_memory_t made[24];
    int n_made;
} run;

static dnnl_memory_t mem(run *r, const dnnl_memory_desc_t *md, void *buf)
{
    dnnl_memory_t m = NULL;
    if (r->bad || r->n_made == (int)(sizeof r->made / sizeof *r->made) ||
        dnnl_memory_create(&m, md, engine, buf) != dnnl_success) {
        r->bad = 1;
        return NULL;
    }
    return r->made[r->n_made++] = m;
}

static void exec(run *r, dnnl_primitive_t p, int n, const dnnl_exec_arg_t *args)
{
    if (!r->bad && dnnl_primitive_execute(p, r->stream, n, args) != dnnl_success)
        r->bad = 1;
}

static void reorder(run *r, dnnl_memory_t from, dnnl_memory_t to)
{
    if (r->bad || from == to)
        return;
    const dnnl_memory_desc_t *a, *b;
    dnnl_memory_get_memory_desc(from, &a);
    dnnl_memory_get_memory_desc(to, &b);
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p;
    if (dnnl_reorder_primitive_desc_create(&pd, a, engine, b, engine, NULL) != dnnl_success) {
        r->bad = 1;
        return;
    }
    if (dnnl_primitive_create(&p, pd) == dnnl_success) {
        dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, from }, { DNNL_ARG_TO, to } };
        exec(r, p, 2, args);
        dnnl_primitive_destroy(p);
    } else {
        r->bad = 1;
    }
    dnnl_primitive_desc_destroy(pd);
}

/* The tensor as the primitive wants it: the user's buffer when the layouts
 * agree, else scratch, filled from the user's buffer when `in`. */
static slot place(run *r, const dnnl_memory_desc_t *user_md, const float *buf,
                  const_dnnl_primitive_desc_t pd, dnnl_query_t what, int in)
{
    slot s = { mem(r, user_md, (void *)(uintptr_t)buf), NULL };
    const dnnl_memory_desc_t *md = want(pd, what);
    if (r->bad || dnnl_memory_desc_equal(md, user_md)) {
        s.inner = s.user;
        return s;
    }
    s.inner = mem(r, md, r->next);
    r->next += floats(md);
    if (in)
        reorder(r, s.user, s.inner);
    return s;
}

/* The plan of a call (primitives for forward, 1, or backward, 2) and a
 * stream to run it on, handing out the scratch from its start; 0 on
 * success.  finish waits for the stream and frees both. */
static int begin(plan *p, run *r, const os_layer *l, size_t batch, int which, float *scratch)
{
    memset(r, 0, sizeof *r);
    r->next = scratch;
    if (plan_make(p, l, batch, which))
        return -1;
    if (dnnl_stream_create(&r->stream, engine, dnnl_stream_default_flags) != dnnl_success) {
        plan_free(p);
        return -1;
    }
    return 0;
}

static int finish(plan *p, run *r)
{
    if (!r->bad && dnnl_stream_wait(r->stream) != dnnl_success)
        r->bad = 1;
    for (int i = 0; i < r->n_made; i++)
        dnnl_memory_destroy(r->made[i]);
    dnnl_stream_destroy(r->stream);
    plan_free(p);
    return r->bad ? -1 : 0;
}

/* The layer's weights come first in its parameters, its biases after. */
static size_t n_weights(const os_layer *l)
{
    return l->c_out * l->c_in * l->kernel * l->kernel;
}

static int forward(const os_layer *l, const float *params, const float *x, float *y,
                   size_t batch, float *scratch)
{
    plan p;
    run r;
    if (begin(&p, &r, l, batch, 1, scratch))
        return -1;
    const float *w = params + l->param_offset, *bias = w + n_weights(l);
    slot src = place(&r, &p.src, x, p.fwd, dnnl_query_src_md, 1);
    slot wt = place(&r, &p.w, w, p.fwd, dnnl_query_weights_md, 1);
    slot dst = place(&r, &p.dst, y, p.fwd, dnnl_query_dst_md, 0);
    dnnl_memory_t b = mem(&r, &p.bias, (void *)(uintptr_t)bias);
    dnnl_memory_t pad = mem(&r, want(p.fwd, dnnl_query_scratchpad_md), r.next);
    dnnl_exec_arg_t args[] = { { DNNL_ARG_SRC, src.inner }, { DNNL_ARG_WEIGHTS, wt.inner },
                               { DNNL_ARG_BIAS, b }, { DNNL_ARG_DST, dst.inner },
                               { DNNL_ARG_SCRATCHPAD, pad } };
    exec(&r, p.p_fwd, 5, args);
    reorder(&r, dst.inner, dst.user);
    return finish(&p, &r);
}

static int backward(const os_layer *l, const float *params, const float *x, const float *dy,
                    float *dx, float *dparams, size_t batch, float *scratch)
{
    plan p;
    run r;
    if (begin(&p, &r, l, batch, 2, scratch))
        return -1;
    const float *w = params + l->param_offset;
    if (dx) {
        slot ddst = place(&r, &p.dst, dy, p.bwd_data, dnnl_query_diff_dst_md, 1);
        slot wt = place(&r, &p.w, w, p.bwd_data, dnnl_query_weights_md, 1);
        slot dsrc = place(&r, &p.src, dx, p.bwd_data, dnnl_query_diff_src_md, 0);
        dnnl_memory_t pad = mem(&r, want(p.bwd_data, dnnl_query_scratchpad_md), r.next);
        r.next += floats(want(p.bwd_data, dnnl_query_scratchpad_md));
        dnnl_exec_arg_t args[] = { { DNNL_ARG_DIFF_DST, ddst.inner },
                                   { DNNL_ARG_WEIGHTS, wt.inner },
                                   { DNNL_ARG_DIFF_SRC, dsrc.inner },
                                   { DNNL_ARG_SCRATCHPAD, pad } };
        exec(&r, p.p_bwd_data, 4, args);
        reorder(&r, dsrc.inner, dsrc.user);
    }
    if (!dparams) /* dX alone: the weights' gradient is conv_channels.c's */
        return finish(&p, &r);
    float *dw = dparams + l->param_offset;
    slot src = place(&r, &p.src, x, p.bwd_w, dnnl_query_src_md, 1);
    slot ddst = place(&r, &p.dst, dy, p.bwd_w, dnnl_query_diff_dst_md, 1);
    slot dwt = place(&r, &p.w, dw, p.bwd_w, dnnl_query_diff_weights_md, 0);
    dnnl_memory_t db = mem(&r, &p.bias, dw + n_weights(l));
    dnnl_memory_t pad = mem(&r, want(p.bwd_w, dnnl_query_scratchpad_md), r.next);
    dnnl_exec_arg_t args[] = { { DNNL_ARG_SRC, src.inner }, { DNNL_ARG_DIFF_DST, ddst.inner },
                               { DNNL_ARG_DIFF_WEIGHTS, dwt.inner }, { DNNL_ARG_DIFF_BIAS, db },
                               { DNNL_ARG_SCRATCHPAD, pad } };
    exec(&r, p.p_bwd_w, 5, args);
    reorder(&r, dwt.inner, dwt.user);
    return finish(&p, &r);
}

int os_conv_dnnl_forward(const os_layer *l, const float *params, const float *x, float *y,
                         size_t batch, float *scratch)
{
    int bad;
    ONE_THREAD(bad = forward(l, params, x, y, batch, scratch));
    return bad;
}

int os_conv_dnnl_backward(const os_layer *l, const float *params, const float *x,
                          const float *dy, float *dx, float *dparams, size_t batch,
                          float *scratch)
{
    int bad;
    ONE_THREAD(bad = backward(l, params, x, dy, dx, dparams, batch, scratch));
    return bad;
}

#else /* !HAVE_DNNL */

void os_conv_dnnl_use(int m) { (void)m; }
int os_conv_dnnl_takes(const os_layer *l) { (void)l; return 0; }
size_t os_conv_dnnl_scratch(const os_layer *l, size_t batch) { (void)l; (void)batch; return 0; }
int os_conv_dnnl_forward(const os_layer *l, const float *params, const float *x, float *y,
                         size_t batch, float *scratch)
{
    (void)l; (void)params; (void)x; (void)y; (void)batch; (void)scratch;
    return -1;
}
int os_conv_dnnl_backward(const os_layer *l, const float *params, const float *x,
                          const float *dy, float *dx, float *dparams, size_t batch,
                          float *scratch)
{
    (void)l; (void)params; (void)x; (void)dy; (void)dx; (void)dparams; (void)batch;
    (void)scratch;
    return -1;
}

#endif
