/*
 * config_optimizers.c — the optimizers of a config: its [optimizer.X]
 * sections (the plugin's hyperparameters and lr, lr_range and lr_points,
 * checked against the loaded plugin), and [search] optimizers resolved
 * against the registry, each with its settings and rate list.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "study_config_internal.h"
#include "util.h"

#define keys os_cfg_keys
#define N_KEYS os_cfg_n_keys
#define opt_keys os_cfg_opt_keys

/* The [optimizer.X] record for label, created on first use; NULL (and an
 * error) if label names no loaded optimizer. */
os_opt_config *os_cfg_opt_section(parse_ctx *ctx, const char *label)
{
    for (size_t i = 0; i < ctx->n_sections; i++)
        if (!strcmp(ctx->sections[i].entry->opt->label, label))
            return &ctx->sections[i];
    const os_registry_entry *e = os_cfg_find_entry(ctx, label);
    if (!e) {
        os_cfg_fail(ctx, OS_ERR_CONFIG, "section [optimizer.%s]: no loaded optimizer is called "
             "'%s' (see optselect --list-plugins)", label, label);
        return NULL;
    }
    if (ctx->n_sections == OS_MAX_OPTS) {
        os_cfg_fail(ctx, OS_ERR_CONFIG, "more than %d [optimizer.*] sections", OS_MAX_OPTS);
        return NULL;
    }
    os_opt_config *o = &ctx->sections[ctx->n_sections++];
    memset(o, 0, sizeof *o);
    o->entry = e;
    o->included = ctx->depth > 0;
    os_cfg_where_now(ctx, o->where, sizeof o->where);
    return o;
}

/* The same for an [optimizer.X] key: a later --set replaces the entry. */
static int remember_opt(parse_ctx *ctx, const char *label, const char *name, const char *value)
{
    os_config *cfg = ctx->cfg;
    size_t ll = strlen(label), nl = strlen(name), vl = strlen(value);
    char *entry = malloc(ll + nl + vl + 3);
    if (!entry)
        return os_cfg_fail(ctx, OS_ERR_NOMEM, "out of memory");
    memcpy(entry, label, ll + 1);
    memcpy(entry + ll + 1, name, nl + 1);
    memcpy(entry + ll + nl + 2, value, vl + 1);
    for (size_t i = 0; i < cfg->n_opt_raw; i++) {
        const char *e = cfg->opt_raw[i];
        if (!strcmp(e, label) && !strcmp(e + strlen(e) + 1, name)) {
            free(cfg->opt_raw[i]);
            cfg->opt_raw[i] = entry;
            return 1;
        }
    }
    char **grown = realloc(cfg->opt_raw, (cfg->n_opt_raw + 1) * sizeof *grown);
    if (!grown) {
        free(entry);
        return os_cfg_fail(ctx, OS_ERR_NOMEM, "out of memory");
    }
    cfg->opt_raw = grown;
    cfg->opt_raw[cfg->n_opt_raw++] = entry;
    return 1;
}

