/*
 * validate.h — `optselect validate`: does the selection predict the full
 * runs?  The study runs as configured (the selection); then every one of its
 * candidates trains for the whole [full] run (a grid, scored by the
 * smoothed final validation loss, `last`, averaged over [full] seeds
 * seeds when given: the truth the selection is judged by should not be
 * one seed's luck), and the two rankings are
 * compared:
 *
 *   kendall_tau   Kendall's tau-b between the selection's ranking and the
 *                 full runs' (ties: candidates that failed in either)
 *   spearman_rho  Spearman's rho, average ranks for ties
 *   ..._finished  the same over the candidates that finished in both (the
 *                 pairs of a failed candidate are the easy ones), and how
 *                 many failed in one and not the other
 *   regret        (full loss of the recommendation - best full loss) /
 *                 best full loss: what following the advice costs
 *   rank          the recommendation's place among the full runs
 *   compute       the steps the selection trained (range tests included)
 *                 as a fraction of the full grid's: each of the
 *                 selection's trials for the whole run
 */
#ifndef OS_VALIDATE_H
#define OS_VALIDATE_H

#include <stdio.h>
#include "report.h"
#include "study.h"

/* Kendall's tau-b of the pairs (x[i], y[i]): concordant minus discordant
 * pairs over the geometric mean of the pairs untied in x and in y.  Equal
 * values (including two infinities) tie.  NaN when either is constant. */
double os_kendall_tau_b(const double *x, const double *y, size_t n);

/* Spearman's rho: Pearson's correlation of the ranks, tied values taking
 * the mean of their ranks.  NaN when either is constant. */
double os_spearman_rho(const double *x, const double *y, size_t n);

typedef struct os_validation {
    size_t   n;              /* candidates (seeds averaged)                  */
    double   kendall_tau, spearman_rho;
    double   kendall_tau_finished, spearman_rho_finished;
    size_t   n_finished;     /* finished in both                             */
    size_t   n_failed_one;   /* failed (diverged) in one of the two only      */
    double   regret;         /* relative; +inf if the recommendation failed
                                its full run; NaN without a recommendation  */
    size_t   rank;           /* 1-based, among the full runs; 0: none        */
    size_t   recommended;    /* candidate index (seed 0) of the selection's pick */
    size_t   best;           /* candidate index of the best full run          */
    uint64_t selection_steps;/* trials and range tests                       */
    uint64_t full_steps;     /* the full grid: [full] steps x trials         */
    double   compute;        /* selection_steps / full_steps                  */
    size_t  *full_rank;      /* per group (candidate order): 1-based place
                                among the full runs                          */
    size_t  *sel_rank;       /* per group: place in the selection's ranking   */
    /* When the selection recommends its refined rate ([search] refine),
     * that rate is no candidate of the full grid: its full run trains apart
     * (os_validation_refined), and rank and regret are its. */
    int          refined;
    os_candidate refined_cand;  /* the winner's candidate at the refined rate */
    os_group     refined_full;  /* its full runs: mean loss over [full] seeds  */
} os_validation;

/* The --set overrides that turn the selection's config into its full runs:
 * [full] steps per trial, strategy = grid, score = last, the selection-only
 * keys at their defaults (so that any selection of the same candidates
 * shares one journal of full runs), and each optimizer's learning rates as
 * the selection resolved them (lr = auto).  Appends to *sets (each string
 * allocated; free them and the array). */
int os_validation_full_sets(const os_study *selection, char ***sets, size_t *n,
                            os_error *err);

/* Compares a finished selection with the full runs of the same candidates. */
int os_validation_compare(const os_study *selection, const os_study *full,
                          os_validation *v, os_error *err);
/* After os_validation_compare: when the selection's recommendation is a
 * refined rate, trains it for the full run on the full study's seeds
 * (counted in full's compute) and makes rank and regret its: the rank it
 * would take among the full runs (ties with a full run go its way).  Does
 * nothing otherwise.  An interrupt leaves v as it was; returns an error
 * only for memory. */
int os_validation_refined(const os_study *selection, os_study *full, os_validation *v,
                          const volatile sig_atomic_t *stop, os_error *err);
void os_validation_free(os_validation *v);

/* The comparison as text (a summary and a table of every candidate), JSON
 * or CSV (one row per candidate). */
int os_validation_write(FILE *out, const os_validation *v, const os_study *selection,
                        const os_study *full, os_format format);

#endif
