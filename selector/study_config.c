/*
 * study_config.c — the INI reader.  One table of keys (config_keys.c)
 * drives parsing, defaults, duplicate and typo detection; optimizer
 * sections are checked against plugin tables; include = FILE and [study
 * NAME] sections are resolved here (their surroundings: config_files.c).
 *
 * inih does not tell a handler its line (the system library is built without
 * INI_HANDLER_LINENO), so the file is fed through a reader that counts lines
 * and also sees section headers, which inih would otherwise accept silently
 * when a section has no keys.  The value parsers live in config_values.c.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>
#include "config_internal.h"
#include "testfn.h"
#include "util.h"

#define keys os_cfg_keys
#define N_KEYS os_cfg_n_keys
#define opt_keys os_cfg_opt_keys

/* ---- typo help ---------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[65];
    if (la > 64 || lb > 64)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t best = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            prev = cur;
        }
    }
    return row[lb];
}

/* " (did you mean 'x'?)" for the closest of names, or "" if none is close. */
static void suggest(char *buf, size_t size, const char *word, const char *const *names,
                    size_t n)
{
    size_t best = 3, pick = n;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, names[i]);
        if (d < best) {
            best = d;
            pick = i;
        }
    }
    if (pick < n)
        snprintf(buf, size, " (did you mean '%s'?)", names[pick]);
    else
        buf[0] = '\0';
}

/* ---- sections ----------------------------------------------------------- */

static int is_base_section(const char *s)
{
    return !strcmp(s, "data") || !strcmp(s, "model") || !strcmp(s, "search") ||
           !strcmp(s, "full");
}

/* The [optimizer.X] record for label, created on first use; NULL (and an
 * error) if label names no loaded optimizer. */
