/* parabola.c — see parabola.h. */
#include <math.h>
#include "parabola.h"

const char *os_refine_status_name(os_refine_status s)
{
    switch (s) {
    case OS_REFINE_OK: return "ok";
    case OS_REFINE_EDGE_LOW: return "edge_low";
    case OS_REFINE_EDGE_HIGH: return "edge_high";
    case OS_REFINE_FLAT: return "flat";
    case OS_REFINE_NONE: break;
    }
    return "none";
}

static int finished(double score)
{
    return isfinite(score);
}

os_lr_fit os_refine_fit(const double *lr, const double *score, size_t n, size_t winner,
                        double tolerance)
{
    os_lr_fit f = { .status = OS_REFINE_NONE, .best_lr = NAN, .predicted = NAN,
                    .band = { NAN, NAN } };
    for (int i = 0; i < 3; i++)
        f.lr[i] = f.score[i] = NAN;
    if (winner >= n || !finished(score[winner]) || !(lr[winner] > 0))
        return f;
    f.lr[1] = lr[winner];
    f.score[1] = score[winner];
    size_t lo = winner, hi = winner;
    while (lo > 0 && !finished(score[lo - 1]))
        lo--;
    while (hi + 1 < n && !finished(score[hi + 1]))
        hi++;
    if (lo == 0) {
        f.status = OS_REFINE_EDGE_LOW;
        if (winner > 0) /* the next rate down, which did not finish */
            f.lr[0] = lr[winner - 1];
        return f;
    }
    if (hi + 1 >= n) {
        f.status = OS_REFINE_EDGE_HIGH;
        if (winner + 1 < n)
            f.lr[2] = lr[winner + 1];
        return f;
    }
    f.lr[0] = lr[lo - 1];
    f.score[0] = score[lo - 1];
    f.lr[2] = lr[hi + 1];
    f.score[2] = score[hi + 1];

    /* Newton's form in x = ln(lr): y = y0 + d01 (x - x0) + a (x - x0)(x - x1) */
    double x0 = log(f.lr[0]), x1 = log(f.lr[1]), x2 = log(f.lr[2]);
    double y0 = f.score[0], y1 = f.score[1], y2 = f.score[2];
    double d01 = (y1 - y0) / (x1 - x0), d12 = (y2 - y1) / (x2 - x1);
    double a = (d12 - d01) / (x2 - x0);
    f.status = OS_REFINE_FLAT;
    if (!(a > 0))
        return f;
    double xs = 0.5 * (x0 + x1) - d01 / (2.0 * a);
    if (!(xs >= x0 && xs <= x2)) /* the minimum lies past a neighbour */
        return f;
    f.status = OS_REFINE_OK;
    f.best_lr = exp(xs);
    f.predicted = y0 + d01 * (xs - x0) + a * (xs - x0) * (xs - x1);
    /* y(x) - predicted = a (x - xs)^2 */
    double half = sqrt(tolerance * fabs(f.predicted) / a);
    double blo = xs - half, bhi = xs + half;
    f.band_cut[0] = blo < x0;
    f.band_cut[1] = bhi > x2;
    f.band[0] = f.band_cut[0] ? f.lr[0] : exp(blo);
    f.band[1] = f.band_cut[1] ? f.lr[2] : exp(bhi);
    return f;
}
