/* Rank correlations of `optselect validate` against values computed with
 * SciPy 1.10 (scipy.stats.kendalltau, which is tau-b, and spearmanr). */
#include <math.h>
#include "tap.h"
#include "validate.h"

static void check(const char *name, const double *x, const double *y, size_t n, double tau,
                  double rho)
{
    double t = os_kendall_tau_b(x, y, n), r = os_spearman_rho(x, y, n);
    ok(fabs(t - tau) < 1e-12, "%s: tau-b %.15f (SciPy %.15f)", name, t, tau);
    ok(fabs(r - rho) < 1e-12, "%s: rho %.15f (SciPy %.15f)", name, r, rho);
}

int main(void)
{
    const double x1[] = { 1, 2, 3, 4, 5 }, y1[] = { 5, 6, 7, 8, 7 };
    check("ties in y", x1, y1, 5, 0.7378647873726218, 0.8207826816681233);
    const double x2[] = { 1, 2, 3, 4, 5, 6 }, y2[] = { 2, 1, 4, 3, 6, 5 };
    check("swapped pairs", x2, y2, 6, 0.6, 0.8285714285714287);
    /* failed candidates: tied last in x, +inf in y */
    const double x3[] = { 1, 2, 2, 3, 4, 4, 4 }, y3[] = { 3, 1, 2, 2, 5, 7, INFINITY };
    check("ties in both, an infinity", x3, y3, 7, 0.5423261445466404, 0.7080514800462759);
    const double x4[] = { 1, 2, 3 }, y4[] = { 3, 2, 1 };
    check("reversed", x4, y4, 3, -1.0, -1.0);
    check("identical", x2, x2, 6, 1.0, 1.0);
    const double flat[] = { 2, 2, 2 };
    ok(isnan(os_kendall_tau_b(x4, flat, 3)) && isnan(os_spearman_rho(flat, y4, 3)),
       "a constant ranking has no correlation: NaN, not a number that looks like one");
    return done_testing();
}
