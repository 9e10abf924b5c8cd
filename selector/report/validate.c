/* validate.c — see validate.h. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "validate.h"

double os_kendall_tau_b(const double *x, const double *y, size_t n)
{
    /* O(n^2): studies have hundreds of candidates, not millions */
    double concordant = 0, discordant = 0, untied_x = 0, untied_y = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            int dx = (x[i] > x[j]) - (x[i] < x[j]);
            int dy = (y[i] > y[j]) - (y[i] < y[j]);
            untied_x += dx != 0;
            untied_y += dy != 0;
            if (dx && dy) {
                if (dx == dy)
                    concordant++;
                else
                    discordant++;
            }
        }
    if (untied_x == 0 || untied_y == 0)
        return NAN;
    return (concordant - discordant) / sqrt(untied_x * untied_y);
}

/* Ranks 1..n of v, ties taking the mean of the ranks they span. */
static void average_ranks(const double *v, size_t n, double *rank)
{
    for (size_t i = 0; i < n; i++) {
        size_t below = 0, equal = 0;
        for (size_t j = 0; j < n; j++) {
            below += v[j] < v[i];
            equal += v[j] == v[i];
        }
        rank[i] = (double)below + ((double)equal + 1.0) / 2.0;
    }
}

double os_spearman_rho(const double *x, const double *y, size_t n)
{
    double *rx = malloc(2 * n * sizeof *rx + 1), *ry = rx + n;
    if (!rx)
        return NAN;
    average_ranks(x, n, rx);
    average_ranks(y, n, ry);
    double mean = ((double)n + 1.0) / 2.0, sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (rx[i] - mean) * (ry[i] - mean);
        sxx += (rx[i] - mean) * (rx[i] - mean);
        syy += (ry[i] - mean) * (ry[i] - mean);
    }
    free(rx);
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

static int add_set(char ***sets, size_t *n, os_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int add_set(char ***sets, size_t *n, os_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int len = vasprintf(&s, fmt, ap);
    va_end(ap);
    char **grown = len >= 0 ? realloc(*sets, (*n + 1) * sizeof **sets) : NULL;
    if (!grown) {
        free(len >= 0 ? s : NULL);
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    }
    *sets = grown;
    (*sets)[(*n)++] = s;
    return 0;
}

int os_validation_full_sets(const os_study *selection, char ***sets, size_t *n,
                            os_error *err)
{
    const os_config *cfg = selection->cfg;
    if (!selection->plan.full_steps)
        return os_error_set(err, OS_ERR_CONFIG, "%s: validate trains every candidate for the "
                            "full run: set [full] steps", os_config_where(cfg, "full", "steps"));
    /* the full run's length as the selection resolved it, in steps */
    int rc = add_set(sets, n, err, "search.steps=%llu", (unsigned long long)selection->plan.full_steps);
    if (!rc)
        rc = add_set(sets, n, err, "full.steps=%llu", (unsigned long long)selection->plan.full_steps);
    /* every candidate for the whole run, scored as the truth is */
    static const char *const neutral[] = {
        "search.strategy=grid", "search.score=last", "search.refine=off",
    };
    for (size_t i = 0; !rc && i < sizeof neutral / sizeof *neutral; i++)
        rc = add_set(sets, n, err, "%s", neutral[i]);
    /* and the keys a selection's strategy, noise check or budget set, at
     * their defaults, so that every selection of the same full runs shares
     * their journal */
    static const char *const reset[][2] = {
        { "search", "min_steps" }, { "search", "reduction_factor" }, { "search", "rerun_top" },
        { "search", "rerun_seeds" }, { "search", "epochs" }, { "search", "fraction" },
        { "full", "epochs" }, { "search", "seconds" }, { "search", "asha_window" },
        { "search", "rungs" }, { "search", "eval_sample" },
    };
    for (size_t i = 0; !rc && i < sizeof reset / sizeof *reset; i++)
        rc = add_set(sets, n, err, "%s.%s=%s", reset[i][0], reset[i][1],
                     os_config_default(reset[i][0], reset[i][1]));
    if (!rc && cfg->full_seeds)
        rc = add_set(sets, n, err, "search.seeds=%llu", (unsigned long long)cfg->full_seeds);
    /* the full run's data, batch and schedule: its trials are full runs */
    if (!rc && strcmp(cfg->full_data, "subset") && strcmp(cfg->function, "none") == 0 &&
        !cfg->command)
        rc = add_set(sets, n, err, "data.subset=0");
    if (!rc && cfg->n_batch > 1) { /* each candidate's full run at its own batch size */
        char list[OS_MAX_LIST * 22] = "";
        for (size_t b = 0, used = 0; b < cfg->n_batch; b++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%llu", b ? "," : "",
                                     (unsigned long long)cfg->batch_sizes[b]);
        rc = add_set(sets, n, err, "search.batch_size=%s", list);
    } else if (!rc) {
        rc = add_set(sets, n, err, "search.batch_size=%llu",
                     (unsigned long long)selection->plan.full_batch);
    }
    if (!rc)
        rc = add_set(sets, n, err, "full.batch_size=0");
    if (!rc)
        rc = add_set(sets, n, err, "search.schedule=follow");
    for (size_t k = 0; !rc && k < cfg->n_opts; k++) {
        double lr[OS_MAX_LIST];
        size_t m = os_search_lrs(&cfg->opts[k], &selection->plan.lr[k], lr);
        char list[OS_MAX_LIST * 26] = "";
        size_t used = 0;
        for (size_t i = 0; i < m; i++) /* %.17g: the same doubles come back */
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%.17g",
                                     i ? "," : "", lr[i]);
        rc = add_set(sets, n, err, "optimizer.%s.lr=%s", cfg->opts[k].entry->opt->label, list);
    }
    return rc;
}

