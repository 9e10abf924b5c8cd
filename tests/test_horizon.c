/* score = horizon: a family's trial scores carried to a longer run by
 * moving its rates (horizon.h) — interpolation, the edges, diverged rates. */
#include <math.h>
#include "tap.h"
#include "horizon.h"

static int near(double x, double want)
{
    return fabs(x - want) <= 1e-12 * (fabs(want) > 1 ? fabs(want) : 1);
}

int main(void)
{
    /* a grid a factor of 10 apart: 0.001 0.01 0.1 1 */
    double lr[4] = { 0.001, 0.01, 0.1, 1 }, y[4] = { 0.9, 0.5, 0.3, INFINITY }, out[4];

    os_horizon_predict(lr, y, 4, 1.0, out);
    ok(out[0] == 0.9 && out[1] == 0.5 && out[2] == 0.3 && isinf(out[3]),
       "shift 1: the trials' own scores");

    /* a shift of one grid step: each rate takes its upper neighbour's score */
    os_horizon_predict(lr, y, 4, 10.0, out);
    ok(near(out[0], 0.5) && near(out[1], 0.3), "shift 10: 0.001 does what 0.01 did, 0.01 what "
       "0.1 did");
    ok(isinf(out[2]), "0.1 would do what 1 did, and 1 diverged: +inf");
    ok(isinf(out[3]), "a diverged rate stays unranked (+inf)");

    /* half a step (sqrt 10): midway in log(lr) */
    os_horizon_predict(lr, y, 4, sqrt(10.0), out);
    ok(near(out[0], 0.7) && near(out[1], 0.4), "shift sqrt(10): interpolated halfway in "
       "log(lr) (%.15g, %.15g)", out[0], out[1]);
    ok(isinf(out[2]), "  0.1 moved towards the diverged rate: +inf");

    /* the grid ends at a finished rate: within one step, that rate's score */
    double y2[3] = { 0.9, 0.5, 0.3 }, out2[3];
    os_horizon_predict(lr, y2, 3, 10.0, out2);
    ok(near(out2[2], 0.3), "past the last rate tried, by one step: its score (no credit "
       "beyond what was measured)");
    os_horizon_predict(lr, y2, 3, 100.0, out2);
    ok(near(out2[0], 0.3) && near(out2[1], 0.3) && isinf(out2[2]),
       "two steps past it: +inf; within: the last score");

    /* a shorter full run moves the other way */
    os_horizon_predict(lr, y2, 3, 0.1, out2);
    ok(near(out2[1], 0.9) && near(out2[2], 0.5) && near(out2[0], 0.9),
       "shift 0.1: rates take their lower neighbour's score");

    /* a grid rounded to 4 digits meets a shift of its spacing */
    double r3[3] = { 0.001, 0.003162, 0.01 }, y3[3] = { 0.6, 0.4, 0.2 }, out3[3];
    os_horizon_predict(r3, y3, 3, sqrt(10.0), out3);
    ok(out3[0] == 0.4 && out3[1] == 0.2, "a shift within 1%% of the grid's spacing lands on "
       "the neighbour exactly");

    double none[2] = { INFINITY, INFINITY }, out4[2];
    os_horizon_predict(lr, none, 2, 3.0, out4);
    ok(isinf(out4[0]) && isinf(out4[1]), "a family with no finished rate: +inf");

    ok(near(os_horizon_shift(100, 0.5), 10) && os_horizon_shift(0, 0.5) == 1.0 &&
       os_horizon_shift(100, 0) == 1.0, "the shift is ratio^alpha, 1 without a full run");
    return done_testing();
}
