/* report_run.c — the full run the recommendation is for, and the schedule
 * the trials followed, in the text and JSON reports (report.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include "report.h"

void os_report_full_text(FILE *out, const os_study *s)
{
    const os_config *cfg = s->cfg;
    const os_schedule *full = &s->plan.full_schedule, *trial = &s->plan.schedule;
    char desc[256];
    if (!s->plan.full_steps) {
        fprintf(out, "full run: not declared, so the recommendation is for a run as long as a "
                "trial (%llu steps); declare yours in [full] (steps or epochs, schedule%s)\n",
                (unsigned long long)s->plan.steps, s->fn || cfg->command ? "" : ", batch_size, data");
        return;
    }
    fprintf(out, "full run: %llu steps", (unsigned long long)s->plan.full_steps);
    if (!s->fn && !cfg->command && cfg->n_batch > 1)
        fprintf(out, ", at the recommended batch size, on %s%llu training rows",
                strcmp(cfg->full_data, "subset") ? "all " : "the trials' ",
                (unsigned long long)s->plan.full_rows);
    else if (!s->fn && !cfg->command)
        fprintf(out, ", batch %llu, on %s%llu training rows", (unsigned long long)s->plan.full_batch,
                strcmp(cfg->full_data, "subset") ? "all " : "the trials' ",
                (unsigned long long)s->plan.full_rows);
    fprintf(out, "; %s\n", os_schedule_describe(full, desc, sizeof desc));
    if (s->plan.subset_given)
        fprintf(out, "trials: drawn from %zu rows, not the subset's %zu, so that they pass over "
                "their rows no more often than the full run passes over its own "
                "([data] subset_grow)\n", s->data.n_subset, s->plan.subset_given);
    if (full->kind == OS_SCHED_CONSTANT && !full->warmup)
        return;
    if (trial->kind == OS_SCHED_CONSTANT && !trial->warmup)
        fprintf(out, "schedule: the trials run at each rate throughout ([search] schedule = "
                "constant); the rates are the full run's peak\n");
    else
        fprintf(out, "schedule: the trials follow it, scaled to their %llu steps (%s); "
                "the rates are its peak\n", (unsigned long long)trial->steps,
                os_schedule_describe(trial, desc, sizeof desc));
}

static void json_schedule(FILE *out, const os_schedule *sc)
{
    fprintf(out, "{\"kind\": \"%s\", \"steps\": %llu, \"warmup\": %llu, \"floor\": ",
            os_schedule_name(sc->kind), (unsigned long long)sc->steps,
            (unsigned long long)sc->warmup);
    os_json_num(out, sc->floor);
    if (sc->kind == OS_SCHED_WSD) {
        os_json_field(out, ", \"decay\": ", sc->decay);
    }
    if (sc->kind == OS_SCHED_STEP) {
        os_json_field(out, ", \"gamma\": ", sc->gamma);
        fputs(", \"milestones\": [", out);
        for (size_t k = 0; k < sc->n_milestones; k++) {
            fputs(k ? ", " : "", out);
            os_json_num(out, sc->milestones[k]);
        }
        fputc(']', out);
    }
    fputc('}', out);
}

void os_report_full_json(FILE *out, const os_study *s)
{
    const os_config *cfg = s->cfg;
    fprintf(out, "  \"full_run\": {\"declared\": %s, \"steps\": %llu",
            s->plan.full_steps ? "true" : "false", (unsigned long long)s->plan.full_steps);
    if (!s->fn && !cfg->command)
        fprintf(out, ", \"data\": \"%s\", \"rows\": %llu, \"batch_size\": %llu",
                cfg->full_data, (unsigned long long)s->plan.full_rows,
                (unsigned long long)s->plan.full_batch);
    if (!s->fn && !cfg->command)
        fprintf(out, ", \"trial_rows\": %zu, \"subset_grown_from\": %zu", s->data.n_subset,
                s->plan.subset_given);
    fputs(", \"schedule\": ", out);
    json_schedule(out, &s->plan.full_schedule);
    fprintf(out, ", \"trials\": {\"schedule\": \"%s\", \"follows\": ", cfg->schedule);
    json_schedule(out, &s->plan.schedule);
    fputs("}},\n", out);
}
