/*
 * conv_dnnl.c — the CNN step's two convolutions (configs/fashion-mnist-cnn.ini:
 * 1 -> 16 channels, 5x5, pad 2 on 28x28; 16 -> 32, 5x5 on 14x14), forward and
 * backward at batch 128 on one thread: optselect's batch-lowered convolutions
 * (models/conv.c) against oneDNN's (Debian's libdnnl-dev, the library PyTorch
 * runs them in), to decide whether optselect should use oneDNN
 * (docs/performance.md).  bench/conv_dnnl.sh builds and runs it.
 *
 * Columns, all on optselect's NCHW buffers:
 *   lowering — models/conv.c's im2col and sgemm;
 *   layer    — the layer as optselect runs it: oneDNN for the layers that
 *              os_conv_dnnl_takes (models/conv_dnnl.c), each call
 *              describing its primitives again (from oneDNN's cache);
 *   plain    — oneDNN with every tensor described as NCHW / OIHW;
 *   blocked  — oneDNN in the layouts it prefers (format "any"), with the
 *              reorders from and to NCHW / OIHW that a step pays.
 * Prints, per layer and in all, milliseconds per step (the best of rounds)
 * and oneDNN's implementation names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dnnl.h>
#include "../models/conv.h"

#define BATCH 128
#define ROUNDS 7
#define REPS 10

#define CHECK(call) do { dnnl_status_t s_ = (call); if (s_ != dnnl_success) { \
    fprintf(stderr, "conv_dnnl: %s failed (%d)\n", #call, (int)s_); exit(1); } } while (0)

typedef struct shape { int c, h, w, c_out, k, pad, need_dx; } shape;

static const shape shapes[] = {
    { 1, 28, 28, 16, 5, 2, 0 },   /* conv1: the input needs no gradient */
    { 16, 14, 14, 32, 5, 0, 1 },
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *randoms(size_t n)
{
    float *p = malloc(n * sizeof *p);
    if (!p) { perror("conv_dnnl"); exit(1); }
    for (size_t i = 0; i < n; i++)
        p[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    return p;
}

/* Best milliseconds of one call of fn(arg), over rounds of REPS calls. */
static double best_ms(void (*fn)(void *), void *arg)
{
    double best = 1e30;
    fn(arg);
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now();
        for (int i = 0; i < REPS; i++)
            fn(arg);
        double ms = (now() - t0) * 1e3 / REPS;
        if (ms < best)
            best = ms;
    }
    return best;
}

/* ---- optselect's convolution ---------------------------------------- */

typedef struct ours {
    os_layer l;
    float *params, *x, *y, *dy, *dx, *dparams, *scratch;
    int need_dx;
} ours;

static void ours_step(void *arg)
{
    ours *o = arg;
    os_conv_forward(&o->l, o->params, o->x, o->y, BATCH, o->scratch);
    os_conv_backward(&o->l, o->params, o->x, o->dy, o->need_dx ? o->dx : NULL, o->dparams,
                     BATCH, o->scratch);
}

static double time_ours(const shape *s, int dnnl)
{
    os_conv_dnnl_use(dnnl);
    ours o = { .need_dx = s->need_dx };
    o.l = os_layer_conv2d((size_t)s->c, (size_t)s->h, (size_t)s->w, (size_t)s->c_out,
                          (size_t)s->k, (size_t)s->pad, 1);
    o.l.param_offset = 0;
    o.params = randoms(o.l.n_params);
    o.dparams = randoms(o.l.n_params);
    o.x = randoms(BATCH * o.l.in);
    o.dx = randoms(BATCH * o.l.in);
    o.y = randoms(BATCH * o.l.out);
    o.dy = randoms(BATCH * o.l.out);
    o.scratch = randoms(os_conv_scratch(&o.l, BATCH) + 1);
    double ms = best_ms(ours_step, &o);
    free(o.params); free(o.dparams); free(o.x); free(o.dx); free(o.y); free(o.dy);
    free(o.scratch);
    return ms;
}

/* ---- oneDNN ----------------------------------------------------------- */

static dnnl_engine_t engine;
static dnnl_stream_t stream;

/* One tensor: the user's NCHW buffer and, when the primitive wants another
 * layout, its own buffer and the reorder between the two. */
typedef struct tensor {
    dnnl_memory_t user, inner;   /* inner == user when no reorder is needed */
    dnnl_primitive_t reorder;    /* user -> inner (an input) or back (an output) */
} tensor;