/* The ranking entry of candidate group `group` (NULL: none). */
static const os_group *group_of(const os_study *s, size_t group)
{
    for (size_t k = 0; k < s->n_groups; k++)
        if (s->search.cands[s->ranking[k].first].group == group)
            return &s->ranking[k];
    return NULL;
}

static int same_candidate(const os_candidate *a, const os_candidate *b)
{
    if (a->opt->entry != b->opt->entry || a->lr != b->lr || a->group != b->group ||
        a->batch_size != b->batch_size)
        return 0;
    for (size_t h = 0; h < a->opt->entry->opt->n_hparams; h++)
        if (a->hp[h] != b->hp[h])
            return 0;
    return 1;
}

int os_validation_compare(const os_study *sel, const os_study *full, os_validation *v,
                          os_error *err)
{
    memset(v, 0, sizeof *v);
    if (sel->n_groups != full->n_groups)
        return os_error_set(err, OS_ERR_CONFIG, "validate: the full runs have %zu candidates, "
                            "the selection %zu", full->n_groups, sel->n_groups);
    /* the same candidates in the same order; the seeds per candidate may differ */
    for (size_t k = 0; k < sel->n_groups; k++)
        if (!same_candidate(&sel->search.cands[sel->ranking[k].first],
                            &full->search.cands[group_of(full, sel->search.cands[
                                sel->ranking[k].first].group)->first]))
            return os_error_set(err, OS_ERR_CONFIG, "validate: candidate %zu of the full runs is "
                                "not the selection's", k);
    size_t n = v->n = sel->n_groups;
    double *x = calloc(2 * n + 1, sizeof *x), *y = x ? x + n : NULL;
    v->sel_rank = calloc(n + 1, sizeof *v->sel_rank);
    v->full_rank = calloc(n + 1, sizeof *v->full_rank);
    if (!x || !v->sel_rank || !v->full_rank) {
        free(x);
        os_validation_free(v);
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    }
    /* x: the selection's place, every candidate that failed tied last;
     * y: the full run's loss, +inf for a failed one (so they tie too) */
    for (size_t k = 0; k < n; k++) {
        const os_group *g = &sel->ranking[k];
        size_t group = sel->search.cands[g->first].group;
        v->sel_rank[group] = k + 1;
        x[group] = g->status == OS_TRIAL_OK ? (double)(k + 1) : (double)(n + 1);
        g = &full->ranking[k];
        group = full->search.cands[g->first].group;
        v->full_rank[group] = k + 1;
        y[group] = g->status == OS_TRIAL_OK ? g->score : INFINITY;
    }
    v->kendall_tau = os_kendall_tau_b(x, y, n);
    v->spearman_rho = os_spearman_rho(x, y, n);
    /* over the finished in both: packed to the front of copies */
    double *fx = calloc(2 * n + 1, sizeof *fx), *fy = fx ? fx + n : NULL;
    for (size_t i = 0; fx && i < n; i++) {
        int sel_ok = x[i] <= (double)n, full_ok = isfinite(y[i]);
        v->n_failed_one += sel_ok != full_ok;
        if (sel_ok && full_ok) {
            fx[v->n_finished] = x[i];
            fy[v->n_finished++] = y[i];
        }
    }
    v->kendall_tau_finished = fx ? os_kendall_tau_b(fx, fy, v->n_finished) : NAN;
    v->spearman_rho_finished = fx ? os_spearman_rho(fx, fy, v->n_finished) : NAN;
    free(fx);

    const os_group *pick = &sel->ranking[0], *best = &full->ranking[0];
    v->best = best->first;
    v->regret = NAN;
    if (pick->status == OS_TRIAL_OK) {
        size_t group = sel->search.cands[pick->first].group;
        v->recommended = pick->first;
        v->rank = v->full_rank[group];
        if (best->status == OS_TRIAL_OK)
            v->regret = isfinite(y[group]) ? (y[group] - best->score) / fabs(best->score)
                                           : INFINITY;
    }
    free(x);

    v->selection_steps = sel->steps_trained;
    for (size_t k = 0; k < sel->cfg->n_opts; k++)
        if (sel->lrfound[k])
            v->selection_steps += sel->lrfind[k].steps;
    /* the grid a user would run instead: each trial of the selection for
     * the whole run (however many seeds the full runs averaged) */
    v->full_steps = full->plan.steps * sel->search.n;
    /* in rows trained on: a full run's step may be of another batch size */
    double sel_rows = (double)v->selection_steps * (double)sel->cfg->batch_size;
    double full_rows = (double)v->full_steps * (double)full->cfg->batch_size;
    v->compute = v->full_steps ? sel_rows / full_rows : NAN;
    return 0;
}

