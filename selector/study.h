/*
 * study.h — one study from config to ranking: load and split the data,
 * build the model, expand the candidates, run every trial (in parallel),
 * and rank the results.
 */
#ifndef OS_STUDY_H
#define OS_STUDY_H

#include "study_config.h"
#include "dataset.h"
#include "model.h"
#include "candidates.h"
#include "trial.h"
#include "journal.h"
#include "progress.h"
#include "lrfind.h"
#include "parabola.h"
#include "schedule.h"
#include "executor.h"
#include "plan.h"
#include "threads.h"

/* A candidate without its seed: the unit that is ranked and recommended. */
typedef struct os_group {
    size_t          first;      /* index of its first candidate (seed 0)     */
    size_t          n_seeds;
    os_trial_status status;     /* worst over its seeds                      */
    double          score;      /* mean final validation loss over its seeds;
                                   score = horizon: as predicted for the full
                                   run (horizon.h)                          */
    double          measured;   /* the trials' own mean score                */
    uint64_t        steps;      /* steps its trials reached (the least); with
                                   successive halving, the last budget      */
    double          score_std;  /* sample standard deviation (0 for 1 seed)  */
    double          val_acc;    /* mean final validation accuracy            */
    double          test_loss;  /* mean over seeds on the test set, or NaN   */
    double          test_acc;
} os_group;

/* [search] refine: the winner's learning rate between the grid's rates
 * (parabola.h), and the trials that measured the rate the fit proposes. */
typedef struct os_refinement {
    os_lr_fit        fit;         /* status NONE: not attempted               */
    uint64_t         at_steps;    /* the budget the fitted scores are at      */
    int              beyond_ok;   /* fit at an edge: the rate beyond it finished,
                                     but has no score (score = horizon)      */
    os_candidate    *cands;       /* the winner at fit.best_lr, on the winner's
                                     seeds, trained as far as the winner     */
    os_trial_result *results;
    size_t           n;           /* trials run; 0: none (see untrained)      */
    const char      *untrained;   /* with fit OK and n 0: why not             */
    os_group         measured;    /* their mean score ± std, accuracy, test   */
    int              recommended; /* measured lower than the winner's mean:
                                     the recommendation is the refined rate  */
} os_refinement;

typedef struct os_study {
    const os_config *cfg;        /* borrowed                                  */
    os_plan          plan;       /* what the config left open, resolved: the
                                    budgets, the full run, the schedules, the
                                    rates of lr = auto (plan.h)            */
    os_lrfind        lrfind[OS_MAX_OPTS]; /* lr = auto: each optimizer's range test */
    unsigned char    lrfound[OS_MAX_OPTS]; /* which ran                          */
    os_dataset       all;        /* as loaded; its rows are freed after the split */
    os_data_split    data;
    os_dataset       test;       /* held out, standardised like train; may be empty */
    os_model         model;
    unsigned char   *decays;     /* [search] decay = weights: per model tensor,
                                    whether it takes weight decay (os_env.
                                    decays); NULL: every tensor does       */
    const os_testfn *fn;         /* a test function instead of data and model */
    os_tensor        fn_tensor;
    os_layout        fn_layout;
    os_search        search;
    os_trial_result *results;    /* one per candidate, in candidate order     */
    os_group        *ranking;    /* best first                                */
    size_t           n_groups;
    int              threads;    /* threads (or worker processes) trials ran on */
    int              isolated;   /* in worker processes (isolation = process) */
    int              local;      /* MPI: on rank 0's own threads (the timing) */
    os_exec_sim     *sim;        /* NULL; or the simulated backend (a bench)  */
    size_t           n_interrupted; /* trials the stop request cut short      */
    size_t           n_resumed;  /* trials replayed from the journal          */
    uint64_t         steps_trained; /* by all trials: the compute spent       */
    uint64_t         steps_again; /* [trainer] command without {checkpoint}:
                                    steps promoted trials ran again from 0
                                    (this run's trials only)              */
    unsigned char   *done;       /* per candidate: finished before this run   */
    os_candidate    *rerun_cands;/* the noise check's extra seeds of the top  */
    os_trial_result *reruns;     /*   candidates ([search] rerun_top), and     */
    size_t           n_reruns;   /*   their results; counted in their groups  */
    os_refinement    refine;     /* [search] refine; not journaled: a resumed
                                    study refines again (same outcome)      */
    os_journal       journal;    /* fd -1 without one                         */
    char             versions_text[512]; /* the plugins' versions, for it      */
    double           seconds;    /* wall time of the trials                   */
    double           step_seconds; /* [search] seconds: a step's time as the
                                    timed trial measured it; 0: from the
                                    journal, or no budget in seconds         */
    uint64_t         timed_steps; /* the steps that trial ran                 */
    char            *trial_root;  /* [trainer] command: the trials' folders  */
    char            *workdir;     /* and the folder it runs in, absolute     */
    int              trial_root_temp; /* made for this run, removed by free  */
} os_study;

/* How to run a study's trials. */
typedef struct os_run_options {
    int         threads;         /* 0: OpenMP's default                       */
    const volatile sig_atomic_t *stop; /* raised by a signal; may be NULL     */
    int         isolate;         /* trials in worker processes (executor.h)   */
    FILE       *progress;        /* a terminal for the progress line, or NULL */
    int         color;           /* the progress line may use colours         */
} os_run_options;

