/*
 * isolate.h — runs a study's trials in worker processes, so that a plugin
 * that crashes, aborts, exits or hangs costs its trial, not the study.
 */
#ifndef OS_ISOLATE_H
#define OS_ISOLATE_H

#include <signal.h>
#include "study.h"

/* Runs every trial of s not yet done, at most workers at a time, each in
 * a forked process under env->timeout (killed past it).  Results go to
 * s->results and, when final, to s->journal as each worker ends.  After
 * max_crashes crashed, exited or timed-out trials of one plugin file, its
 * remaining trials are skipped as failed.  An interrupt (*stop) is passed
 * on to the workers; trials not started are marked interrupted. */
int os_isolated_run(os_study *s, const os_trial_env *env, int workers,
                    const volatile sig_atomic_t *stop, os_progress *progress, os_error *err);

/* The same for n more trials of the study (the refinement's): each runs
 * env->steps; no journal, no progress line.  The crash count starts
 * afresh. */
int os_isolated_train(os_study *s, const os_trial_env *env, int workers,
                      const os_candidate *cands, os_trial_result *results, size_t n,
                      os_error *err);

#endif
