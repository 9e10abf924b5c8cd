/* horizon.c — see horizon.h. */
#include "config.h"

#include <math.h>
#include "horizon.h"

double os_horizon_shift(double ratio, double alpha)
{
    return ratio > 0 && isfinite(ratio) ? pow(ratio, alpha) : 1.0;
}

void os_horizon_predict(const double *lr, const double *score, size_t n, double shift,
                        double *out)
{
    const double d = log(shift);
    for (size_t i = 0; i < n; i++) {
        if (shift == 1.0) {
            out[i] = score[i];
            continue;
        }
        double x = log(lr[i]) + d;
        /* within 1% of a rate tried, that rate: grids rounded to 4 digits
         * do not meet a shift of exactly their spacing */
        for (size_t j = 0; j < n; j++)
            if (fabs(x - log(lr[j])) < 0.01)
                x = log(lr[j]);
        /* the finished rates just below and above x, and the outermost two
         * on either side for the spacing */
        size_t lo = n, hi = n, first = n, second = n, last = n, before = n;
        for (size_t j = 0; j < n; j++) {
            if (!isfinite(score[j]))
                continue;
            if (first == n)
                first = j;
            else if (second == n)
                second = j;
            before = last;
            last = j;
            if (log(lr[j]) <= x)
                lo = j;
            if (log(lr[j]) >= x && hi == n)
                hi = j;
        }
        if (first == n) {
            out[i] = INFINITY;
        } else if (lo != n && hi != n) {
            double x0 = log(lr[lo]), x1 = log(lr[hi]);
            out[i] = lo == hi ? score[lo]
                              : score[lo] + (score[hi] - score[lo]) * (x - x0) / (x1 - x0);
        } else {
            /* outside the finished rates: the nearer end, within one step,
             * unless a rate tried out there did not finish */
            size_t end = lo != n ? last : first, next = lo != n ? before : second;
            double step = next != n ? fabs(log(lr[end]) - log(lr[next])) : 0.0;
            int unsafe = 0;
            for (size_t j = 0; j < n; j++)
                unsafe |= !isfinite(score[j]) && (lo != n ? lr[j] > lr[end] : lr[j] < lr[end]);
            out[i] = !unsafe && fabs(x - log(lr[end])) <= step * (1 + 1e-9) ? score[end]
                                                                            : INFINITY;
        }
    }
}
