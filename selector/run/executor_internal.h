/*
 * executor_internal.h — what the executor (executor.c) shares with its
 * backends (the threads in executor.c, the worker processes in
 * exec_process.c, the MPI ranks in exec_mpi.c).  Not for strategies: they see executor.h only.
 */
#ifndef OS_EXECUTOR_INTERNAL_H
#define OS_EXECUTOR_INTERNAL_H

#include "executor.h"

struct os_exec {
    const os_exec_plan     *p;
    const os_exec_strategy *st;
    os_trial_env            env;    /* the plan's, halted by the executor's own flag */
    volatile int            halt;   /* raised on a host error: running trials end  */
    os_trial              **trials; /* threads: each open trial's state            */
    unsigned char          *busy;   /* per trial: a job has it                      */
    unsigned char          *opened; /* per trial: open, not ended                   */
    unsigned char          *ended;
    size_t                 *passed; /* per trial: budgets passed (0..nb)            */
    size_t                  running;
    size_t                  end_scan; /* trials below it are ended (or done before) */
    int                     rc;
    os_error               *err;
};

/* Under the lock: the next job (the strategy's, then ending what it left
 * open), with x->running and busy counted for TRAIN and END. */
os_exec_what os_exec_take(os_exec *x, os_exec_job *job, size_t *ready);

/* Under the lock: the job is over; code and e: its host error, if any. */
void os_exec_release(os_exec *x, const os_exec_job *job, int code, const os_error *e);

/* Under the lock: trial i is ended; its result is final.  Writes the
 * progress line and the journal record; returns the journal's error. */
int os_exec_ended(os_exec *x, size_t i, os_error *e);

/* Whether to hand out more work: not after an error or a stop. */
int os_exec_stopping(const os_exec *x);

/* A trial left open when the study stopped: interrupted where it stands. */
void os_exec_interrupt_open(os_exec *x, size_t i);

/* The worker-process backend (exec_process.c). */
int os_exec_processes(os_exec *x);

/* The MPI backend (exec_mpi.c): on rank 0, the scheduler, which calls
 * finalize(x, rc) (the executor's end of every trial not ended) before it
 * sends every rank the results; on the other ranks, the trainer, which
 * returns with rank 0's results, code and error. */
int os_exec_ranks(os_exec *x, int (*finalize)(os_exec *x, int rc));
int os_exec_serve(os_exec *x);

/* The simulated backend (exec_sim.c, plan.sim). */
int os_exec_simulate(os_exec *x);

#endif
