/*
 * Every layer's and every loss's backward against central finite
 * differences (kann's kad_check_grad, in small).  Losses are evaluated in
 * double from float activations; inputs keep away from relu's kink.
 */
#include "tap.h"
#include "model.h"

#define EPS 1e-2
#define TOL 2e-2

static os_rng rng;

static float away_from_zero(void)
{
    double u = os_rng_uniform(&rng);
    return (float)((u < 0.5 ? -1 : 1) * (0.1 + os_rng_uniform(&rng)));
}

/* Scalar objective of a layer: sum(Y .* R) with fixed random R, so dY = R. */
static double objective(const os_layer *l, const float *params, const float *x,
                        const float *r, float *y, size_t batch)
{
    os_layer_forward(l, params, x, y, batch);
    double s = 0;
    for (size_t i = 0; i < batch * l->out; i++)
        s += (double)y[i] * r[i];
    return s;
}

/* Central difference of the layer objective in one coordinate v (an
 * element of params or x). */
static double numeric(const os_layer *l, const float *params, const float *x, const float *r,
                      float *y, size_t batch, float *v)
{
    float keep = *v;
    *v = keep + (float)EPS;
    double up = objective(l, params, x, r, y, batch);
    *v = keep - (float)EPS;
    double down = objective(l, params, x, r, y, batch);
    *v = keep;
    return (up - down) / (2 * EPS);
}

static double rel_err(double a, double b)
{
    return fabs(a - b) / fmax(1e-2, fmax(fabs(a), fabs(b)));
}

static void check_layer(os_layer_kind kind)
{
    const size_t batch = 3, in = 5, out = kind == OS_LAYER_DENSE ? 4 : 5;
    os_layer l = { kind, in, out, 0, os_layer_param_count(kind, in, out) };
    float params[64] = { 0 }, dparams[64] = { 0 }, x[15], y[15], r[15], dx[15];
    for (size_t i = 0; i < l.n_params; i++)
        params[i] = away_from_zero();
    for (size_t i = 0; i < batch * in; i++)
        x[i] = away_from_zero();
    for (size_t i = 0; i < batch * out; i++)
        r[i] = away_from_zero();

    os_layer_forward(&l, params, x, y, batch);
    os_layer_backward(&l, params, x, y, r, dx, dparams, batch);

    double worst_x = 0, worst_p = 0;
    for (size_t i = 0; i < batch * in; i++)
        worst_x = fmax(worst_x, rel_err(numeric(&l, params, x, r, y, batch, &x[i]), dx[i]));
    for (size_t i = 0; i < l.n_params; i++)
        worst_p = fmax(worst_p, rel_err(numeric(&l, params, x, r, y, batch, &params[i]),
                                        dparams[i]));
    ok(worst_x < TOL, "%s: dX matches finite differences (worst relative error %.1e)",
       os_layer_kind_name(kind), worst_x);
    if (l.n_params)
        ok(worst_p < TOL, "%s: dW and db match finite differences (worst %.1e)",
           os_layer_kind_name(kind), worst_p);
}

static void check_loss(os_loss_kind kind)
{
    const size_t batch = 4, k = kind == OS_LOSS_MSE ? 1 : 3;
    float out[12], target[4], dout[12];
    for (size_t i = 0; i < batch * k; i++)
        out[i] = away_from_zero();
    for (size_t i = 0; i < batch; i++)
        target[i] = kind == OS_LOSS_MSE ? away_from_zero() : (float)(i % k);
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

/* The whole model: builder wiring, backward order, gradient buffers. */
static void check_model(os_layer_kind act, os_loss_kind loss)
{
    os_mlp_spec spec = { 2, { 6, 4 }, act, OS_INIT_AUTO, loss };
    os_model m;
    os_workspace ws;
    const size_t batch = 5, in = 3, out = loss == OS_LOSS_MSE ? 1 : 3;
    if (!ok(os_model_build_mlp(&m, &spec, in, out) == 0 && os_workspace_init(&ws, &m, batch) == 0,
            "model %s/%s builds", os_layer_kind_name(act), os_loss_name(loss)))
        return;
    ok(m.layout.n == (3 * 6 + 6) + (6 * 4 + 4) + (4 * out + out) && m.layout.n_tensors == 6,
       "layout: %zu parameters in %zu tensors", m.layout.n, m.layout.n_tensors);
    os_model_init_params(&m, ws.params, &rng);
    float x[15], target[5];
    for (size_t i = 0; i < batch * in; i++)
        x[i] = away_from_zero();
    for (size_t i = 0; i < batch; i++)
        target[i] = loss == OS_LOSS_MSE ? away_from_zero() : (float)(i % out);
    os_model_forward(&m, &ws, x, target, batch, 1, NULL);
    float *analytic = malloc(m.layout.n * sizeof *analytic);
    memcpy(analytic, ws.grads, m.layout.n * sizeof *analytic);
    /* A relu unit whose input crosses zero within ±EPS makes the loss
     * non-differentiable there; such a coordinate shows as one-sided
     * differences that disagree, and is skipped (and counted). */
    double worst = 0, center = os_model_forward(&m, &ws, x, target, batch, 0, NULL);
    size_t kinks = 0;
    for (size_t i = 0; i < m.layout.n; i++) {
        float keep = ws.params[i];
        ws.params[i] = keep + (float)EPS;
        double up = os_model_forward(&m, &ws, x, target, batch, 0, NULL);
        ws.params[i] = keep - (float)EPS;
        double down = os_model_forward(&m, &ws, x, target, batch, 0, NULL);
        ws.params[i] = keep;
        double right = (up - center) / EPS, left = (center - down) / EPS;
        if (fabs(right - left) > 0.2 * fmax(1e-2, fmax(fabs(right), fabs(left)))) {
            kinks++;
            continue;
        }
        worst = fmax(worst, rel_err((up - down) / (2 * EPS), analytic[i]));
    }
    ok(worst < TOL && kinks * 10 < m.layout.n, "model %s/%s: every parameter's gradient "
       "matches (worst %.1e; %zu of %zu at a kink)", os_layer_kind_name(act),
       os_loss_name(loss), worst, kinks, m.layout.n);
    free(analytic);
    os_workspace_free(&ws);
    os_model_free(&m);
}

int main(void)
{
    os_rng_seed(&rng, 42, 7);
    check_layer(OS_LAYER_DENSE);
    check_layer(OS_LAYER_RELU);
    check_layer(OS_LAYER_TANH);
    check_layer(OS_LAYER_SIGMOID);
    check_loss(OS_LOSS_CROSS_ENTROPY);
    check_loss(OS_LOSS_MSE);
    check_model(OS_LAYER_TANH, OS_LOSS_CROSS_ENTROPY);
    check_model(OS_LAYER_SIGMOID, OS_LOSS_MSE);
    check_model(OS_LAYER_RELU, OS_LOSS_CROSS_ENTROPY);
    return done_testing();
}
