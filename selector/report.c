/* report.c — text, JSON and CSV renderings of a ranked study. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "blas.h"
#include "halving.h"
#include "report.h"
#include "horizon.h"

int os_format_from_name(const char *name)
{
    return !strcmp(name, "text") ? OS_FORMAT_TEXT : !strcmp(name, "json") ? OS_FORMAT_JSON
         : !strcmp(name, "csv") ? OS_FORMAT_CSV : -1;
}

/* %.9g round-trips a float and stays short; JSON has no inf or NaN. */
void os_json_num(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, "%.9g", v);
    else
        fputs("null", out);
}

void os_json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

void os_json_hparams(FILE *out, const os_candidate *c)
{
    const os_optimizer *opt = c->opt->entry->opt;
    fputc('{', out);
    for (size_t h = 0; h < opt->n_hparams; h++) {
        fprintf(out, "%s", h ? ", " : "");
        os_json_str(out, opt->hparams[h].name);
        fputs(": ", out);
        if (opt->hparams[h].flags & OS_HP_BOOL)
            fputs(c->hp[h] != 0 ? "true" : "false", out);
        else
            os_json_num(out, c->hp[h]);
    }
    fputc('}', out);
}

/* "optimizer": ..., "lr": ..., "hparams": {...}: a candidate's identity. */
void os_json_candidate(FILE *out, const os_candidate *c)
{
    os_json_str(out, c->opt->entry->opt->label);
    fputs(", \"lr\": ", out);
    os_json_num(out, c->lr);
    fputs(", \"hparams\": ", out);
    os_json_hparams(out, c);
}

/* Hyperparameters that differ from the plugin's defaults, "k=v k=v". */
void os_changed_hparams(char *buf, size_t size, const os_candidate *c)
{
    const os_optimizer *opt = c->opt->entry->opt;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t h = 0; h < opt->n_hparams && used < size; h++) {
        const os_hparam *hp = &opt->hparams[h];
        if (c->hp[h] == hp->default_value)
            continue;
        if (hp->flags & OS_HP_BOOL)
            used += (size_t)snprintf(buf + used, size - used, "%s%s=%s", used ? " " : "",
                                     hp->name, c->hp[h] != 0 ? "true" : "false");
        else
            used += (size_t)snprintf(buf + used, size - used, "%s%s=%g", used ? " " : "",
                                     hp->name, c->hp[h]);
    }
}

/* Where the data came from: its path, or "synthetic spirals". */
static const char *data_source(const os_config *cfg, char *buf, size_t size)
{
    if (cfg->data_path)
        return cfg->data_path;
    snprintf(buf, size, "synthetic %s", cfg->generator);
    return buf;
}

/* "refine": the fit of the winner's rate and what its trials measured. */
static void write_json_refine(FILE *out, const os_study *s)
{
    const os_refinement *rf = &s->refine;
    fputs("  \"refine\": ", out);
    if (rf->fit.status == OS_REFINE_NONE) {
        fputs("null,\n", out);
        return;
    }
    fprintf(out, "{\"status\": \"%s\", \"optimizer\": ", os_refine_status_name(rf->fit.status));
    os_json_str(out, s->search.cands[s->ranking[0].first].opt->entry->opt->label);
    fprintf(out, ", \"at_steps\": %llu, \"fitted\": [", (unsigned long long)rf->at_steps);
    for (int i = 0, n = 0; i < 3; i++) {
        if (!isfinite(rf->fit.lr[i]))
            continue;
        fputs(n++ ? ", {\"lr\": " : "{\"lr\": ", out);
        os_json_num(out, rf->fit.lr[i]);
        fputs(", \"score\": ", out);
        os_json_num(out, rf->fit.score[i]);
        fputc('}', out);
    }
    fputs("], \"best_lr\": ", out);
    os_json_num(out, rf->fit.best_lr);
    fputs(", \"predicted\": ", out);
    os_json_num(out, rf->fit.predicted);
    fputs(", \"band_1pct\": [", out);
    os_json_num(out, rf->fit.band[0]);
    fputs(", ", out);
    os_json_num(out, rf->fit.band[1]);
    fprintf(out, "], \"band_cut\": [%s, %s], \"trained\": ", rf->fit.band_cut[0] ? "true" : "false",
            rf->fit.band_cut[1] ? "true" : "false");
    if (rf->n) {
        fprintf(out, "{\"seeds\": %zu, \"status\": \"%s\", \"score\": ", rf->n,
                os_trial_status_name(rf->measured.status));
        os_json_num(out, rf->measured.score);
        fputs(", \"score_std\": ", out);
        os_json_num(out, rf->measured.score_std);
        fprintf(out, ", \"steps\": %llu}", (unsigned long long)rf->measured.steps);
    } else {
        fputs("null", out);
    }
    fputs(", \"untrained_because\": ", out);
    if (rf->untrained)
        os_json_str(out, rf->untrained);
    else
        fputs("null", out);
    fprintf(out, ", \"recommended\": %s},\n", rf->recommended ? "true" : "false");
}

