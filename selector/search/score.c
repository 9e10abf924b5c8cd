/* score.c — see score.h. */
#include <math.h>
#include <string.h>
#include "score.h"

#define FIT_MIN_POINTS 4
#define FIT_MIN_R2     0.8
#define C_LO 0.02
#define C_HI 4.0

int os_score_from_name(const char *name)
{
    return !strcmp(name, "final") ? OS_SCORE_FINAL : !strcmp(name, "last") ? OS_SCORE_LAST : !strcmp(name, "auc") ? OS_SCORE_AUC
         : !strcmp(name, "extrapolated") ? OS_SCORE_EXTRAPOLATED
         : !strcmp(name, "horizon") ? OS_SCORE_HORIZON : -1;
}

const char *os_score_name(os_score_kind kind)
{
    return kind == OS_SCORE_FINAL ? "final" : kind == OS_SCORE_AUC ? "auc"
         : kind == OS_SCORE_EXTRAPOLATED ? "extrapolated" : kind == OS_SCORE_HORIZON ? "horizon"
         : "last";
}

/* For a fixed c, the least-squares a and b of y = a + b x with x = t^-c;
 * returns the sum of squared residuals. */
static double fit_linear(const double *t, const double *y, size_t n, double c, double *a,
                         double *b)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        double x = pow(t[i], -c);
        sx += x;
        sy += y[i];
        sxx += x * x;
        sxy += x * y[i];
    }
    double den = (double)n * sxx - sx * sx;
    *b = den > 0 ? ((double)n * sxy - sx * sy) / den : 0;
    if (*b < 0) /* a rising curve: the family's flat member is the best it has */
        *b = 0;
    *a = (sy - *b * sx) / (double)n;
    double sse = 0;
    for (size_t i = 0; i < n; i++) {
        double r = y[i] - (*a + *b * pow(t[i], -c));
        sse += r * r;
    }
    return sse;
}

os_power_fit os_fit_power_law(const double *t, const double *y, size_t n)
{
    os_power_fit f = { .a = NAN, .b = NAN, .c = NAN, .r2 = 0, .ok = 0 };
    if (n < 2)
        return f;
    /* the grid: 60 values of c, log-spaced over [C_LO, C_HI] */
    double best_c = C_LO, best = INFINITY, a, b;
    for (int k = 0; k < 60; k++) {
        double c = C_LO * pow(C_HI / C_LO, k / 59.0);
        double sse = fit_linear(t, y, n, c, &a, &b);
        if (sse < best) {
            best = sse;
            best_c = c;
        }
    }
    /* golden section between the grid neighbours of the best */
    double step = pow(C_HI / C_LO, 1 / 59.0);
    double lo = fmax(C_LO, best_c / step), hi = fmin(C_HI, best_c * step);
    const double g = (sqrt(5.0) - 1) / 2;
    double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
    double f1 = fit_linear(t, y, n, x1, &a, &b), f2 = fit_linear(t, y, n, x2, &a, &b);
    for (int it = 0; it < 40; it++) {
        if (f1 < f2) {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - g * (hi - lo);
            f1 = fit_linear(t, y, n, x1, &a, &b);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + g * (hi - lo);
            f2 = fit_linear(t, y, n, x2, &a, &b);
        }
    }
    double c = (lo + hi) / 2;
    double sse = fit_linear(t, y, n, c, &a, &b);
    if (sse > best) { /* the grid point was better after all */
        c = best_c;
        sse = fit_linear(t, y, n, c, &a, &b);
    }
    double mean = 0, sst = 0;
    for (size_t i = 0; i < n; i++)
        mean += y[i] / (double)n;
    for (size_t i = 0; i < n; i++)
        sst += (y[i] - mean) * (y[i] - mean);
    f.a = a;
    f.b = b;
    f.c = c;
    f.r2 = sst > 0 ? 1 - sse / sst : (sse == 0 ? 1 : 0);
    f.ok = n >= FIT_MIN_POINTS && b > 0 && f.r2 >= FIT_MIN_R2 && isfinite(a);
    return f;
}

/* The curve's finite points after step 0, into t and y; their count. */
static size_t usable(const os_curve_point *pts, size_t n, double *t, double *y)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (pts[i].step > 0 && isfinite(pts[i].val_loss)) {
            t[m] = (double)pts[i].step;
            y[m++] = pts[i].val_loss;
        }
    return m;
}

static double score_last(const double *t, const double *y, size_t m)
{
    /* the measurements in the last 10% of the steps, at least one */
    double from = t[m - 1] * 0.9, sum = 0;
    size_t k = 0;
    for (size_t i = m; i-- > 0 && (k == 0 || t[i] >= from);) {
        sum += y[i];
        k++;
    }
    return sum / (double)k;
}

double os_score_curve(os_score_kind kind, const os_curve_point *pts, size_t n,
                      uint64_t horizon)
{
    enum { MAX = 4096 };
    double t[MAX], y[MAX];
    if (n > MAX) { /* a very long curve: its tail is what the scores read */
        pts += n - MAX;
        n = MAX;
    }
    size_t m = usable(pts, n, t, y);
    if (m == 0)
        return n && pts[0].step == 0 && isfinite(pts[0].val_loss) ? pts[0].val_loss : INFINITY;
    if (kind == OS_SCORE_FINAL || kind == OS_SCORE_HORIZON)
        return y[m - 1];
    if (kind == OS_SCORE_AUC) {
        double sum = 0;
        for (size_t i = 0; i < m; i++)
            sum += y[i];
        return sum / (double)m;
    }
    if (kind == OS_SCORE_EXTRAPOLATED && horizon > t[m - 1]) {
        os_power_fit f = os_fit_power_law(t, y, m);
        if (f.ok) {
            double predicted = f.a + f.b * pow((double)horizon, -f.c);
            /* a loss is never below zero, and the family only falls: a
             * prediction above where the curve already is means a poor fit */
            if (predicted >= 0 && isfinite(predicted))
                return fmin(predicted, score_last(t, y, m));
        }
    }
    return score_last(t, y, m);
}

double os_score_at_budget(const os_curve_point *pts, size_t n, int finished, uint64_t budget,
                          os_score_kind kind, uint64_t horizon)
{
    if (!finished)
        return INFINITY;
    for (size_t j = n; j-- > 0;)
        if (pts[j].step == budget) {
            double v = os_score_curve(kind, pts, j + 1, horizon);
            return isfinite(v) ? v : INFINITY;
        }
    return INFINITY;
}
