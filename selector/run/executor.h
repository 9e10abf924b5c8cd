/*
 * executor.h — the one trial loop.  A strategy (the grid, successive
 * halving and hyperband, the noise check's reruns, the refinement, the
 * seconds calibration, validate's full runs) only decides what to train
 * next: "trial i through budget k, then end it or keep it".  The executor
 * runs that on a backend and reports back; each trial is opened once and
 * ended once, and its end is where the final score, the journal record and
 * the progress line are written, for every strategy alike.
 *
 * Backends:
 *   - threads in this process (the default): trials run side by side on
 *     OpenMP threads, each with a one-thread BLAS;
 *   - worker processes (isolation = process, exec_process.c): one process
 *     per open trial holds its state between budgets, so a promoted trial
 *     continues where it stopped; a plugin that crashes, exits or hangs
 *     fails its own trial only;
 *   - MPI ranks (mpirun, exec_mpi.c): rank 0 schedules and every other rank
 *     trains the trials it opened; each rank calls os_exec_run for the same
 *     step and all return rank 0's results (world.h).
 * The steps a trial takes and the points of its curve depend only on the
 * budgets it is trained through, so every backend, any number of threads
 * or processes and any order of completion give the same results.
 */
#ifndef OS_EXECUTOR_H
#define OS_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>
#include "journal.h"
#include "progress.h"
#include "trial.h"

typedef enum os_exec_what {
    OS_EXEC_TRAIN, /* train job.trial through budgets[0..job.target] (those it has
                      not passed), then end it when job.end                    */
    OS_EXEC_END,   /* end job.trial where it stands: nothing needs it any more   */
    OS_EXEC_WAIT,  /* nothing to do now: ask again when a running job is done   */
    OS_EXEC_QUIT   /* nothing more from the strategy                            */
} os_exec_what;

typedef struct os_exec_job {
    size_t trial;  /* index into the plan's candidates and results              */
    int    target; /* the last budget index to pass; -1: none                   */
    int    end;    /* TRAIN: end the trial after its last budget                */
} os_exec_job;

typedef struct os_exec os_exec;

/* A simulated backend, for measuring the scheduler without training:
 * `workers` virtual workers, one unit of virtual time a step, and the
 * validation loss of trial i at a step from loss(). */
typedef struct os_exec_sim {
    size_t   workers;
    int      sticky;      /* a trial stays on the worker that opened it   */
    double (*loss)(void *ctx, size_t trial, uint64_t step);
    void    *ctx;
    uint64_t completions; /* out: jobs done                              */
    double   makespan;    /* out: virtual time (steps) to the last one    */
    double   busy;        /* out: steps the workers trained               */
} os_exec_sim;

/* What a strategy tells the executor, and hears from it.  next and done
 * run under the executor's lock (one at a time, on any thread); passed
 * runs outside it, on the thread that trains the trial, and may touch only
 * that trial's own data. */
typedef struct os_exec_strategy {
    void *ctx;
    /* The next job into *job; *ready: how many more are ready beside it
     * (the threads a split step may use are shared out by it).  Not asked
     * once the study stops or an error happened. */
    os_exec_what (*next)(void *ctx, const os_exec *x, os_exec_job *job, size_t *ready);
    /* Trial `trial` passed budgets[k], or stopped (diverged, failed,
     * interrupted) on the way to it: then it passes no later budget.
     * NULL: not wanted. */
    void (*passed)(void *ctx, size_t trial, size_t k, int stopped);
    /* A job is done (its trial is no longer busy); called once with job
     * NULL before the first, for the strategy's first decisions.  NULL:
     * not wanted. */
    void (*done)(void *ctx, const os_exec *x, const os_exec_job *job);
} os_exec_strategy;

/* What to run, and where. */
typedef struct os_exec_plan {
    const os_trial_env  *env;      /* read-only; its stop flag is watched       */
    const os_candidate  *cands;    /* n                                         */
    os_trial_result     *results;  /* n, zeroed or replayed by the caller       */
    const unsigned char *done;     /* trials finished before (the journal):
                                      never run, reached at every budget; NULL:
                                      none                                     */
    size_t               n;
    const uint64_t      *budgets;  /* ascending steps; nb >= 1                  */
    size_t               nb;
    int                  workers;  /* threads, or worker processes, at most     */
    int                  isolate;  /* worker processes                          */
    os_journal          *journal;  /* ended trials are recorded in it (not the
                                      interrupted); NULL or fd < 0: none       */
    os_progress         *progress; /* NULL: none                                */
    uint64_t             max_crashes; /* isolate: crashes, exits or time-outs of
                                      one plugin file before its remaining
                                      trials are skipped; 0: no limit          */
    os_exec_sim         *sim;      /* NULL, or the simulated backend          */
    int                  local;    /* MPI: rank 0 runs it on its own threads
                                      and the other ranks do not call
                                      os_exec_run (the seconds' timing)       */
} os_exec_plan;

/* Runs the strategy to its end.  Afterwards every trial not done before is
 * ended: finished (trained as far as the strategy took it, measured on the
 * test set, journaled), interrupted (the study stopped while it was open
 * or running), failed (an error in its worker), or marked not started.
 * Returns 0, or the first host error (out of memory, a journal that cannot
 * be written, a worker that cannot be started) with err set; after an
 * error no more work is handed out. */
int os_exec_run(const os_exec_plan *p, const os_exec_strategy *st, os_error *err);

/* For strategies, inside next and done. */
int    os_exec_reached(const os_exec *x, size_t i, size_t k); /* done before, ended, or
                                      idle and either stopped or at budgets[k] */
int    os_exec_busy(const os_exec *x, size_t i);
int    os_exec_opened(const os_exec *x, size_t i);  /* opened and not ended yet */
size_t os_exec_running(const os_exec *x);           /* jobs in progress         */

/* The grid as a strategy: every trial not done before, in index order,
 * through budget index targets[i] (or `target` for all when targets is
 * NULL; -1: none) and ended.  ctx: an os_exec_sweep, zeroed but for the
 * targets. */
typedef struct os_exec_sweep {
    int        target;
    const int *targets;
    size_t     next;
} os_exec_sweep;
os_exec_what os_exec_sweep_next(void *ctx, const os_exec *x, os_exec_job *job, size_t *ready);

#endif