static void write_json(FILE *out, const os_study *s)
{
    char source[64];
    const os_config *cfg = s->cfg;
    const os_search *search = &s->search;
    fprintf(out, "{\n  \"optselect\": \"%s\",\n  \"config\": ", PACKAGE_VERSION);
    os_json_str(out, cfg->path);
    if (cfg->study[0]) {
        fputs(",\n  \"study\": ", out);
        os_json_str(out, cfg->study);
    }
    fprintf(out, ",\n  \"seed\": %llu,\n", (unsigned long long)cfg->seed);
    /* The study as it ran: `optselect report.json` runs it again. */
    char *effective = NULL;
    size_t effective_len = 0;
    FILE *mem = open_memstream(&effective, &effective_len);
    if (mem) {
        os_config_write_effective(cfg, mem);
        fclose(mem);
        fputs("  \"effective_config\": ", out);
        os_json_str(out, effective ? effective : "");
        fputs(",\n", out);
    }
    free(effective);
    if (s->fn) {
        fprintf(out, "  \"function\": {\"name\": \"%s\", \"start\": [", s->fn->name);
        os_json_num(out, cfg->start[0]);
        fputs(", ", out);
        os_json_num(out, cfg->start[1]);
        fprintf(out, "], \"minimum\": [%g, %g]},\n", s->fn->minimum[0], s->fn->minimum[1]);
    }
    fputs("  \"data\": {\"path\": ", out);
    os_json_str(out, s->fn ? "none" : data_source(cfg, source, sizeof source));
    fprintf(out, ", \"train_rows\": %zu, \"validation_rows\": %zu, \"trial_rows\": %zu, "
            "\"test_rows\": %zu, \"features\": %zu, \"classes\": %zu},\n", s->data.train.n,
            s->data.val.n, s->data.n_subset, s->test.n, s->all.d, s->all.n_classes);
    fprintf(out, "  \"model\": {\"layers\": [");
    for (size_t i = 0; i < s->model.n_layers; i++)
        fprintf(out, "%s\"%s %zu-%zu\"", i ? ", " : "",
                os_layer_kind_name(s->model.layers[i].kind), s->model.layers[i].in,
                s->model.layers[i].out);
    fprintf(out, "], \"parameters\": %zu, \"loss\": \"%s\"},\n", s->model.layout.n,
            os_loss_name(s->model.loss));
    fprintf(out, "  \"interrupted_trials\": %zu,\n", s->n_interrupted);
    fprintf(out, "  \"budget\": {\"steps\": %llu, \"batch_size\": %llu, \"eval_every\": %llu, "
            "\"seeds\": %llu", (unsigned long long)cfg->steps,
            (unsigned long long)cfg->batch_size, (unsigned long long)cfg->eval_every,
            (unsigned long long)cfg->seeds);
    if (cfg->seconds > 0) {
        fputs(", \"seconds\": ", out);
        os_json_num(out, cfg->seconds);
        fputs(", \"step_seconds\": ", out);
        os_json_num(out, s->step_seconds > 0 ? s->step_seconds : NAN);
        fprintf(out, ", \"from_journal\": %s", s->step_seconds > 0 ? "false" : "true");
    }
    fputs("},\n", out);
    fputs("  \"lr_range_tests\": [", out);
    for (size_t k = 0, n = 0; k < cfg->n_opts; k++) {
        const os_lrfind *f = &s->lrfind[k];
        if (!s->lrfound[k])
            continue;
        fprintf(out, "%s{\"optimizer\": ", n++ ? ", " : "");
        os_json_str(out, cfg->opts[k].entry->opt->label);
        fprintf(out, ", \"ok\": %s, \"best_lr\": ", f->ok ? "true" : "false");
        os_json_num(out, f->best_lr);
        fputs(", \"diverge_lr\": ", out);
        os_json_num(out, f->diverge_lr);
        fputs(", \"band\": [", out);
        os_json_num(out, f->lo);
        fputs(", ", out);
        os_json_num(out, f->hi);
        fprintf(out, "], \"steps\": %zu}", f->steps);
    }
    fputs("],\n", out);
    fprintf(out, "  \"score\": {\"kind\": \"%s\", \"full_steps\": %llu},\n", cfg->score,
            (unsigned long long)cfg->full_steps);
    os_report_full_json(out, s);
    fprintf(out, "  \"batch_split\": %llu,\n", (unsigned long long)cfg->batch_split);
    fprintf(out, "  \"strategy\": \"%s\",\n  \"compute\": {\"steps_trained\": %llu, "
            "\"grid_steps\": %llu, \"fraction\": ", cfg->strategy,
            (unsigned long long)s->steps_trained,
            (unsigned long long)(cfg->steps * s->search.n));
    os_json_num(out, os_study_compute(s));
    fputs("},\n", out);

    write_json_refine(out, s);
    os_candidate pick_buf;
    const os_group *best = &s->ranking[0];
    const os_candidate *bc = os_study_pick(s, &pick_buf, &best);
    fputs("  \"recommendation\": ", out);
    if (bc) {
        fputs("{\"optimizer\": ", out);
        os_json_candidate(out, bc);
        fputs(", \"score\": ", out);
        os_json_num(out, best->score);
        fputs(", \"test_loss\": ", out);
        os_json_num(out, best->test_loss);
        fputs(", \"test_acc\": ", out);
        os_json_num(out, best->test_acc);
        fprintf(out, ", \"seeds\": %zu, \"refined\": %s},\n", best->n_seeds,
                s->refine.recommended ? "true" : "false");
        os_choice ch = os_study_choice(s);
        fputs("  \"choice\": ", out);
        if (ch.has_runner_up) {
            const os_candidate *rc = &search->cands[s->ranking[1].first];
            fputs("{\"runner_up\": {\"optimizer\": ", out);
            os_json_candidate(out, rc);
            fprintf(out, ", \"seeds\": %zu}, \"margin\": ", s->ranking[1].n_seeds);
            os_json_num(out, ch.margin);
            fputs(", \"noise\": ", out);
            os_json_num(out, ch.noise);
            fprintf(out, ", \"tie\": %s, \"reruns\": %zu, \"best_other\": ",
                    ch.tie ? "true" : "false", s->n_reruns);
            const os_group *other = os_study_best_other(s);
            if (other) {
                fputs("{\"optimizer\": ", out);
                os_json_candidate(out, &search->cands[other->first]);
                fprintf(out, ", \"rank\": %zu, \"seeds\": %zu, \"margin\": ",
                        (size_t)(other - s->ranking) + 1, other->n_seeds);
                os_json_num(out, other->score - s->ranking[0].score);
                fputs("}},\n", out);
            } else {
                fputs("null},\n", out);
            }
        } else {
            fputs("null,\n", out);
        }
    } else {
        fputs("null,\n", out);
    }

    fputs("  \"ranking\": [\n", out);
    for (size_t k = 0; k < s->n_groups; k++) {
        const os_group *g = &s->ranking[k];
        const os_candidate *c = &search->cands[g->first];
        fprintf(out, "    {\"rank\": %zu, \"optimizer\": ", k + 1);
        os_json_candidate(out, c);
        fprintf(out, ", \"status\": \"%s\", \"score\": ", os_trial_status_name(g->status));
        os_json_num(out, g->score);
        fputs(", \"score_std\": ", out);
        os_json_num(out, g->score_std);
        fputs(", \"val_acc\": ", out);
        os_json_num(out, g->val_acc);
        fprintf(out, ", \"seeds\": %zu, \"steps\": %llu}%s\n", g->n_seeds,
                (unsigned long long)g->steps, k + 1 < s->n_groups ? "," : "");
    }
    fputs("  ],\n  \"trials\": [\n", out);
    size_t written = 0;
    for (size_t k = 0; k < s->n_groups; k++) {
        const os_group *g = &s->ranking[k];
        for (size_t j = 0; j < g->n_seeds; j++) {
            const os_candidate *c;
            const os_trial_result *r = os_group_trial(s, g, j, &c);
            fprintf(out, "    {\"id\": %zu, \"rank\": %zu, \"optimizer\": ", c->id, k + 1);
            os_json_candidate(out, c);
            fprintf(out, ", \"seed\": %llu, \"status\": \"%s\", \"score\": ",
                    (unsigned long long)c->seed_index, os_trial_status_name(r->status));
            os_json_num(out, r->score);
            fputs(", \"test_loss\": ", out);
            os_json_num(out, r->test_loss);
            fputs(", \"test_acc\": ", out);
            os_json_num(out, r->test_acc);
            fprintf(out, ", \"steps\": %llu, \"message\": ", (unsigned long long)r->steps);
            os_json_str(out, r->message);
            if (r->path) {
                fputs(",\n     \"path\": [", out);
                for (size_t q = 0; q < r->n_path; q++) {
                    fputs(q ? ", [" : "[", out);
                    os_json_num(out, r->path[2 * q]);
                    fputs(", ", out);
                    os_json_num(out, r->path[2 * q + 1]);
                    fputc(']', out);
                }
                fputc(']', out);
            }
            fputs(",\n     \"curve\": [", out);
            for (size_t p = 0; p < r->n_curve; p++) {
                const os_curve_point *pt = &r->curve[p];
                fprintf(out, "%s{\"step\": %llu, \"train_loss\": ", p ? ", " : "",
                        (unsigned long long)pt->step);
                os_json_num(out, pt->train_loss);
                fputs(", \"val_loss\": ", out);
                os_json_num(out, pt->val_loss);
                fputs(", \"val_acc\": ", out);
                os_json_num(out, pt->val_acc);
                fputc('}', out);
            }
            fprintf(out, "]}%s\n", ++written < search->n + s->n_reruns ? "," : "");
        }
    }
    fputs("  ]\n}\n", out);
}