int os_cfg_set_opt_key(parse_ctx *ctx, os_opt_config *o, const char *name, const char *value)
{
    const os_optimizer *opt = o->entry->opt;
    if (!strcmp(name, "plugin")) /* the look ahead made the variant of it */
        return remember_opt(ctx, opt->label, name, value);
    for (size_t i = 0; i < sizeof opt_keys / sizeof *opt_keys; i++)
        if (!strcmp(name, opt_keys[i].name)) {
            int over = ctx->set_text || (o->lr_set & (1 << i) && o->lr_depth[i] > ctx->depth);
            if (o->lr_set & (1 << i) && !over)
                return os_cfg_fail(ctx, OS_ERR_CONFIG, "[optimizer.%s] %s is set twice",
                            opt->label, name);
            if (over && i < 2)
                o->lr_set &= ~(1 << (1 - i)); /* an override of lr replaces lr_range */
            o->lr_set |= 1 << i;
            o->lr_depth[i] = (unsigned char)ctx->depth;
            ctx->key = &opt_keys[i];
            return opt_keys[i].parse(ctx, &o->lr, value, 0, 0) &&
                   remember_opt(ctx, opt->label, name, value);
        }
    int h = os_hparam_index(opt, name);
    if (h < 0) {
        const char *names[OS_MAX_HP + 3];
        size_t n = 0;
        for (size_t i = 0; i < opt->n_hparams; i++)
            names[n++] = opt->hparams[i].name;
        for (size_t i = 0; i < 3; i++)
            names[n++] = opt_keys[i].name;
        char hint[96];
        os_suggest(hint, sizeof hint, name, names, n);
        return os_cfg_fail(ctx, OS_ERR_CONFIG, "[optimizer.%s] unknown key '%s'%s", opt->label,
                    name, hint);
    }
    const os_hparam *hp = &opt->hparams[h];
    if (o->hp_n[h] && !ctx->set_text && o->hp_depth[h] <= ctx->depth)
        return os_cfg_fail(ctx, OS_ERR_CONFIG, "[optimizer.%s] %s is set twice", opt->label, name);
    o->hp_depth[h] = (unsigned char)ctx->depth;
    char items[OS_MAX_LIST][128];
    int n = os_cfg_split_list(value, items, OS_MAX_LIST);
    if (n < 0)
        return os_cfg_fail(ctx, OS_ERR_CONFIG, "[optimizer.%s] %s = '%s': expected a value or up to "
                    "%d comma-separated values", opt->label, name, value, OS_MAX_LIST);
    if (n > 1 && !(hp->flags & OS_HP_TUNABLE))
        return os_cfg_fail(ctx, OS_ERR_CONFIG, "[optimizer.%s] %s is not tunable: give one value",
                    opt->label, name);
    for (int i = 0; i < n; i++) {
        double x;
        int b;
        if (hp->flags & OS_HP_BOOL) {
            if (os_parse_bool(items[i], &b))
                return os_cfg_fail(ctx, OS_ERR_CONFIG, "[optimizer.%s] %s = '%s': expected true or "
                            "false", opt->label, name, items[i]);
            x = b;
        } else if (os_parse_double(items[i], &x) || x < hp->min || x > hp->max ||
                   ((hp->flags & OS_HP_INT) && x != floor(x))) {
            return os_cfg_fail(ctx, OS_ERR_CONFIG, "[optimizer.%s] %s = '%s': expected %s from %g "
                        "to %g", opt->label, name, items[i],
                        hp->flags & OS_HP_INT ? "an integer" : "a number", hp->min, hp->max);
        }
        o->hp[h][i] = x;
    }
    o->hp_n[h] = (size_t)n;
    return remember_opt(ctx, opt->label, name, value);
}

static size_t key_index(const char *section, const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
            return i;
    return N_KEYS; /* not reached for the table's own keys */
}

/* Whether a key was set by the files themselves, and not by an override. */
static int set_in_files(const os_config *cfg, const char *section, const char *name)
{
    size_t i = key_index(section, name);
    return cfg->where[i][0] && !cfg->overridden[i];
}

/* lr and lr_range both in the files leave the user's intent unclear; an
 * override of either replaces the other, as the later setting. */
static int lr_conflict(parse_ctx *ctx)
{
    const os_config *cfg = ctx->cfg;
    if (set_in_files(cfg, "search", "lr") && set_in_files(cfg, "search", "lr_range"))
        return os_error_set(ctx->err, OS_ERR_CONFIG, "%s: [search] sets both lr and lr_range "
                            "(at %s); keep one", os_config_where(cfg, "search", "lr"),
                            os_config_where(cfg, "search", "lr_range"));
    for (size_t s = 0; s < ctx->n_sections; s++)
        if ((ctx->sections[s].lr_set & 3) == 3)
            return os_error_set(ctx->err, OS_ERR_CONFIG, "%s: [optimizer.%s] sets both lr "
                                "and lr_range; keep one", ctx->sections[s].where,
                                ctx->sections[s].entry->opt->label);
    return 0;
}

