/*
 * progress.h — the live progress line on a terminal: trials done of the
 * total, running, diverged and failed, time elapsed and an estimate of the
 * time left.  Redrawn in place when a trial starts or ends (at most ten
 * times a second) and once a second in between, so the clock runs during
 * long trials; on standard error, and only when that is a terminal (main
 * decides; --quiet turns it off).  The calls may come from any thread: the
 * line has a lock of its own, which the once-a-second ticker takes too.
 */
#ifndef OS_PROGRESS_H
#define OS_PROGRESS_H

#include <pthread.h>
#include <stdio.h>
#include "trial.h"

typedef struct os_progress {
    FILE  *out;        /* NULL: disabled, every call does nothing */
    int    color;
    size_t total, done, running, diverged, failed;
    size_t first_done; /* replayed from a journal: not part of the pace */
    double start, last_draw;
    pthread_mutex_t lock;    /* over everything above, with out set   */
    pthread_t       ticker;  /* redraws once a second while it runs   */
    int             ticking, stop;
} os_progress;

/* Starts the display for total trials of which done are already finished
 * (a resumed study); out NULL disables it. */
void os_progress_begin(os_progress *p, FILE *out, int color, size_t total, size_t done);
void os_progress_started(os_progress *p);
void os_progress_finished(os_progress *p, os_trial_status status);
/* Stops the ticker and erases the line, so that what follows starts on a
 * clean one. */
void os_progress_end(os_progress *p);

#endif
