/* The ranking and the final choice (ranking.c), on studies built by hand:
 * means over seeds and reruns, finished before diverged, further before
 * shorter, equal scores in candidate order, the tie against seed noise, and
 * the best other optimizer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "study.h"

static const os_optimizer alpha = { OS_OPTIMIZER_HEADER, .label = "alpha" },
                          beta = { OS_OPTIMIZER_HEADER, .label = "beta" },
                          alpha2 = { OS_OPTIMIZER_HEADER, .label = "alpha-nesterov" };
/* the third: a labelled variant of alpha ([optimizer.alpha-nesterov] plugin = alpha) */
static const os_registry_entry entries[3] = { { &alpha, "alpha.so", NULL, NULL },
                                              { &beta, "beta.so", NULL, NULL },
                                              { &alpha2, "alpha.so", NULL, &alpha } };

enum { MAX = 16 };
typedef struct fixture {
    os_config       cfg;
    os_opt_config   opts[3];
    os_candidate    cands[MAX], rerun_cands[MAX];
    os_trial_result results[MAX], reruns[MAX];
    os_group        ranking[MAX];
    os_study        s;
} fixture;

/* groups[g] = optimizer index; scores[g * seeds + j]: NaN for diverged. */
static void build(fixture *f, size_t n_groups, size_t seeds, const int *opt,
                  const double *scores, const uint64_t *steps)
{
    memset(f, 0, sizeof *f);
    f->cfg.seeds = seeds;
    strcpy(f->cfg.score, "final");
    f->opts[0].entry = &entries[0];
    f->opts[1].entry = &entries[1];
    f->opts[2].entry = &entries[2];
    for (size_t g = 0; g < n_groups; g++)
        for (size_t j = 0; j < seeds; j++) {
            size_t i = g * seeds + j;
            f->cands[i] = (os_candidate){ .id = i, .group = g, .opt = &f->opts[opt[g]],
                                          .lr = 0.1 / (double)(g + 1), .seed_index = j };
            double v = scores[i];
            f->results[i] = (os_trial_result){
                .status = isnan(v) ? OS_TRIAL_DIVERGED : OS_TRIAL_OK,
                .score = isnan(v) ? INFINITY : v, .steps = steps ? steps[g] : 100,
                .test_loss = NAN, .test_acc = NAN };
        }
    f->s.cfg = &f->cfg;
    f->s.search = (os_search){ .cands = f->cands, .n = n_groups * seeds,
                               .n_groups = n_groups };
    f->s.results = f->results;
    f->s.ranking = f->ranking;
    f->s.rerun_cands = f->rerun_cands;
    f->s.reruns = f->reruns;
}

static size_t group_at(const fixture *f, size_t k)
{
    return f->cands[f->ranking[k].first].group;
}

static int near(double a, double b) { return fabs(a - b) < 1e-12; }

int main(void)
{
    fixture *f = calloc(1, sizeof *f);

    /* two seeds each: means decide, a diverged seed sinks its group */
    const int opt4[] = { 0, 0, 1, 1 };
    const double sc4[] = { 1.0, 1.2,   0.9, 1.1,   0.5, NAN,   1.05, 1.05 };
    build(f, 4, 2, opt4, sc4, NULL);
    os_study_rank(&f->s);
    ok(f->s.n_groups == 4, "four groups from eight trials");
    ok(group_at(f, 0) == 1 && group_at(f, 1) == 3 && group_at(f, 2) == 0 &&
       group_at(f, 3) == 2, "ranked by mean score, the diverged group last");
    ok(near(f->ranking[0].score, 1.0) && near(f->ranking[0].score_std, sqrt(0.02)),
       "the winner's mean and sample std over its two seeds");
    ok(f->ranking[3].status == OS_TRIAL_DIVERGED && isinf(f->ranking[3].score),
       "a group with a diverged seed is diverged, its score +inf (not the other seed's)");
    os_choice ch = os_study_choice(&f->s);
    ok(ch.has_runner_up && near(ch.margin, 0.05) && near(ch.noise, 0.1) && ch.tie,
       "margin 0.05 under twice the seed noise 0.1: a tie");
    const os_group *other = os_study_best_other(&f->s);
    ok(other && f->cands[other->first].opt->entry == &entries[1] && other == &f->ranking[1],
       "the best other optimizer is beta, second");

    /* a rerun counts in its group's mean and lifts it to first */
    f->rerun_cands[0] = f->cands[0];
    f->rerun_cands[0].seed_index = 2;
    f->reruns[0] = (os_trial_result){ .status = OS_TRIAL_OK, .score = 0.5, .steps = 100,
                                      .test_loss = NAN, .test_acc = NAN };
    f->s.n_reruns = 1;
    os_study_rank(&f->s);
    ok(group_at(f, 0) == 0 && f->ranking[0].n_seeds == 3 && near(f->ranking[0].score, 0.9),
       "a rerun's seed joins its group: (1.0 + 1.2 + 0.5) / 3 = 0.9, first");
    const os_candidate *c;
    ok(os_group_trial(&f->s, &f->ranking[0], 2, &c) == &f->reruns[0] &&
       c == &f->rerun_cands[0], "... and is the group's third trial");
    ch = os_study_choice(&f->s);
    ok(!os_study_best_other(&f->s) ||
       f->cands[os_study_best_other(&f->s)->first].opt->entry == &entries[1],
       "the best other optimizer is still beta's best");

    /* equal scores: candidate order; further budgets before shorter ones */
    const int opt3[] = { 1, 0, 0 };
    const double sc3[] = { 2.0, 2.0, 1.0 };
    const uint64_t steps3[] = { 300, 300, 100 };
    build(f, 3, 1, opt3, sc3, steps3);
    os_study_rank(&f->s);
    ok(group_at(f, 0) == 0 && group_at(f, 1) == 1,
       "equal scores rank in candidate order");
    ok(group_at(f, 2) == 2, "a better score at a shorter budget ranks below the longer ones");
    ch = os_study_choice(&f->s);
    ok(ch.has_runner_up && ch.margin == 0 && isnan(ch.noise) && !ch.tie,
       "one seed each: no measure of the noise, so no tie is called");
    ok(os_study_best_other(&f->s) == &f->ranking[1],
       "the best other optimizer at the winner's budget (alpha, second)");

    /* a labelled variant of the winner's optimizer is not another optimizer */
    const int opt_v[] = { 0, 2, 1 };
    const double sc_v[] = { 1.0, 1.1, 1.2 };
    build(f, 3, 1, opt_v, sc_v, NULL);
    os_study_rank(&f->s);
    ok(os_study_best_other(&f->s) == &f->ranking[2],
       "the best other optimizer skips a labelled variant of the winner's (third, beta)");

    /* everything diverged: no runner-up */
    const double bad[] = { NAN, NAN };
    build(f, 2, 1, opt3, bad, NULL);
    os_study_rank(&f->s);
    ch = os_study_choice(&f->s);
    ok(f->ranking[0].status == OS_TRIAL_DIVERGED && !ch.has_runner_up &&
       !os_study_best_other(&f->s), "all diverged: no runner-up, no best other");
    free(f);
    return done_testing();
}
