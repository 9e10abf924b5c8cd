/*
 * Every layer's and every loss's backward against central finite
 * differences (kann's kad_check_grad, in small).  Losses are evaluated in
 * double from float activations; inputs keep away from relu's kink.
 */
#include <config.h>
#include <string.h>
#include "tap.h"
#include "conv.h"
#include "model.h"

#define EPS 1e-2
#define TOL 2e-2

static os_rng rng;

static float away_from_zero(void)
{
    double u = os_rng_uniform(&rng);
    return (float)((u < 0.5 ? -1 : 1) * (0.1 + os_rng_uniform(&rng)));
}

/* a[0..n) = scale × values away from zero, in the rng's order. */
static void fill(float *a, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        a[i] = scale * away_from_zero();
}

/* Scalar objective of a layer: sum(Y .* R) with fixed random R, so dY = R. */
static double objective(const os_layer *l, const float *params, const float *x,
                        const float *r, float *y, float *scratch)
{
    os_layer_forward(l, params, x, y, 3, scratch);
    double s = 0;
    for (size_t i = 0; i < 3 * l->out; i++)
        s += (double)y[i] * r[i];
    return s;
}

/* a[0..n) = values 3 EPS apart, centred on zero, in a random order.  A
 * max-pool's inputs: two values of a window within EPS of each other make
 * a switch inside the difference's span, which the kink test below
 * catches only where the two are not nearly EPS apart (a window whose
 * values differ by 0.9 EPS gives a central difference 5% off and no kink);
 * with every gap over 2 EPS no window switches. */
static void spread(float *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = (float)(3 * EPS * ((double)i - 0.5 * (double)n));
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)os_rng_below(&rng, i);
        float t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* The finite differences' step: EPS, but for layers that are linear in each
 * coordinate, whose differences are exact at any step (check_linear). */
static double step = EPS;

/* Central difference of the objective in one coordinate v (an element of
 * params or x), or NaN at a kink: where one-sided differences disagree, a
 * relu or a max switched branches within ±EPS and no derivative exists. */
static double numeric(const os_layer *l, const float *params, const float *x, const float *r,
                      float *y, float *scratch, float *v)
{
    float keep = *v;
    double center = objective(l, params, x, r, y, scratch);
    *v = keep + (float)step;
    double up = objective(l, params, x, r, y, scratch);
    *v = keep - (float)step;
    double down = objective(l, params, x, r, y, scratch);
    *v = keep;
    double right = (up - center) / step, left = (center - down) / step;
    if (fabs(right - left) > 0.2 * fmax(1e-2, fmax(fabs(right), fabs(left))))
        return NAN;
    return (up - down) / (2 * step);
}

static double rel_err(double a, double b)
{
    return fabs(a - b) / fmax(1e-2, fmax(fabs(a), fabs(b)));
}

/* Checks dX and dparams of layer l (geometry filled in) on a batch of 3. */
static void check_layer(os_layer l, const char *name)
{
    const size_t batch = 3;
    size_t np = l.n_params, nx = batch * l.in, ny = batch * l.out;
    float *params = calloc(np + 1, sizeof *params), *dparams = calloc(np + 1, sizeof *params);
    float *x = calloc(nx, sizeof *x), *dx = calloc(nx, sizeof *x);
    float *y = calloc(ny, sizeof *y), *r = calloc(ny, sizeof *r);
    float *scratch = calloc(os_layer_scratch(&l, batch) + 1, sizeof *scratch);
    fill(params, np, 0.5f);
    fill(x, nx, 1.0f);
    fill(r, ny, 1.0f);
    if (l.kind == OS_LAYER_MAXPOOL2D)
        spread(x, nx);

    os_layer_forward(&l, params, x, y, batch, scratch);
    os_layer_backward(&l, params, x, y, r, dx, dparams, batch, scratch);

    double worst_x = 0, worst_p = 0;
    size_t kinks = 0;
    for (size_t i = 0; i < nx; i++) {
        double d = numeric(&l, params, x, r, y, scratch, &x[i]);
        if (isnan(d))
            kinks++;
        else
            worst_x = fmax(worst_x, rel_err(d, dx[i]));
    }
    for (size_t i = 0; i < np; i++) {
        double d = numeric(&l, params, x, r, y, scratch, &params[i]);
        if (isnan(d))
            kinks++;
        else
            worst_p = fmax(worst_p, rel_err(d, dparams[i]));
    }
    ok(worst_x < TOL && kinks * 10 < nx + np, "%s: dX matches finite differences (worst "
       "relative error %.1e; %zu of %zu coordinates at a kink)", name, worst_x, kinks, nx + np);
    if (np)
        ok(worst_p < TOL, "%s: dW and db match finite differences (worst %.1e)", name, worst_p);
    free(params), free(dparams), free(x), free(dx), free(y), free(r), free(scratch);
}

