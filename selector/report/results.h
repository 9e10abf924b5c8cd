/*
 * results.h — a study's results folder (--output DIR):
 *
 *   config.ini   the effective configuration; written before the first
 *                trial, so `optselect --resume DIR` has the study to resume
 *   journal      every finished trial, appended as it finishes (journal.h)
 *   report.json  the ranking, the recommendation and every trial's curve
 *   trials.csv   one row per trial
 *
 * Every file but the journal is written to a temporary name, fsync'd and
 * renamed: the final name never holds a truncated file.
 */
#ifndef OS_RESULTS_H
#define OS_RESULTS_H

#include <stdio.h>
#include "study.h"

/* Creates dir, and the folders leading to it, if they do not exist. */
int os_results_prepare(const char *dir, os_error *err);

/* Takes the results folder dir for this process: a lock on dir/.lock
 * (flock, so a killed holder releases it), which names the holder's pid.
 * A second process refused gets one line naming the folder and that pid.
 * *fd is the lock's; hand it to os_results_unlock when the study is done. */
int os_results_lock(const char *dir, int *fd, os_error *err);
void os_results_unlock(int fd);

/* "dir/name" in a new buffer, or NULL when out of memory. */
char *os_results_path(const char *dir, const char *name);

/* Writes path atomically with fill(out, arg), which returns 0, -1 when a
 * write failed, or -2 when it ran out of memory. */
int os_write_atomic(const char *path, int (*fill)(FILE *out, const void *arg),
                    const void *arg, os_error *err);

int os_results_write_config(const char *dir, const os_config *cfg, os_error *err);
int os_results_write_reports(const char *dir, const os_study *s, os_error *err);

#endif
