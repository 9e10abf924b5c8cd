/* report_text.c — the text report of a ranked study: the inputs, the
 * ranked table, the recommendation and why (report.h). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "blas.h"
#include "halving.h"
#include "horizon.h"
#include "report.h"

static void describe_inputs(FILE *out, const os_study *s)
{
    const os_config *cfg = s->cfg;
    const os_model *m = &s->model;
    char source[64];
    if (s->fn) {
        fprintf(out, "function: %s from (%g, %g); its minimum, 0, is at (%g, %g)\n",
                s->fn->name, cfg->start[0], cfg->start[1], s->fn->minimum[0], s->fn->minimum[1]);
        return;
    }
    if (cfg->command) {
        fprintf(out, "trainer: %s\n         run in %s; ", cfg->command,
                s->workdir);
        if (s->trial_root_temp)
            fprintf(out, "the trials' logs are not kept (--output DIR keeps them)\n");
        else
            fprintf(out, "trial I's log is %s/tI/log\n", s->trial_root);
        return;
    }
    fprintf(out, "data:   %s: %zu train / %zu validation rows, %zu features",
            os_report_data_source(cfg, source, sizeof source),
            s->data.train.n, s->data.val.n, s->all.d);
    if (s->all.n_classes)
        fprintf(out, ", %zu classes", s->all.n_classes);
    fprintf(out, "; trials draw from %zu rows", s->data.n_subset);
    if (s->data.val_sample.n)
        fprintf(out, "; %zu validation rows measure them before step %llu",
                s->data.val_sample.n, (unsigned long long)s->plan.steps);
    if (s->test.n)
        fprintf(out, "; %zu test rows held out", s->test.n);
    fputc('\n', out);
    fprintf(out, "model:  %s %zu", cfg->model.n_conv ? "cnn" : "mlp", m->in);
    for (size_t i = 0; i < m->n_layers; i++) {
        const os_layer *l = &m->layers[i];
        if (l->kind == OS_LAYER_DENSE)
            fprintf(out, "-%zu", l->out);
        else if (l->kind == OS_LAYER_CONV2D)
            fprintf(out, "-conv%zu@%zux%zu", l->c_out, l->kernel, l->kernel);
        else if (l->kind == OS_LAYER_MAXPOOL2D)
            fprintf(out, "-pool%zu", l->kernel);
    }
    fprintf(out, " %s, %zu parameters, %s loss\n",
            cfg->model.n_hidden || cfg->model.n_conv ? os_layer_kind_name(cfg->model.activation)
                                                      : "linear",
            m->layout.n, os_loss_name(m->loss));
}

/* Why the winner: its lead over the runner-up against the seed noise, and
 * what the choice cost. */
static void explain_choice(FILE *out, const os_study *s)
{
    os_choice ch = os_study_choice(s);
    const os_group *a = &s->ranking[0], *b = &s->ranking[1];
    if (s->n_reruns) {
        size_t rerun = s->n_reruns / (size_t)(s->cfg->rerun_seeds - s->cfg->seeds);
        size_t want = s->cfg->rerun_top > 2 ? (size_t)s->cfg->rerun_top : 2;
        fprintf(out, "noise check: %zu candidate%s trained again, %llu seeds each (%zu more "
                "trials)", rerun, rerun == 1 ? "" : "s", (unsigned long long)s->cfg->rerun_seeds,
                s->n_reruns);
        if (rerun > want)
            fprintf(out, ": the best %zu, and %zu that rose among them after a rerun", want,
                    rerun - want);
        fputc('\n', out);
    }
    if (ch.has_runner_up) {
        const os_candidate *rc = &s->search.cands[b->first];
        char hp[512];
        os_changed_hparams(hp, sizeof hp, rc);
        fprintf(out, "runner-up: %s with lr = %.4g%s%s, %.5g behind", rc->opt->entry->opt->label,
                rc->lr, hp[0] ? ", " : "", hp, ch.margin);
        if (!isfinite(ch.noise))
            fprintf(out, " (one seed each: no measure of the seed noise; set rerun_top "
                    "or seeds to get one)\n");
        else if (ch.tie)
            fprintf(out, ": a TIE, within seed noise (standard error %.2g over %zu and %zu "
                    "seeds); either is as good a choice\n", ch.noise, a->n_seeds, b->n_seeds);
        else
            fprintf(out, ": %.1f times the seed noise (standard error %.2g over %zu and %zu "
                    "seeds)\n", ch.margin / ch.noise, ch.noise, a->n_seeds, b->n_seeds);
    }
    const os_group *other = os_study_best_other(s);
    if (other && other != b) {
        const os_candidate *oc = &s->search.cands[other->first];
        char hp[512];
        os_changed_hparams(hp, sizeof hp, oc);
        fprintf(out, "best other optimizer: %s with lr = %.4g%s%s, %.5g behind (rank %zu)\n",
                oc->opt->entry->opt->label, oc->lr, hp[0] ? ", " : "", hp,
                other->score - a->score, (size_t)(other - s->ranking) + 1);
    }
    fprintf(out, "compute: %llu training steps, %.1f%% of a grid of every trial at %llu steps\n",
            (unsigned long long)s->steps_trained, 100.0 * os_study_compute(s),
            (unsigned long long)s->plan.steps);
    uint64_t tests = os_study_lrfind_steps(s);
    if (tests)
        fprintf(out, "         and %llu steps of lr = auto's range tests before them\n",
                (unsigned long long)tests);
    if (s->steps_again)
        fprintf(out, "         and %llu steps more: the trainer takes no {checkpoint}, so every "
                "promoted trial ran again from step 0%s\n",
                (unsigned long long)s->steps_again,
                s->n_resumed ? " (this run's trials; those resumed not counted)" : "");
}

