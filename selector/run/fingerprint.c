/*
 * fingerprint.c — the journal's fingerprint of a study: a hash of what
 * decides its trials, so that a journal resumes only the study it records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "journal.h"
#include "study.h"
#include "util.h"

#define HASHED_FILE_MAX (4u << 20) /* larger files: their size and mtime */

/* [trainer] command: the files its words name (train.py, a ./train.sh), so
 * that an edited training script is another study, whose trials the
 * journal does not hold.  Words with placeholders and words that name no
 * file (options, values) add nothing; a large file (a dataset) is known by
 * its size and time, not read. */
static uint64_t hash_command_files(const os_study *s, uint64_t h)
{
    const os_command *cmd = &s->cfg->cmd;
    for (size_t i = 0; i < cmd->n_words; i++) {
        const char *w = cmd->words[i];
        if (strchr(w, '{') || !*w)
            continue;
        char *path = w[0] == '/' ? os_strdup(w) : os_path_join(s->workdir, w);
        struct stat st;
        FILE *f = path && stat(path, &st) == 0 && S_ISREG(st.st_mode) ? fopen(path, "rb") : NULL;
        if (f) {
            h = os_fnv1a(h, w, strlen(w) + 1);
            if ((uint64_t)st.st_size > HASHED_FILE_MAX) {
                int64_t id[2] = { (int64_t)st.st_size, (int64_t)st.st_mtime };
                h = os_fnv1a(h, id, sizeof id);
            } else {
                char buf[65536];
                size_t got;
                while ((got = fread(buf, 1, sizeof buf, f)) > 0)
                    h = os_fnv1a(h, buf, got);
            }
            fclose(f);
        }
        free(path);
    }
    return h;
}

/* The effective config as INI text, less the lines that decide no
 * journaled trial. */
static uint64_t hash_config_text(const os_config *cfg, uint64_t h)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        os_config_write_effective(cfg, f);
        fclose(f);
        /* Lines that decide no journaled trial, left out so that a journal
         * resumes across them: refine trains after the journaled trials;
         * seconds = 0 is no budget in seconds (and journals from before
         * the key existed stay valid; a budget in seconds is hashed below
         * as the steps it came to). */
        /* Section 0: any.  [search] schedule, the [full] run's data, batch
         * and schedule keys and [data] subset_grow decide the trials only
         * through the trials' schedule, the full run's steps and the pool,
         * hashed below as resolved (so journals from before the keys
         * existed resume when those are as they were); horizon_exponent
         * only moves the ranking, never a trial. */
        static const struct { int section; const char *prefix; } skip[] = {
            { 0, "refine = " }, { 0, "seconds = 0\n" }, { 1, "asha_window = 16\n" }, { 1, "decay = all\n" },
            { 1, "schedule = " }, { 1, "horizon_exponent = " },
            { 2, "data = " }, { 2, "batch_size = " }, { 2, "schedule = " }, { 2, "warmup = " },
            { 2, "floor = " }, { 2, "decay = " }, { 2, "milestones = " }, { 2, "gamma = " },
            { 3, "subset_grow = " },
        };
        int section = 0; /* 1: [search], 2: [full], 3: [data] */
        for (char *line = text; line && line < text + len;) {
            char *end = memchr(line, '\n', (size_t)(text + len - line));
            size_t n = end ? (size_t)(end - line) + 1 : (size_t)(text + len - line);
            if (line[0] == '[')
                section = !strncmp(line, "[search]", 8) ? 1 : !strncmp(line, "[full]", 6) ? 2
                        : !strncmp(line, "[data]", 6) ? 3 : 0;
            int keep = 1;
            for (size_t k = 0; k < sizeof skip / sizeof *skip; k++)
                keep &= (skip[k].section && skip[k].section != section) ||
                        strncmp(line, skip[k].prefix, strlen(skip[k].prefix)) != 0;
            if (section == 1 && !strncmp(line, "strategy = ", 11)) {
                /* as resolved: auto is the strategy it came to (and a
                 * journal from when grid was the default resumes) */
                char resolved[40];
                int used = snprintf(resolved, sizeof resolved, "strategy = %s\n", cfg->strategy);
                h = os_fnv1a(h, resolved, (size_t)used);
                keep = 0;
            }
            if (keep)
                h = os_fnv1a(h, line, n);
            line += n;
        }
    }
    free(text);
    return h;
}

uint64_t os_study_fingerprint(const os_study *s)
{
    const os_config *cfg = s->cfg;
    uint64_t h = hash_config_text(cfg, OS_FNV_INIT);
    for (size_t i = 0; i < cfg->n_opts; i++)
        h = os_fnv1a(h, cfg->opts[i].entry->path, strlen(cfg->opts[i].entry->path) + 1);
    /* a split step computes other sums: its trials are other trials (1 is
     * left out, so journals from before batch_split still resume) */
    if (s->plan.batch_split > 1)
        h = os_fnv1a(h, &s->plan.batch_split, sizeof s->plan.batch_split);
    /* a budget in seconds: the steps it came to decide the trials */
    if (cfg->seconds > 0)
        h = os_fnv1a(h, &s->plan.steps, sizeof s->plan.steps);
    /* a schedule the trials follow */
    const os_schedule *sc = &s->plan.schedule;
    if (sc->kind != OS_SCHED_CONSTANT || sc->warmup) {
        double shape[3 + OS_SCHED_MAX_MILESTONES] = { sc->floor, sc->decay, sc->gamma };
        memcpy(shape + 3, sc->milestones, sc->n_milestones * sizeof *sc->milestones);
        uint64_t ints[4] = { (uint64_t)sc->kind, sc->steps, sc->warmup, sc->n_milestones };
        h = os_fnv1a(h, ints, sizeof ints);
        h = os_fnv1a(h, shape, (3 + sc->n_milestones) * sizeof *shape);
    }
    if (cfg->command)
        h = hash_command_files(s, h);
    /* a pool grown past the subset: other trials */
    if (s->plan.subset_given)
        h = os_fnv1a(h, &s->data.n_subset, sizeof s->data.n_subset);
    /* [full] epochs of other rows or batches than the trials' */
    if (cfg->full_epochs > 0 && (s->plan.full_rows != s->data.n_subset ||
                                 s->plan.full_batch != cfg->batch_size))
        h = os_fnv1a(h, &s->plan.full_steps, sizeof s->plan.full_steps);
    return os_fnv1a(h, &s->search.n, sizeof s->search.n);
}


uint32_t os_study_plugin_versions(const os_study *s, char *text, size_t size)
{
    const os_config *cfg = s->cfg;
    uint64_t h = OS_FNV_INIT;
    int any = 0;
    size_t used = 0;
    if (size)
        text[0] = '\0';
    for (size_t i = 0; i < cfg->n_opts; i++) {
        const os_optimizer *o = cfg->opts[i].entry->opt;
        uint32_t v = os_optimizer_version(o);
        any |= v != 0;
        h = os_fnv1a(h, &v, sizeof v);
        if (used < size)
            used += (size_t)snprintf(text + used, size - used, "%s%s %u", i ? ", " : "",
                                     o->label, (unsigned)v);
    }
    uint32_t folded = (uint32_t)(h ^ (h >> 32));
    return !any ? 0 : folded ? folded : 1;
}
