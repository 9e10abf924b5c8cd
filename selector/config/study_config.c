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
#include "study_config_internal.h"
#include "testfn.h"
#include "util.h"

#define keys os_cfg_keys
#define N_KEYS os_cfg_n_keys
#define opt_keys os_cfg_opt_keys

/* ---- sections ----------------------------------------------------------- */

static int is_base_section(const char *s)
{
    return !strcmp(s, "data") || !strcmp(s, "model") || !strcmp(s, "search") ||
           !strcmp(s, "full") || !strcmp(s, "trainer");
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
        return !ctx->reg || os_cfg_opt_section(ctx, section + 10) != NULL;
    static const char *const names[] = { "data", "model", "search", "full", "trainer" };
    char hint[96];
    os_suggest(hint, sizeof hint, section, names, 5);
    return os_cfg_fail(ctx, OS_ERR_CONFIG, "unknown section [%s]%s; sections are [data], [model], "
                "[search], [full], [trainer], [optimizer.LABEL] and [study NAME]", section, hint);
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

/* An indented line after a key: more of [trainer] command (which may be
 * long), joined with a space; any other key takes one line. */
static int continue_value(parse_ctx *ctx, const char *section, const char *name,
                          const char *value)
{
    if (strcmp(section, "trainer") || strcmp(name, "command"))
        return os_cfg_fail(ctx, OS_ERR_CONFIG, "an indented line continues [%s] %s; only "
                           "[trainer] command may span lines (unindent it)", section, name);
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name)) {
            char *joined = NULL;
            if (asprintf(&joined, "%s %s", ctx->cfg->raw[i] ? ctx->cfg->raw[i] : "",
                         value) < 0)
                return os_cfg_fail(ctx, OS_ERR_NOMEM, "out of memory");
            ctx->key = &keys[i];
            int ok = keys[i].parse(ctx, (char *)ctx->cfg + keys[i].offset, joined, 0, 0) &&
                     remember(ctx, &ctx->cfg->raw[i], joined);
            free(joined);
            return ok;
        }
    return 0; /* not reached: the key is in the table */
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
        if (!ctx->reg) /* the look ahead: only the variants and the keys' names */
            return strcmp(name, "plugin") ? os_cfg_note_opt_key(ctx, section + 10, name)
                                          : os_cfg_declare_variant(ctx, section + 10, value);
        os_opt_config *o = os_cfg_opt_section(ctx, section + 10);
        return o ? os_cfg_set_opt_key(ctx, o, name, value) : 0;
    }
    if (!is_base_section(section))
        return check_section(ctx, section);
    if (ctx->continued && !ctx->set_text)
        return continue_value(ctx, section, name, value);
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
    os_suggest(hint, sizeof hint, name, names, n);
    return os_cfg_fail(ctx, OS_ERR_CONFIG, "[%s] unknown key '%s'%s", section, name, hint);
}

/* inih (MAX_SECTION and MAX_NAME in its ini.c, 50 with the NUL) silently
 * cuts longer section and key names short: refuse them instead. */
#define INIH_MAX_NAME 49

/* fgets for inih that counts lines, refuses lines inih would split or
 * names it would cut, and checks section headers as they pass.  It reads
 * a byte at a time to see NUL bytes, which would end the line early for
 * inih and silently drop the rest of it (a UTF-16 file has one in every
 * other byte). */
static char *reader(char *str, int num, void *user)
{
    parse_ctx *ctx = user;
    if (ctx->failed)
        return NULL;
    size_t len = 0;
    int c = 0;
    while (len + 1 < (size_t)num && c != '\n' && (c = getc(ctx->stream)) != EOF) {
        if (!c) {
            ctx->line++;
            os_cfg_fail(ctx, OS_ERR_CONFIG, "a NUL byte: not a text file (save it as UTF-8)");
            return NULL;
        }
        str[len++] = (char)c;
    }
    if (!len)
        return NULL;
    str[len] = 0;
    ctx->line++;
    if (len == (size_t)num - 1 && str[len - 1] != '\n' && getc(ctx->stream) != EOF) {
        os_cfg_fail(ctx, OS_ERR_CONFIG, "line longer than %d characters", num - 2);
        return NULL;
    }
    const char *p = str;
    while (isspace((unsigned char)*p))
        p++;
    /* inih's rule: an indented line after a key continues its value */
    ctx->continued = p > str && *p && *p != ';' && *p != '#' && *p != '[';
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
    if (*p && *p != ';' && *p != '#' && !ctx->continued) {
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
    FILE *f = dir ? os_cfg_fopen(path) : NULL;
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

const char *os_config_where(const os_config *cfg, const char *section, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, key))
            return cfg->where[i][0] ? cfg->where[i] : cfg->path;
    return cfg->path;
}

