/*
 * adafactor — Adafactor (Shazeer & Stern, 2018, "Adafactor: Adaptive
 * Learning Rates with Sublinear Memory Cost", Algorithms 4 and 5): second
 * moments of a matrix kept as a row vector and a column vector, update
 * clipping, and a step relative to the parameters' scale.  The learning rate
 * comes from the host (the paper's rho_t, whose schedule min(1e-2, 1/sqrt t)
 * is the host's business), as in the transformers port of the authors' code
 * with relative_step=False.  Per tensor of the layout:
 *
 *     beta2_t = 1 - t^decay_rate                         (decay_rate = -0.8)
 *     G2      = g^2 + eps1
 *     matrix [rows x cols] (both >= 2):
 *         R = beta2_t R + (1 - beta2_t) * rowmean(G2);  C = likewise colmean(G2)
 *         u = g / sqrt((R / mean(R)) C)
 *     otherwise:  V = beta2_t V + (1 - beta2_t) G2;  u = g / sqrt(V)
 *     u      /= max(1, RMS(u) / clip_threshold)
 *     u      *= lr * (scale_parameter ? max(eps2, RMS(p)) : 1)
 *     m       = beta1 m + (1 - beta1) u;  u = m       (beta1 > 0 only)
 *     p      -= weight_decay * lr_scaled * p + u
 */
#include <math.h>
#include <string.h>
#include "plugin_util.h"

enum { HP_DECAY_RATE, HP_CLIP, HP_BETA1, HP_EPS1, HP_EPS2, HP_SCALE_PARAMETER,
       HP_WEIGHT_DECAY, HP_COUNT };

static const os_hparam adafactor_hparams[HP_COUNT] = {
    [HP_DECAY_RATE]      = { "decay_rate", -0.8, -1.0, 0.0, OS_HP_TUNABLE,
                             "second-moment decay 1 - t^decay_rate" },
    [HP_CLIP]            = { "clip_threshold", 1.0, 1e-3, 1e3, OS_HP_TUNABLE,
                             "largest RMS of an update before it is scaled down" },
    [HP_BETA1]           = { "beta1", 0.0, 0.0, 0.9999999, OS_HP_TUNABLE,
                             "first-moment decay; 0 keeps no first moment" },
    [HP_EPS1]            = { "eps1", 1e-30, 0.0, 1.0, 0,
                             "added to squared gradients" },
    [HP_EPS2]            = { "eps2", 1e-3, 0.0, 1.0, 0,
                             "smallest parameter scale for the relative step" },
    [HP_SCALE_PARAMETER] = { "scale_parameter", 1.0, 0.0, 1.0, OS_HP_BOOL | OS_HP_TUNABLE,
                             "scale the step by the parameter's RMS" },
    [HP_WEIGHT_DECAY]    = { "weight_decay", 0.0, 0.0, 1.0, OS_HP_TUNABLE,
                             "decoupled weight decay, scaled by the step size" },
};

/* A tensor is factored when it is a matrix with at least two rows and
 * columns (higher ranks fold into rows x last dimension). */
static int factored(const os_tensor *t, size_t *rows, size_t *cols)
{
    if (t->ndim < 2)
        return 0;
    *cols = t->shape[t->ndim - 1];
    *rows = t->size / *cols;
    return *rows >= 2 && *cols >= 2;
}

/* Floats of second-moment accumulators: rows + cols per factored matrix,
 * one per element otherwise — the method's sublinear memory. */
static size_t accumulator_floats(const os_layout *layout)
{
    size_t total = 0, rows, cols;
    for (size_t k = 0; k < layout->n_tensors; k++)
        total += factored(&layout->tensors[k], &rows, &cols) ? rows + cols
                                                             : layout->tensors[k].size;
    return total;
}

/* The accumulators, tensor after tensor; then the first moment (n floats)
 * when beta1 > 0. */
static size_t adafactor_state_bytes(const os_env *env)
{
    size_t floats = accumulator_floats(env->layout);
    if (env->hparams[HP_BETA1] > 0.0)
        floats += env->layout->n;
    return floats * sizeof(float);
}

OS_ZERO_INIT(adafactor)

static float rms(const float *x, size_t n)
{
    return os_norm(x, n) / sqrtf((float)n);
}

