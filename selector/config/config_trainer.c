/*
 * config_trainer.c — what a [trainer] command changes in a config.  The
 * candidates are the same as a built-in study's ([search] optimizers, the
 * [optimizer.LABEL] lists, the rates), but the names are the trainer's: a
 * name a plugin has brings the plugin's default rate, range and
 * hyperparameter table (checked as usual); a name no plugin has becomes a
 * stand-in whose hyperparameters are the keys its section gives, with no
 * default rate, so its rates are given explicitly.  And the keys that
 * describe optimizer's own model and data have no meaning there.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "study_config_internal.h"
#include "spawn.h"
#include "util.h"

#define keys os_cfg_keys
#define N_KEYS os_cfg_n_keys

int os_opt_is_named(const os_opt_config *o)
{
    return o->entry->opt->default_lr == 0;
}

int os_cfg_note_opt_key(parse_ctx *ctx, const char *label, const char *name)
{
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(name, os_cfg_opt_keys[i].name))
            return 1;
    size_t ll = strlen(label), nl = strlen(name);
    char *e = malloc(ll + nl + 2);
    char **grown = e ? realloc(ctx->named_keys, (ctx->n_named_keys + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(e);
        return os_cfg_fail(ctx, OS_ERR_NOMEM, "out of memory");
    }
    memcpy(e, label, ll + 1);
    memcpy(e + ll + 1, name, nl + 1);
    ctx->named_keys = grown;
    ctx->named_keys[ctx->n_named_keys++] = e;
    return 1;
}

static int declared(const parse_ctx *look, const char *label)
{
    for (size_t i = 0; i < look->n_decl; i++)
        if (!strcmp(look->decl[i].label, label))
            return 1;
    return 0;
}

/* The labels the look ahead met that no plugin and no variant has, each
 * once, into names (up to OS_MAX_OPTS * 2). */
static size_t unknown_labels(const parse_ctx *ctx, const parse_ctx *look,
                             const char *names[], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < look->n_opt_labels + look->n_named_keys; i++) {
        const char *l = i < look->n_opt_labels ? look->opt_labels[i]
                                               : look->named_keys[i - look->n_opt_labels];
        if (os_registry_find(ctx->reg, l) || declared(look, l))
            continue;
        size_t k;
        for (k = 0; k < n && strcmp(names[k], l); k++)
            ;
        if (k == n && n < max)
            names[n++] = l;
    }
    return n;
}

static int name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (!n || n > max)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return 0;
    return 1;
}

int os_cfg_make_named(parse_ctx *ctx, const parse_ctx *look, const os_config *ahead)
{
    if (!ahead->command)
        return 0;
    const char *labels[2 * OS_MAX_OPTS];
    size_t n = unknown_labels(ctx, look, labels, 2 * OS_MAX_OPTS);
    os_config *cfg = ctx->cfg;
    if (!n)
        return 0;
    if (!(cfg->named = calloc(n, sizeof *cfg->named)))
        return os_error_set(ctx->err, OS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        os_named_opt *no = &cfg->named[cfg->n_named++];
        if (!name_ok(labels[i], 64))
            return os_error_set(ctx->err, OS_ERR_CONFIG, "%s: optimizer '%s': a name is 1 to 64 "
                                "letters, digits, '_' or '-'", ahead->path, labels[i]);
        snprintf(no->label, sizeof no->label, "%s", labels[i]);
        for (size_t k = 0; k < look->n_named_keys; k++) {
            const char *e = look->named_keys[k], *name = e + strlen(e) + 1;
            if (strcmp(e, no->label))
                continue;
            size_t h;
            for (h = 0; h < no->opt.n_hparams && strcmp(no->hp_names[h], name); h++)
                ;
            if (h < no->opt.n_hparams)
                continue;
            if (h == OS_MAX_HP || !name_ok(name, sizeof no->hp_names[h] - 1))
                continue; /* the parse says what is wrong with it */
            snprintf(no->hp_names[h], sizeof no->hp_names[h], "%s", name);
            no->hp[h] = (os_hparam){ .name = no->hp_names[h], .min = -1e300, .max = 1e300,
                                     .flags = OS_HP_TUNABLE,
                                     .help = "the trainer's own, passed as given" };
            no->opt.n_hparams = h + 1;
        }
        no->opt = (os_optimizer){ OS_OPTIMIZER_HEADER, .label = no->label,
                                  .summary = "the trainer's own optimizer (no plugin)",
                                  .default_lr = 0, .n_hparams = no->opt.n_hparams,
                                  .hparams = no->hp };
        no->entry = (os_registry_entry){ .opt = &no->opt, .path = "[trainer] command" };
    }
    return 0;
}

/* ---- the rules of a command study -------------------------------------- */

typedef struct placeholder_check {
    const os_config *cfg;
    os_error        *err;
} placeholder_check;