static dnnl_memory_desc_t md4(int a, int b, int c, int d, int any, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t dims = { a, b, c, d };
    CHECK(dnnl_memory_desc_init_by_tag(&md, 4, dims, dnnl_f32, any ? dnnl_format_tag_any : tag));
    return md;
}

static tensor bind(const dnnl_memory_desc_t *user_md, float *buf,
                   const_dnnl_primitive_desc_t pd, dnnl_query_t what, int output)
{
    tensor t = { 0 };
    const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(pd, what, 0);
    CHECK(dnnl_memory_create(&t.user, user_md, engine, buf));
    if (dnnl_memory_desc_equal(want, user_md)) {
        t.inner = t.user;
        return t;
    }
    CHECK(dnnl_memory_create(&t.inner, want, engine, DNNL_MEMORY_ALLOCATE));
    dnnl_primitive_desc_t rpd;
    if (output)
        CHECK(dnnl_reorder_primitive_desc_create(&rpd, want, engine, user_md, engine, NULL));
    else
        CHECK(dnnl_reorder_primitive_desc_create(&rpd, user_md, engine, want, engine, NULL));
    CHECK(dnnl_primitive_create(&t.reorder, rpd));
    dnnl_primitive_desc_destroy(rpd);
    return t;
}

static void reorder(const tensor *t, int output)
{
    if (!t->reorder)
        return;
    dnnl_exec_arg_t a[2] = { { DNNL_ARG_FROM, output ? t->inner : t->user },
                             { DNNL_ARG_TO, output ? t->user : t->inner } };
    CHECK(dnnl_primitive_execute(t->reorder, stream, 2, a));
}

typedef struct dnn {
    int need_dx;
    dnnl_primitive_t fwd, bwd_data, bwd_weights;
    tensor src, w, b, dst, ddst, dsrc, dw, db;
    /* the inputs of backward-weights when its layouts differ from forward's */
    tensor src_bw, ddst_bw;
} dnn;

static void dnn_step(void *arg)
{
    dnn *d = arg;
    reorder(&d->src, 0);
    reorder(&d->w, 0);
    dnnl_exec_arg_t f[] = { { DNNL_ARG_SRC, d->src.inner }, { DNNL_ARG_WEIGHTS, d->w.inner },
                            { DNNL_ARG_BIAS, d->b.inner }, { DNNL_ARG_DST, d->dst.inner } };
    CHECK(dnnl_primitive_execute(d->fwd, stream, 4, f));
    reorder(&d->dst, 1);
    reorder(&d->ddst, 0);
    if (d->need_dx) {
        dnnl_exec_arg_t bd[] = { { DNNL_ARG_DIFF_DST, d->ddst.inner },
                                 { DNNL_ARG_WEIGHTS, d->w.inner },
                                 { DNNL_ARG_DIFF_SRC, d->dsrc.inner } };
        CHECK(dnnl_primitive_execute(d->bwd_data, stream, 3, bd));
        reorder(&d->dsrc, 1);
    }
    reorder(&d->src_bw, 0);
    reorder(&d->ddst_bw, 0);
    dnnl_exec_arg_t bw[] = { { DNNL_ARG_SRC, d->src_bw.inner },
                             { DNNL_ARG_DIFF_DST, d->ddst_bw.inner },
                             { DNNL_ARG_DIFF_WEIGHTS, d->dw.inner },
                             { DNNL_ARG_DIFF_BIAS, d->db.inner } };
    CHECK(dnnl_primitive_execute(d->bwd_weights, stream, 4, bw));
    reorder(&d->dw, 1);
    CHECK(dnnl_stream_wait(stream));
}

static const char *impl(const_dnnl_primitive_desc_t pd)
{
    const char *name = "?";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
    return name;
}