/* The refinement of the winner's rate: the fit, its band, the trial. */
static void explain_refine(FILE *out, const os_study *s)
{
    const os_refinement *rf = &s->refine;
    const os_candidate *w = &s->search.cands[s->ranking[0].first];
    const char *label = w->opt->entry->opt->label;
    switch (rf->fit.status) {
    case OS_REFINE_NONE:
        return;
    case OS_REFINE_EDGE_LOW:
    case OS_REFINE_EDGE_HIGH: {
        int low = rf->fit.status == OS_REFINE_EDGE_LOW;
        double next = rf->fit.lr[low ? 0 : 2];
        fprintf(out, "lr refinement: %s's best rate %.4g is the %s of its rates that %s: ",
                label, w->lr, low ? "smallest" : "largest",
                rf->beyond_ok ? "have a predicted score" : "finished");
        if (isfinite(next) && rf->beyond_ok)
            fprintf(out, "%.4g finished, but moved by the horizon's factor it lies past the "
                    "rates that did; the best may lie between them\n", next);
        else if (isfinite(next))
            fprintf(out, "%.4g did not; the best may lie between them\n", next);
        else
            fprintf(out, "the best may lie %s; widen its rates to find out\n",
                    low ? "lower" : "higher");
        return;
    }
    case OS_REFINE_FLAT:
        fprintf(out, "lr refinement: %s's scores at %.4g, %.4g and %.4g (%llu steps) have no "
                "minimum between the outer two: no better rate between the grid's\n", label,
                rf->fit.lr[0], rf->fit.lr[1], rf->fit.lr[2], (unsigned long long)rf->at_steps);
        return;
    case OS_REFINE_OK:
        break;
    }
    fprintf(out, "lr refinement: the parabola in log(lr) through %s's scores at %.4g, %.4g and "
            "%.4g (%llu steps) is lowest at %.4g (%.5g); within 1%% of that from %s%.4g to "
            "%.4g%s\n", label, rf->fit.lr[0], rf->fit.lr[1], rf->fit.lr[2],
            (unsigned long long)rf->at_steps, rf->fit.best_lr, rf->fit.predicted,
            rf->fit.band_cut[0] ? "below " : "", rf->fit.band[0], rf->fit.band[1],
            rf->fit.band_cut[1] ? " and beyond" : "");
    if (rf->n && rf->measured.status == OS_TRIAL_OK)
        fprintf(out, "lr refinement: %.4g trained on %zu seed%s: %.5f against %.5f at %.4g: %s\n",
                rf->fit.best_lr, rf->n, rf->n == 1 ? "" : "s", rf->measured.score,
                s->ranking[0].score, w->lr,
                rf->recommended ? "recommended" : "no better; the grid's rate stands");
    else if (rf->n)
        fprintf(out, "lr refinement: %.4g trained on %zu seed%s: %s; the grid's rate stands\n",
                rf->fit.best_lr, rf->n, rf->n == 1 ? "" : "s",
                os_trial_status_name(rf->measured.status));
    else if (rf->untrained)
        fprintf(out, "lr refinement: not trained: %s\n", rf->untrained);
}