int os_validation_refined(const os_study *sel, os_study *full, os_validation *v,
                          const volatile sig_atomic_t *stop, os_error *err)
{
    if (!sel->refine.recommended || !v->rank)
        return 0;
    const os_group *wg = group_of(full, sel->search.cands[sel->ranking[0].first].group);
    const size_t n = (size_t)full->cfg->seeds;
    os_candidate *cands = calloc(n, sizeof *cands);
    os_trial_result *results = calloc(n, sizeof *results);
    uint64_t *until = calloc(n, sizeof *until);
    int rc = 0;
    if (!cands || !results || !until) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t j = 0; j < n; j++) {
        cands[j] = full->search.cands[wg->first];
        cands[j].lr = sel->refine.fit.best_lr;
        cands[j].id = full->search.n + j;
        cands[j].seed_index = j;
        until[j] = full->plan.steps;
    }
    rc = os_study_train(full, NULL, cands, results, n, until, stop, err);
    if (rc || (stop && *stop))
        goto out;
    os_group *g = &v->refined_full;
    os_group_measure(g, results, n);
    g->first = wg->first;
    v->refined = 1;
    v->refined_cand = cands[0];
    v->rank = 1;
    for (size_t k = 0; k < full->n_groups; k++)
        v->rank += full->ranking[k].status == OS_TRIAL_OK && full->ranking[k].score < g->score;
    const os_group *best = &full->ranking[0];
    if (best->status == OS_TRIAL_OK)
        v->regret = isfinite(g->score) ? (g->score - best->score) / fabs(best->score) : INFINITY;
out:
    for (size_t j = 0; results && j < n; j++)
        os_trial_result_free(&results[j]);
    free(results);
    free(cands);
    free(until);
    return rc;
}

void os_validation_free(os_validation *v)
{
    free(v->sel_rank);
    free(v->full_rank);
    v->sel_rank = v->full_rank = NULL;
}

