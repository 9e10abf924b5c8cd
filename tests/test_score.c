/* Curve scoring: the power-law fit on curves generated from known
 * parameters, its fallbacks, and the short-horizon bias it corrects. */
#include "tap.h"
#include "score.h"

/* A curve of a + b t^-c measured every 25 steps up to last, each point
 * scaled by (1 + noise * a fixed pseudo-random number in [-1, 1]). */
static size_t curve(os_curve_point *pts, double a, double b, double c, uint64_t last,
                    double noise)
{
    size_t n = 0;
    uint32_t state = 12345;
    pts[n++] = (os_curve_point){ 0, NAN, a + b, NAN };
    for (uint64_t t = 25; t <= last; t += 25) {
        state = state * 1664525u + 1013904223u;
        double u = (double)(state >> 8) / (double)(1u << 24) * 2 - 1;
        double v = (a + b * pow((double)t, -c)) * (1 + noise * u);
        pts[n++] = (os_curve_point){ t, NAN, v, NAN };
    }
    return n;
}

static int close_to(double x, double want, double rel)
{
    return fabs(x - want) <= rel * fabs(want);
}

int main(void)
{
    os_curve_point pts[512];
    double t[512], y[512];

    /* exact data: the parameters come back */
    size_t n = curve(pts, 0.3, 2.0, 0.7, 300, 0);
    for (size_t i = 1; i < n; i++)
        t[i - 1] = (double)pts[i].step, y[i - 1] = pts[i].val_loss;
    os_power_fit f = os_fit_power_law(t, y, n - 1);
    ok(f.ok && close_to(f.a, 0.3, 1e-3) && close_to(f.b, 2.0, 1e-2) && close_to(f.c, 0.7, 1e-3)
       && f.r2 > 0.9999, "exact curve: a, b, c recovered (%.5f, %.4f, %.5f), R² %.6f", f.a,
       f.b, f.c, f.r2);
    double at = os_score_curve(OS_SCORE_EXTRAPOLATED, pts, n, 30000);
    ok(close_to(at, 0.3 + 2.0 * pow(30000, -0.7), 1e-3),
       "exact curve: extrapolated to 30000 steps, %.5f", at);

    /* 1% noise: the prediction at 100x the horizon stays within 2% */
    n = curve(pts, 0.25, 1.5, 0.5, 500, 0.01);
    at = os_score_curve(OS_SCORE_EXTRAPOLATED, pts, n, 50000);
    double truth = 0.25 + 1.5 * pow(50000, -0.5);
    ok(close_to(at, truth, 0.02), "1%% noise: %.4f predicted at 50000 steps, truly %.4f", at,
       truth);

    /* short-horizon bias: A (a small learning rate) is ahead after 300
     * steps; B falls further and is ahead at 30000.  last picks A,
     * extrapolated picks B. */
    os_curve_point a_pts[32], b_pts[32];
    size_t na = curve(a_pts, 0.40, 0.5, 0.5, 300, 0);
    size_t nb = curve(b_pts, 0.10, 2.5, 0.35, 300, 0);
    double a_last = os_score_curve(OS_SCORE_LAST, a_pts, na, 30000);
    double b_last = os_score_curve(OS_SCORE_LAST, b_pts, nb, 30000);
    double a_ext = os_score_curve(OS_SCORE_EXTRAPOLATED, a_pts, na, 30000);
    double b_ext = os_score_curve(OS_SCORE_EXTRAPOLATED, b_pts, nb, 30000);
    ok(a_last < b_last, "last prefers the slow curve (%.4f < %.4f)", a_last, b_last);
    ok(b_ext < a_ext, "extrapolated prefers the one that wins the full run (%.4f < %.4f)",
       b_ext, a_ext);

    /* fallbacks: a rising curve, and too few points, score as last */
    n = curve(pts, 2.0, -1.0, 0.3, 300, 0); /* rises towards 2 */
    for (size_t i = 1; i < n; i++)
        t[i - 1] = (double)pts[i].step, y[i - 1] = pts[i].val_loss;
    ok(!os_fit_power_law(t, y, n - 1).ok, "a rising curve is no fit");
    ok(os_score_curve(OS_SCORE_EXTRAPOLATED, pts, n, 30000) ==
       os_score_curve(OS_SCORE_LAST, pts, n, 30000), "... and scores as last");
    n = curve(pts, 0.3, 2.0, 0.7, 75, 0); /* 3 points after step 0 */
    ok(os_score_curve(OS_SCORE_EXTRAPOLATED, pts, n, 30000) ==
       os_score_curve(OS_SCORE_LAST, pts, n, 30000), "three points: too few to fit, last");

    /* last: the mean over the final 10% of the steps */
    os_curve_point tail[] = { { 0, NAN, 9, NAN }, { 100, NAN, 5, NAN }, { 270, NAN, 1.0, NAN },
                              { 285, NAN, 2.0, NAN }, { 300, NAN, 3.0, NAN } };
    ok(os_score_curve(OS_SCORE_LAST, tail, 5, 0) == 2.0,
       "last: the mean of the points in the final 10%% (270, 285, 300)");
    ok(os_score_curve(OS_SCORE_AUC, tail, 5, 0) == 11.0 / 4,
       "auc: the mean after step 0");
    os_curve_point only0[] = { { 0, NAN, 2.3, NAN } };
    ok(os_score_curve(OS_SCORE_LAST, only0, 1, 0) == 2.3, "a curve of step 0 only: its value");
    ok(os_score_curve(OS_SCORE_LAST, only0, 0, 0) == INFINITY, "no curve: +inf");
    ok(os_score_from_name("extrapolated") == OS_SCORE_EXTRAPOLATED &&
       os_score_from_name("best") == -1, "names");
    return done_testing();
}
