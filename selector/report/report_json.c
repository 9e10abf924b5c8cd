/* report_json.c — the JSON report of a ranked study, and the JSON writers
 * the other reports share (report.h). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "blas.h"
#include "halving.h"
#include "horizon.h"
#include "report.h"

/* %.9g round-trips a float and stays short; JSON has no inf or NaN. */
void os_json_num(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, "%.9g", v);
    else
        fputs("null", out);
}

void os_json_field(FILE *out, const char *key, double v)
{
    fputs(key, out);
    os_json_num(out, v);
}

void os_json_head(FILE *out, const os_config *cfg)
{
    fprintf(out, "{\n  \"optselect\": \"%s\",\n  \"config\": ", PACKAGE_VERSION);
    os_json_str(out, cfg->path);
    if (cfg->study[0]) {
        fputs(",\n  \"study\": ", out);
        os_json_str(out, cfg->study);
    }
    fprintf(out, ",\n  \"seed\": %llu", (unsigned long long)cfg->seed);
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
    os_json_field(out, ", \"lr\": ", c->lr);
    if (c->batch_size) /* a list of batch sizes: each candidate's */
        fprintf(out, ", \"batch_size\": %llu", (unsigned long long)c->batch_size);
    fputs(", \"hparams\": ", out);
    os_json_hparams(out, c);
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
        os_json_field(out, ", \"score\": ", rf->fit.score[i]);
        fputc('}', out);
    }
    os_json_field(out, "], \"best_lr\": ", rf->fit.best_lr);
    os_json_field(out, ", \"predicted\": ", rf->fit.predicted);
    os_json_field(out, ", \"band_1pct\": [", rf->fit.band[0]);
    os_json_field(out, ", ", rf->fit.band[1]);
    fprintf(out, "], \"band_cut\": [%s, %s], \"trained\": ", rf->fit.band_cut[0] ? "true" : "false",
            rf->fit.band_cut[1] ? "true" : "false");
    if (rf->n) {
        fprintf(out, "{\"seeds\": %zu, \"status\": \"%s\", \"score\": ", rf->n,
                os_trial_status_name(rf->measured.status));
        os_json_num(out, rf->measured.score);
        os_json_field(out, ", \"score_std\": ", rf->measured.score_std);
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

/* What ran: the config (as it ran, so that `optselect report.json` runs
 * it again), the function or data, the model and the budget. */
static void write_json_inputs(FILE *out, const os_study *s)
{
    char source[64];
    const os_config *cfg = s->cfg;
    os_json_head(out, cfg);
    fputs(",\n", out);
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
        os_json_field(out, ", ", cfg->start[1]);
        fprintf(out, "], \"minimum\": [%g, %g]},\n", s->fn->minimum[0], s->fn->minimum[1]);
    }
    if (cfg->command) {
        fputs("  \"trainer\": {\"command\": ", out);
        os_json_str(out, cfg->command);
        fputs(", \"workdir\": ", out);
        os_json_str(out, s->workdir);
        fputs(", \"trials\": ", out);
        os_json_str(out, s->trial_root_temp ? "" : s->trial_root);
        fputs("},\n", out);
        goto budget;
    }
    fputs("  \"data\": {\"path\": ", out);
    os_json_str(out, s->fn ? "none" : os_report_data_source(cfg, source, sizeof source));
    fprintf(out, ", \"train_rows\": %zu, \"validation_rows\": %zu, "
            "\"validation_sample_rows\": %zu, \"trial_rows\": %zu, \"test_rows\": %zu, "
            "\"features\": %zu, \"classes\": %zu},\n", s->data.train.n, s->data.val.n,
            s->data.val_sample.n, s->data.n_subset, s->test.n, s->all.d, s->all.n_classes);
    fprintf(out, "  \"model\": {\"layers\": [");
    for (size_t i = 0; i < s->model.n_layers; i++)
        fprintf(out, "%s\"%s %zu-%zu\"", i ? ", " : "",
                os_layer_kind_name(s->model.layers[i].kind), s->model.layers[i].in,
                s->model.layers[i].out);
    fprintf(out, "], \"parameters\": %zu, \"loss\": \"%s\", \"decay\": \"%s\"},\n",
            s->model.layout.n, os_loss_name(s->model.loss), s->decays ? "weights" : "all");
budget:
    fprintf(out, "  \"interrupted_trials\": %zu,\n", s->n_interrupted);
    fprintf(out, "  \"budget\": {\"steps\": %llu, \"batch_size\": %llu, \"eval_every\": %llu, "
            "\"seeds\": %llu", (unsigned long long)s->plan.steps,
            (unsigned long long)cfg->batch_size, (unsigned long long)cfg->eval_every,
            (unsigned long long)cfg->seeds);
    for (size_t b = 0; cfg->n_batch > 1 && b < cfg->n_batch; b++) /* searched over */
        fprintf(out, "%s%llu%s", b ? ", " : ", \"batch_sizes\": [",
                (unsigned long long)cfg->batch_sizes[b], b + 1 == cfg->n_batch ? "]" : "");
    if (cfg->seconds > 0) {
        os_json_field(out, ", \"seconds\": ", cfg->seconds);
        os_json_field(out, ", \"step_seconds\": ", s->step_seconds > 0 ? s->step_seconds : NAN);
        fprintf(out, ", \"from_journal\": %s", s->step_seconds > 0 ? "false" : "true");
    }
    fputs("},\n", out);
}