static void write_text(FILE *out, const os_validation *v, const os_study *sel,
                       const os_study *full)
{
    const os_config *cfg = sel->cfg;
    char sched[256];
    fprintf(out, "\nvalidation: the selection against full runs of %llu steps (%zu candidates "
            "× %llu seed%s)\n", (unsigned long long)full->plan.steps, v->n,
            (unsigned long long)full->cfg->seeds, full->cfg->seeds == 1 ? "" : "s");
    fprintf(out, "  full runs: ");
    if (!full->fn && !full->cfg->command && full->cfg->n_batch > 1)
        fprintf(out, "each candidate's batch on %zu training rows, ", full->data.n_subset);
    else if (!full->fn && !full->cfg->command)
        fprintf(out, "batch %llu on %zu training rows, ", (unsigned long long)full->cfg->batch_size,
                full->data.n_subset);
    fprintf(out, "%s\n", os_schedule_describe(&full->plan.schedule, sched, sizeof sched));
    fprintf(out, "  selection: strategy %s, score %s, %llu steps; compute %.2f%% of the full "
            "grid (%llu ", cfg->strategy, cfg->score, (unsigned long long)sel->plan.steps,
            100.0 * v->compute, (unsigned long long)v->selection_steps);
    if (cfg->batch_size == full->cfg->batch_size)
        fprintf(out, "of %llu steps)\n", (unsigned long long)v->full_steps);
    else
        fprintf(out, "steps of batch %llu against %llu of batch %llu)\n",
                (unsigned long long)cfg->batch_size, (unsigned long long)v->full_steps,
                (unsigned long long)full->cfg->batch_size);
    fprintf(out, "  full runs ran in %.2f s\n", full->seconds);
    fprintf(out, "  Kendall tau %.3f, Spearman rho %.3f; over the %zu that finished in both "
            "runs %.3f and %.3f (%zu failed in one run only)\n", v->kendall_tau,
            v->spearman_rho, v->n_finished, v->kendall_tau_finished, v->spearman_rho_finished,
            v->n_failed_one);
    const os_candidate *b = &full->search.cands[v->best];
    const os_group *bg = &full->ranking[0];
    char hp[512];
    os_changed_hparams(hp, sizeof hp, b);
    if (bg->status == OS_TRIAL_OK)
        fprintf(out, "  best full run:  %s lr = %.4g%s%s (validation loss %.5f)\n",
                b->opt->entry->opt->label, b->lr, hp[0] ? ", " : "", hp, bg->score);
    if (v->refined) {
        const os_candidate *r = &v->refined_cand;
        fprintf(out, "  recommendation: %s lr = %.4g, refined between the grid's rates "
                "(validation loss %.5f, trained apart): would rank %zu of %zu, regret %.2f%%\n",
                r->opt->entry->opt->label, r->lr, v->refined_full.score, v->rank, v->n + 1,
                100.0 * v->regret);
    } else if (v->rank) {
        const os_candidate *r = &sel->search.cands[v->recommended];
        const os_group *rg = group_of(full, r->group);
        os_changed_hparams(hp, sizeof hp, r);
        fprintf(out, "  recommendation: %s lr = %.4g%s%s (validation loss %.5f): rank %zu of "
                "%zu, regret %.2f%%\n", r->opt->entry->opt->label, r->lr, hp[0] ? ", " : "", hp,
                rg->score, v->rank, v->n, 100.0 * v->regret);
    } else {
        fprintf(out, "  the selection made no recommendation\n");
    }

    int width = (int)strlen("optimizer");
    for (size_t k = 0; k < full->n_groups; k++) {
        int len = (int)strlen(full->search.cands[full->ranking[k].first].opt->entry->opt->label);
        width = len > width ? len : width;
    }
    fprintf(out, "\n%4s %4s  %-*s %-10s %-12s %-12s %s\n", "full", "sel", width, "optimizer",
            "lr", "full_loss", "sel_score", "hyperparameters");
    for (size_t k = 0; k < full->n_groups; k++) {
        const os_group *g = &full->ranking[k];
        const os_candidate *c = &full->search.cands[g->first];
        const os_group *sg = group_of(sel, c->group);
        char fl[32], ss[32];
        os_changed_hparams(hp, sizeof hp, c);
        if (g->status == OS_TRIAL_OK)
            snprintf(fl, sizeof fl, "%.5f", g->score);
        else
            snprintf(fl, sizeof fl, "%s", os_trial_status_name(g->status));
        if (sg && sg->status == OS_TRIAL_OK)
            snprintf(ss, sizeof ss, "%.5f", sg->score);
        else
            snprintf(ss, sizeof ss, "%s", sg ? os_trial_status_name(sg->status) : "-");
        fprintf(out, "%4zu %4zu  %-*s %-10.4g %-12s %-12s %s\n", k + 1, v->sel_rank[c->group],
                width, c->opt->entry->opt->label, c->lr, fl, ss, hp[0] ? hp : "defaults");
    }
}

static void json_candidate(FILE *out, const os_study *s, size_t first, const os_group *g)
{
    const os_candidate *c = &s->search.cands[first];
    fputs("{\"optimizer\": ", out);
    os_json_candidate(out, c);
    if (g) {
        fprintf(out, ", \"status\": \"%s\", \"score\": ", os_trial_status_name(g->status));
        os_json_num(out, g->status == OS_TRIAL_OK ? g->score : NAN);
    }
}

