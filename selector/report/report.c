/* report.c — a ranked study's report in the format asked for (the text and
 * JSON renderings are report_text.c and report_json.c), its CSV, the batch
 * summary and the curves file. */
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

/* Hyperparameters that differ from the plugin's defaults, and those the
 * study searches, "k=v k=v". */
void os_changed_hparams(char *buf, size_t size, const os_candidate *c)
{
    const os_optimizer *opt = c->opt->entry->opt;
    size_t used = 0;
    buf[0] = '\0';
    if (c->batch_size) /* searched over: always shown */
        used += (size_t)snprintf(buf, size, "batch=%llu", (unsigned long long)c->batch_size);
    for (size_t h = 0; h < opt->n_hparams && used < size; h++) {
        const os_hparam *hp = &opt->hparams[h];
        /* a searched one always shows: "defaults" would hide which it was */
        if (c->hp[h] == hp->default_value && c->opt->hp_n[h] < 2)
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
const char *os_report_data_source(const os_config *cfg, char *buf, size_t size)
{
    if (cfg->data_path)
        return cfg->data_path;
    snprintf(buf, size, "synthetic %s", cfg->generator);
    return buf;
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
int os_report_write(FILE *out, const os_study *s, os_format format)
{
    switch (format) {
    case OS_FORMAT_JSON: os_report_json(out, s); break;
    case OS_FORMAT_CSV: write_csv(out, s); break;
    case OS_FORMAT_TEXT: os_report_text(out, s); break;
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
                os_json_field(out, ", \"lr\": ", r->lr);
                os_json_field(out, ", \"score\": ", r->score);
                os_json_field(out, ", \"val_acc\": ", r->val_acc);
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
