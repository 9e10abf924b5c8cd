/*
 * horizon.h — score = horizon: the trials' scores carried to the full
 * run's horizon by moving each optimizer's best rate.
 *
 * A long run at a constant (or annealed) rate ends at a noise floor that
 * grows with the rate, so its best rate is smaller than a short run's:
 * theory for SGD gives lr* ∝ T^(-1/2) (Schaipp et al. 2025), and this
 * project's suite measured the shift downward in most optimizer families.
 * With the full run `ratio` times longer than a trial (in rows trained
 * on), a rate lr of the full run is predicted to do what lr × ratio^alpha
 * did in the trials: each family's score curve over log(lr) moves left by
 * alpha × log(ratio).  The optimizer's best score is unchanged; which of
 * its rates reaches it moves.
 */
#ifndef OS_HORIZON_H
#define OS_HORIZON_H

#include <stddef.h>

/* One family's rates lr[0..n) (ascending, distinct) and their trial
 * scores (+inf where the trial did not finish); writes each rate's
 * predicted full-run score to out[i]: the trial score at lr[i] × shift,
 * interpolated linearly in log(lr) between the rates that finished (a
 * shifted rate within 1% of a rate tried is that rate).  Past the finished
 * rates, by at most one grid step (the spacing of the nearest two), it is
 * the nearest finished rate's score (no credit beyond what was measured)
 * when no rate tried on that side failed; otherwise +inf: nothing measured
 * says how that rate fares, or it lies towards rates that diverged.  shift
 * 1 copies the scores. */
void os_horizon_predict(const double *lr, const double *score, size_t n, double shift,
                        double *out);

/* The shift for a full run `ratio` times as long as a trial: ratio^alpha,
 * 1 when ratio <= 0 (no full run declared). */
double os_horizon_shift(double ratio, double alpha);

#endif