/* The same for a convolution whose forward rounds more than the others'
 * (Winograd's form: a few 1e-6 of its largest output, where the direct sum
 * rounds to about 1e-7): a convolution is linear in each coordinate, so a
 * step of 0.25 has no truncation error and divides the rounding's share of
 * the difference by 25. */
static void check_linear(os_layer l, const char *name)
{
    step = 0.25;
    check_layer(l, name);
    step = EPS;
}

static os_layer simple(os_layer_kind kind, size_t in, size_t out)
{
    return (os_layer){ .kind = kind, .in = in, .out = out,
                       .n_params = os_layer_param_count(kind, in, out) };
}

static void check_loss(os_loss_kind kind)
{
    const size_t batch = 4, k = kind == OS_LOSS_CROSS_ENTROPY ? 3 : 1;
    float out[12], target[4], dout[12];
    for (size_t i = 0; i < batch * k; i++)
        out[i] = away_from_zero();
    for (size_t i = 0; i < batch; i++)
        target[i] = kind == OS_LOSS_MSE ? away_from_zero()
                  : kind == OS_LOSS_BINARY_CE ? (float)(i % 2) : (float)(i % k);
    os_loss(kind, out, target, batch, k, dout, NULL);
    double worst = 0;
    for (size_t i = 0; i < batch * k; i++) {
        float keep = out[i];
        out[i] = keep + (float)EPS;
        double up = os_loss(kind, out, target, batch, k, NULL, NULL);
        out[i] = keep - (float)EPS;
        double down = os_loss(kind, out, target, batch, k, NULL, NULL);
        out[i] = keep;
        worst = fmax(worst, rel_err((up - down) / (2 * EPS), dout[i]));
    }
    ok(worst < TOL, "%s loss: gradient matches finite differences (worst %.1e)",
       os_loss_name(kind), worst);
}

/* A step split into chunks (data-parallel steps): rows 2, 2 and 1 of the
 * batch of 5, their gradients weighted by rows and summed in chunk order.
 * The same gradient as the whole batch's up to rounding, and the same bits
 * on 1 and on 3 threads. */
static void check_split(const os_model *m, os_workspace *ws, const float *x,
                        const float *target, size_t batch, const float *whole, double loss)
{
    const size_t split = 3, n = m->layout.n;
    os_workspace chunks[2];
    float *first = malloc(n * sizeof *first);
    for (size_t c = 0; c < split - 1; c++)
        os_workspace_init_sharing(&chunks[c], m, os_split_rows(batch, split, 0), ws->params);
    ok(chunks[0].params == ws->params && chunks[1].params == ws->params,
       "split: the chunks read the trial's parameters");
    double l1 = 0, l3 = 0;
    for (int threads = 1; threads <= 3; threads += 2) {
        memcpy(ws->act[0], x, batch * m->in * sizeof *x);
        double l = os_model_train_split(m, ws, chunks, split, target, batch, threads);
        if (threads == 1) {
            l1 = l;
            memcpy(first, ws->grads, n * sizeof *first);
        } else {
            l3 = l;
        }
    }
    double worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(first[i] - whole[i]) / fmax(1e-3, fabs(whole[i])));
    ok(worst < 1e-4 && fabs(l1 - loss) < 1e-6 * fmax(1, fabs(loss)),
       "split in 3: the whole batch's gradient (worst relative gap %.1e) and loss", worst);
    ok(l1 == l3 && !memcmp(first, ws->grads, n * sizeof *first),
       "split in 3: the same bits on 1 and 3 threads");
    for (size_t c = 0; c < split - 1; c++)
        os_workspace_free(&chunks[c]);
    free(first);
}