int os_cfg_resolve_optimizers(parse_ctx *ctx)
{
    os_config *cfg = ctx->cfg;
    int rc = lr_conflict(ctx);
    if (rc)
        return rc;
    const char *opt_where = os_config_where(cfg, "search", "optimizers");
    for (size_t s = 0; s < ctx->n_sections; s++) {
        size_t k;
        for (k = 0; k < ctx->n_opt_labels; k++)
            if (!strcmp(ctx->opt_labels[k], ctx->sections[s].entry->opt->label))
                break;
        /* A list replaced by an override may leave the file's sections
         * behind on purpose, and an included file may configure optimizers
         * that not every study uses; within one file, an unlisted section
         * is a mistake. */
        if (k == ctx->n_opt_labels && set_in_files(cfg, "search", "optimizers") &&
            !ctx->sections[s].included)
            return os_error_set(ctx->err, OS_ERR_CONFIG, "%s: section [optimizer.%s] "
                                "configures an optimizer that [search] optimizers (%s) does "
                                "not list", ctx->sections[s].where,
                                ctx->sections[s].entry->opt->label, opt_where);
    }
    for (size_t k = 0; k < ctx->n_opt_labels; k++) {
        if (os_cfg_find_entry(ctx, ctx->opt_labels[k]))
            continue;
        char loaded[512] = "";
        for (size_t i = 0; i < ctx->reg->n; i++) {
            size_t used = strlen(loaded);
            snprintf(loaded + used, sizeof loaded - used, "%s%s", i ? ", " : "",
                     ctx->reg->entries[i].opt->label);
        }
        return os_error_set(ctx->err, OS_ERR_CONFIG, "%s: [search] optimizers: unknown "
                            "optimizer '%s' (loaded: %s)", opt_where, ctx->opt_labels[k],
                            ctx->reg->n ? loaded : "none");
    }
    for (size_t k = 0; k < ctx->n_opt_labels; k++) {
        os_opt_config *o = &cfg->opts[cfg->n_opts++];
        const os_opt_config *sec = NULL;
        for (size_t s = 0; s < ctx->n_sections; s++)
            if (!strcmp(ctx->opt_labels[k], ctx->sections[s].entry->opt->label))
                sec = &ctx->sections[s];
        if (sec) {
            *o = *sec;
        } else {
            memset(o, 0, sizeof *o);
            o->entry = os_cfg_find_entry(ctx, ctx->opt_labels[k]);
            snprintf(o->where, sizeof o->where, "%s", opt_where);
        }
        for (size_t h = 0; h < o->entry->opt->n_hparams; h++)
            if (!o->hp_n[h]) {
                o->hp[h][0] = o->entry->opt->hparams[h].default_value;
                o->hp_n[h] = 1;
            }
        /* Section settings win; whatever the section left alone comes from [search]. */
        os_lr_spec lr = cfg->lr;
        if (o->lr_set & 1)                    /* lr */
            lr = o->lr;
        if (o->lr_set & 2) {                  /* lr_range */
            lr.range[0] = o->lr.range[0];
            lr.range[1] = o->lr.range[1];
            lr.n_lr = (o->lr_set & 1) ? lr.n_lr : 0;
            lr.autotune = (o->lr_set & 1) ? lr.autotune : 0;
        }
        if (o->lr_set & 4)                    /* lr_points */
            lr.points = o->lr.points;
        o->lr = lr;
    }
    return 0;
}


/* ---- labelled variants --------------------------------------------------- */