/* How it ran: threads or workers, resumed trials, and halving's budgets. */
static void describe_run(FILE *out, const os_study *s, int halving)
{
    const os_config *cfg = s->cfg;
    const char *unit = s->isolated ? (s->threads == 1 ? "worker process" : "worker processes")
                                   : (s->threads == 1 ? "thread" : "threads");
    fprintf(out, "ran in %.2f s on %d %s", s->seconds, s->threads, unit);
    if (s->n_resumed)
        fprintf(out, " (%zu of %zu trials resumed from the journal)", s->n_resumed, s->search.n);
    fputc('\n', out);
    if (halving) {
        uint64_t budgets[OS_MAX_BUDGETS];
        size_t nb = os_plan_rungs(&s->plan, budgets);
        fprintf(out, "%s%s: budgets", cfg->strategy_auto ? "strategy = auto, with a [full] run: "
                                                          : "", cfg->strategy);
        for (size_t i = 0; i < nb; i++)
            fprintf(out, "%s%llu", i ? " → " : " ", (unsigned long long)budgets[i]);
        fprintf(out, " steps, 1 in %llu goes on; %.1f%% of the compute of a full grid\n",
                (unsigned long long)s->plan.eta, 100.0 * os_study_compute(s));
        if (s->plan.strategy == OS_STRATEGY_ASHA)
            fprintf(out, "asha: each job decided from the results of all jobs before it but the "
                    "last %llu (asha_window)\n", (unsigned long long)cfg->asha_window);
        if (s->plan.strategy == OS_STRATEGY_HYPERBAND) {
            size_t sizes[OS_MAX_BUDGETS];
            os_hyperband_plan(s->n_groups, nb, s->plan.eta, sizes);
            fprintf(out, "hyperband: %zu brackets of", nb);
            for (size_t i = 0; i < nb; i++)
                fprintf(out, "%s%zu candidate%s from %llu steps", i ? ", " : " ", sizes[i],
                        sizes[i] == 1 ? "" : "s", (unsigned long long)budgets[i]);
            fputc('\n', out);
        }
    }
}

/* The combinations of a grid the plugins refused (at most five named). */
static void describe_skipped(FILE *out, const os_search *search)
{
    if (!search->n_skipped)
        return;
    fprintf(out, "skipped: %zu combination%s the plugin%s refuse%s:", search->n_skipped,
            search->n_skipped == 1 ? "" : "s", search->n_skipped == 1 ? "" : "s",
            search->n_skipped == 1 ? "s" : "");
    for (size_t k = 0; k < search->n_skipped && k < 5; k++) {
        char hp[512];
        os_changed_hparams(hp, sizeof hp, &search->skipped[k].as);
        fprintf(out, "%s %s %s (%s)", k ? ";" : "", search->skipped[k].as.opt->entry->opt->label,
                hp[0] ? hp : "defaults", search->skipped[k].why);
    }
    if (search->n_skipped > 5)
        fprintf(out, "; and %zu more (report.json lists them)", search->n_skipped - 5);
    fputc('\n', out);
}