static void write_csv(FILE *out, const os_study *s)
{
    fputs("rank,id,optimizer,lr,hparams,seed,status,score,val_acc,steps\n", out);
    for (size_t k = 0; k < s->n_groups; k++) {
        const os_group *g = &s->ranking[k];
        for (size_t j = 0; j < g->n_seeds; j++) {
            const os_candidate *c;
            const os_trial_result *r = os_group_trial(s, g, j, &c);
            char hp[512];
            os_changed_hparams(hp, sizeof hp, c);
            double acc = r->n_curve ? r->curve[r->n_curve - 1].val_acc : NAN;
            fprintf(out, "%zu,%zu,%s,%.9g,%s,%llu,%s,", k + 1, c->id,
                    c->opt->entry->opt->label, c->lr, hp, (unsigned long long)c->seed_index,
                    os_trial_status_name(r->status));
            if (isfinite(r->score))
                fprintf(out, "%.9g", r->score);
            fputc(',', out);
            if (isfinite(acc))
                fprintf(out, "%.9g", acc);
            fprintf(out, ",%llu\n", (unsigned long long)r->steps);
        }
    }
}

/* The data and model lines of the text report (or the test function). */
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
    fprintf(out, "data:   %s: %zu train / %zu validation rows, %zu features",
            data_source(cfg, source, sizeof source),
            s->data.train.n, s->data.val.n, s->all.d);
    if (s->all.n_classes)
        fprintf(out, ", %zu classes", s->all.n_classes);
    fprintf(out, "; trials draw from %zu rows", s->data.n_subset);
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
            (unsigned long long)s->cfg->steps);
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
        fprintf(out, "lr refinement: %s's best rate %.4g is the %s of its rates that finished: ",
                label, w->lr, low ? "smallest" : "largest");
        if (isfinite(next))
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

