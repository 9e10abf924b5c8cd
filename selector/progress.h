/*
 * progress.h — the live progress line on a terminal: trials done of the
 * total, running, diverged and failed, time elapsed and an estimate of the
 * time left.  Redrawn in place at most ten times a second, on standard
 * error, and only when that is a terminal (main decides; --quiet turns it
 * off).  Callers serialise the calls (the study calls them inside a
 * critical section).
 */
#ifndef OS_PROGRESS_H
#define OS_PROGRESS_H

#include <stdio.h>
#include "trial.h"

typedef struct os_progress {
    FILE  *out;        /* NULL: disabled, every call does nothing */
    int    color;
    size_t total, done, running, diverged, failed;
    size_t first_done; /* replayed from a journal: not part of the pace */
    double start, last_draw;
} os_progress;

/* Starts the display for total trials of which done are already finished
 * (a resumed study); out NULL disables it. */
void os_progress_begin(os_progress *p, FILE *out, int color, size_t total, size_t done);
void os_progress_started(os_progress *p);
void os_progress_finished(os_progress *p, os_trial_status status);
/* Erases the line, so that what follows starts on a clean one. */
void os_progress_end(os_progress *p);

#endif
