/*
 * score.h — what a trial's early curve says about its full run.
 *
 *   final         the validation loss at the trial's last measurement
 *   last          the validation loss at the end of the trial, averaged
 *                 over the last 10% of the budget's measurements (at least
 *                 the final one), so one noisy measurement does not decide
 *   auc           the mean validation loss over the trial (after step 0):
 *                 rewards getting low early and staying there
 *   extrapolated  the loss the curve predicts at the full run's length,
 *                 from a fit of L(t) = a + b t^-c to its measurements; when
 *                 the fit is poor (too few points, a rising or erratic
 *                 curve), `last` instead
 *
 * Early loss favours learning rates that are too small (Wu et al. 2018,
 * "short-horizon bias"): a small rate is ahead at step 300 and behind at
 * step 30,000.  Extrapolating each curve to the full run's length is the
 * correction: a curve still falling steeply is credited with the fall to
 * come.
 */
#ifndef OS_SCORE_H
#define OS_SCORE_H

#include <stddef.h>
#include <stdint.h>

/* One measurement of a trial's curve. */
typedef struct os_curve_point {
    uint64_t step;
    double   train_loss;   /* smoothed, bias-corrected; NaN at step 0        */
    double   val_loss;
    double   val_acc;      /* fraction correct; NaN for regression          */
} os_curve_point;

typedef enum os_score_kind {
    OS_SCORE_FINAL, OS_SCORE_LAST, OS_SCORE_AUC, OS_SCORE_EXTRAPOLATED,
    OS_SCORE_HORIZON /* a trial scores as final; its family's scores then
                        move to the full run's horizon (horizon.h)      */
} os_score_kind;

/* "final", "last", "auc", "extrapolated", "horizon" → kind; -1 if unknown. */
int os_score_from_name(const char *name);
const char *os_score_name(os_score_kind kind);

/* A fit of L(t) = a + b t^-c, c in [0.02, 4], b >= 0. */
typedef struct os_power_fit {
    double a, b, c;
    double r2;      /* fraction of the variance explained           */
    int    ok;      /* enough points, b >= 0, and r2 >= 0.8          */
} os_power_fit;

/* Fits the n points (t[i] > 0, y[i] finite) by least squares: for each c
 * of a log-spaced grid (then a golden-section search around the best), a
 * and b in closed form. */
os_power_fit os_fit_power_law(const double *t, const double *y, size_t n);

/* The score of a curve (points at steps > 0 count; step 0 is the common
 * start) as of its last point, for a full run of horizon steps (only
 * extrapolated uses it).  +inf for a curve without a finite point. */
double os_score_curve(os_score_kind kind, const os_curve_point *pts, size_t n,
                      uint64_t horizon);

/* A trial's score at a budget: its curve pts[0..n) up to that step, scored
 * as above; +inf unless the trial finished and was measured there. */
double os_score_at_budget(const os_curve_point *pts, size_t n, int finished, uint64_t budget,
                          os_score_kind kind, uint64_t horizon);

#endif