static os_opt_config *opt_section(parse_ctx *ctx, const char *label)
{
    for (size_t i = 0; i < ctx->n_sections; i++)
        if (!strcmp(ctx->sections[i].entry->opt->label, label))
            return &ctx->sections[i];
    const os_registry_entry *e = os_registry_find(ctx->reg, label);
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

static int check_section(parse_ctx *ctx, const char *section)
{
    if (is_base_section(section))
        return 1;
    if (!section[0])
        return os_cfg_fail(ctx, OS_ERR_CONFIG, "key outside any section; put it under [data], "
                    "[model], [search] or [optimizer.LABEL] (only include = FILE comes "
                    "before the first section)");
    const char *study = os_cfg_study_of(section);
    if (study) {
        if (ctx->depth)
            return os_cfg_fail(ctx, OS_ERR_CONFIG, "[study %s] in an included file; studies "
                               "are defined in the file that is run", study);
        if (!os_cfg_study_name_ok(study))
            return os_cfg_fail(ctx, OS_ERR_CONFIG, "[study %s]: a study name is 1 to 64 "
                               "letters, digits, '_', '.' or '-'", study);
        return 1;
    }
    if (!strncmp(section, "optimizer.", 10))
        return !ctx->reg || opt_section(ctx, section + 10) != NULL;
    static const char *const names[] = { "data", "model", "search", "full" };
    char hint[96];
    suggest(hint, sizeof hint, section, names, 4);
    return os_cfg_fail(ctx, OS_ERR_CONFIG, "unknown section [%s]%s; sections are [data], [model], "
                "[search], [optimizer.LABEL] and [study NAME]", section, hint);
}

/* ---- the handler -------------------------------------------------------- */

/* Keeps a copy of the text a key was given, for the effective config. */
static int remember(parse_ctx *ctx, char **slot, const char *value)
{
    char *copy = os_strdup(value);
    if (!copy)
        return os_cfg_fail(ctx, OS_ERR_NOMEM, "out of memory");
    free(*slot);
    *slot = copy;
    return 1;
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

static int set_opt_key(parse_ctx *ctx, os_opt_config *o, const char *name, const char *value)
{
    const os_optimizer *opt = o->entry->opt;
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
        suggest(hint, sizeof hint, name, names, n);
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

static int include(parse_ctx *ctx, const char *value);

/* A key of a [study NAME] section: kept when it is the study being loaded,
 * applied after the file like a --set. */
static int study_key(parse_ctx *ctx, const char *study, const char *name, const char *value)
{
    if (!strchr(name, '.'))
        return os_cfg_fail(ctx, OS_ERR_CONFIG, "[study %s] %s: keys of a study are "
                           "SECTION.KEY, e.g. search.steps = 500", study, name);
    if (!ctx->study || strcmp(ctx->study, study))
        return 1;
    ctx->study_found = 1;
    study_override *grown = realloc(ctx->overrides, (ctx->n_overrides + 1) * sizeof *grown);
    size_t len = strlen(name) + strlen(value) + 2;
    char *text = grown ? malloc(len) : NULL;
    if (grown)
        ctx->overrides = grown;
    if (!text)
        return os_cfg_fail(ctx, OS_ERR_NOMEM, "out of memory");
    snprintf(text, len, "%s=%s", name, value);
    study_override *o = &ctx->overrides[ctx->n_overrides++];
    o->text = text;
    snprintf(o->where, sizeof o->where, "%s:%zu", ctx->file, ctx->line);
    return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    parse_ctx *ctx = user;
    if (ctx->failed)
        return 0;
    if (!section[0] && !strcmp(name, "include") && !ctx->set_text)
        return include(ctx, value);
    if (os_cfg_study_of(section))
        return study_key(ctx, os_cfg_study_of(section), name, value);
    if (!strncmp(section, "optimizer.", 10)) {
        if (!ctx->reg) /* the look ahead: the full load checks them */
            return 1;
        os_opt_config *o = opt_section(ctx, section + 10);
        return o ? set_opt_key(ctx, o, name, value) : 0;
    }
    if (!is_base_section(section))
        return check_section(ctx, section);
    const char *names[N_KEYS];
    size_t n = 0;
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcmp(keys[i].section, section))
            continue;
        names[n++] = keys[i].name;
        if (strcmp(keys[i].name, name))
            continue;
        char *where = ctx->cfg->where[i];
        /* a file may override what a file it includes set; not itself */
        int over = ctx->set_text || (where[0] && ctx->key_depth[i] > ctx->depth);
        if (where[0] && !over)
            return os_cfg_fail(ctx, OS_ERR_CONFIG, "[%s] %s is already set at %s", section, name,
                        where);
        ctx->key = &keys[i];
        if (!keys[i].parse(ctx, (char *)ctx->cfg + keys[i].offset, value, keys[i].min,
                           keys[i].max))
            return 0;
        os_cfg_where_now(ctx, where, sizeof ctx->cfg->where[i]);
        ctx->key_depth[i] = (unsigned char)ctx->depth;
        ctx->cfg->overridden[i] = (unsigned char)over;
        return remember(ctx, &ctx->cfg->raw[i], value);
    }
    char hint[96];
    suggest(hint, sizeof hint, name, names, n);
    return os_cfg_fail(ctx, OS_ERR_CONFIG, "[%s] unknown key '%s'%s", section, name, hint);
}

/* inih (MAX_SECTION and MAX_NAME in its ini.c, 50 with the NUL) silently
 * cuts longer section and key names short: refuse them instead. */
#define INIH_MAX_NAME 49

/* fgets for inih that counts lines, refuses lines inih would split or
 * names it would cut, and checks section headers as they pass. */
static char *reader(char *str, int num, void *user)
{
    parse_ctx *ctx = user;
    if (ctx->failed || !fgets(str, num, ctx->stream))
        return NULL;
    ctx->line++;
    size_t len = strlen(str);
    if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(ctx->stream)) {
        os_cfg_fail(ctx, OS_ERR_CONFIG, "line longer than %d characters", num - 2);
        return NULL;
    }
    const char *p = str;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '[') {
        const char *end = strchr(p, ']');
        if (!end) {
            os_cfg_fail(ctx, OS_ERR_CONFIG, "section header without ']'");
            return NULL;
        }
        if ((size_t)(end - p - 1) > INIH_MAX_NAME) {
            os_cfg_fail(ctx, OS_ERR_CONFIG, "section name longer than %d characters",
                        INIH_MAX_NAME);
            return NULL;
        }
        os_trim_copy(ctx->section, sizeof ctx->section, p + 1, (size_t)(end - p - 1));
        ctx->seen_section = 1;
        if (!check_section(ctx, ctx->section))
            return NULL;
    }
    if (*p && *p != ';' && *p != '#') {
        size_t name = strcspn(p, "=:");
        if (!p[name]) /* no key here: a continuation line or inih's syntax error */
            name = 0;
        while (name > 0 && isspace((unsigned char)p[name - 1]))
            name--;
        if (name > INIH_MAX_NAME) {
            os_cfg_fail(ctx, OS_ERR_CONFIG, "key name longer than %d characters",
                        INIH_MAX_NAME);
            return NULL;
        }
    }
    return str;
}

