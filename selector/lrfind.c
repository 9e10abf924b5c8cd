/* lrfind.c — see lrfind.h. */
#include <math.h>
#include "lrfind.h"

#define DIVERGE_FACTOR 4.0

os_lrfind os_lrfind_run(os_lrfind_step_fn step, void *ctx, double lo, double hi, size_t steps,
                        double beta)
{
    os_lrfind r = { .best_lr = lo, .diverge_lr = hi, .lo = lo, .hi = hi };
    double ema = 0, beta_t = 1, best = INFINITY, first = NAN;
    const double ratio = steps > 1 ? pow(hi / lo, 1.0 / (double)(steps - 1)) : 1.0;
    double lr = lo;
    for (size_t i = 0; i < steps; i++, lr *= ratio) {
        double loss = step(ctx, lr);
        r.steps = i + 1;
        if (!isfinite(loss)) {
            r.diverge_lr = lr;
            break;
        }
        ema = beta * ema + (1 - beta) * loss;
        beta_t *= beta;
        double smooth = ema / (1 - beta_t);
        if (i == 0)
            first = smooth;
        if (smooth < best) {
            best = smooth;
            r.best_lr = lr;
        }
        if (smooth > DIVERGE_FACTOR * best) {
            r.diverge_lr = lr;
            break;
        }
    }
    /* the smoothed curve lags the rate that caused it by about 1/(1-beta)
     * steps: the lowest loss was reached at an earlier, smaller rate */
    double lag = pow(ratio, 1.0 / (1.0 - beta));
    r.best_lr /= lag;
    if (r.best_lr < lo)
        r.best_lr = lo;
    r.ok = isfinite(best) && best < first;
    r.hi = r.best_lr;
    r.lo = r.best_lr / 30.0;
    return r;
}