static void write_text(FILE *out, const os_study *s)
{
    const os_config *cfg = s->cfg;
    fprintf(out, "optselect %s — %s%s%s%s\n", PACKAGE_VERSION, cfg->path,
            cfg->study[0] ? " [study " : "", cfg->study, cfg->study[0] ? "]" : "");
    describe_inputs(out, s);
    fprintf(out, "search: %zu optimizers, %zu candidates × %llu seed%s = %zu trials of %llu "
            "steps, batch %llu", cfg->n_opts, s->n_groups, (unsigned long long)cfg->seeds,
            cfg->seeds == 1 ? "" : "s", s->search.n, (unsigned long long)cfg->steps,
            (unsigned long long)cfg->batch_size);
    if (cfg->batch_split > 1)
        fprintf(out, " in %llu data-parallel chunks", (unsigned long long)cfg->batch_split);
    fputc('\n', out);
    os_report_full_text(out, s);
    if (cfg->seconds > 0 && s->step_seconds > 0)
        fprintf(out, "budget: %g s per trial came to %llu steps (a step took %.3g ms in a timed "
                "trial of %llu steps)\n", cfg->seconds, (unsigned long long)cfg->steps,
                1e3 * s->step_seconds, (unsigned long long)s->timed_steps);
    else if (cfg->seconds > 0)
        fprintf(out, "budget: %g s per trial: %llu steps, as the journal keeps them from the "
                "study's first run\n", cfg->seconds, (unsigned long long)cfg->steps);
    const char *unit = s->isolated ? (s->threads == 1 ? "worker process" : "worker processes")
                                   : (s->threads == 1 ? "thread" : "threads");
    fprintf(out, "ran in %.2f s on %d %s", s->seconds, s->threads, unit);
    if (s->n_resumed)
        fprintf(out, " (%zu of %zu trials resumed from the journal)", s->n_resumed, s->search.n);
    fputc('\n', out);
    int halving = strcmp(cfg->strategy, "grid") != 0; /* or hyperband */
    if (halving) {
        uint64_t budgets[OS_MAX_BUDGETS];
        size_t nb = os_halving_budgets(cfg->steps, cfg->min_steps, cfg->reduction_factor,
                                       budgets);
        fprintf(out, "%s%s: budgets", cfg->strategy_auto ? "strategy = auto, with a [full] run: "
                                                          : "", cfg->strategy);
        for (size_t i = 0; i < nb; i++)
            fprintf(out, "%s%llu", i ? " → " : " ", (unsigned long long)budgets[i]);
        fprintf(out, " steps, 1 in %llu goes on; %.1f%% of the compute of a full grid\n",
                (unsigned long long)cfg->reduction_factor, 100.0 * os_study_compute(s));
        if (!strcmp(cfg->strategy, "hyperband")) {
            size_t sizes[OS_MAX_BUDGETS];
            os_hyperband_plan(s->n_groups, nb, cfg->reduction_factor, sizes);
            fprintf(out, "hyperband: %zu brackets of", nb);
            for (size_t i = 0; i < nb; i++)
                fprintf(out, "%s%zu candidates from %llu steps", i ? ", " : " ", sizes[i],
                        (unsigned long long)budgets[i]);
            fputc('\n', out);
        }
    }
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

    int seeds = cfg->seeds > 1 || s->n_reruns, width = (int)strlen("optimizer");
    for (size_t k = 0; k < s->n_groups; k++) {
        int len = (int)strlen(s->search.cands[s->ranking[k].first].opt->entry->opt->label);
        width = len > width ? len : width;
    }
    fprintf(out, "%4s  %-*s %-10s %-12s%s %8s  %-9s%s %s\n", "rank", width, "optimizer", "lr",
            strcmp(cfg->score, "final") ? "score" : "val_loss", seeds ? " ± std    " : "", "val_acc", "status",
            halving ? "  steps" : "", "hyperparameters");
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
        fprintf(out, "%4zu  %-*s %-10.4g %-12s%s %8s  %-9s%s %s\n", k + 1, width,
                c->opt->entry->opt->label, c->lr, score, std, acc,
                os_trial_status_name(g->status), steps, hp[0] ? hp : "defaults");
    }

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
    os_candidate pick_buf;
    const os_candidate *bc = os_study_pick(s, &pick_buf, &best);
    char hp[512];
    os_changed_hparams(hp, sizeof hp, bc);
    char basis[160], value[32];
    snprintf(value, sizeof value, s->fn ? "%.5g" : "%.5f", best->score);
    if (!strcmp(cfg->score, "extrapolated"))
        snprintf(basis, sizeof basis, "predicted %s %s at %llu steps, from %llu",
                 s->fn ? "value" : "validation loss", value,
                 (unsigned long long)cfg->full_steps, (unsigned long long)cfg->steps);
    else if (!strcmp(cfg->score, "horizon") && s->horizon_ratio > 0)
        snprintf(basis, sizeof basis, "predicted %s %s for the full run: the trials' at %.3g "
                 "times the rate", s->fn ? "value" : "validation loss", value,
                 os_horizon_shift(s->horizon_ratio, cfg->horizon_exponent));
    else if (!strcmp(cfg->score, "final") || !strcmp(cfg->score, "horizon"))
        snprintf(basis, sizeof basis, "%s %s after %llu steps",
                 s->fn ? "value" : "validation loss", value, (unsigned long long)cfg->steps);
    else
        snprintf(basis, sizeof basis, "score %s (%s) over %llu steps", value, cfg->score,
                 (unsigned long long)cfg->steps);
    if (best->n_seeds > 1) {
        size_t len = strlen(basis);
        snprintf(basis + len, sizeof basis - len, ", mean of %zu seeds", best->n_seeds);
    }
    fprintf(out, "\nrecommendation: %s with lr = %.4g%s%s (%s%s)\n", bc->opt->entry->opt->label,
            bc->lr, hp[0] ? ", " : "", hp, s->refine.recommended ? "refined; " : "", basis);
    explain_refine(out, s);
    explain_choice(out, s);
    if (s->test.n) {
        fprintf(out, "test set: loss %.5f", best->test_loss);
        if (isfinite(best->test_acc))
            fprintf(out, ", accuracy %.2f%%", 100.0 * best->test_acc);
        fprintf(out, " on %zu held-out rows (reported, never used to choose)\n", s->test.n);
    }
}