static int check_placeholder(void *arg, const char *name)
{
    placeholder_check *pc = arg;
    const os_config *cfg = pc->cfg;
    if (os_command_is_standard(name))
        return 0;
    const char *where = os_config_where(cfg, "trainer", "command");
    const os_optimizer *lacking = NULL;
    size_t having = 0;
    for (size_t k = 0; k < cfg->n_opts; k++) {
        if (os_hparam_index(cfg->opts[k].entry->opt, name) >= 0)
            having++;
        else if (!lacking)
            lacking = cfg->opts[k].entry->opt;
    }
    if (!lacking)
        return 0;
    if (having)
        return os_error_set(pc->err, OS_ERR_CONFIG, "%s: [trainer] command: {%s}: optimizer %s "
                            "has no hyperparameter %s; pass the ones that differ between "
                            "optimizers with {hparams}", where, name, lacking->label, name);
    const char *names[128];
    size_t n = 0;
    for (size_t i = 0; i < os_command_n_standard; i++)
        names[n++] = os_command_standard[i].name;
    for (size_t k = 0; k < cfg->n_opts; k++)
        for (size_t h = 0; h < cfg->opts[k].entry->opt->n_hparams && n < 128; h++)
            names[n++] = cfg->opts[k].entry->opt->hparams[h].name;
    char hint[96];
    os_suggest(hint, sizeof hint, name, names, n);
    return os_error_set(pc->err, OS_ERR_CONFIG, "%s: [trainer] command: unknown placeholder "
                        "{%s}%s (see docs/trainers.md)", where, name, hint);
}

/* A key set (by a file or an override) that a command study has no use
 * for: name it and say why. */
static int refuse(const os_config *cfg, os_error *err, const char *section, const char *key,
                  const char *why)
{
    return os_error_set(err, OS_ERR_CONFIG, "%s: [%s] %s: %s", os_config_where(cfg, section, key),
                        section, key, why);
}

int os_cfg_check_trainer(parse_ctx *ctx)
{
    const os_config *cfg = ctx->cfg;
    os_error *err = ctx->err;
    if (!cfg->command) {
        for (size_t i = 0; i < N_KEYS; i++)
            if (!strcmp(keys[i].section, "trainer") && cfg->where[i][0])
                return refuse(cfg, err, "trainer", keys[i].name, "without a command to run "
                              "(set [trainer] command, or remove it)");
        return 0;
    }
    char why[300];
    if (os_command_split(cfg->command, &ctx->cfg->cmd, why, sizeof why))
        return os_error_set(err, OS_ERR_CONFIG, "%s: [trainer] command: %s",
                            os_config_where(cfg, "trainer", "command"), why);
    for (size_t i = 0; i < N_KEYS; i++)
        if ((!strcmp(keys[i].section, "data") || !strcmp(keys[i].section, "model")) &&
            cfg->where[i][0])
            return refuse(cfg, err, keys[i].section, keys[i].name, "a [trainer] command trains "
                          "its own model on its own data; remove the key");
    if (cfg->epochs > 0)
        return refuse(cfg, err, "search", "epochs", "the trainer's data is its own: give the "
                      "budget in steps");
    if (cfg->seconds > 0)
        return refuse(cfg, err, "search", "seconds", "not with a [trainer] command: give the "
                      "budget in steps");
    if (cfg->batch_split > 1)
        return refuse(cfg, err, "search", "batch_split", "the trainer splits its batches "
                      "itself; remove the key");
    if (strcmp(cfg->isolation, "none"))
        return refuse(cfg, err, "search", "isolation", "a [trainer] command's trials are "
                      "processes already; remove the key");
    if (cfg->full_epochs > 0)
        return refuse(cfg, err, "full", "epochs", "the trainer's data is its own: give the "
                      "full run in steps");
    if (strcmp(cfg->full_data, "all"))
        return refuse(cfg, err, "full", "data", "the trainer's data is its own; remove the "
                      "key");
    for (size_t k = 0; k < cfg->n_opts; k++) {
        const os_opt_config *o = &cfg->opts[k];
        if (o->lr.autotune)
            return os_error_set(err, OS_ERR_CONFIG, "%s: lr = auto runs a range test on "
                                "optselect's own model; with a [trainer] command give the "
                                "rates", o->where);
        if (os_opt_is_named(o) && !o->lr.n_lr)
            return os_error_set(err, OS_ERR_CONFIG, "%s: optimizer '%s' is the trainer's own "
                                "(no plugin has that name), so it has no default rate for "
                                "lr_range to multiply: give its rates, e.g. [optimizer.%s] "
                                "lr = 1e-4, 1e-3, 1e-2", o->where, o->entry->opt->label,
                                o->entry->opt->label);
    }
    placeholder_check pc = { cfg, err };
    int rc = os_command_each(&cfg->cmd, check_placeholder, &pc);
    /* a program that cannot run fails every trial: say so once, here */
    const char *program = cfg->cmd.words[0];
    char *file = rc || strchr(program, '{') ? NULL
               : os_spawn_resolve(program, cfg->workdir ? cfg->workdir : cfg->dir, why,
                                  sizeof why);
    if (!rc && !strchr(program, '{') && !file)
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [trainer] command: %s",
                          os_config_where(cfg, "trainer", "command"), why);
    free(file);
    return rc;
}