/* The whole model: builder wiring, backward order, gradient buffers.  With
 * conv set, a CNN on 1x6x6 images: conv 2@3x3 pad 1, pool 2, dense 4. */
static void check_model(os_layer_kind act, os_loss_kind loss, int conv)
{
    os_model_spec spec = { .n_hidden = 2, .hidden = { 6, 4 }, .activation = act,
                           .init = OS_INIT_AUTO, .loss = loss, .pool = 2 };
    if (conv) {
        spec.n_hidden = 1;
        spec.hidden[0] = 4;
        spec.n_conv = 1;
        spec.conv[0] = (os_conv_spec){ 2, 3, 1, 1 };
        spec.image[0] = 1, spec.image[1] = 6, spec.image[2] = 6;
    }
    os_model m;
    os_workspace ws;
    const size_t batch = 5, in = conv ? 36 : 3, out = loss == OS_LOSS_MSE ? 1 : 3;
    if (!ok(os_model_build(&m, &spec, in, out) == 0 && os_workspace_init(&ws, &m, batch) == 0,
            "model %s%s/%s builds", conv ? "cnn " : "", os_layer_kind_name(act),
            os_loss_name(loss)))
        return;
    size_t want = conv ? (2 * 9 + 2) + (18 * 4 + 4) + (4 * out + out)
                       : (3 * 6 + 6) + (6 * 4 + 4) + (4 * out + out);
    ok(m.layout.n == want && m.layout.n_tensors == 6,
       "layout: %zu parameters in %zu tensors", m.layout.n, m.layout.n_tensors);
    int roles_ok = m.layout.roles != NULL;
    for (size_t t = 0; roles_ok && t < m.layout.n_tensors; t++)
        roles_ok = m.layout.roles[t] == (strstr(m.layout.tensors[t].name, ".weight")
                                         ? OS_ROLE_WEIGHT : OS_ROLE_BIAS) &&
                   (m.layout.tensors[t].ndim == 1) == (m.layout.roles[t] == OS_ROLE_BIAS);
    ok(roles_ok, "layout: each tensor's role (weight or bias) matches its name and shape");
    os_model_init_params(&m, ws.params, &rng);
    float x[5 * 36], target[5];
    for (size_t i = 0; i < batch * in; i++)
        x[i] = away_from_zero();
    for (size_t i = 0; i < batch; i++)
        target[i] = loss == OS_LOSS_MSE ? away_from_zero() : (float)(i % out);
    os_model_forward(&m, &ws, x, target, batch, 1, NULL);
    float *analytic = malloc(m.layout.n * sizeof *analytic);
    memcpy(analytic, ws.grads, m.layout.n * sizeof *analytic);
    /* A relu unit or a max-pool window that switches within ±h makes the
     * loss non-differentiable there; such a coordinate shows as one-sided
     * differences that disagree, and is skipped (and counted).  The step is
     * smaller than the layers' EPS: through a max-pool, a switch on one side
     * only bends a one-sided slope by less than the detector sees at 1e-2. */
    const double h = 1e-3;
    double worst = 0, center = os_model_forward(&m, &ws, x, target, batch, 0, NULL);
    size_t kinks = 0;
    for (size_t i = 0; i < m.layout.n; i++) {
        float keep = ws.params[i];
        ws.params[i] = keep + (float)h;
        double up = os_model_forward(&m, &ws, x, target, batch, 0, NULL);
        ws.params[i] = keep - (float)h;
        double down = os_model_forward(&m, &ws, x, target, batch, 0, NULL);
        ws.params[i] = keep;
        double right = (up - center) / h, left = (center - down) / h;
        if (fabs(right - left) > 0.2 * fmax(1e-2, fmax(fabs(right), fabs(left)))) {
            kinks++;
            continue;
        }
        worst = fmax(worst, rel_err((up - down) / (2 * h), analytic[i]));
    }
    ok(worst < TOL && kinks * 10 < m.layout.n, "model %s/%s: every parameter's gradient "
       "matches (worst %.1e; %zu of %zu at a kink)", os_layer_kind_name(act),
       os_loss_name(loss), worst, kinks, m.layout.n);
    check_split(&m, &ws, x, target, batch, analytic, center);
    free(analytic);
    os_workspace_free(&ws);
    os_model_free(&m);
}