/* Loads the data and builds everything the trials need, and resolves the
 * plan: the budgets, the full run and the schedules, the split, and lr =
 * auto by a range test per optimizer (lrfind.h).  cfg is not changed. */
int os_study_prepare(os_study *s, const os_config *cfg, os_error *err);

/* [search] seconds (calibrate.c): turns the budget in wall-clock seconds
 * into s->plan.steps (and the trials' schedule), by timing a trial of the
 * first candidate that does not stop early (in a worker process when
 * isolate), or by reading the steps from the journal at `journal` (may be
 * NULL) when an earlier run of the study left one.  Call after
 * os_study_prepare, before os_study_open_journal; does nothing without a
 * budget in seconds. */
int os_study_budget_seconds(os_study *s, int isolate, const char *journal, os_error *err);

/* [trainer] command: the folder of the trials' folders (logs and
 * checkpoints): output/trials, or without an output folder a temporary
 * one that os_study_free removes.  Nothing without a command. */
int os_study_trial_root(os_study *s, const char *output, os_error *err);

/* Opens (or creates) the study's journal at path and replays it: the trials
 * it records count as done.  Optional; call before os_study_run. */
int os_study_open_journal(os_study *s, const char *path, os_error *err);

/* Runs every trial on up to o->threads OpenMP threads, then ranks.  The
 * ranking is the same for any thread count.  When *o->stop becomes nonzero,
 * trials that have not started are not started and running ones end at
 * their next step, as "interrupted"; the finished ones are ranked as usual.
 * With a journal, trials it records as finished are not run again, and
 * each trial that finishes is recorded before it counts as done. */
int os_study_run(os_study *s, const os_run_options *o, os_error *err);

/* A hash of everything that decides the study's trials (fingerprint.c): the
 * keys whose values decide them, the candidates (with the files their
 * optimizers come from) and what the plan resolved.  A journal written
 * under another fingerprint is not replayed. */
uint64_t os_study_fingerprint(const os_study *s);

/* A hash of the versions of the study's plugins (ABI 1.2), which its
 * journal keeps beside the fingerprint, and "label version, ..." in text;
 * 0 when no plugin of the study is versioned (fingerprint.c). */
uint32_t os_study_plugin_versions(const os_study *s, char *text, size_t size);

/* ---- ranking.c ---------------------------------------------------------- */

/* Ranks the groups from the trials and the noise check's reruns into
 * s->ranking, best first: finished before diverged before failed, a group
 * that went further before one that stopped short (successive halving),
 * then the lower mean score, then the candidate order. */
void os_study_rank(os_study *s);

/* The j-th trial of group g (j < g->n_seeds): its seeds in order, the
 * noise check's reruns after the study's own. */
const os_trial_result *os_group_trial(const os_study *s, const os_group *g, size_t j,
                                      const os_candidate **c);

/* The choice between the first two of the ranking: the margin of the
 * winner's mean score over the runner-up's, and the seed noise of that
 * difference (the standard error sqrt(s1^2/n1 + s2^2/n2), from the seeds'
 * spread; NaN with one seed each).  A margin under twice the noise is a tie:
 * the seeds disagree about which is better. */
typedef struct os_choice {
    int    has_runner_up;   /* a second finished candidate                  */
    double margin, noise;
    int    tie;
} os_choice;
os_choice os_study_choice(const os_study *s);

/* The best finished candidate of another optimizer than the winner's, at
 * the winner's budget (NULL: none).  Labelled variants of one plugin count
 * as one optimizer. */
const os_group *os_study_best_other(const os_study *s);

/* A group's statistics from its n trials r[0..n): the worst status, mean
 * score (+inf unless every one finished) ± sample std, accuracy, test. */
void os_group_measure(os_group *g, const os_trial_result *r, size_t n);

/* ---- study.c ------------------------------------------------------------ */

/* The steps lr = auto's range tests took, before the trials. */
uint64_t os_study_lrfind_steps(const os_study *s);

/* The steps trained, as a fraction of what a full grid would train. */
double os_study_compute(const os_study *s);

/* The executor's plan for the study's own trials (its candidates,
 * results, journal and the trials done before) through budgets[0..nb), on
 * its threads, worker processes, MPI ranks or simulated backend. */
os_exec_plan os_study_plan(os_study *s, const os_trial_env *env, os_progress *progress,
                           const uint64_t *budgets, size_t nb);

/* Trains n more trials (cands[j] into results[j], each as far as
 * until[j], through the study's budgets) on the study's threads (or its
 * worker processes: then until[j] must be the study's steps); counts
 * their steps as compute.  env: the study's trial environment, or NULL to
 * make one (after os_study_run, as validate does).  Returns the first
 * trial's error, or 0; results record stops and divergence as usual. */
int os_study_train(os_study *s, const os_trial_env *env, const os_candidate *cands,
                   os_trial_result *results, size_t n, const uint64_t *until,
                   const volatile sig_atomic_t *stop, os_error *err);

/* [search] refine, after the ranking (refinement.c): fits the winner's
 * rate and, when the fit has an interior minimum away from the winner's
 * rate, trains it on the winner's seeds (in worker processes with
 * isolation = process). */
int os_study_refine(os_study *s, const os_trial_env *env, os_error *err);

/* What the study recommends: the winner (*g its group), or the winner at
 * the refined rate (*g its measured statistics), copied into *buf.  NULL
 * when no candidate finished. */
const os_candidate *os_study_pick(const os_study *s, os_candidate *buf, const os_group **g);

void os_study_free(os_study *s);

#endif