const os_registry_entry *os_cfg_find_entry(const parse_ctx *ctx, const char *label)
{
    for (size_t i = 0; i < ctx->cfg->n_variants; i++)
        if (!strcmp(ctx->cfg->variant_labels[i], label))
            return &ctx->cfg->variants[i];
    for (size_t i = 0; i < ctx->cfg->n_named; i++)
        if (!strcmp(ctx->cfg->named[i].label, label))
            return &ctx->cfg->named[i].entry;
    return os_registry_find(ctx->reg, label);
}

int os_cfg_declare_variant(parse_ctx *ctx, const char *label, const char *value)
{
    char name[128];
    os_trim_copy(name, sizeof name, value, strlen(value));
    for (size_t i = 0; i < ctx->n_decl; i++)
        if (!strcmp(ctx->decl[i].label, label)) { /* a later setting replaces it */
            snprintf(ctx->decl[i].plugin, sizeof ctx->decl[i].plugin, "%s", name);
            os_cfg_where_now(ctx, ctx->decl[i].where, sizeof ctx->decl[i].where);
            return 1;
        }
    if (strlen(label) > 64 || strlen(name) > 64)
        return os_cfg_fail(ctx, OS_ERR_CONFIG, "[optimizer.%s] plugin = %s: a label and a "
                           "plugin name have at most 64 characters", label, name);
    struct os_cfg_variant *grown = realloc(ctx->decl, (ctx->n_decl + 1) * sizeof *grown);
    if (!grown)
        return os_cfg_fail(ctx, OS_ERR_NOMEM, "out of memory");
    ctx->decl = grown;
    struct os_cfg_variant *d = &ctx->decl[ctx->n_decl++];
    snprintf(d->label, sizeof d->label, "%s", label);
    snprintf(d->plugin, sizeof d->plugin, "%s", name);
    os_cfg_where_now(ctx, d->where, sizeof d->where);
    return 1;
}

int os_cfg_make_variants(parse_ctx *ctx)
{
    os_config *cfg = ctx->cfg;
    size_t n = ctx->n_decl;
    if (!n)
        return 0;
    cfg->variants = calloc(n, sizeof *cfg->variants);
    cfg->variant_opts = calloc(n, sizeof *cfg->variant_opts);
    cfg->variant_labels = calloc(n, sizeof *cfg->variant_labels);
    if (!cfg->variants || !cfg->variant_opts || !cfg->variant_labels)
        return os_error_set(ctx->err, OS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const struct os_cfg_variant *d = &ctx->decl[i];
        const os_registry_entry *base = os_registry_find(ctx->reg, d->plugin);
        if (!base)
            return os_error_set(ctx->err, OS_ERR_CONFIG, "%s: [optimizer.%s] plugin = %s: "
                                "no loaded optimizer is called '%s' (see optselect "
                                "--list-plugins)", d->where, d->label, d->plugin, d->plugin);
        if (os_registry_find(ctx->reg, d->label) && strcmp(d->label, d->plugin))
            return os_error_set(ctx->err, OS_ERR_CONFIG, "%s: [optimizer.%s] plugin = %s: "
                                "'%s' is already a loaded optimizer; a variant needs a label "
                                "of its own", d->where, d->label, d->plugin, d->label);
        if (!strcmp(d->label, d->plugin))
            continue; /* [optimizer.sgd] plugin = sgd: the optimizer itself */
        /* the descriptor as far as it reaches (a 1.0 plugin's ends early) */
        const os_optimizer *o = base->opt;
        size_t bytes = o->struct_size < sizeof *o ? o->struct_size : sizeof *o;
        size_t k = cfg->n_variants++;
        memcpy(&cfg->variant_opts[k], o, bytes);
        snprintf(cfg->variant_labels[k], sizeof cfg->variant_labels[k], "%s", d->label);
        cfg->variant_opts[k].label = cfg->variant_labels[k];
        cfg->variants[k] = *base;
        cfg->variants[k].opt = &cfg->variant_opts[k];
        cfg->variants[k].base = base->opt;
    }
    return 0;
}