/* A convolution lowers a batch in chunks of images (conv.c): a layer large
 * enough that a batch of 3 goes in chunks of 2 and 1 must compute what it
 * computes one image at a time. */
static double worst_gap(const float *a, const float *b, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs((double)a[i] - b[i]) / fmax(1e-3, fabs((double)b[i])));
    return worst;
}

static void check_chunks(void)
{
    os_conv_dnnl_use(0); /* the lowering's chunks, whatever the build */
    os_conv_sparse_use(0);
    os_conv_channels_use(0);
    const os_layer l = os_layer_conv2d(64, 16, 16, 2, 5, 2, 1);
    const size_t batch = 3, np = l.n_params, nx = batch * l.in, ny = batch * l.out;
    float *p = calloc(np, sizeof *p), *x = calloc(nx, sizeof *x), *r = calloc(ny, sizeof *r);
    float *y = calloc(ny, sizeof *y), *y1 = calloc(ny, sizeof *y1);
    float *dx = calloc(nx, sizeof *dx), *dx1 = calloc(nx, sizeof *dx1);
    float *dp = calloc(np, sizeof *dp), *dp1 = calloc(np, sizeof *dp1), *acc = calloc(np, sizeof *acc);
    float *scratch = calloc(os_layer_scratch(&l, batch), sizeof *scratch);
    fill(p, np, 0.1f);
    fill(x, nx, 1.0f);
    fill(r, ny, 1.0f);
    os_layer_forward(&l, p, x, y, batch, scratch);
    os_layer_backward(&l, p, x, y, r, dx, dp, batch, scratch);
    for (size_t b = 0; b < batch; b++) {
        os_layer_forward(&l, p, x + b * l.in, y1 + b * l.out, 1, scratch);
        os_layer_backward(&l, p, x + b * l.in, y1 + b * l.out, r + b * l.out, dx1 + b * l.in,
                          dp1, 1, scratch);
        for (size_t i = 0; i < np; i++)
            acc[i] += dp1[i];
    }
    ok(os_conv_chunk(&l, batch) == 2, "a 64x16x16 -> 2@5x5 layer lowers 2 images at a time");
    ok(worst_gap(y, y1, ny) < 1e-5 && worst_gap(dx, dx1, nx) < 1e-5 &&
       worst_gap(dp, acc, np) < 5e-4, "in chunks of 2 and 1 it computes Y, dX and dW as one "
       "image at a time does (%.2g, %.2g, %.2g)", worst_gap(y, y1, ny), worst_gap(dx, dx1, nx),
       worst_gap(dp, acc, np));
    free(p), free(x), free(r), free(y), free(y1), free(dx), free(dx1), free(dp), free(dp1);
    free(acc), free(scratch);
    os_conv_dnnl_use(1);
    os_conv_sparse_use(1);
    os_conv_channels_use(1);
}

/* The largest difference between a and b against b's largest value. */
static double scaled_gap(const float *a, const float *b, size_t n)
{
    double worst = 0, scale = 1e-30;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs((double)b[i]));
    }
    return worst / scale;
}

