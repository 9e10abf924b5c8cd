/*
 * lrfind.h — the learning-rate range test (Smith 2017, "Cyclical Learning
 * Rates"; fastai's lr_find): one short run whose learning rate grows
 * exponentially from lo to hi, step by step, reading the smoothed training
 * loss.  The loss falls while the rate is useful and blows up once it is
 * too large; the rate where the smoothed loss was lowest, and the one where
 * it started to diverge, bound the band worth searching.
 */
#ifndef OS_LRFIND_H
#define OS_LRFIND_H

#include <stddef.h>
#include "error.h"

/* One step of training at learning rate lr; returns the loss measured
 * before the step (NaN or inf when it broke). */
typedef double (*os_lrfind_step_fn)(void *ctx, double lr);

#define OS_LRFIND_MAX_POINTS 256 /* the curve kept: the test takes 200 steps */

typedef struct os_lrfind {
    double best_lr;      /* where the smoothed loss was lowest                */
    double diverge_lr;   /* where it passed 4x its lowest, or hi if it never did */
    double lo, hi;       /* the band proposed: [best_lr / 30, best_lr]         */
    size_t steps;        /* steps taken (the test stops at divergence)         */
    int    ok;           /* the loss fell somewhere: the band means something */
    /* the curve: each step's rate and smoothed loss, up to where it stopped
     * (the report's JSON and lrfind.svg) */
    double curve_lr[OS_LRFIND_MAX_POINTS], curve_loss[OS_LRFIND_MAX_POINTS];
    size_t n_curve;
} os_lrfind;

/* Runs steps steps from lr lo to hi (log-spaced), smoothing the loss with
 * an exponential average of decay beta (bias-corrected). */
os_lrfind os_lrfind_run(os_lrfind_step_fn step, void *ctx, double lo, double hi, size_t steps,
                        double beta);

struct os_study;
struct os_opt_config;
struct os_lr_spec;

/* lr = auto for optimizer o of a prepared study: the range test on the
 * study's model and data (seed 0's weights and batches, o's first
 * hyperparameter combination, rates from 1e-4 to 1e3 times the default
 * over 200 steps), then *lr (o's spec, in the study's plan) becomes
 * lr_points rates log-spaced over the band, rounded to 4 significant
 * digits.  When the loss never fell, *lr keeps its lr_range around the
 * default instead. */
int os_lrfind_optimizer(const struct os_study *s, const struct os_opt_config *o,
                        struct os_lr_spec *lr, os_lrfind *out, os_error *err);

#endif
