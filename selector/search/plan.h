/*
 * plan.h — the study as it will run.
 *
 * The config (study_config.h) is what the user wrote, checked, and const
 * from the end of os_config_load on.  What it leaves open until the data,
 * the model and the plugins are known is resolved once, into the plan, by
 * os_study_prepare (study.c), and by the two measurements that come after
 * it: the rate range tests of lr = auto (lrfind.c) write the rate lists,
 * the seconds calibration (calibrate.c) writes the steps.  Every later
 * stage (the strategies, the trials, the ranking, the reports, validate)
 * reads the plan for these values and never the config's originals.
 */
#ifndef OS_PLAN_H
#define OS_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include "study_config.h"
#include "schedule.h"
#include "score.h"
#include "model.h"

/* [search] strategy, auto resolved (os_config_load). */
typedef enum os_strategy {
    OS_STRATEGY_GRID,
    OS_STRATEGY_HALVING,
    OS_STRATEGY_HYPERBAND,
    OS_STRATEGY_ASHA
} os_strategy;

/* [search] refine. */
typedef enum os_refine_mode {
    OS_REFINE_OFF,
    OS_REFINE_REPORT,    /* fit and report the band, train nothing       */
    OS_REFINE_TRAIN      /* and measure the fitted rate by trials         */
} os_refine_mode;

#define OS_MAX_BUDGETS 32

typedef struct os_plan {
    uint64_t       steps;        /* a trial's budget: [search] steps, or what
                                    epochs, a fraction of the full run or
                                    seconds come to (>= 1)                  */
    uint64_t       full_steps;   /* the full run's: [full] steps, or what its
                                    epochs come to; 0: no full run declared  */
    uint64_t       full_rows;    /* the rows it trains on ([full] data)      */
    uint64_t       full_batch;   /* and its batch: [full] batch_size, or the
                                    trials'                                 */
    os_schedule    full_schedule; /* spanning full_steps (steps 0 without)   */
    os_schedule    schedule;     /* every trial's: follow or constant        */
    double         horizon_ratio; /* the full run's rows trained over a
                                    trial's; 0 without a full run           */
    size_t         subset_given; /* [data] subset's rows when the trials'
                                    pool grew past it (subset_grow); else 0 */
    uint64_t       batch_split;  /* chunks of a split step, >= 1 (auto
                                    resolved from the model and the cores)  */
    uint64_t       batch_max;    /* the largest and smallest of [search]    */
    uint64_t       batch_min;    /*   batch_size (one value, or a list)      */
    os_strategy    strategy;
    uint64_t       eta;          /* halving, hyperband, asha: 1 in eta goes
                                    on (reduction_factor, auto resolved)   */
    os_fractions   rungs;        /* their budgets as fractions of steps
                                    (auto resolved); n = 0: from min_steps
                                    up, eta times each (os_plan_rungs)     */
    uint64_t       min_steps;    /* that ladder's first budget; 0: steps /
                                    eta^2                                   */
    os_score_kind  score;
    os_refine_mode refine;
    int            isolate;      /* isolation = process                     */
    os_lr_spec     lr[OS_MAX_OPTS]; /* each optimizer's rates: its section's,
                                    or the list lr = auto's range test found
                                    (autotune 0 once resolved)             */
} os_plan;

/* The plan's start from a loaded config: the values as given (steps,
 * full_steps, batch_split 0 for auto, the rate specs) and the enums of the
 * config's choices.  os_study_prepare resolves the rest. */
void os_plan_init(os_plan *p, const os_config *cfg);

/* The full run's rows (all n_train, or the trials' n_subset with [full]
 * data = subset) and the budgets given in epochs or as a fraction of the
 * full run, in steps; a [full] batch_size over the full run's rows is an
 * error naming the key. */
int os_plan_budgets(os_plan *p, const os_config *cfg, size_t n_subset, size_t n_train,
                    os_error *err);

/* The rows the trials' pool needs ([data] subset_grow): n_subset, or more
 * when the trials would pass over it more often than the full run passes
 * over its rows.  Call after os_plan_budgets. */
size_t os_plan_pool(const os_plan *p, const os_config *cfg, size_t n_subset, size_t n_train);

/* The budgets from min_steps (0: steps / eta^2) up to steps, each eta times
 * the one before, rounded, the last exactly steps; ascending, without
 * repeats.  Returns their count (at least 1). */
size_t os_halving_budgets(uint64_t steps, uint64_t min_steps, uint64_t eta,
                          uint64_t budgets[OS_MAX_BUDGETS]);

/* The budgets of halving, hyperband and asha, ascending, the last exactly
 * steps (plan.rungs of steps, or the ladder from min_steps); grid: steps
 * alone.  Returns their count (at least 1). */
size_t os_plan_rungs(const os_plan *p, uint64_t budgets[OS_MAX_BUDGETS]);

/* The full run's schedule and the trials' (full_schedule, schedule) and the
 * horizon ratio, once steps and full_steps are known; a warm-up as long as
 * the full run is an error naming the key. */
int os_plan_schedules(os_plan *p, const os_config *cfg, os_error *err);

/* batch_split = auto: the chunks of a split step for `trials` trials of the
 * model m on this machine's cores (1 unless the step is mostly matrix
 * products and cores would idle); a split given in the config stays. */
void os_plan_split(os_plan *p, const os_model *m, size_t trials);

#endif