/* The unclipped update of element i of a tensor at off. */
static inline float raw_update(const float *grad, const float *row, const float *col,
                              const float *vec, float row_mean, size_t i, size_t cols,
                              int is_factored)
{
    if (!is_factored)
        return grad[i] / sqrtf(vec[i]);
    float r = 1.0f / sqrtf(row[i / cols] / row_mean), c = 1.0f / sqrtf(col[i % cols]);
    return r * c * grad[i];
}

static int adafactor_step(const os_env *env, void *state, float *p, const float *grad,
                          double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const os_layout *layout = env->layout;
    const double beta2t = 1.0 - pow((double)t, hp[HP_DECAY_RATE]);
    const float b2 = (float)beta2t, one_minus_b2 = (float)(1.0 - beta2t);
    const float eps1 = (float)hp[HP_EPS1], clip = (float)hp[HP_CLIP];
    const float b1 = (float)hp[HP_BETA1], one_minus_b1 = (float)(1.0 - hp[HP_BETA1]);
    const int momentum = hp[HP_BETA1] > 0.0;
    float *acc = state;
    float *m = momentum ? acc + accumulator_floats(layout) : NULL;

    for (size_t k = 0; k < layout->n_tensors; k++) {
        const os_tensor *tn = &layout->tensors[k];
        const size_t off = tn->offset, len = tn->size;
        const float *g = grad + off;
        float *w = p + off;
        size_t rows = 1, cols = len;
        const int is_factored = factored(tn, &rows, &cols);
        float *row = acc, *col = row + rows, *vec = acc;
        acc += is_factored ? rows + cols : len;
        float row_mean = 1.0f;

        /* The step size relative to this tensor's scale, taken before the update. */
        float scale = (float)lr;
        if (hp[HP_SCALE_PARAMETER] != 0.0)
            scale = fmaxf((float)hp[HP_EPS2], rms(w, len)) * scale;

        if (is_factored) {
            double rsum = 0.0;
            for (size_t r = 0; r < rows; r++) {
                double s = 0.0;
                for (size_t c = 0; c < cols; c++)
                    s += (double)(g[r * cols + c] * g[r * cols + c] + eps1);
                row[r] = row[r] * b2 + one_minus_b2 * (float)(s / (double)cols);
                rsum += row[r];
            }
            for (size_t c = 0; c < cols; c++) {
                double s = 0.0;
                for (size_t r = 0; r < rows; r++)
                    s += (double)(g[r * cols + c] * g[r * cols + c] + eps1);
                col[c] = col[c] * b2 + one_minus_b2 * (float)(s / (double)rows);
            }
            row_mean = (float)(rsum / (double)rows);
        } else {
            for (size_t i = 0; i < len; i++)
                vec[i] = vec[i] * b2 + one_minus_b2 * (g[i] * g[i] + eps1);
        }

        /* Clip by the update's RMS: one pass to measure, one to apply. */
        double sq = 0.0;
        for (size_t i = 0; i < len; i++) {
            float u = raw_update(g, row, col, vec, row_mean, i, cols, is_factored);
            sq += (double)u * u;
        }
        const float u_rms = (float)sqrt(sq) / sqrtf((float)len);
        const float divisor = fmaxf(u_rms / clip, 1.0f);
        const float neg_decay = OS_TENSOR_DECAYS(env, k) ? (float)-(hp[HP_WEIGHT_DECAY] * (double)scale)
                                                    : 0.0f;

        for (size_t i = 0; i < len; i++) {
            float u = raw_update(g, row, col, vec, row_mean, i, cols, is_factored) / divisor;
            u = u * scale;
            if (momentum) {
                m[off + i] = m[off + i] * b1 + one_minus_b1 * u;
                u = m[off + i];
            }
            if (neg_decay != 0.0f)
                w[i] = w[i] + neg_decay * w[i];
            w[i] = w[i] - u;
        }
    }
    return OS_OK;
}

static const os_optimizer adafactor = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "adafactor",
    .summary = "Adafactor, factored second moments (Shazeer & Stern 2018)",
    .default_lr = 1e-2,
    .n_hparams = HP_COUNT,
    .hparams = adafactor_hparams,
    .state_bytes = adafactor_state_bytes,
    .init = adafactor_init,
    .step = adafactor_step,
};

OS_EXPORT_OPTIMIZERS(&adafactor)
