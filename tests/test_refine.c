/* Learning-rate refinement: the parabola through the winner and its
 * neighbours on scores generated from a known optimum, its band, and the
 * cases where there is no interior minimum to report. */
#include <math.h>
#include "tap.h"
#include "parabola.h"

static int close_to(double x, double want, double rel)
{
    return fabs(x - want) <= rel * fabs(want);
}

/* A score with its minimum `floor` at lr = best, curvature k in ln(lr). */
static double bowl(double lr, double best, double floor, double k)
{
    double d = log(lr) - log(best);
    return floor + k * d * d;
}

/* a grid with a factor of about 3 between rates; the optimum 0.002
 * lies between two of them */
static const double lr[7] = { 1e-4, 3.16e-4, 1e-3, 3.16e-3, 1e-2, 3.16e-2, 1e-1 };

/* An exact parabola: the optimum, the predicted score and the band. */
static void exact_bowl(void)
{
    double y[7];
    for (int i = 0; i < 7; i++)
        y[i] = bowl(lr[i], 0.002, 0.30, 0.05);
    size_t w = 2; /* 1e-3 and 3.16e-3 are equally far in ln(lr); the first */
    for (size_t i = 0; i < 7; i++)
        if (y[i] < y[w])
            w = i;
    os_lr_fit f = os_refine_fit(lr, y, 7, w, 0.01);
    ok(f.status == OS_REFINE_OK, "interior winner: status ok (%s)",
       os_refine_status_name(f.status));
    ok(close_to(f.best_lr, 0.002, 1e-9), "exact parabola: the optimum comes back (%.9g)",
       f.best_lr);
    ok(close_to(f.predicted, 0.30, 1e-9), "the predicted score is the floor (%.9g)",
       f.predicted);
    /* k d^2 = 0.01 * 0.3  =>  d = sqrt(0.06) */
    double half = sqrt(0.01 * 0.30 / 0.05);
    ok(close_to(f.band[0], 0.002 * exp(-half), 1e-9) &&
       close_to(f.band[1], 0.002 * exp(half), 1e-9) && !f.band_cut[0] && !f.band_cut[1],
       "the 1%% band is where the bowl rises 1%% (%.6g to %.6g)", f.band[0], f.band[1]);
    ok(f.lr[0] == lr[w - 1] && f.lr[1] == lr[w] && f.lr[2] == lr[w + 1],
       "fitted through the winner and its two neighbours");
    ok(bowl(f.band[0], 0.002, 0.3, 0.05) <= 0.30 * 1.01 + 1e-12 &&
       bowl(f.band[1], 0.002, 0.3, 0.05) <= 0.30 * 1.01 + 1e-12 &&
       bowl(f.band[1] * 1.01, 0.002, 0.3, 0.05) > 0.30 * 1.01,
       "the band's ends are within 1%% of the best, just past them is not");
}

/* Wide bands, diverged neighbours, winners at the edges. */
static void edges(void)
{
    double y[7];
    size_t w = 2;
    os_lr_fit f;
    /* a flat bowl: the band reaches past the neighbours, and is cut there */
    for (int i = 0; i < 7; i++)
        y[i] = bowl(lr[i], 0.002, 0.30, 0.0005);
    f = os_refine_fit(lr, y, 7, w, 0.01);
    ok(f.status == OS_REFINE_OK && f.band_cut[0] && f.band_cut[1] && f.band[0] == lr[w - 1] &&
       f.band[1] == lr[w + 1], "a wide band is cut to the rates measured, and says so");

    /* a diverged neighbour is skipped for the nearest finished rate */
    for (int i = 0; i < 7; i++)
        y[i] = bowl(lr[i], 0.002, 0.30, 0.05);
    y[3] = INFINITY;
    f = os_refine_fit(lr, y, 7, 2, 0.01);
    ok(f.status == OS_REFINE_OK && f.lr[2] == lr[4], "a neighbour that did not finish is "
       "passed over (fitted 1e-3 with %.3g)", f.lr[2]);

    /* the winner at either edge of what finished */
    for (int i = 0; i < 7; i++)
        y[i] = bowl(lr[i], 1e-5, 0.30, 0.05);
    f = os_refine_fit(lr, y, 7, 0, 0.01);
    ok(f.status == OS_REFINE_EDGE_LOW && f.lr[1] == lr[0] && isnan(f.lr[0]) &&
       isnan(f.best_lr), "the smallest rate wins: edge_low, no vertex, nothing tried below");
    for (int i = 0; i < 7; i++)
        y[i] = bowl(lr[i], 0.05, 0.30, 0.05);
    y[5] = y[6] = NAN; /* the two largest diverged */
    f = os_refine_fit(lr, y, 7, 4, 0.01);
    ok(f.status == OS_REFINE_EDGE_HIGH && f.lr[2] == lr[5],
       "the largest rate that finished wins: edge_high, and the next rate (%.3g) did not "
       "finish (%s)", f.lr[2], os_refine_status_name(f.status));
}

/* No upward bend, and nothing to fit. */
static void no_fit(void)
{
    os_lr_fit f;
    double y[7];
    for (int i = 0; i < 7; i++)
        y[i] = bowl(lr[i], 0.002, 0.30, 0.05);
    /* no upward bend: equal scores, or a neighbour lower than the winner */
    double same[3] = { 0.5, 0.5, 0.5 };
    f = os_refine_fit(lr, same, 3, 1, 0.01);
    ok(f.status == OS_REFINE_FLAT && isnan(f.best_lr), "three equal scores: flat");
    double slope[3] = { 0.7, 0.6, 0.5 };
    f = os_refine_fit(lr, slope, 3, 1, 0.01);
    ok(f.status == OS_REFINE_FLAT, "a neighbour scores lower: flat");
    /* the winner by rank need not score lowest of the three at the fitted
     * budget: the parabola still places the minimum, between winner and
     * the lower neighbour */
    double bent[3] = { 0.9, 0.6, 0.55 };
    f = os_refine_fit(lr, bent, 3, 1, 0.01);
    ok(f.status == OS_REFINE_OK && f.best_lr > lr[1] && f.best_lr < lr[2],
       "a lower neighbour: the minimum lies towards it (%.4g)", f.best_lr);
    double past[3] = { 0.9, 0.6, 0.45 }; /* bends up, minimum past the last rate */
    f = os_refine_fit(lr, past, 3, 1, 0.01);
    ok(f.status == OS_REFINE_FLAT && isnan(f.best_lr),
       "a minimum past the neighbours is not extrapolated to");

    /* nothing to fit */
    double failed[3] = { 0.5, INFINITY, 0.4 };
    f = os_refine_fit(lr, failed, 3, 1, 0.01);
    ok(f.status == OS_REFINE_NONE, "a winner that did not finish: none");
    f = os_refine_fit(lr, y, 7, 9, 0.01);
    ok(f.status == OS_REFINE_NONE, "an index past the rates: none");
}

int main(void)
{
    exact_bowl();
    edges();
    no_fit();
    return done_testing();
}