/* oneDNN, where the build has it, computes what the lowering computes on
 * LeNet's second layer (16 -> 32 channels, 5x5, 14x14), the same bits twice. */
static void check_dnnl(void)
{
    const os_layer l = os_layer_conv2d(16, 14, 14, 32, 5, 0, 1);
#ifdef HAVE_DNNL
    ok(os_conv_dnnl_takes(&l), "a build with oneDNN hands it LeNet's second layer");
#else
    ok(!os_conv_dnnl_takes(&l), "a build without oneDNN lowers every layer itself");
#endif
    const size_t batch = 5, np = l.n_params, nx = batch * l.in, ny = batch * l.out;
    float *p = calloc(np, sizeof *p), *x = calloc(nx, sizeof *x), *r = calloc(ny, sizeof *r);
    float *out[2][3], *scratch = calloc(os_layer_scratch(&l, batch), sizeof *scratch);
    fill(p, np, 0.1f);
    fill(x, nx, 1.0f);
    fill(r, ny, 1.0f);
    os_conv_channels_use(0); /* oneDNN's own directions and the lowering's */
    os_conv_sparse_use(0);
    os_conv_winograd_use(0);
    for (int k = 0; k < 2; k++) { /* oneDNN (if built), then the lowering */
        os_conv_dnnl_use(!k);
        out[k][0] = calloc(ny, sizeof(float)), out[k][1] = calloc(nx, sizeof(float));
        out[k][2] = calloc(np, sizeof(float));
        os_layer_forward(&l, p, x, out[k][0], batch, scratch);
        os_layer_backward(&l, p, x, out[k][0], r, out[k][1], out[k][2], batch, scratch);
    }
    os_conv_dnnl_use(1);
    float *again = calloc(np, sizeof *again), *dx = calloc(nx, sizeof *dx);
    os_layer_backward(&l, p, x, out[0][0], r, dx, again, batch, scratch);
    double gy = scaled_gap(out[0][0], out[1][0], ny), gx = scaled_gap(out[0][1], out[1][1], nx);
    double gw = scaled_gap(out[0][2], out[1][2], np);
    ok(gy < 1e-5 && gx < 1e-5 && gw < 1e-5, "it computes Y, dX and dW as the lowering does "
       "(largest gaps %.2g, %.2g, %.2g of the largest values)", gy, gx, gw);
    ok(!memcmp(again, out[0][2], np * sizeof *again), "... and the same bits when run again");
#ifdef HAVE_DNNL
    /* not the lowering that a call oneDNN refused falls back to */
    memset(again, 0, np * sizeof *again);
    int rc = os_conv_dnnl_backward(&l, p, x, r, dx, again, batch, scratch);
    ok(rc == 0 && !memcmp(again, out[0][2], np * sizeof *again),
       "... which oneDNN computed itself");
#endif
    os_conv_channels_use(1);
    os_conv_sparse_use(1);
    os_conv_winograd_use(1);
    for (int k = 0; k < 2; k++)
        free(out[k][0]), free(out[k][1]), free(out[k][2]);
    free(p), free(x), free(r), free(scratch), free(again), free(dx);
}