int os_report_write(FILE *out, const os_study *s, os_format format)
{
    switch (format) {
    case OS_FORMAT_JSON: write_json(out, s); break;
    case OS_FORMAT_CSV: write_csv(out, s); break;
    case OS_FORMAT_TEXT: write_text(out, s); break;
    }
    return ferror(out) ? -1 : 0;
}

/* ---- batches of studies ---------------------------------------------- */

void os_summary_fill(os_summary_row *row, const os_study *s)
{
    os_candidate pick_buf;
    const os_group *best = &s->ranking[0];
    const os_candidate *pick = os_study_pick(s, &pick_buf, &best);
    const os_candidate *bc = pick ? pick : &s->search.cands[best->first];
    row->recommended = pick != NULL;
    row->interrupted = s->n_interrupted > 0;
    snprintf(row->optimizer, sizeof row->optimizer, "%s", bc->opt->entry->opt->label);
    os_changed_hparams(row->hparams, sizeof row->hparams, bc);
    row->lr = bc->lr;
    row->score = best->score;
    row->val_acc = best->val_acc;
    row->trials = s->search.n;
    row->seconds = s->seconds;
}

void os_batch_begin(FILE *out, os_format format)
{
    if (format == OS_FORMAT_JSON)
        fputs("{\n\"studies\": [\n", out);
}

