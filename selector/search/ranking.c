/*
 * ranking.c — from trials to the ranked table: each candidate group's mean
 * and spread over its seeds and reruns, the order (finished before diverged
 * before failed, further before shorter, then lower score), the runner-up's
 * margin against the seed noise, and the best other optimizer.
 */
#include <math.h>
#include <stdlib.h>
#include "horizon.h"
#include "score.h"
#include "study.h"

static int status_order(os_trial_status st)
{
    return st == OS_TRIAL_OK ? 0 : st == OS_TRIAL_DIVERGED ? 1
         : st == OS_TRIAL_INTERRUPTED ? 2 : 3;
}

/* Best first: finished before diverged before failed, then lower score, then
 * the candidate order, so that equal scores still rank the same way. */
static int cmp_group(const void *pa, const void *pb)
{
    const os_group *a = pa, *b = pb;
    int sa = status_order(a->status), sb = status_order(b->status);
    if (sa != sb)
        return sa - sb;
    /* with successive halving, a candidate that went further ranks higher:
     * scores at different budgets are not comparable */
    if (a->status == OS_TRIAL_OK && a->steps != b->steps)
        return a->steps > b->steps ? -1 : 1;
    if (a->status == OS_TRIAL_OK && a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return (a->first > b->first) - (a->first < b->first);
}

/* Trial r's share of group g's statistics. */
static void add_trial(os_group *g, const os_trial_result *r)
{
    if (status_order(r->status) > status_order(g->status))
        g->status = r->status;
    g->score += r->score;
    g->val_acc += r->n_curve ? r->curve[r->n_curve - 1].val_acc : NAN;
    g->test_loss += r->test_loss;
    g->test_acc += r->test_acc;
}

/* score = horizon: each family's groups (one optimizer, one combination
 * of hyperparameters: consecutive groups, rates ascending) get the scores
 * predicted for the full run from the family's scores at the furthest
 * budget it reached; groups that stopped short keep their own. */
static void predict_horizon(os_study *s)
{
    const double shift = os_horizon_shift(s->plan.horizon_ratio, s->cfg->horizon_exponent);
    double *lr = malloc(3 * s->n_groups * sizeof *lr + 1), *y = lr + s->n_groups,
           *out = y + s->n_groups;
    if (!lr)
        return; /* out of memory: the trials' own scores rank */
    for (size_t a = 0, b; a < s->n_groups; a = b) {
        const double *hp = s->search.cands[s->ranking[a].first].hp;
        uint64_t top = 0;
        for (b = a; b < s->n_groups && s->search.cands[s->ranking[b].first].hp == hp; b++)
            top = s->ranking[b].steps > top ? s->ranking[b].steps : top;
        for (size_t k = a; k < b; k++) {
            const os_group *g = &s->ranking[k];
            lr[k - a] = s->search.cands[g->first].lr;
            y[k - a] = g->status == OS_TRIAL_OK && g->steps == top ? g->measured : INFINITY;
        }
        os_horizon_predict(lr, y, b - a, shift, out);
        for (size_t k = a; k < b; k++)
            if (isfinite(y[k - a]))
                s->ranking[k].score = out[k - a];
    }
    free(lr);
}

/* The j-th trial of group g (its own seeds, then its reruns). */
static const os_trial_result *member(const void *ctx, const os_group *g, size_t j)
{
    const os_candidate *c;
    return os_group_trial(ctx, g, j, &c);
}

static const os_trial_result *array_member(const void *ctx, const os_group *g, size_t j)
{
    (void)g;
    return &((const os_trial_result *)ctx)[j];
}

/* g's mean and spread over its g->n_seeds trials, in their order (the
 * sums, and so the report, do not depend on who asks). */
static void measure(os_group *g, const os_trial_result *(*get)(const void *, const os_group *,
                                                                size_t), const void *ctx)
{
    double n = (double)g->n_seeds, sq = 0;
    for (size_t j = 0; j < g->n_seeds; j++)
        add_trial(g, get(ctx, g, j));
    g->score = g->status == OS_TRIAL_OK ? g->score / n : INFINITY;
    g->val_acc /= n;
    g->test_loss /= n;
    g->test_acc /= n;
    for (size_t j = 0; g->status == OS_TRIAL_OK && j < g->n_seeds; j++) {
        double d = get(ctx, g, j)->score - g->score;
        sq += d * d;
    }
    g->score_std = g->n_seeds > 1 && g->status == OS_TRIAL_OK ? sqrt(sq / (n - 1)) : 0.0;
    g->measured = g->score;
}

void os_group_measure(os_group *g, const os_trial_result *r, size_t n)
{
    *g = (os_group){ .status = OS_TRIAL_OK, .n_seeds = n, .steps = UINT64_MAX };
    for (size_t j = 0; j < n; j++)
        g->steps = r[j].steps < g->steps ? r[j].steps : g->steps;
    measure(g, array_member, r);
}

/* Groups from the trials (and the noise check's reruns), best first. */
void os_study_rank(os_study *s)
{
    const os_search *search = &s->search;
    s->n_groups = 0;
    for (size_t i = 0; i < search->n; i++) {
        const os_candidate *c = &search->cands[i];
        const os_trial_result *r = &s->results[i];
        if (c->seed_index == 0)
            s->ranking[s->n_groups++] = (os_group){ .first = i, .status = OS_TRIAL_OK };
        os_group *g = &s->ranking[s->n_groups - 1];
        /* the budget the group's own seeds reached (a rerun goes as far) */
        if (!g->n_seeds++ || r->steps < g->steps)
            g->steps = r->steps;
    }
    for (size_t j = 0; j < s->n_reruns; j++)
        s->ranking[s->rerun_cands[j].group].n_seeds++;
    /* in candidate order, group k is ranking[k] until the sort */
    for (size_t k = 0; k < s->n_groups; k++)
        measure(&s->ranking[k], member, s);
    if (s->plan.score == OS_SCORE_HORIZON)
        predict_horizon(s);
    qsort(s->ranking, s->n_groups, sizeof *s->ranking, cmp_group);
}

const os_trial_result *os_group_trial(const os_study *s, const os_group *g, size_t j,
                                      const os_candidate **c)
{
    const size_t own = (size_t)s->cfg->seeds, group = s->search.cands[g->first].group;
    if (j < own) {
        *c = &s->search.cands[g->first + j];
        return &s->results[g->first + j];
    }
    for (size_t k = 0, seen = own; k < s->n_reruns; k++)
        if (s->rerun_cands[k].group == group && seen++ == j) {
            *c = &s->rerun_cands[k];
            return &s->reruns[k];
        }
    *c = NULL;
    return NULL;
}

os_choice os_study_choice(const os_study *s)
{
    os_choice c = { .margin = NAN, .noise = NAN };
    if (s->n_groups < 2 || s->ranking[1].status != OS_TRIAL_OK ||
        s->ranking[0].steps != s->ranking[1].steps)
        return c;
    const os_group *a = &s->ranking[0], *b = &s->ranking[1];
    c.has_runner_up = 1;
    c.margin = b->score - a->score;
    if (a->n_seeds > 1 && b->n_seeds > 1)
        c.noise = sqrt(a->score_std * a->score_std / (double)a->n_seeds +
                       b->score_std * b->score_std / (double)b->n_seeds);
    c.tie = isfinite(c.noise) && c.margin < 2 * c.noise;
    return c;
}

/* The loaded optimizer behind a candidate: a labelled variant is its base. */
static const os_optimizer *optimizer_of(const os_candidate *c)
{
    return c->opt->entry->base ? c->opt->entry->base : c->opt->entry->opt;
}

const os_group *os_study_best_other(const os_study *s)
{
    if (!s->n_groups || s->ranking[0].status != OS_TRIAL_OK)
        return NULL;
    const os_optimizer *winner = optimizer_of(&s->search.cands[s->ranking[0].first]);
    for (size_t k = 1; k < s->n_groups; k++) {
        const os_group *g = &s->ranking[k];
        if (g->status == OS_TRIAL_OK && g->steps == s->ranking[0].steps &&
            optimizer_of(&s->search.cands[g->first]) != winner)
            return g;
    }
    return NULL;
}