/* ---- include ------------------------------------------------------------ */

/* Parses an open file into ctx (and closes it): the top file, or an
 * included one. */
static int parse_stream(parse_ctx *ctx, FILE *f)
{
    ctx->stream = f;
    int first = fgetc(ctx->stream);
    while (first != EOF && isspace(first))
        first = fgetc(ctx->stream);
    if (first == '{' && ctx->depth == 0) {
        ungetc(first, ctx->stream);
        FILE *config = os_cfg_report_config(ctx, ctx->stream);
        fclose(ctx->stream);
        if (!(ctx->stream = config))
            return 0;
    } else {
        rewind(ctx->stream);
    }
    int line = ini_parse_stream(reader, ctx, handler, ctx);
    if (!ctx->failed && ferror(ctx->stream))
        os_cfg_fail(ctx, OS_ERR_IO, "read error");
    fclose(ctx->stream);
    ctx->stream = NULL;
    if (!ctx->failed && line != 0) {
        /* inih's own syntax errors: no '=' or ':' on a line, a bad section */
        ctx->line = (size_t)line;
        os_cfg_fail(ctx, OS_ERR_CONFIG, "syntax error: expected [section], key = value, or a "
             "comment");
    }
    return !ctx->failed;
}

/* include = FILE, before the first section: FILE's settings come first, and
 * this file may override them.  Relative to this file's folder. */
static int include(parse_ctx *ctx, const char *value)
{
    char name[4096];
    os_trim_copy(name, sizeof name, value, strlen(value));
    if (ctx->seen_section)
        return os_cfg_fail(ctx, OS_ERR_CONFIG, "include = %s: includes come before the first "
                           "section", name);
    if (ctx->depth == OS_CFG_MAX_INCLUDE)
        return os_cfg_fail(ctx, OS_ERR_CONFIG, "include = %s: includes nested more than %d "
                           "deep", name, OS_CFG_MAX_INCLUDE);
    char *path = os_path_join(ctx->dir, name), *real = path ? realpath(path, NULL) : NULL;
    if (!path) {
        free(real);
        return os_cfg_fail(ctx, OS_ERR_NOMEM, "out of memory");
    }
    for (int d = 0; real && d <= ctx->depth; d++)
        if (ctx->chain[d] && !strcmp(ctx->chain[d], real)) {
            free(path);
            free(real);
            return os_cfg_fail(ctx, OS_ERR_CONFIG, "include = %s: a file includes itself "
                               "(through %d include%s)", name, ctx->depth - d + 1,
                               ctx->depth - d ? "s" : "");
        }
    char *dir = os_dirname(path);
    FILE *f = dir ? fopen(path, "r") : NULL;
    if (!f) {
        int e = errno;
        free(dir);
        free(real);
        int rc = dir ? os_cfg_fail(ctx, OS_ERR_CONFIG, "%s: cannot open: %s", path, strerror(e))
                     : os_cfg_fail(ctx, OS_ERR_NOMEM, "out of memory");
        free(path);
        return rc;
    }
    /* the includer's place, restored afterwards */
    parse_ctx saved = *ctx;
    ctx->depth++;
    ctx->chain[ctx->depth] = real;
    ctx->file = path;
    ctx->dir = dir;
    ctx->line = 0;
    ctx->section[0] = '\0';
    ctx->seen_section = 0;
    int ok = parse_stream(ctx, f);
    ctx->depth = saved.depth;
    ctx->file = saved.file;
    ctx->dir = saved.dir;
    ctx->line = saved.line;
    ctx->stream = saved.stream;
    ctx->seen_section = saved.seen_section;
    memcpy(ctx->section, saved.section, sizeof ctx->section);
    ctx->chain[saved.depth + 1] = NULL;
    free(real); /* a message naming path is already written */
    free(dir);
    free(path);
    return ok;
}

