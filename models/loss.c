/* loss.c — softmax cross-entropy and mean squared error; see loss.h. */
#include <math.h>
#include <string.h>
#include "loss.h"

const char *os_loss_name(os_loss_kind kind)
{
    return kind == OS_LOSS_MSE ? "mse" : kind == OS_LOSS_BINARY_CE ? "binary_cross_entropy"
                                                                   : "cross_entropy";
}

int os_loss_from_name(const char *name)
{
    if (!strcmp(name, "cross_entropy"))
        return OS_LOSS_CROSS_ENTROPY;
    if (!strcmp(name, "mse"))
        return OS_LOSS_MSE;
    if (!strcmp(name, "binary_cross_entropy"))
        return OS_LOSS_BINARY_CE;
    return -1;
}

/* -log sigmoid(z) for y = 1 and -log(1 - sigmoid(z)) for y = 0, as
 * softplus(z) - y z, which stays finite for any z. */
static double binary_ce(const float *z, const float *target, size_t batch, float *dz,
                        size_t *correct)
{
    double total = 0.0;
    size_t hits = 0;
    for (size_t r = 0; r < batch; r++) {
        double x = z[r], y = target[r];
        double softplus = x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
        total += softplus - y * x;
        hits += (x > 0) == (y > 0.5);
        if (dz) {
            double sig = x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
            dz[r] = (float)((sig - y) / (double)batch);
        }
    }
    if (correct)
        *correct = hits;
    return total / (double)batch;
}

/* log-sum-exp with the max subtracted, accumulated in double: the loss feeds
 * the divergence test and the ranking, so it should not lose digits. */
static double cross_entropy(const float *z, const float *target, size_t batch, size_t k,
                            float *dz, size_t *correct)
{
    double total = 0.0;
    size_t hits = 0;
    const float inv_batch = 1.0f / (float)batch;
    for (size_t r = 0; r < batch; r++) {
        const float *row = z + r * k;
        size_t cls = (size_t)target[r], best = 0;
        float max = row[0];
        for (size_t j = 1; j < k; j++)
            if (row[j] > max) {
                max = row[j];
                best = j;
            }
        double sum = 0.0;
        for (size_t j = 0; j < k; j++)
            sum += exp((double)(row[j] - max));
        double log_sum = log(sum);
        total += log_sum - (double)(row[cls] - max);
        hits += best == cls;
        if (dz) {
            float *drow = dz + r * k;
            for (size_t j = 0; j < k; j++) {
                float p = (float)(exp((double)(row[j] - max) - log_sum));
                drow[j] = (p - (j == cls ? 1.0f : 0.0f)) * inv_batch;
            }
        }
    }
    if (correct)
        *correct = hits;
    return total / (double)batch;
}

static double mse(const float *y, const float *target, size_t batch, float *dy)
{
    double total = 0.0;
    const float scale = 2.0f / (float)batch;
    for (size_t r = 0; r < batch; r++) {
        float d = y[r] - target[r];
        total += (double)d * d;
        if (dy)
            dy[r] = scale * d;
    }
    return total / (double)batch;
}

double os_loss(os_loss_kind kind, const float *out, const float *target, size_t batch,
               size_t k, float *dout, size_t *correct)
{
    if (kind == OS_LOSS_BINARY_CE)
        return binary_ce(out, target, batch, dout, correct);
    if (kind == OS_LOSS_MSE) {
        if (correct)
            *correct = 0;
        return mse(out, target, batch, dout);
    }
    return cross_entropy(out, target, batch, k, dout, correct);
}