FILE *os_batch_study_begin(FILE *out, os_format format, const char *study, size_t index)
{
    switch (format) {
    case OS_FORMAT_TEXT:
        fprintf(out, "%s==== study %s ====\n", index ? "\n" : "", study);
        return out;
    case OS_FORMAT_JSON:
        fprintf(out, "%s{\"study\": ", index ? ",\n" : "");
        os_json_str(out, study);
        fputs(", \"report\": ", out);
        return out;
    case OS_FORMAT_CSV: {
        /* rows are gathered to be prefixed with the study's name */
        FILE *tmp = tmpfile();
        return tmp ? tmp : out;
    }
    }
    return out;
}

/* Copies a study's CSV report with its name in a first column; the header
 * row only for the first study. */
static void prefix_csv(FILE *out, FILE *tmp, const char *study, size_t index)
{
    char *buf = NULL;
    size_t len = 0;
    fflush(tmp);
    long size = ftell(tmp);
    if (size > 0 && fseek(tmp, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)size + 1);
        len = buf ? fread(buf, 1, (size_t)size, tmp) : 0;
    }
    fclose(tmp);
    for (size_t at = 0, line = 0; buf && at < len; line++) {
        char *nl = memchr(buf + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;
        if (line == 0 && index == 0)
            fprintf(out, "study,%.*s\n", (int)n, buf + at);
        else if (line > 0)
            fprintf(out, "%s,%.*s\n", study, (int)n, buf + at);
        at += n + 1;
    }
    free(buf);
}

