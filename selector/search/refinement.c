/* refinement.c — [search] refine in a study: the winner's rate between the
 * grid's (parabola.h), measured by trials.  See study.h. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "score.h"
#include "study.h"
#include "util.h"

/* Candidates that differ from c in their learning rate (and seed) alone. */
static int same_family(const os_candidate *a, const os_candidate *c)
{
    if (a->opt != c->opt || a->batch_size != c->batch_size)
        return 0;
    for (size_t h = 0; h < a->opt->entry->opt->n_hparams; h++)
        if (a->hp[h] != c->hp[h])
            return 0;
    return 1;
}

typedef struct member {
    double          lr;
    const os_group *g;
} member;

static int cmp_member(const void *pa, const void *pb)
{
    const member *a = pa, *b = pb;
    return (a->lr > b->lr) - (a->lr < b->lr);
}

/* Group g's mean score over the study's own seeds with each curve cut at
 * `budget` steps (where halving measured every trial that reached it). */
static double score_at(const os_study *s, const os_group *g, uint64_t budget)
{
    double sum = 0;
    size_t n = (size_t)s->cfg->seeds;
    os_score_kind kind = s->plan.score;
    for (size_t j = 0; j < n; j++)
        sum += os_trial_score_at(&s->results[g->first + j], budget, kind, s->plan.full_steps);
    return sum / (double)n;
}

/* The fit over the winner's family.  With successive halving the three
 * fitted rates may have stopped at different budgets: their scores are
 * then taken at the smallest of the three, where all were measured. */
static int fit(os_study *s, os_error *err)
{
    os_refinement *rf = &s->refine;
    const os_group *w = &s->ranking[0];
    const os_candidate *wc = &s->search.cands[w->first];
    member *fam = malloc(s->n_groups * sizeof *fam);
    double *lr = malloc(2 * s->n_groups * sizeof *lr), *score = lr ? lr + s->n_groups : NULL;
    if (!fam || !lr) {
        free(fam);
        free(lr);
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    }
    size_t m = 0, wi = 0;
    for (size_t k = 0; k < s->n_groups; k++) {
        const os_candidate *c = &s->search.cands[s->ranking[k].first];
        if (same_family(c, wc))
            fam[m++] = (member){ c->lr, &s->ranking[k] };
    }
    qsort(fam, m, sizeof *fam, cmp_member);
    for (size_t i = 0; i < m; i++) {
        lr[i] = fam[i].lr;
        score[i] = fam[i].g->status == OS_TRIAL_OK ? fam[i].g->score : INFINITY;
        if (fam[i].g == w)
            wi = i;
    }
    rf->fit = os_refine_fit(lr, score, m, wi, 0.01);
    rf->at_steps = w->steps;
    if (rf->fit.status == OS_REFINE_EDGE_LOW || rf->fit.status == OS_REFINE_EDGE_HIGH) {
        double beyond = rf->fit.lr[rf->fit.status == OS_REFINE_EDGE_LOW ? 0 : 2];
        for (size_t i = 0; i < m; i++)
            if (lr[i] == beyond && fam[i].g->status == OS_TRIAL_OK)
                rf->beyond_ok = 1;
    }
    if (rf->fit.status == OS_REFINE_OK) {
        const os_group *three[3] = { NULL, w, NULL };
        for (size_t i = 0; i < m; i++) {
            if (lr[i] == rf->fit.lr[0])
                three[0] = fam[i].g;
            if (lr[i] == rf->fit.lr[2])
                three[2] = fam[i].g;
        }
        uint64_t at = w->steps;
        for (int i = 0; i < 3; i += 2)
            at = three[i]->steps < at ? three[i]->steps : at;
        if (at != three[0]->steps || at != three[1]->steps || at != three[2]->steps ||
            s->n_reruns) {
            /* also with the noise check: the winner's mean then counts seeds
             * its neighbours did not run */
            double l3[3], s3[3];
            for (int i = 0; i < 3; i++) {
                l3[i] = rf->fit.lr[i];
                s3[i] = score_at(s, three[i], at);
            }
            rf->fit = os_refine_fit(l3, s3, 3, 1, 0.01);
            rf->at_steps = at;
        }
    }
    free(fam);
    free(lr);
    return 0;
}

int os_study_refine(os_study *s, const os_trial_env *env, os_error *err)
{
    os_refinement *rf = &s->refine;
    if (s->plan.refine == OS_REFINE_OFF || !s->n_groups || s->ranking[0].status != OS_TRIAL_OK)
        return 0;
    int rc = fit(s, err);
    /* to the grid's precision: the rate reported is the rate trained, and a
     * study given that rate runs the same trial */
    if (!rc && rf->fit.status == OS_REFINE_OK)
        rf->fit.best_lr = os_round_sig(rf->fit.best_lr, 4);
    if (rc || rf->fit.status != OS_REFINE_OK || s->plan.refine != OS_REFINE_TRAIN)
        return rc;
    const os_group *w = &s->ranking[0];
    const os_candidate *wc = &s->search.cands[w->first];
    /* within 1% of the winner's rate, a trial would repeat the winner's */
    if (fabs(log(rf->fit.best_lr / wc->lr)) < 0.01) {
        rf->untrained = "the fit's best rate is the winner's own";
        return 0;
    }
    if (os_trial_should_stop(env))
        return 0;
    const size_t n = w->n_seeds;
    rf->cands = calloc(n, sizeof *rf->cands);
    rf->results = calloc(n, sizeof *rf->results);
    uint64_t *until = calloc(n, sizeof *until);
    if (!rf->cands || !rf->results || !until) {
        free(until);
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu trials", n);
    }
    for (size_t j = 0; j < n; j++) {
        rf->cands[j] = *wc;
        rf->cands[j].lr = rf->fit.best_lr;
        rf->cands[j].id = s->search.n + s->n_reruns + j;
        rf->cands[j].seed_index = j; /* the seeds the winner's mean is over */
        until[j] = w->steps;
    }
    rc = os_study_train(s, env, rf->cands, rf->results, n, until, NULL, err);
    free(until);
    rf->n = n;
    if (rc || os_trial_should_stop(env)) {
        /* cut short: no measurement */
        for (size_t j = 0; j < n; j++)
            os_trial_result_free(&rf->results[j]);
        rf->n = 0;
        return rc;
    }
    os_group_measure(&rf->measured, rf->results, rf->n);
    rf->measured.first = w->first;
    rf->recommended = rf->measured.status == OS_TRIAL_OK && rf->measured.score < w->score;
    return 0;
}

const os_candidate *os_study_pick(const os_study *s, os_candidate *buf, const os_group **g)
{
    if (!s->n_groups || s->ranking[0].status != OS_TRIAL_OK)
        return NULL;
    if (s->refine.recommended) {
        *buf = s->refine.cands[0];
        *g = &s->refine.measured;
    } else {
        *buf = s->search.cands[s->ranking[0].first];
        *g = &s->ranking[0];
    }
    return buf;
}
