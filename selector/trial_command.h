/*
 * trial_command.h — the trial kind that runs the [trainer] command
 * (trial_command.c) behind os_trial_open/advance/finish/close: trial.c
 * hands a trial of a command study over to it.
 */
#ifndef OS_TRIAL_COMMAND_H
#define OS_TRIAL_COMMAND_H

#include "trial.h"

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
