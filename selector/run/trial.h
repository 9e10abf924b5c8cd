/*
 * trial.h — one trial: train a fresh model with one candidate's optimizer
 * and learning rate for a budget of steps, recording its curve.
 *
 * A trial reads only shared, immutable inputs (model, data) and writes only
 * its own result, so any number run at once on any threads, and its numbers
 * depend only on (study seed, candidate).
 */
#ifndef OS_TRIAL_H
#define OS_TRIAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "dataset.h"
#include "model.h"
#include "schedule.h"
#include "score.h"
#include "candidates.h"
#include "testfn.h"
#include "command.h"

typedef enum os_trial_status {
    OS_TRIAL_OK,        /* ran its whole budget                                  */
    OS_TRIAL_DIVERGED,  /* loss became non-finite or exceeded the divergence bound */
    OS_TRIAL_FAILED,    /* the optimizer returned an error                       */
    OS_TRIAL_INTERRUPTED /* the study was told to stop before the trial finished  */
} os_trial_status;

const char *os_trial_status_name(os_trial_status s);

typedef struct os_trial_result {
    os_trial_status status;
    uint64_t        steps;      /* steps completed                              */
    double          score;      /* final validation loss; +inf unless OK        */
    os_curve_point *curve;      /* step 0, every eval_every steps, the last one */
    size_t          n_curve;
    char            message[256]; /* why it diverged or failed; else empty     */
    double          test_loss;  /* on the held-out test set when the study has
                                   one and the trial finished; else NaN        */
    double          test_acc;
    float          *path;       /* test functions: (x, y) after each step,
                                   starting with the start; else NULL       */
    size_t          n_path;     /* points in path                            */
    uint64_t        steps_run;  /* command trials: the steps their program ran
                                   in all, a promoted trial without a
                                   checkpoint again from 0; not journaled  */
} os_trial_result;

/* Result r's score at a budget (os_score_at_budget on its curve). */
static inline double os_trial_score_at(const os_trial_result *r, uint64_t budget,
                                       os_score_kind kind, uint64_t horizon)
{
    return os_score_at_budget(r->curve, r->n_curve, r->status == OS_TRIAL_OK, budget, kind,
                              horizon);
}

/* What every trial of a study shares; read-only. */
typedef struct os_trial_env {
    const os_model      *model;
    const unsigned char *decays; /* per model tensor, whether it takes weight
                                    decay (os_env.decays); NULL: every one  */
    const os_data_split *data;
    const os_dataset    *test;  /* held-out test set, or NULL                   */
    const os_testfn     *fn;    /* a test function instead of model and data  */
    const os_layout     *fn_layout; /* its two parameters                       */
    double               start[2];
    uint64_t steps, batch_size, eval_every, seed;
    double   smoothing, diverge_factor;
    const volatile int  *stop;  /* nonzero asks running trials to end at their
                                   next step; may be NULL                       */
    const volatile int  *halt;  /* the same, raised by the study itself (a
                                   journal it cannot write); may be NULL       */
    double               timeout; /* seconds before the trial fails as timed
                                     out, checked between steps; 0: none      */
    int                  score_kind; /* os_score_kind: how a curve is scored  */
    uint64_t             horizon;    /* the full run's steps, for extrapolation */
    const os_schedule   *schedule;   /* each step's rate is the candidate's
                                        times os_schedule_factor; NULL: the
                                        candidate's rate throughout          */
    size_t               split;      /* chunks of each step's batch; 0 or 1:
                                        none (os_model_train_split)          */
    int                  step_threads; /* threads for those chunks, at first */
    /* Where the trials of seed index k start, made once per study by
     * os_trial_starts_make (every candidate of a seed starts alike);
     * k >= n_starts draws and measures its own. */
    const struct os_trial_start *starts;
    size_t               n_starts;
    /* [trainer] command: every trial runs the user's program instead of
     * the model above (trial_command.c); NULL: none. */
    const os_command    *command;
    const char          *workdir;     /* where it runs                       */
    const char          *trial_root;  /* trial I's folder is trial_root/tI   */
    int                  logs_kept;   /* it outlives the study (--output): a
                                         message may point to a log there   */
    uint64_t             command_threads; /* its OMP_NUM_THREADS and the like */
} os_trial_env;

/* The start of seed index k's trials: initial weights, the seed's
 * generator after drawing them (the batch order comes next), and the
 * step-0 validation measurement at those weights. */
typedef struct os_trial_start {
    float  *params;             /* layout.n floats */
    os_rng  rng;
    double  val_loss, val_acc;
} os_trial_start;

/* Makes the starts of seed indices 0..n-1 (*out, freed with
 * os_trial_starts_free).  0, or OS_ERR_NOMEM. */
int os_trial_starts_make(const os_trial_env *env, size_t n, os_trial_start **out,
                         os_error *err);
void os_trial_starts_free(os_trial_start *starts, size_t n);

/* Runs candidate c for env->steps.  Returns 0 (the outcome is in r,
 * whatever it was) or OS_ERR_NOMEM with err set. */
int os_trial_run(const os_trial_env *env, const os_candidate *c, os_trial_result *r,
                 os_error *err);

/* The same in pieces, for budgets that grow: open (initial weights, the
 * optimizer's state, the step-0 measurement), advance to a number of steps
 * (measured there, and every eval_every steps) as often as wanted, finish
 * (the test set, the final status and score), close.  extra_points is room
 * in the curve for budgets that are not multiples of eval_every.  While it
 * runs, r->status is OK unless the trial stopped (os_trial_stopped). */
typedef struct os_trial os_trial;
int  os_trial_open(os_trial **tr, const os_trial_env *env, const os_candidate *c,
                   size_t extra_points, os_trial_result *r, os_error *err);
void os_trial_advance(os_trial *tr, uint64_t until);
void os_trial_finish(os_trial *tr);
void os_trial_close(os_trial *tr);          /* NULL is fine */
uint64_t os_trial_steps(const os_trial *tr);
/* Threads the chunks of this trial's steps may use from now on (the study
 * hands out what the trials running beside it leave idle); the results do
 * not depend on it. */
void os_trial_set_threads(os_trial *tr, int threads);
int  os_trial_stopped(const os_trial *tr);  /* diverged, failed or interrupted */
void os_trial_result_free(os_trial_result *r);

/* Marks a trial that never started because the study was interrupted. */
void os_trial_not_started(os_trial_result *r);

/* Whether the study asked its trials to stop (either flag raised). */
int os_trial_should_stop(const os_trial_env *env);

/* ---- trial_command.c ----------------------------------------------------
 * The trial kind that runs the [trainer] command behind os_trial_open,
 * advance, finish and close: trial.c hands a trial of a command study over
 * to it, through these (declared here so that the kind depends on the
 * trial's types and the trial on nothing of the kind's). */
typedef struct os_cmd_trial os_cmd_trial;

/* Makes the trial's folder (a stale checkpoint in it removed) and its
 * curve; runs nothing yet.  0, or a host error (memory, the folder). */
int  os_cmd_open(os_cmd_trial **out, const os_trial_env *env, const os_candidate *c,
                 os_trial_result *r, os_error *err);
/* Runs the program to step until: on from the checkpoint when the command
 * takes one ({checkpoint}), else again from step 0.  Its outcome is in
 * the result; a stopped trial runs no more. */
void os_cmd_advance(os_cmd_trial *t, uint64_t until);
uint64_t os_cmd_steps(const os_cmd_trial *t);
int  os_cmd_stopped(const os_cmd_trial *t);
void os_cmd_close(os_cmd_trial *t);  /* NULL is fine */

#endif