/* ---- after parsing ------------------------------------------------------ */

static int apply_defaults(parse_ctx *ctx)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (!keys[i].def)
            continue;
        ctx->key = &keys[i];
        ctx->set_text = keys[i].def;
        if (!keys[i].parse(ctx, (char *)ctx->cfg + keys[i].offset, keys[i].def, keys[i].min,
                           keys[i].max))
            return -1; /* a bad default in the table is a bug, but report it anyway */
    }
    ctx->set_text = NULL;
    return 0;
}

static int set_override(parse_ctx *ctx, const char *text)
{
    ctx->set_text = text;
    const char *eq = strchr(text, '=');
    const char *dot = eq ? memchr(text, '.', (size_t)(eq - text)) : NULL;
    /* the key is after the last dot before '=': optimizer.sgd.momentum */
    for (const char *p = dot; p && p < eq; p = memchr(p + 1, '.', (size_t)(eq - p - 1)))
        dot = p;
    if (!eq || !dot || dot == text || dot + 1 == eq)
        return os_cfg_fail(ctx, OS_ERR_USAGE, "expected SECTION.KEY=VALUE");
    char section[80], name[80];
    os_trim_copy(section, sizeof section, text, (size_t)(dot - text));
    os_trim_copy(name, sizeof name, dot + 1, (size_t)(eq - dot - 1));
    if (!check_section(ctx, section))
        return 0;
    return handler(ctx, section, name, eq + 1);
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

static int resolve_optimizers(parse_ctx *ctx)
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
        if (os_registry_find(ctx->reg, ctx->opt_labels[k]))
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
            o->entry = os_registry_find(ctx->reg, ctx->opt_labels[k]);
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

const char *os_config_where(const os_config *cfg, const char *section, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, key))
            return cfg->where[i][0] ? cfg->where[i] : cfg->path;
    return cfg->path;
}

/* Every key of the files, their includes, the [study NAME] being loaded and
 * the --set overrides, parsed into ctx->cfg; what one key implies for
 * another is checked afterwards.  Without a registry (the look ahead)
 * [optimizer.X] sections are skipped. */
static int read_keys(parse_ctx *ctx, const char *path, const char *study, char *const *sets,
                     size_t n_sets)
{
    os_config *cfg = ctx->cfg;
    os_error *err = ctx->err;
    cfg->path = os_strdup(path);
    cfg->dir = os_dirname(path);
    cfg->where = calloc(N_KEYS, sizeof *cfg->where);
    cfg->raw = calloc(N_KEYS, sizeof *cfg->raw);
    cfg->overridden = calloc(N_KEYS, 1);
    ctx->sections = calloc(OS_MAX_OPTS, sizeof *ctx->sections);
    ctx->chain[0] = realpath(path, NULL);
    if (!cfg->path || !cfg->dir || !cfg->where || !cfg->raw || !cfg->overridden ||
        !ctx->sections)
        return os_error_set(err, OS_ERR_NOMEM, "%s: out of memory", path);
    ctx->dir = cfg->dir;
    if (study)
        snprintf(cfg->study, sizeof cfg->study, "%s", study);
    if (apply_defaults(ctx))
        return err->code;
    FILE *top = fopen(path, "r");
    if (!top)
        return os_error_set(err, OS_ERR_CONFIG, "%s: cannot open: %s", path, strerror(errno));
    if (!parse_stream(ctx, top))
        return err->code;
    if (study && !ctx->study_found)
        return os_error_set(err, OS_ERR_CONFIG, "%s: no [study %s] section with settings",
                            path, study);
    for (size_t i = 0; i < ctx->n_overrides && !ctx->failed; i++) {
        ctx->set_where = ctx->overrides[i].where;
        set_override(ctx, ctx->overrides[i].text);
    }
    ctx->set_where = NULL;
    for (size_t i = 0; i < n_sets && !ctx->failed; i++)
        set_override(ctx, sets[i]);
    return ctx->failed ? err->code : 0;
}