static void write_json_lr_tests(FILE *out, const os_study *s)
{
    const os_config *cfg = s->cfg;
    fputs("  \"lr_range_tests\": [", out);
    for (size_t k = 0, n = 0; k < cfg->n_opts; k++) {
        const os_lrfind *f = &s->lrfind[k];
        if (!s->lrfound[k])
            continue;
        fprintf(out, "%s{\"optimizer\": ", n++ ? ", " : "");
        os_json_str(out, cfg->opts[k].entry->opt->label);
        fprintf(out, ", \"ok\": %s, \"best_lr\": ", f->ok ? "true" : "false");
        os_json_num(out, f->best_lr);
        os_json_field(out, ", \"diverge_lr\": ", f->diverge_lr);
        os_json_field(out, ", \"band\": [", f->lo);
        os_json_field(out, ", ", f->hi);
        fprintf(out, "], \"steps\": %zu, \"curve\": [", f->steps);
        for (size_t i = 0; i < f->n_curve; i++) {
            os_json_field(out, i ? ", [" : "[", f->curve_lr[i]);
            os_json_field(out, ", ", f->curve_loss[i]);
            fputc(']', out);
        }
        fputs("]}", out);
    }
    fputs("],\n", out);
}

/* The recommendation, and the choice between it and the runner-up. */
static void write_json_recommendation(FILE *out, const os_study *s)
{
    const os_search *search = &s->search;
    os_candidate pick_buf;
    const os_group *best = &s->ranking[0];
    const os_candidate *bc = os_study_pick(s, &pick_buf, &best);
    fputs("  \"recommendation\": ", out);
    if (bc) {
        fputs("{\"optimizer\": ", out);
        os_json_candidate(out, bc);
        os_json_field(out, ", \"score\": ", best->score);
        os_json_field(out, ", \"test_loss\": ", best->test_loss);
        os_json_field(out, ", \"test_acc\": ", best->test_acc);
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
            os_json_field(out, ", \"noise\": ", ch.noise);
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

}

static void write_json_ranking(FILE *out, const os_study *s)
{
    const os_search *search = &s->search;
    for (size_t k = 0; k < s->n_groups; k++) {
        const os_group *g = &s->ranking[k];
        const os_candidate *c = &search->cands[g->first];
        fprintf(out, "    {\"rank\": %zu, \"optimizer\": ", k + 1);
        os_json_candidate(out, c);
        fprintf(out, ", \"status\": \"%s\", \"score\": ", os_trial_status_name(g->status));
        os_json_num(out, g->score);
        os_json_field(out, ", \"score_std\": ", g->score_std);
        os_json_field(out, ", \"val_acc\": ", g->val_acc);
        fprintf(out, ", \"seeds\": %zu, \"steps\": %llu}%s\n", g->n_seeds,
                (unsigned long long)g->steps, k + 1 < s->n_groups ? "," : "");
    }
}

/* Every trial, with its curve (and a test function's path). */
static void write_json_trials(FILE *out, const os_study *s)
{
    const os_search *search = &s->search;
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
            os_json_field(out, ", \"test_loss\": ", r->test_loss);
            os_json_field(out, ", \"test_acc\": ", r->test_acc);
            fprintf(out, ", \"steps\": %llu, \"message\": ", (unsigned long long)r->steps);
            os_json_str(out, r->message);
            if (r->path) {
                fputs(",\n     \"path\": [", out);
                for (size_t q = 0; q < r->n_path; q++) {
                    fputs(q ? ", [" : "[", out);
                    os_json_num(out, r->path[2 * q]);
                    os_json_field(out, ", ", r->path[2 * q + 1]);
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
                os_json_field(out, ", \"val_loss\": ", pt->val_loss);
                os_json_field(out, ", \"val_acc\": ", pt->val_acc);
                fputc('}', out);
            }
            fprintf(out, "]}%s\n", ++written < search->n + s->n_reruns ? "," : "");
        }
    }
}

void os_report_json(FILE *out, const os_study *s)
{
    const os_config *cfg = s->cfg;
    write_json_inputs(out, s);
    write_json_lr_tests(out, s);
    fprintf(out, "  \"score\": {\"kind\": \"%s\", \"full_steps\": %llu},\n", cfg->score,
            (unsigned long long)s->plan.full_steps);
    os_report_full_json(out, s);
    fputs("  \"skipped\": [", out);
    for (size_t k = 0; k < s->search.n_skipped; k++) {
        const os_skipped *sk = &s->search.skipped[k];
        fprintf(out, "%s{\"optimizer\": ", k ? ", " : "");
        os_json_str(out, sk->as.opt->entry->opt->label);
        fputs(", \"hparams\": ", out);
        os_json_hparams(out, &sk->as);
        fputs(", \"why\": ", out);
        os_json_str(out, sk->why);
        fputc('}', out);
    }
    fputs("],\n", out);
    fprintf(out, "  \"batch_split\": %llu,\n", (unsigned long long)s->plan.batch_split);
    fprintf(out, "  \"strategy\": \"%s\",\n  \"compute\": {\"steps_trained\": %llu, "
            "\"grid_steps\": %llu, \"fraction\": ", cfg->strategy,
            (unsigned long long)s->steps_trained,
            (unsigned long long)(s->plan.steps * s->search.n));
    os_json_num(out, os_study_compute(s));
    fprintf(out, ", \"steps_run_again\": %llu, \"range_test_steps\": %llu},\n",
            (unsigned long long)s->steps_again, (unsigned long long)os_study_lrfind_steps(s));

    write_json_refine(out, s);
    write_json_recommendation(out, s);
    fputs("  \"ranking\": [\n", out);
    write_json_ranking(out, s);
    fputs("  ],\n  \"trials\": [\n", out);
    write_json_trials(out, s);
    fputs("  ]\n}\n", out);
}
