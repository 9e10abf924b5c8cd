/*
 * threads.h — the thread plan: how many trials run at once, and how many
 * threads each split step gets (the executor runs the trials on them).
 * Results never depend on either: a trial's numbers are the same on any
 * thread, and a split step sums its chunks in a fixed order.
 */
#ifndef OS_THREADS_H
#define OS_THREADS_H

#include <stddef.h>
#include "trial.h"

/* Trials at once, out of `threads` in all, when `trials` are ready to run:
 * never more threads than trials. */
int os_trial_threads(int threads, size_t trials);

/* The threads each of those trials may give the chunks of a split step
 * (batch_split), never more than split; 1 without a split. */
int os_step_threads(int threads, size_t trials, size_t split);

/* The threads a run of to_run trials takes when `requested` are asked for
 * (0: OpenMP's default), never more than its trials and their chunks can
 * use; sets env->step_threads, BLAS to one thread per trial, and OpenMP's
 * nesting for split steps. */
int os_threads_plan(int requested, size_t to_run, os_trial_env *env);

#endif