/* The ranked table, one row per candidate. */
static void write_table(FILE *out, const os_study *s, int halving)
{
    const os_config *cfg = s->cfg;
    int seeds = cfg->seeds > 1 || s->n_reruns, width = (int)strlen("optimizer");
    /* accuracy only where there is one: classification */
    int has_acc = !s->fn && strcmp(cfg->task, "regression");
    if (cfg->command) { /* the accuracy column when the trainer reports one */
        has_acc = 0;
        for (size_t i = 0; i < s->search.n && !has_acc; i++)
            for (size_t k = 0; k < s->results[i].n_curve && !has_acc; k++)
                has_acc = !isnan(s->results[i].curve[k].val_acc);
    }
    for (size_t k = 0; k < s->n_groups; k++) {
        int len = (int)strlen(s->search.cands[s->ranking[k].first].opt->entry->opt->label);
        width = len > width ? len : width;
    }
    const char *what = strcmp(cfg->score, "final") ? "score" : s->fn ? "value" : "val_loss";
    fprintf(out, "%4s  %-*s %-10s %-12s%s", "rank", width, "optimizer", "lr", what,
            seeds ? " ± std    " : "");
    if (has_acc)
        fprintf(out, " %8s", "val_acc");
    fprintf(out, "  %-9s%s %s\n", "status", halving ? "  steps" : "", "hyperparameters");
    for (size_t k = 0; k < s->n_groups; k++) {
        const os_group *g = &s->ranking[k];
        const os_candidate *c = &s->search.cands[g->first];
        char hp[512], acc[16] = "-", score[32] = "-", std[16] = "";
        os_changed_hparams(hp, sizeof hp, c);
        if (g->status == OS_TRIAL_OK && isfinite(g->val_acc))
            snprintf(acc, sizeof acc, "%.1f%%", 100.0 * g->val_acc);
        if (isfinite(g->score))
            snprintf(score, sizeof score, s->fn ? "%.5g" : "%.5f", g->score);
        if (seeds && g->status == OS_TRIAL_OK)
            snprintf(std, sizeof std, " ± %-7.5f", g->score_std);
        else if (seeds)
            snprintf(std, sizeof std, "%10s", ""); /* no spread without a score */
        char steps[24] = "";
        if (halving)
            snprintf(steps, sizeof steps, " %6llu", (unsigned long long)g->steps);
        fprintf(out, "%4zu  %-*s %-10.4g %-12s%s", k + 1, width, c->opt->entry->opt->label,
                c->lr, score, std);
        if (has_acc)
            fprintf(out, " %8s", acc);
        fprintf(out, "  %-9s%s %s", os_trial_status_name(g->status), steps,
                hp[0] ? hp : "defaults");
        /* why it failed, shortened: the whole message is in report.json */
        const char *why = "";
        for (size_t j = 0; g->status != OS_TRIAL_OK && !why[0] && j < g->n_seeds; j++) {
            const os_candidate *member;
            const os_trial_result *r = os_group_trial(s, g, j, &member);
            why = r && r->status != OS_TRIAL_OK ? r->message : "";
        }
        if (why[0])
            fprintf(out, "  (%.72s%s)", why, strlen(why) > 72 ? "..." : "");
        fputc('\n', out);
    }
}

/* The recommendation's line: the pick and what its score is. */
static void write_recommendation(FILE *out, const os_study *s, const os_group **pick)
{
    const os_config *cfg = s->cfg;
    const os_group *best = *pick;
    os_candidate pick_buf;
    const os_candidate *bc = os_study_pick(s, &pick_buf, &best);
    char hp[512];
    os_changed_hparams(hp, sizeof hp, bc);
    char basis[160], value[32];
    snprintf(value, sizeof value, s->fn ? "%.5g" : "%.5f", best->score);
    if (!strcmp(cfg->score, "extrapolated"))
        snprintf(basis, sizeof basis, "predicted %s %s at %llu steps, from %llu",
                 s->fn ? "value" : "validation loss", value,
                 (unsigned long long)s->plan.full_steps, (unsigned long long)s->plan.steps);
    else if (!strcmp(cfg->score, "horizon") && s->plan.horizon_ratio > 0)
        snprintf(basis, sizeof basis, "predicted %s %s for the full run: the trials' at %.3g "
                 "times the rate", s->fn ? "value" : "validation loss", value,
                 os_horizon_shift(s->plan.horizon_ratio, cfg->horizon_exponent));
    else if (!strcmp(cfg->score, "final") || !strcmp(cfg->score, "horizon"))
        snprintf(basis, sizeof basis, "%s %s after %llu steps",
                 s->fn ? "value" : "validation loss", value, (unsigned long long)s->plan.steps);
    else
        snprintf(basis, sizeof basis, "score %s (%s) over %llu steps", value, cfg->score,
                 (unsigned long long)s->plan.steps);
    if (best->n_seeds > 1) {
        size_t len = strlen(basis);
        snprintf(basis + len, sizeof basis - len, ", mean of %zu seeds", best->n_seeds);
    }
    fprintf(out, "\nrecommendation: %s with lr = %.4g%s%s (%s%s)\n", bc->opt->entry->opt->label,
            bc->lr, hp[0] ? ", " : "", hp, s->refine.recommended ? "refined; " : "", basis);
    *pick = best;
}

/* The search line: optimizers, candidates, seeds, trials, steps, batch;
 * and which tensors take weight decay when not all. */
