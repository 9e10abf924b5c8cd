/*
 * halving.h — successive halving (Jamieson & Talwalkar 2016; Li et al.'s
 * Hyperband uses it as its inner loop): every candidate trains for a small
 * budget, the best 1 in eta continue to an eta-times larger budget, and so
 * on up to the full one.  Promoted trials continue from where they stopped.
 *
 * Threads are refilled as trials finish: a candidate goes on to the next
 * budget as soon as it is certain to be promoted (fewer than the number
 * kept are better or still unmeasured), without waiting for the rest of its
 * budget, and every hyperband bracket starts at once.  The promotions are
 * still those of synchronous halving — decided by score and then candidate
 * order, each trial scored as it was when it passed the budget — so the
 * result does not depend on the number of threads or on timing.
 */
#ifndef OS_HALVING_H
#define OS_HALVING_H

#include <stddef.h>
#include <stdint.h>
#include "executor.h"
#include "plan.h"

/* The candidates (group indices in alive[0..n)) that go on: the keep
 * lowest scores, ties by lower index; NaN scores last.  Writes them to out
 * in ascending index order and returns how many (min(keep, n)). */
size_t os_halving_promote(const double *score, const size_t *alive, size_t n, size_t keep,
                          size_t *out);

/* Which of the alive groups are already certain to be promoted while some
 * are still unmeasured: measured[g] says whether group g has its score
 * score[g] at this budget.  A measured group is certain when fewer than
 * keep others are measured and ahead of it (os_halving_promote's order) or
 * unmeasured: however the rest come out, it is among the keep.  Sets
 * sure[g] for those (and only those) of alive; returns how many. */
size_t os_halving_sure(const double *score, const unsigned char *measured, const size_t *alive,
                       size_t n, size_t keep, unsigned char *sure);

/* Hyperband (Li et al. 2017, "Hyperband: a novel bandit-based approach to
 * hyperparameter optimization"): n_levels brackets of successive halving
 * over the same budgets, bracket b joining at budget b, so that the
 * brackets that start late (down to the last, which trains its candidates
 * for the whole budget) hedge against the early budgets misjudging a
 * candidate.  Bracket sizes follow the paper's (equal cost per bracket),
 * scaled so that bracket 0 holds all n_groups candidates; the others hold
 * a sample drawn from the study seed.  Writes sizes[0..n_levels) and
 * returns n_levels. */
size_t os_hyperband_plan(size_t n_groups, size_t n_levels, uint64_t eta,
                         size_t sizes[OS_MAX_BUDGETS]);

/* What the strategies need of a study: its trials as the executor is to
 * run them (the plan's budgets are theirs to set), how they group, and the
 * knobs of [search]. */
typedef struct os_halving_spec {
    os_exec_plan plan;       /* cands (each with its group), results, done  */
    size_t       n_groups;   /* groups: a candidate with its seeds, the
                                candidates of one group consecutive       */
    os_strategy  strategy;   /* halving, hyperband or asha                 */
    uint64_t     budgets[OS_MAX_BUDGETS]; /* ascending (os_plan_rungs)      */
    size_t       nb;         /* how many (at least 1)                      */
    uint64_t     eta;        /* 1 in eta goes on (reduction_factor)        */
    uint64_t     window;     /* asha_window                                */
    uint64_t     seed;       /* the study's: hyperband's brackets' samples */
} os_halving_spec;

/* Runs the study's trials by successive halving, or by hyperband or asha
 * when the strategy says so.  The brackets share trials: a candidate
 * trains once, as far as any bracket takes it.  Groups are promoted by
 * their mean score at each budget; a trial that stopped (diverged, failed)
 * scores +inf.  Trials done before (a journal) take part with their
 * recorded curves. */
int os_halving_run(const os_halving_spec *h, os_error *err);

/* A trial's score at budgets[k] as it passes it, into at[k] (its row of
 * nb); stopped on the way to it: +inf there and at every later budget.
 * For the strategies' passed: a trial may train on past a budget before
 * that budget is decided, and the decision must see it as it was then. */
void os_halving_record(double *at, size_t nb, size_t k, int stopped, const os_trial_result *r,
                       const uint64_t *budgets, const os_trial_env *env);

/* One bracket of successive halving: its candidate groups (ascending)
 * join at budget index start and are halved from there. */
typedef struct os_bracket {
    size_t  start;
    size_t *alive;
    size_t  n_alive;
} os_bracket;

/* Runs the brackets over shared trials (rungs.c). */
int os_rungs_run(const os_halving_spec *h, os_bracket *br, size_t n_br,
                 const uint64_t *budgets, size_t nb, os_error *err);

/* Runs them by asynchronous successive halving (asha.c: strategy = asha)
 * over the same budgets. */
int os_asha_run(const os_halving_spec *h, const uint64_t *budgets, size_t nb, os_error *err);

#endif