static double time_dnnl(const shape *s, int any, char *names, size_t names_size)
{
    int ho = s->h + 2 * s->pad - s->k + 1, wo = s->w + 2 * s->pad - s->k + 1;
    dnnl_memory_desc_t src = md4(BATCH, s->c, s->h, s->w, 0, dnnl_nchw);
    dnnl_memory_desc_t dst = md4(BATCH, s->c_out, ho, wo, 0, dnnl_nchw);
    dnnl_memory_desc_t w = md4(s->c_out, s->c, s->k, s->k, 0, dnnl_oihw);
    dnnl_memory_desc_t src_a = md4(BATCH, s->c, s->h, s->w, any, dnnl_nchw);
    dnnl_memory_desc_t dst_a = md4(BATCH, s->c_out, ho, wo, any, dnnl_nchw);
    dnnl_memory_desc_t w_a = md4(s->c_out, s->c, s->k, s->k, any, dnnl_oihw);
    dnnl_memory_desc_t b;
    dnnl_dims_t bdims = { s->c_out };
    CHECK(dnnl_memory_desc_init_by_tag(&b, 1, bdims, dnnl_f32, dnnl_x));
    dnnl_dims_t strides = { 1, 1 }, pad = { s->pad, s->pad };

    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t fpd, dpd = NULL, wpd;
    CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct,
                                             &src_a, &w_a, &b, &dst_a, strides, pad, pad));
    CHECK(dnnl_primitive_desc_create(&fpd, &cd, NULL, engine, NULL));
    if (s->need_dx) {
        CHECK(dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &src_a, &w_a,
                                                       &dst_a, strides, pad, pad));
        CHECK(dnnl_primitive_desc_create(&dpd, &cd, NULL, engine, fpd));
    }
    CHECK(dnnl_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &src_a, &w_a,
                                                      &b, &dst_a, strides, pad, pad));
    CHECK(dnnl_primitive_desc_create(&wpd, &cd, NULL, engine, fpd));

    size_t nx = (size_t)BATCH * s->c * s->h * s->w, ny = (size_t)BATCH * s->c_out * ho * wo;
    size_t nw = (size_t)s->c_out * s->c * s->k * s->k;
    float *x = randoms(nx), *dx = randoms(nx), *y = randoms(ny), *dy = randoms(ny);
    float *wt = randoms(nw), *dwt = randoms(nw), *bias = randoms(s->c_out),
          *dbias = randoms(s->c_out);

    dnn d = { .need_dx = s->need_dx };
    CHECK(dnnl_primitive_create(&d.fwd, fpd));
    CHECK(dnnl_primitive_create(&d.bwd_weights, wpd));
    d.src = bind(&src, x, fpd, dnnl_query_src_md, 0);
    d.w = bind(&w, wt, fpd, dnnl_query_weights_md, 0);
    CHECK(dnnl_memory_create(&d.b.user, &b, engine, bias));   /* a vector: no layouts */
    d.b.inner = d.b.user;
    d.dst = bind(&dst, y, fpd, dnnl_query_dst_md, 1);
    if (dpd) {
        CHECK(dnnl_primitive_create(&d.bwd_data, dpd));
        d.ddst = bind(&dst, dy, dpd, dnnl_query_diff_dst_md, 0);
        d.dsrc = bind(&src, dx, dpd, dnnl_query_diff_src_md, 1);
    }
    d.src_bw = bind(&src, x, wpd, dnnl_query_src_md, 0);
    d.ddst_bw = bind(&dst, dy, wpd, dnnl_query_diff_dst_md, 0);
    d.dw = bind(&w, dwt, wpd, dnnl_query_diff_weights_md, 1);
    CHECK(dnnl_memory_create(&d.db.user, &b, engine, dbias));
    d.db.inner = d.db.user;

    snprintf(names, names_size, "fwd %s%s%s, bwd-weights %s", impl(fpd),
             dpd ? ", bwd-data " : "", dpd ? impl(dpd) : "", impl(wpd));
    double ms = best_ms(dnn_step, &d);
    dnnl_primitive_desc_destroy(fpd);
    dnnl_primitive_desc_destroy(wpd);
    if (dpd)
        dnnl_primitive_desc_destroy(dpd);
    free(x); free(dx); free(y); free(dy); free(wt); free(dwt); free(bias); free(dbias);
    return ms;
}

int main(void)
{
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    const dnnl_version_t *v = dnnl_version();
    printf("oneDNN %d.%d.%d, batch %d, one thread, ms per step (best of %d rounds of %d)\n",
           v->major, v->minor, v->patch, BATCH, ROUNDS, REPS);
    printf("%-6s %9s %9s %9s %9s\n", "layer", "lowering", "layer", "plain", "blocked");
    double tot[4] = { 0 };
    char names[2][512];
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        double t[4] = { time_ours(&shapes[i], 0), time_ours(&shapes[i], 1),
                        time_dnnl(&shapes[i], 0, names[0], sizeof names[0]),
                        time_dnnl(&shapes[i], 1, names[1], sizeof names[1]) };
        printf("conv%-2zu %9.2f %9.2f %9.2f %9.2f\n", i + 1, t[0], t[1], t[2], t[3]);
        printf("  plain:   %s\n  blocked: %s\n", names[0], names[1]);
        for (int k = 0; k < 4; k++)
            tot[k] += t[k];
    }
    printf("%-6s %9.2f %9.2f %9.2f %9.2f\n", "both", tot[0], tot[1], tot[2], tot[3]);
    return 0;
}