void os_batch_study_end(FILE *out, os_format format, FILE *report, const char *study,
                        size_t index, const char *error)
{
    if (format == OS_FORMAT_CSV && report != out) {
        prefix_csv(out, report, study, index);
        return;
    }
    if (format != OS_FORMAT_JSON)
        return;
    if (error) {
        fputs("null, \"error\": ", out);
        os_json_str(out, error);
    }
    fputs("}", out);
}

void os_batch_end(FILE *out, os_format format, const os_summary_row *rows, size_t n)
{
    if (format == OS_FORMAT_CSV)
        return; /* one table of trials; the summary is in the text and JSON forms */
    if (format == OS_FORMAT_JSON) {
        fputs("\n],\n\"summary\": [", out);
        for (size_t i = 0; i < n; i++) {
            const os_summary_row *r = &rows[i];
            fprintf(out, "%s\n  {\"study\": ", i ? "," : "");
            os_json_str(out, r->study);
            if (r->error[0]) {
                fputs(", \"error\": ", out);
                os_json_str(out, r->error);
            } else if (r->recommended) {
                fputs(", \"optimizer\": ", out);
                os_json_str(out, r->optimizer);
                fputs(", \"lr\": ", out);
                os_json_num(out, r->lr);
                fputs(", \"score\": ", out);
                os_json_num(out, r->score);
                fputs(", \"val_acc\": ", out);
                os_json_num(out, r->val_acc);
            } else {
                fputs(", \"optimizer\": null", out);
            }
            fprintf(out, ", \"trials\": %zu, \"interrupted\": %s}", r->trials,
                    r->interrupted ? "true" : "false");
        }
        fputs("\n]\n}\n", out);
        return;
    }
    int width = 5;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(rows[i].study) > width)
            width = (int)strlen(rows[i].study);
    fprintf(out, "\n==== summary of %zu stud%s ====\n%-*s  %-36s %10s %8s %7s %9s\n", n,
            n == 1 ? "y" : "ies", width, "study", "recommendation", "val_loss", "val_acc",
            "trials", "seconds");
    for (size_t i = 0; i < n; i++) {
        const os_summary_row *r = &rows[i];
        if (r->error[0]) {
            fprintf(out, "%-*s  error: %s\n", width, r->study, r->error);
            continue;
        }
        char rec[160] = "none (every trial diverged or failed)", acc[16] = "-";
        if (r->recommended)
            snprintf(rec, sizeof rec, "%s, lr %.4g%s%s", r->optimizer, r->lr,
                     r->hparams[0] ? ", " : "", r->hparams);
        if (r->recommended && isfinite(r->val_acc))
            snprintf(acc, sizeof acc, "%.1f%%", 100.0 * r->val_acc);
        fprintf(out, "%-*s  %-36s %10.5g %8s %7zu %9.2f%s\n", width, r->study, rec,
                r->recommended ? r->score : NAN, acc, r->trials, r->seconds,
                r->interrupted ? "  (interrupted)" : "");
    }
}

int os_report_curves_csv(FILE *out, const os_study *s)
{
    fputs("id,optimizer,lr,hparams,seed,status,step,train_loss,val_loss,val_acc\n", out);
    for (size_t i = 0; i < s->search.n; i++) {
        const os_candidate *c = &s->search.cands[i];
        const os_trial_result *r = &s->results[i];
        char hp[512];
        os_changed_hparams(hp, sizeof hp, c);
        for (size_t j = 0; j < r->n_curve; j++) {
            const os_curve_point *p = &r->curve[j];
            fprintf(out, "%zu,%s,%.9g,%s,%llu,%s,%llu,", i, c->opt->entry->opt->label, c->lr,
                    hp, (unsigned long long)c->seed_index, os_trial_status_name(r->status),
                    (unsigned long long)p->step);
            /* empty cells where there is no value: NaN is not portable CSV */
            double v[3] = { p->train_loss, p->val_loss, p->val_acc };
            for (int k = 0; k < 3; k++) {
                if (isfinite(v[k]))
                    fprintf(out, "%.9g", v[k]);
                fputc(k < 2 ? ',' : '\n', out);
            }
        }
    }
    return ferror(out) ? -1 : 0;
}
