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
#include <stdint.h>
#include "error.h"
#include "dataset.h"
#include "model.h"
#include "testfn.h"

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

struct os_opt_config;
struct os_lr_spec;

/* What a range test trains on: a test function, or the study's model on
 * its trials' rows, from seed 0's weights and batch order. */
typedef struct os_lrfind_on {
    const os_testfn     *fn;         /* NULL: the model on the data          */
    const os_layout     *fn_layout;  /* the function's point                 */
    double               start[2];   /* and where it starts                  */
    const os_model      *model;
    const unsigned char *decays;     /* the model's tensors' decay flags, as
                                        the trials have them; NULL: all    */
    const os_data_split *data;       /* its training rows and the subset     */
    uint64_t             batch_size; /* [search] batch_size                  */
    uint64_t             seed;       /* the study's                          */
    double               smoothing;  /* the curve's, as the trials smooth it */
} os_lrfind_on;

/* lr = auto for optimizer o: the range test on `on` (o's first
 * hyperparameter combination, rates from 1e-4 to 1e3 times the default
 * over 200 steps), then *lr (o's spec, in the study's plan) becomes
 * lr_points rates log-spaced over the band, rounded to 4 significant
 * digits.  When the loss never fell, *lr keeps its lr_range around the
 * default instead. */
int os_lrfind_optimizer(const os_lrfind_on *on, const struct os_opt_config *o,
                        struct os_lr_spec *lr, os_lrfind *out, os_error *err);

#endif