static void write_json(FILE *out, const os_validation *v, const os_study *sel,
                       const os_study *full)
{
    const os_config *cfg = sel->cfg;
    os_json_head(out, cfg);
    fprintf(out, ",\n  \"selection\": {\"strategy\": \"%s\", \"score\": "
            "\"%s\", \"steps\": %llu, \"seeds\": %llu},\n", cfg->strategy, cfg->score, (unsigned long long)sel->plan.steps,
            (unsigned long long)cfg->seeds);
    fprintf(out, "  \"full_steps\": %llu,\n  \"full_seeds\": %llu,\n  \"candidates\": %zu,\n"
            "  \"kendall_tau\": ", (unsigned long long)full->plan.steps,
            (unsigned long long)full->cfg->seeds, v->n);
    os_json_num(out, v->kendall_tau);
    os_json_field(out, ",\n  \"spearman_rho\": ", v->spearman_rho);
    os_json_field(out, ",\n  \"kendall_tau_finished\": ", v->kendall_tau_finished);
    os_json_field(out, ",\n  \"spearman_rho_finished\": ", v->spearman_rho_finished);
    fprintf(out, ",\n  \"finished_in_both\": %zu,\n  \"failed_in_one\": %zu",
            v->n_finished, v->n_failed_one);
    fputs(",\n  \"regret\": ", out);
    if (isinf(v->regret))
        fputs("\"failed\"", out); /* JSON has no infinity: the pick failed its full run */
    else
        os_json_num(out, v->regret);
    fputs(",\n  \"rank\": ", out);
    if (v->rank)
        fprintf(out, "%zu", v->rank);
    else
        fputs("null", out);
    fprintf(out, ",\n  \"compute\": {\"selection_steps\": %llu, \"full_grid_steps\": %llu, "
            "\"fraction\": ", (unsigned long long)v->selection_steps,
            (unsigned long long)v->full_steps);
    os_json_num(out, v->compute);
    fputs("},\n  \"recommendation\": ", out);
    if (v->refined) {
        fputs("{\"optimizer\": ", out);
        os_json_candidate(out, &v->refined_cand);
        fprintf(out, ", \"status\": \"%s\", \"score\": ",
                os_trial_status_name(v->refined_full.status));
        os_json_num(out, v->refined_full.score);
        fprintf(out, ", \"full_rank\": %zu, \"refined\": true}", v->rank);
    } else if (v->rank) {
        /* the full study's own candidate: with other seeds its indices differ */
        const os_group *fg = group_of(full, sel->search.cands[v->recommended].group);
        json_candidate(out, full, fg->first, fg);
        fprintf(out, ", \"full_rank\": %zu, \"refined\": false}", v->rank);
    } else {
        fputs("null", out);
    }
    fputs(",\n  \"best_full_run\": ", out);
    json_candidate(out, full, v->best, &full->ranking[0]);
    fputs("},\n  \"candidates_by_full_run\": [\n", out);
    for (size_t k = 0; k < full->n_groups; k++) {
        const os_group *g = &full->ranking[k];
        const os_candidate *c = &full->search.cands[g->first];
        const os_group *sg = group_of(sel, c->group);
        fputs("    ", out);
        json_candidate(out, full, g->first, g);
        fprintf(out, ", \"full_rank\": %zu, \"selection_rank\": %zu, \"selection_status\": "
                "\"%s\", \"selection_score\": ", k + 1, v->sel_rank[c->group],
                os_trial_status_name(sg->status));
        os_json_num(out, sg->status == OS_TRIAL_OK ? sg->score : NAN);
        fprintf(out, ", \"selection_steps\": %llu}%s\n", (unsigned long long)sg->steps,
                k + 1 < full->n_groups ? "," : "");
    }
    fputs("  ]\n}\n", out);
}

static void write_csv(FILE *out, const os_validation *v, const os_study *sel,
                      const os_study *full)
{
    fputs("full_rank,selection_rank,optimizer,lr,hparams,full_status,full_loss,"
          "selection_status,selection_score,selection_steps\n", out);
    for (size_t k = 0; k < full->n_groups; k++) {
        const os_group *g = &full->ranking[k];
        const os_candidate *c = &full->search.cands[g->first];
        const os_group *sg = group_of(sel, c->group);
        char hp[512];
        os_changed_hparams(hp, sizeof hp, c);
        fprintf(out, "%zu,%zu,%s,%.9g,%s,%s,%.9g,%s,%.9g,%llu\n", k + 1,
                v->sel_rank[c->group], c->opt->entry->opt->label, c->lr, hp,
                os_trial_status_name(g->status), g->status == OS_TRIAL_OK ? g->score : NAN,
                os_trial_status_name(sg->status), sg->status == OS_TRIAL_OK ? sg->score : NAN,
                (unsigned long long)sg->steps);
    }
}

int os_validation_write(FILE *out, const os_validation *v, const os_study *selection,
                        const os_study *full, os_format format)
{
    switch (format) {
    case OS_FORMAT_JSON: write_json(out, v, selection, full); break;
    case OS_FORMAT_CSV: write_csv(out, v, selection, full); break;
    case OS_FORMAT_TEXT: write_text(out, v, selection, full); break;
    }
    return ferror(out) ? -1 : 0;
}