int main(void)
{
    os_rng_seed(&rng, 42, 7);
    check_layer(simple(OS_LAYER_DENSE, 5, 4), "dense");
    check_layer(simple(OS_LAYER_RELU, 5, 5), "relu");
    check_layer(simple(OS_LAYER_TANH, 5, 5), "tanh");
    check_layer(simple(OS_LAYER_SIGMOID, 5, 5), "sigmoid");
    check_layer(simple(OS_LAYER_LEAKY_RELU, 5, 5), "leaky_relu");
    check_layer(simple(OS_LAYER_GELU, 5, 5), "gelu");
    check_layer(os_layer_conv2d(2, 4, 5, 3, 3, 1, 1), "conv2d 2x4x5 -> 3@3x3 pad 1");
    check_layer(os_layer_conv2d(1, 5, 5, 2, 2, 0, 1), "conv2d 1x5x5 -> 2@2x2 no pad");
    check_layer(os_layer_conv2d(2, 7, 6, 2, 3, 1, 2), "conv2d 2x7x6 -> 2@3x3 pad 1 stride 2");
    check_layer(os_layer_conv2d(1, 6, 7, 2, 5, 2, 1), "conv2d 1x6x7 -> 2@5x5 pad 2 (LeNet's first)");
    check_layer(os_layer_conv2d(2, 4, 21, 2, 3, 1, 1), "conv2d 2x4x21 -> 2@3x3 pad 1 (rows of 21)");
    check_layer(os_layer_conv2d(1, 5, 5, 11, 3, 1, 1),
                "conv2d 1x5x5 -> 11@3x3 pad 1 (bias sums: a block of 8 channels and 3 more)");
    /* one channel, rows of 8 or more: conv_direct.c's forward where the CPU has AVX2 */
    check_layer(os_layer_conv2d(1, 4, 9, 5, 3, 1, 1), "conv2d 1x4x9 -> 5@3x3 pad 1 (rows of 9)");
    check_layer(os_layer_maxpool2d(2, 4, 6, 2), "maxpool2d 2x4x6 window 2");
    check_layer(os_layer_maxpool2d(2, 5, 7, 2), "maxpool2d 2x5x7 window 2 (an edge left over)");
    check_layer(os_layer_maxpool2d(1, 6, 6, 3), "maxpool2d 1x6x6 window 3");
    /* rows of 5, 8 and 9 outputs: pool.c's AVX2 kernels where the CPU has them */
    check_layer(os_layer_maxpool2d(2, 4, 10, 2), "maxpool2d 2x4x10 window 2");
    check_layer(os_layer_maxpool2d(1, 2, 16, 2), "maxpool2d 1x2x16 window 2");
    check_layer(os_layer_maxpool2d(2, 4, 18, 2), "maxpool2d 2x4x18 window 2");
    check_chunks();
    check_loss(OS_LOSS_CROSS_ENTROPY);
    check_loss(OS_LOSS_MSE);
    check_loss(OS_LOSS_BINARY_CE);
    check_model(OS_LAYER_TANH, OS_LOSS_CROSS_ENTROPY, 0);
    check_model(OS_LAYER_SIGMOID, OS_LOSS_MSE, 0);
    check_model(OS_LAYER_RELU, OS_LOSS_CROSS_ENTROPY, 0);
    check_model(OS_LAYER_GELU, OS_LOSS_CROSS_ENTROPY, 1);
    check_model(OS_LAYER_LEAKY_RELU, OS_LOSS_MSE, 1);
    /* eight input channels and more go to oneDNN in a build that has it */
    check_layer(os_layer_conv2d(8, 5, 4, 3, 3, 1, 1), "conv2d 8x5x4 -> 3@3x3 pad 1");
    check_layer(os_layer_conv2d(9, 7, 6, 2, 3, 1, 2), "conv2d 9x7x6 -> 2@3x3 pad 1 stride 2");
    /* channels in eights: conv_channels.c's kernels beside the lowering's or oneDNN's */
    check_layer(os_layer_conv2d(2, 5, 6, 8, 3, 1, 1), "conv2d 2x5x6 -> 8@3x3 pad 1");
    check_layer(os_layer_conv2d(8, 5, 4, 16, 3, 1, 2), "conv2d 8x5x4 -> 16@3x3 pad 1 stride 2");
    /* channels in eights, stride 1: the forward in Winograd's form (F(4x4, 3x3) and
     * F(2x2, 5x5), a row and a column of tiles cut short) */
    check_linear(os_layer_conv2d(8, 6, 7, 8, 3, 1, 1), "conv2d 8x6x7 -> 8@3x3 pad 1 (Winograd)");
    check_linear(os_layer_conv2d(8, 7, 6, 8, 5, 2, 1), "conv2d 8x7x6 -> 8@5x5 pad 2 (Winograd)");
    check_dnnl();
    return done_testing();
}