const char *os_config_default(const char *section, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, key))
            return keys[i].def;
    return NULL;
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
    FILE *top = os_cfg_fopen(path);
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
    free(ctx->decl);
    for (size_t i = 0; i < ctx->n_named_keys; i++)
        free(ctx->named_keys[i]);
    free(ctx->named_keys);
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
    /* the variants first: a section's keys are checked against its plugin */
    os_config ahead = { 0 };
    os_error ignored = { 0 }; /* the full parse reports what the look ahead met */
    parse_ctx look = { .cfg = &ahead, .err = &ignored, .file = path, .study = study };
    read_keys(&look, path, study, sets, n_sets);
    /* the trainer's own optimizers are the labels no plugin and no
     * declared variant has: the look ahead's declarations are read here,
     * and only then handed to the full parse */
    int rc = os_cfg_make_named(&ctx, &look, &ahead);
    ctx.decl = look.decl;
    ctx.n_decl = look.n_decl;
    look.decl = NULL;
    look.n_decl = 0;
    free_ctx(&look);
    os_config_free(&ahead);
    if (!rc)
        rc = os_cfg_make_variants(&ctx);
    if (!rc)
        rc = read_keys(&ctx, path, study, sets, n_sets);
    if (rc)
        goto done;

    if ((rc = os_config_check_data(cfg, err)) || (rc = os_config_check_budget(cfg, err)))
        goto done;
    if (strcmp(cfg->function, "none") && cfg->start_auto) {
        const os_testfn *fn = os_testfn_find(cfg->function);
        cfg->start[0] = fn->start[0];
        cfg->start[1] = fn->start[1];
    }
    /* auto: the predictive path when the run is declared (measured on the
     * selection suite, docs/selection-quality.md), but a grid for score =
     * horizon, which reads each optimizer's scores at several rates of one
     * budget: halving would leave one rate of each at the top */
    int horizon = !strcmp(cfg->score, "horizon");
    if ((cfg->strategy_auto = !strcmp(cfg->strategy, "auto")))
        snprintf(cfg->strategy, sizeof cfg->strategy, "%s",
                 (cfg->full_steps || cfg->full_epochs > 0) && !horizon ? "halving" : "grid");
    if (horizon && strcmp(cfg->strategy, "grid")) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [search] score = horizon moves each "
                          "optimizer's rates along its scores at one budget; strategy = %s "
                          "stops most rates early: use strategy = grid or auto",
                          os_config_where(cfg, "search", "score"), cfg->strategy);
        goto done;
    }
    if (cfg->rungs.n && !strcmp(cfg->strategy, "grid")) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [search] rungs are the budgets of halving, "
                          "hyperband and asha; %s trains every candidate for all of steps",
                          os_config_where(cfg, "search", "rungs"), cfg->strategy_auto
                          ? horizon ? "strategy = auto with score = horizon is a grid, which"
                          : "strategy = auto without a [full] run is a grid, which"
                          : "strategy = grid");
        goto done;
    }
    if (!ctx.n_opt_labels) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [search] optimizers is required "
                          "(for example: optimizers = sgd, adam)", path);
        goto done;
    }
    rc = os_cfg_resolve_optimizers(&ctx);
    if (!rc)
        rc = os_cfg_check_trainer(&ctx);
    if (!rc)
        rc = os_config_check_decay(cfg, err);
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
    free(cfg->variants);
    free(cfg->variant_opts);
    free(cfg->variant_labels);
    free(cfg->named);
    free(cfg->command);
    free(cfg->workdir);
    os_command_free(&cfg->cmd);
    memset(cfg, 0, sizeof *cfg);
}

