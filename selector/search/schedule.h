/*
 * schedule.h — the learning-rate schedule the host applies: every step's
 * rate is the candidate's peak rate times os_schedule_factor.
 *
 * The full run declares one ([full] schedule, warmup, floor, decay,
 * milestones, gamma); a trial follows it compressed to the trial's length
 * ([search] schedule = follow) or runs at its peak throughout (constant).
 * Pure functions: no state, no allocation, the same factor for the same
 * step on any thread.
 */
#ifndef OS_SCHEDULE_H
#define OS_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

typedef enum os_schedule_kind {
    OS_SCHED_CONSTANT,   /* the peak throughout (after any warm-up)          */
    OS_SCHED_COSINE,     /* half a cosine from the peak down to the floor    */
    OS_SCHED_LINEAR,     /* a straight line from the peak down to the floor  */
    OS_SCHED_STEP,       /* times gamma at each milestone, never below floor */
    OS_SCHED_WSD         /* warm-up, stable at the peak, then a linear decay
                            to the floor over the last `decay` of the run   */
} os_schedule_kind;

#define OS_SCHED_MAX_MILESTONES 8

typedef struct os_schedule {
    os_schedule_kind kind;
    uint64_t steps;      /* the steps the schedule spans (>= 1)              */
    uint64_t warmup;     /* the first `warmup` steps rise linearly to the
                            peak: step t (1-based) takes t / warmup; < steps */
    double   floor;      /* the factor the decay ends at, 0..1               */
    double   decay;      /* wsd: the fraction of the post-warm-up steps that
                            decay, (0, 1]                                    */
    double   gamma;      /* step: the factor at each milestone, (0, 1]       */
    double   milestones[OS_SCHED_MAX_MILESTONES]; /* step: increasing
                            fractions of the post-warm-up steps, in (0, 1)  */
    size_t   n_milestones;
} os_schedule;

/* The factor of the rate at step t (1-based; the step the optimizer is
 * given).  After the warm-up, progress p = (t - 1 - warmup) / (steps -
 * warmup) runs from 0 at the first step past it towards 1 at the last, so
 * the first step after the warm-up takes the peak and the last one a rate
 * just above the floor (as torch's CosineAnnealingLR with T_max = steps):
 *   cosine  floor + (1 - floor) (1 + cos(pi p)) / 2
 *   linear  1 - (1 - floor) p
 *   step    max(floor, gamma^k), k the milestones m with p >= m
 *   wsd     1 while p < 1 - decay, then 1 - (1 - floor) (p - 1 + decay) / decay
 * A constant schedule without warm-up gives exactly 1.  Steps past `steps`
 * keep the last step's factor. */
double os_schedule_factor(const os_schedule *s, uint64_t t);

/* The schedule s compressed (or stretched) to `steps`: the same shape, the
 * warm-up scaled in proportion (at least one step when s has any, and
 * fewer than steps). */
os_schedule os_schedule_scaled(const os_schedule *s, uint64_t steps);

/* "constant", "cosine", ...; the kind for a name, or -1. */
const char *os_schedule_name(os_schedule_kind kind);
int os_schedule_from_name(const char *name);

/* A short description for reports, e.g. "cosine, 50 warm-up steps, to 0.01
 * of the peak".  Returns buf. */
char *os_schedule_describe(const os_schedule *s, char *buf, size_t size);

#endif