static void free_ctx(parse_ctx *ctx)
{
    free(ctx->sections);
    free(ctx->chain[0]);
    for (size_t i = 0; i < ctx->n_overrides; i++)
        free(ctx->overrides[i].text);
    free(ctx->overrides);
}

int os_config_wants_isolation(const char *path, const char *study, char *const *sets,
                              size_t n_sets)
{
    os_config cfg = { 0 };
    os_error err = { 0 };
    parse_ctx ctx = { .cfg = &cfg, .err = &err, .file = path, .study = study };
    /* errors are the full load's to report */
    int process = !read_keys(&ctx, path, study, sets, n_sets) &&
                  !strcmp(cfg.isolation, "process");
    free_ctx(&ctx);
    os_config_free(&cfg);
    return process;
}

int os_config_load(os_config *cfg, const char *path, const char *study,
                   const os_registry *reg, char *const *sets, size_t n_sets, os_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    parse_ctx ctx = { .cfg = cfg, .reg = reg, .err = err, .file = path, .study = study };
    int rc = read_keys(&ctx, path, study, sets, n_sets);
    if (rc)
        goto done;

    int synthetic = !strcmp(cfg->format, "synthetic");
    if (strcmp(cfg->function, "none")) {
        if (cfg->data_path) {
            rc = os_error_set(err, OS_ERR_CONFIG, "%s: [data] path: a test function needs no "
                              "data (remove path, or set [model] function = none)",
                              os_config_where(cfg, "data", "path"));
            goto done;
        }
        if (cfg->start_auto) {
            const os_testfn *fn = os_testfn_find(cfg->function);
            cfg->start[0] = fn->start[0];
            cfg->start[1] = fn->start[1];
        }
    } else if (!cfg->data_path && !synthetic) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [data] path is required", path);
        goto done;
    }
    if (synthetic && (cfg->data_path || cfg->test_path)) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [data] format = synthetic generates its "
                          "data; remove path and test_path", cfg->data_path ?
                          os_config_where(cfg, "data", "path") :
                          os_config_where(cfg, "data", "test_path"));
        goto done;
    }
    if (synthetic && (!strcmp(cfg->generator, "linear")) != !strcmp(cfg->task, "regression")) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [data] generator = %s %s", os_config_where(
                          cfg, "data", "generator"), cfg->generator,
                          strcmp(cfg->generator, "linear") ? "makes classes; it needs task = "
                          "classification" : "makes a regression target; set task = regression");
        goto done;
    }
    int idx = !strcmp(cfg->format, "idx");
    if (idx && !cfg->labels_path) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [data] format = idx needs labels, the "
                          "labels file", os_config_where(cfg, "data", "format"));
        goto done;
    }
    if (!idx && (cfg->labels_path || cfg->test_labels_path)) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [data] %s is for format = idx; a CSV file "
                          "holds its labels in a column", cfg->labels_path ?
                          os_config_where(cfg, "data", "labels") :
                          os_config_where(cfg, "data", "test_labels"),
                          cfg->labels_path ? "labels" : "test_labels");
        goto done;
    }
    if (idx && !cfg->test_path != !cfg->test_labels_path) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [data] an IDX test set needs both test_path "
                          "and test_labels", cfg->test_path ?
                          os_config_where(cfg, "data", "test_path") :
                          os_config_where(cfg, "data", "test_labels"));
        goto done;
    }
    /* epochs and fraction replace steps (which always has a value) */
    if ((cfg->epochs > 0) + (cfg->fraction > 0) + (cfg->seconds > 0) > 1) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [search] give the trial budget one way: "
                          "epochs, fraction or seconds (or steps)", os_config_where(cfg,
                          "search", cfg->seconds > 0 ? "seconds" : "fraction"));
        goto done;
    }
    if (cfg->full_steps && cfg->full_epochs > 0) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [full] give the full run's length one way: "
                          "steps or epochs", os_config_where(cfg, "full", "epochs"));
        goto done;
    }
    if (cfg->fraction > 0 && !cfg->full_steps && !(cfg->full_epochs > 0)) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [search] fraction is of the full run: set "
                          "[full] steps or epochs", os_config_where(cfg, "search", "fraction"));
        goto done;
    }
    if (cfg->full_warmup >= 1 && cfg->full_warmup != floor(cfg->full_warmup)) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [full] warmup = %g: give whole steps, or a "
                          "fraction of the run below 1", os_config_where(cfg, "full", "warmup"),
                          cfg->full_warmup);
        goto done;
    }
    if ((strcmp(cfg->full_schedule, "constant") || cfg->full_warmup > 0) &&
        !cfg->full_steps && !(cfg->full_epochs > 0)) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [full] a %s needs the run's length: set "
                          "[full] steps or epochs", os_config_where(cfg, "full",
                          cfg->full_warmup > 0 ? "warmup" : "schedule"),
                          cfg->full_warmup > 0 ? "warm-up" : "schedule");
        goto done;
    }
    if ((cfg->epochs > 0 || cfg->full_epochs > 0) && strcmp(cfg->function, "none")) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: epochs count passes over data; a test "
                          "function has none: give steps", os_config_where(cfg, cfg->epochs > 0
                          ? "search" : "full", "epochs"));
        goto done;
    }
    /* budgets in epochs or fractions are known once the data is (study.c) */
    if (!strcmp(cfg->score, "extrapolated") && cfg->full_steps <= cfg->steps &&
        !(cfg->epochs > 0) && !(cfg->fraction > 0) && !(cfg->full_epochs > 0) &&
        !(cfg->seconds > 0)) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [search] score = extrapolated predicts the "
                          "loss at the full run's length: set [full] steps (more than the "
                          "trials' %llu)", os_config_where(cfg, "search", "score"),
                          (unsigned long long)cfg->steps);
        goto done;
    }
    /* auto: the predictive path when the run is declared (measured on the
     * selection suite, docs/selection-quality.md); isolation needs a grid */
    if ((cfg->strategy_auto = !strcmp(cfg->strategy, "auto")))
        snprintf(cfg->strategy, sizeof cfg->strategy, "%s",
                 (cfg->full_steps || cfg->full_epochs > 0) &&
                 strcmp(cfg->isolation, "process") ? "halving" : "grid");
    if (cfg->rerun_top && !strcmp(cfg->isolation, "process")) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [search] rerun_top runs its trials in "
                          "process; isolation = process needs rerun_top = 0",
                          os_config_where(cfg, "search", "rerun_top"));
        goto done;
    }
    if (strcmp(cfg->strategy, "grid") && !strcmp(cfg->isolation, "process")) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [search] strategy = %s runs its trials "
                          "in process; isolation = process needs strategy = grid",
                          os_config_where(cfg, "search", "strategy"), cfg->strategy);
        goto done;
    }
    if (!ctx.n_opt_labels) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [search] optimizers is required "
                          "(for example: optimizers = sgd, adam)", path);
        goto done;
    }
    rc = resolve_optimizers(&ctx);
done:
    free_ctx(&ctx);
    if (rc)
        os_config_free(cfg);
    return rc;
}

void os_config_free(os_config *cfg)
{
    free(cfg->path);
    free(cfg->dir);
    free(cfg->data_path);
    free(cfg->labels_path);
    free(cfg->test_path);
    free(cfg->test_labels_path);
    free(cfg->where);
    free(cfg->overridden);
    for (size_t i = 0; cfg->raw && i < N_KEYS; i++)
        free(cfg->raw[i]);
    free(cfg->raw);
    for (size_t i = 0; i < cfg->n_opt_raw; i++)
        free(cfg->opt_raw[i]);
    free(cfg->opt_raw);
    memset(cfg, 0, sizeof *cfg);
}