static void describe_search(FILE *out, const os_study *s)
{
    const os_config *cfg = s->cfg;
    fprintf(out, "search: %zu optimizer%s, %zu candidate%s × %llu seed%s = %zu trial%s of %llu "
            "steps", cfg->n_opts, cfg->n_opts == 1 ? "" : "s", s->n_groups,
            s->n_groups == 1 ? "" : "s", (unsigned long long)cfg->seeds,
            cfg->seeds == 1 ? "" : "s", s->search.n, s->search.n == 1 ? "" : "s",
            (unsigned long long)s->plan.steps);
    if (!s->fn && !cfg->command && cfg->n_batch > 1) { /* a test function has no batch */
        fprintf(out, ", batch ");
        for (size_t b = 0; b < cfg->n_batch; b++)
            fprintf(out, "%s%llu", b ? ", " : "", (unsigned long long)cfg->batch_sizes[b]);
        uint64_t lo = cfg->batch_sizes[0], hi = lo;
        for (size_t b = 1; b < cfg->n_batch; b++) {
            lo = cfg->batch_sizes[b] < lo ? cfg->batch_sizes[b] : lo;
            hi = cfg->batch_sizes[b] > hi ? cfg->batch_sizes[b] : hi;
        }
        fprintf(out, " (%llu to %llu rows a trial)", (unsigned long long)(s->plan.steps * lo),
                (unsigned long long)(s->plan.steps * hi));
    } else if (!s->fn && !cfg->command) {
        fprintf(out, ", batch %llu", (unsigned long long)cfg->batch_size);
    }
    if (s->plan.batch_split > 1)
        fprintf(out, " in %llu data-parallel chunks", (unsigned long long)s->plan.batch_split);
    fputc('\n', out);
    if (s->decays) {
        size_t none = 0, n = s->model.layout.n_tensors;
        for (size_t k = 0; k < n; k++)
            none += !s->decays[k];
        fprintf(out, "weight decay: on the weights only ([search] decay = weights); %zu of the "
                "%zu tensors (biases and norms) take none\n", none, n);
    }
}

void os_report_text(FILE *out, const os_study *s)
{
    const os_config *cfg = s->cfg;
    fprintf(out, "optselect %s — %s%s%s%s\n", PACKAGE_VERSION, cfg->path,
            cfg->study[0] ? " [study " : "", cfg->study, cfg->study[0] ? "]" : "");
    describe_inputs(out, s);
    describe_search(out, s);
    describe_skipped(out, &s->search);
    os_report_full_text(out, s);
    if (cfg->seconds > 0 && s->step_seconds > 0)
        fprintf(out, "budget: %g s per trial came to %llu steps (a step took %.3g ms in a timed "
                "trial of %llu steps)\n", cfg->seconds, (unsigned long long)s->plan.steps,
                1e3 * s->step_seconds, (unsigned long long)s->timed_steps);
    else if (cfg->seconds > 0)
        fprintf(out, "budget: %g s per trial: %llu steps, as the journal keeps them from the "
                "study's first run\n", cfg->seconds, (unsigned long long)s->plan.steps);
    int halving = s->plan.strategy != OS_STRATEGY_GRID; /* or hyperband, asha */
    describe_run(out, s, halving);
    for (size_t k = 0; k < cfg->n_opts; k++) {
        const os_lrfind *f = &s->lrfind[k];
        if (!s->lrfound[k])
            continue;
        if (f->ok)
            fprintf(out, "lr = auto: %s's range test: lowest loss at %.3g, diverging at %.3g; "
                    "searched %.3g to %.3g\n", cfg->opts[k].entry->opt->label, f->best_lr,
                    f->diverge_lr, f->lo, f->hi);
        else
            fprintf(out, "lr = auto: %s's range test: the loss never fell; searched lr_range "
                    "around the default instead\n", cfg->opts[k].entry->opt->label);
    }
    if (os_blas_advice())
        fprintf(out, "note:   %s\n", os_blas_advice());
    if (s->n_interrupted)
        fprintf(out, "INTERRUPTED: %zu of %zu trials were cut short or never started; the "
                "ranking covers the finished ones\n", s->n_interrupted, s->search.n);
    fputc('\n', out);

    write_table(out, s, halving);

    const os_group *best = &s->ranking[0];
    if (best->status == OS_TRIAL_INTERRUPTED) {
        fprintf(out, "\nno recommendation: no trial finished before the interruption\n");
        return;
    }
    if (best->status != OS_TRIAL_OK) {
        fprintf(out, "\nno recommendation: every trial diverged or failed; try smaller "
                "learning rates (first failure: %s)\n", s->results[best->first].message);
        return;
    }
    write_recommendation(out, s, &best);
    explain_refine(out, s);
    explain_choice(out, s);
    if (s->test.n) {
        fprintf(out, "test set: loss %.5f", best->test_loss);
        if (isfinite(best->test_acc))
            fprintf(out, ", accuracy %.2f%%", 100.0 * best->test_acc);
        fprintf(out, " on %zu held-out rows (reported, never used to choose)\n", s->test.n);
    }
}

