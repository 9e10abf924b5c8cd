/*
 * fingerprint.c — the journal's fingerprint of a study: a hash of what
 * decides its trials, so that a journal resumes only the study it records.
 * It hashes the plan, not the config's text: the keys whose values decide
 * trials as given (the key table marks them), the candidates as they
 * train, and what the plan resolved (steps, pool, schedule, strategy).
 * Keys that decide no journaled trial (refine, isolation, [full] seeds...)
 * leave it alone, so a study resumes across them.
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

static uint64_t hash_str(uint64_t h, const char *text)
{
    return os_fnv1a(h, text ? text : "", text ? strlen(text) + 1 : 1);
}

/* A key whose value decides trials as given (os_config_each_trial_key). */
static void hash_key(void *arg, const char *section, const char *name, const char *value)
{
    uint64_t *h = arg;
    *h = hash_str(hash_str(hash_str(*h, section), name), value);
}

/* The candidates in order, each as it trains: its optimizer (label and
 * file), rate, hyperparameters, seed and batch.  They carry what the
 * optimizers, lr, lr_range, lr_points, seeds, batch_size and the
 * [optimizer.X] sections came to, lr = auto's range tests included. */
static uint64_t hash_candidates(const os_search *search, uint64_t h)
{
    h = os_fnv1a(h, &search->n, sizeof search->n);
    for (size_t i = 0; i < search->n; i++) {
        const os_candidate *c = &search->cands[i];
        const os_optimizer *o = c->opt->entry->opt;
        h = hash_str(hash_str(h, o->label), c->opt->entry->path);
        uint64_t ints[2] = { c->seed_index, c->batch_size };
        h = os_fnv1a(h, ints, sizeof ints);
        h = os_fnv1a(h, &c->lr, sizeof c->lr);
        h = os_fnv1a(h, c->hp, o->n_hparams * sizeof *c->hp);
    }
    return h;
}

/* What the plan resolved that decides trials: a trial's steps, the full
 * run's (the horizon a score may read), the batch and its split, the
 * strategy and its rungs, the trials' pool and the schedule they follow. */
static uint64_t hash_plan(const os_study *s, uint64_t h)
{
    const os_plan *p = &s->plan;
    const os_schedule *sc = &p->schedule;
    uint64_t ints[] = {
        p->steps, p->full_steps, p->batch_max, p->batch_split, (uint64_t)p->strategy,
        (uint64_t)s->data.n_subset, (uint64_t)sc->kind, sc->steps, sc->warmup,
        (uint64_t)sc->n_milestones,
    };
    double shape[3 + OS_SCHED_MAX_MILESTONES] = { sc->floor, sc->decay, sc->gamma };
    memcpy(shape + 3, sc->milestones, sc->n_milestones * sizeof *sc->milestones);
    h = os_fnv1a(h, ints, sizeof ints);
    h = os_fnv1a(h, shape, (3 + sc->n_milestones) * sizeof *shape);
    /* the rungs of halving, hyperband and asha and who goes on */
    uint64_t budgets[OS_MAX_BUDGETS + 1];
    size_t nb = os_plan_rungs(p, budgets + 1);
    budgets[0] = p->strategy == OS_STRATEGY_GRID ? 0 : p->eta;
    return os_fnv1a(h, budgets, (nb + 1) * sizeof *budgets);
}

/* The arithmetic of the model's layers: a layer computed otherwise since
 * its version 1 makes other trials (versions 1 leave the hash alone). */
static uint64_t hash_numerics(const os_model *m, uint64_t h)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        unsigned v = os_layer_numerics(&m->layers[i]);
        if (v > 1) {
            uint64_t kv[2] = { (uint64_t)m->layers[i].kind, v };
            h = os_fnv1a(h, kv, sizeof kv);
        }
    }
    return h;
}

uint64_t os_study_fingerprint(const os_study *s)
{
    uint64_t h = OS_FNV_INIT;
    os_config_each_trial_key(s->cfg, hash_key, &h);
    h = hash_candidates(&s->search, h);
    h = hash_plan(s, h);
    h = hash_numerics(&s->model, h);
    return s->cfg->command ? hash_command_files(s, h) : h;
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
