/*
 * study_config.c — the INI reader.  One table of keys (section, name, default,
 * help, parser) drives parsing, defaults, duplicate and typo detection, and
 * `--help-config`; optimizer sections are checked against plugin tables.
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

/* ---- the key table ------------------------------------------------------ */

#define F(member) offsetof(os_config, member)
static const os_key keys[] = {
    { "data", "path", NULL, "data file (CSV, optionally gzip-compressed); relative to the "
      "config file's directory; required", p_path, F(data_path), 0, 0 },
    { "data", "format", "csv", "file format: csv (with the label as a column), idx (an "
      "images file in path and a labels file in labels) or libsvm", p_format, F(format), 0, 0 },
    { "data", "features", "0", "libsvm: number of features, 0 taking the largest index in the "
      "file; synthetic blobs and linear: dimensions (0 means 2)", p_u64, F(features), 0,
      10000000 },
    { "data", "generator", "spirals", "synthetic: spirals, moons, blobs or linear (regression)",
      p_generator, F(generator), 0, 0 },
    { "data", "samples", "1000", "synthetic: rows to generate", p_u64, F(samples), 10,
      10000000 },
    { "data", "classes", "3", "synthetic spirals and blobs: classes", p_u64, F(classes), 2,
      1000 },
    { "data", "noise", "0.1", "synthetic: standard deviation of the noise", p_f64, F(noise), 0,
      100 },
    { "data", "labels", NULL, "idx: the labels file (gzip or plain)", p_path, F(labels_path),
      0, 0 },
    { "data", "pixel_scale", "true", "idx: divide image values by 255", p_bool, F(pixel_scale),
      0, 0 },
    { "data", "test_path", NULL, "held-out test data in the same format; reported for the "
      "trials, never used to rank them", p_path, F(test_path), 0, 0 },
    { "data", "test_labels", NULL, "idx: the test labels file", p_path, F(test_labels_path),
      0, 0 },
    { "data", "header", "false", "the first line holds column names", p_bool, F(header), 0, 0 },
    { "data", "label", "-1", "label column: 0-based index (negative counts from the end) or "
      "header name", p_label, F(label), 0, 0 },
    { "data", "delimiter", ",", "field separator: one character, or comma, semicolon, tab, "
      "space, pipe", p_delimiter, F(delimiter), 0, 0 },
    { "data", "task", "classification", "classification (softmax cross-entropy over integer "
      "classes 0..K-1) or regression (mean squared error)", p_task, F(task), 0, 0 },
    { "data", "validation", "0.2", "fraction of rows held out for validation, drawn with the "
      "seed", p_f64, F(validation), 0.01, 0.9 },
    { "data", "subset", "0", "training rows the trials draw batches from, a seeded subset; "
      "0 uses every training row", p_u64, F(subset), 0, 2147483647.0 },
    { "data", "standardize", "true", "centre and scale every feature by training-part "
      "statistics", p_bool, F(standardize), 0, 0 },

    { "model", "hidden", "64,32", "hidden layer widths, comma-separated, or none for a linear "
      "model", p_hidden, F(model), 0, 0 },
    { "model", "activation", "relu", "hidden activation: relu, tanh, sigmoid, leaky_relu "
      "or gelu", p_activation, F(model.activation), 0, 0 },
    { "model", "conv", "none", "convolution blocks before the dense layers, CHANNELS:KERNEL"
      "[:PAD] each (conv, activation, max-pool), or none for an MLP", p_conv, F(model), 0, 0 },
    { "model", "pool", "2", "max-pool window after each convolution (1: none)", p_u64,
      F(model.pool), 1, 16 },
    { "model", "image", "auto", "input geometry CxHxW for convolutions; auto takes it from "
      "IDX files", p_image, F(model.image), 0, 0 },
    { "model", "init", "auto", "weight initialisation: auto (He for relu, Xavier otherwise), "
      "he or xavier", p_init, F(model.init), 0, 0 },
    { "model", "loss", "auto", "classification loss: cross_entropy (softmax over the classes; "
      "what auto picks) or binary_cross_entropy (one sigmoid output, two classes; with hidden "
      "= none, logistic regression); regression always uses mse", p_loss, F(loss), 0, 0 },
    { "model", "function", "none", "a 2-D test function to minimise instead of a network on "
      "data: rosenbrock, beale, rastrigin or quadratic", p_function, F(function), 0, 0 },
    { "model", "start", "auto", "the function's starting point X, Y; auto takes its standard "
      "one", p_start, 0, 0, 0 },

    { "search", "optimizers", NULL, "comma-separated optimizer labels (see --list-plugins); "
      "required", p_optimizers, 0, 0, 0 },
    { "search", "lr", NULL, "explicit learning rates for every optimizer, comma-separated "
      "(instead of lr_range)", p_lr_list, F(lr), 0, 0 },
    { "search", "lr_range", "0.01, 100", "learning rates from LOW to HIGH times each "
      "optimizer's default, log-spaced", p_lr_range, F(lr), 0, 0 },
    { "search", "lr_points", "9", "number of learning rates in lr_range", p_lr_points,
      F(lr), 0, 0 },
    { "search", "seeds", "1", "repetitions of every candidate with different initial weights "
      "and batch orders", p_u64, F(seeds), 1, 100 },
    { "search", "seed", "1", "study seed: the split, the subset and every trial derive from it",
      p_u64, F(seed), 0, 18446744073709551615.0 },
    { "search", "steps", "300", "training steps per trial", p_u64, F(steps), 1, 1e9 },
    { "search", "batch_size", "64", "rows per training step", p_u64, F(batch_size), 1, 1e6 },
    { "search", "eval_every", "25", "steps between validation-loss measurements", p_u64,
      F(eval_every), 1, 1e9 },
    { "search", "smoothing", "0.9", "decay of the exponential average of the training loss",
      p_f64, F(smoothing), 0, 0.999 },
    { "search", "diverge_factor", "4", "a trial diverges when its loss exceeds this multiple "
      "of its initial loss (or is not finite)", p_f64, F(diverge_factor), 1.01, 1e6 },
    { "search", "strategy", "grid", "grid: every candidate trains for the whole budget; "
      "halving: successive halving, every candidate trains for min_steps, the best 1 in "
      "reduction_factor continue (from where they stopped) to reduction_factor times as many "
      "steps, and so on up to steps", p_strategy, F(strategy), 0, 0 },
    { "search", "reduction_factor", "3", "halving: 1 in this many candidates goes on to the "
      "next budget, which is this many times larger", p_u64, F(reduction_factor), 2, 100 },
    { "search", "min_steps", "0", "halving: the first budget in steps; 0 takes steps / "
      "reduction_factor^2 (three budgets)", p_u64, F(min_steps), 0, 1e9 },
    { "search", "isolation", "none", "none: trials run as threads of optselect (fastest); "
      "process: each trial runs in a worker process, so a plugin that crashes, aborts, exits "
      "or hangs fails its trial and the study goes on", p_isolation, F(isolation), 0, 0 },
    { "search", "trial_timeout", "0", "seconds a trial may run before it fails as timed out; "
      "0 for no limit (in-process trials check between steps; isolated ones are killed)",
      p_f64, F(trial_timeout), 0, 1e7 },
    { "search", "max_crashes", "3", "with isolation = process: trials of one plugin file that "
      "may crash or time out before its remaining trials are skipped", p_u64, F(max_crashes),
      1, 1000000 },
};
#undef F
#define N_KEYS (sizeof keys / sizeof *keys)
_Static_assert(N_KEYS <= OS_CFG_MAX_KEYS, "raise OS_CFG_MAX_KEYS");

/* Keys an [optimizer.X] section takes besides the plugin's hyperparameters. */
static const os_key opt_keys[] = {
    { "optimizer.LABEL", "lr", NULL, "learning rates for this optimizer (instead of lr_range)",
      p_lr_list, 0, 0, 0 },
    { "optimizer.LABEL", "lr_range", NULL, "lr_range for this optimizer", p_lr_range, 0, 0, 0 },
    { "optimizer.LABEL", "lr_points", NULL, "lr_points for this optimizer", p_lr_points, 0, 0, 0 },
};

void os_config_print_keys(FILE *out)
{
    const char *section = "";
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcmp(section, keys[i].section))
            fprintf(out, "%s[%s]\n", i ? "\n" : "", section = keys[i].section);
        fprintf(out, "  %-15s default %-12s %s\n", keys[i].name,
                keys[i].def ? keys[i].def : "(none)", keys[i].help);
    }
    fprintf(out, "\n[optimizer.LABEL]\n");
    for (size_t i = 0; i < sizeof opt_keys / sizeof *opt_keys; i++)
        fprintf(out, "  %-15s default %-12s %s\n", opt_keys[i].name, "[search]", opt_keys[i].help);
    fprintf(out, "  %-15s default %-12s %s\n", "NAME", "plugin's",
            "any hyperparameter of the optimizer (see --list-plugins); a comma-separated "
            "list searches over the values of a tunable one");
}

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
    return !strcmp(s, "data") || !strcmp(s, "model") || !strcmp(s, "search");
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

/* A study name: [A-Za-z0-9_.-]{1,64}, as it names a results folder. */
static int study_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 64 || !strcmp(s, ".") || !strcmp(s, ".."))
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
            return 0;
    return 1;
}

/* "study NAME" -> NAME, or NULL when section is not a study section. */
static const char *study_of(const char *section)
{
    return !strncmp(section, "study ", 6) ? section + 6 : NULL;
}

static int check_section(parse_ctx *ctx, const char *section)
{
    if (is_base_section(section))
        return 1;
    if (!section[0])
        return os_cfg_fail(ctx, OS_ERR_CONFIG, "key outside any section; put it under [data], "
                    "[model], [search] or [optimizer.LABEL] (only include = FILE comes "
                    "before the first section)");
    const char *study = study_of(section);
    if (study) {
        if (ctx->depth)
            return os_cfg_fail(ctx, OS_ERR_CONFIG, "[study %s] in an included file; studies "
                               "are defined in the file that is run", study);
        if (!study_name_ok(study))
            return os_cfg_fail(ctx, OS_ERR_CONFIG, "[study %s]: a study name is 1 to 64 "
                               "letters, digits, '_', '.' or '-'", study);
        return 1;
    }
    if (!strncmp(section, "optimizer.", 10))
        return opt_section(ctx, section + 10) != NULL;
    static const char *const names[] = { "data", "model", "search" };
    char hint[96];
    suggest(hint, sizeof hint, section, names, 3);
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
    if (study_of(section))
        return study_key(ctx, study_of(section), name, value);
    if (!strncmp(section, "optimizer.", 10)) {
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

/* A JSON report (it starts with '{') stands for the study it reports: its
 * "effective_config" string, decoded into a temporary stream.  NULL with
 * ctx failed when the report holds none. */
static FILE *report_config(parse_ctx *ctx, FILE *f)
{
    char *text = NULL;
    size_t size = 0, cap = 0, got;
    do {
        if (size + 4096 > cap) {
            char *grown = realloc(text, cap = cap ? 2 * cap : 65536);
            if (!grown) {
                free(text);
                os_cfg_fail(ctx, OS_ERR_NOMEM, "out of memory");
                return NULL;
            }
            text = grown;
        }
        size += got = fread(text + size, 1, cap - size - 1, f);
    } while (got);
    text[size] = '\0';
    static const char key[] = "\"effective_config\": \"";
    char *p = strstr(text, key);
    FILE *out = p ? tmpfile() : NULL;
    if (!p) {
        free(text);
        os_cfg_fail(ctx, OS_ERR_CONFIG, "a JSON file, but not an optselect report with an "
                    "effective_config");
        return NULL;
    }
    /* the escapes optselect's reports use: \" \\ \/ \n \t \r and \u00XX */
    int bad = !out;
    for (p += sizeof key - 1; out && *p && *p != '"'; p++) {
        char c = *p;
        if (c == '\\') {
            c = *++p;
            unsigned code;
            if (c == 'n') c = '\n';
            else if (c == 't') c = '\t';
            else if (c == 'r') c = '\r';
            else if (c == 'u' && sscanf(p + 1, "%4x", &code) == 1 && code < 0x80) {
                c = (char)code;
                p += 4;
            } else if (c != '"' && c != '\\' && c != '/') {
                bad = 1;
                break;
            }
        }
        fputc(c, out);
    }
    bad |= *p != '"';
    free(text);
    if (bad) {
        if (out)
            fclose(out);
        os_cfg_fail(ctx, OS_ERR_CONFIG, "the report's effective_config is not a complete JSON "
                    "string");
        return NULL;
    }
    rewind(out);
    return out;
}

/* Parses an open file into ctx (and closes it): the top file, or an
 * included one. */
static int parse_stream(parse_ctx *ctx, FILE *f)
{
    ctx->stream = f;
    int first = fgetc(ctx->stream);
    while (first != EOF && isspace(first))
        first = fgetc(ctx->stream);
    if (first == '{' && ctx->depth == 0) {
        FILE *config = report_config(ctx, ctx->stream);
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

/* ---- studies ------------------------------------------------------------ */

void os_config_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int os_config_list_studies(const char *path, char ***names, size_t *n, os_error *err)
{
    *names = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return os_error_set(err, OS_ERR_CONFIG, "%s: cannot open: %s", path, strerror(errno));
    char line[INI_MAX_LINE + 2];
    size_t lineno = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        const char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        const char *end = *p == '[' ? strchr(p, ']') : NULL;
        if (!end)
            continue;
        char section[128];
        os_trim_copy(section, sizeof section, p + 1, (size_t)(end - p - 1));
        const char *study = study_of(section);
        if (!study)
            continue;
        if (!study_name_ok(study)) {
            rc = os_error_set(err, OS_ERR_CONFIG, "%s:%zu: [study %s]: a study name is 1 to 64 "
                              "letters, digits, '_', '.' or '-'", path, lineno, study);
            break;
        }
        for (size_t i = 0; i < *n; i++)
            if (!strcmp((*names)[i], study))
                rc = os_error_set(err, OS_ERR_CONFIG, "%s:%zu: [study %s] is defined twice",
                                  path, lineno, study);
        char **grown = rc ? NULL : realloc(*names, (*n + 1) * sizeof *grown);
        char *copy = grown ? os_strdup(study) : NULL;
        if (grown)
            *names = grown;
        if (!rc && !copy)
            rc = os_error_set(err, OS_ERR_NOMEM, "out of memory");
        if (!rc)
            (*names)[(*n)++] = copy;
    }
    fclose(f);
    if (rc) {
        os_config_free_names(*names, *n);
        *names = NULL;
        *n = 0;
    }
    return rc;
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

int os_config_load(os_config *cfg, const char *path, const char *study,
                   const os_registry *reg, char *const *sets, size_t n_sets, os_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    parse_ctx ctx = { .cfg = cfg, .reg = reg, .err = err, .file = path, .study = study };
    int rc = 0;
    cfg->path = os_strdup(path);
    cfg->dir = os_dirname(path);
    cfg->where = calloc(N_KEYS, sizeof *cfg->where);
    cfg->raw = calloc(N_KEYS, sizeof *cfg->raw);
    cfg->overridden = calloc(N_KEYS, 1);
    ctx.sections = calloc(OS_MAX_OPTS, sizeof *ctx.sections);
    ctx.chain[0] = realpath(path, NULL);
    if (!cfg->path || !cfg->dir || !cfg->where || !cfg->raw || !cfg->overridden ||
        !ctx.sections) {
        rc = os_error_set(err, OS_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    ctx.dir = cfg->dir;
    if (study)
        snprintf(cfg->study, sizeof cfg->study, "%s", study);
    if (apply_defaults(&ctx)) {
        rc = err->code;
        goto done;
    }
    FILE *top = fopen(path, "r");
    if (!top) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    if (!parse_stream(&ctx, top)) {
        rc = err->code;
        goto done;
    }
    if (study && !ctx.study_found) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: no [study %s] section with settings",
                          path, study);
        goto done;
    }
    for (size_t i = 0; i < ctx.n_overrides && !ctx.failed; i++) {
        ctx.set_where = ctx.overrides[i].where;
        set_override(&ctx, ctx.overrides[i].text);
    }
    ctx.set_where = NULL;
    for (size_t i = 0; i < n_sets && !ctx.failed; i++)
        set_override(&ctx, sets[i]);
    if (ctx.failed) {
        rc = err->code;
        goto done;
    }

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
    if (!strcmp(cfg->strategy, "halving") && !strcmp(cfg->isolation, "process")) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [search] strategy = halving runs its trials "
                          "in process; isolation = process needs strategy = grid",
                          os_config_where(cfg, "search", "strategy"));
        goto done;
    }
    if (!ctx.n_opt_labels) {
        rc = os_error_set(err, OS_ERR_CONFIG, "%s: [search] optimizers is required "
                          "(for example: optimizers = sgd, adam)", path);
        goto done;
    }
    rc = resolve_optimizers(&ctx);
done:
    free(ctx.sections);
    free(ctx.chain[0]);
    for (size_t i = 0; i < ctx.n_overrides; i++)
        free(ctx.overrides[i].text);
    free(ctx.overrides);
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

/* ---- a look ahead --------------------------------------------------------- */

typedef struct peek_ctx {
    int process;
} peek_ctx;

static int peek_handler(void *user, const char *section, const char *name, const char *value)
{
    char word[16];
    if (!strcmp(section, "search") && !strcmp(name, "isolation")) {
        os_trim_copy(word, sizeof word, value, strlen(value));
        ((peek_ctx *)user)->process = !strcmp(word, "process");
    }
    return 1;
}

int os_config_wants_isolation(const char *path, char *const *sets, size_t n_sets)
{
    peek_ctx ctx = { 0 };
    ini_parse(path, peek_handler, &ctx); /* errors are the real parse's to report */
    for (size_t i = 0; i < n_sets; i++) {
        const char *eq = strchr(sets[i], '=');
        char key[32];
        if (!eq)
            continue;
        os_trim_copy(key, sizeof key, sets[i], (size_t)(eq - sets[i]));
        if (!strcmp(key, "search.isolation"))
            peek_handler(&ctx, "search", "isolation", eq + 1);
    }
    return ctx.process;
}

/* ---- the effective configuration ---------------------------------------- */

/* An absolute form of a resolved path, so that the written config works
 * from any directory; the path itself when it cannot be resolved. */
static void put_path(FILE *out, const char *name, const char *path)
{
    char *abs = realpath(path, NULL);
    fprintf(out, "%s = %s\n", name, abs ? abs : path);
    free(abs);
}

int os_config_write_effective(const os_config *cfg, FILE *out)
{
    const char *section = "";
    for (size_t i = 0; i < N_KEYS; i++) {
        const os_key *k = &keys[i];
        /* One of the lr pair is in force: the list when it has values. */
        if (k->parse == p_lr_list && !cfg->lr.n_lr)
            continue;
        if (k->parse == p_lr_range && cfg->lr.n_lr)
            continue;
        const char *v = cfg->raw[i] ? cfg->raw[i] : k->def;
        if (!v)
            continue;
        if (strcmp(section, k->section))
            fprintf(out, "%s[%s]\n", i ? "\n" : "", section = k->section);
        if (k->parse == p_path)
            put_path(out, k->name, *(char *const *)((const char *)cfg + k->offset));
        else if (k->parse == p_optimizers) {
            fprintf(out, "%s = ", k->name);
            for (size_t o = 0; o < cfg->n_opts; o++)
                fprintf(out, "%s%s", o ? ", " : "", cfg->opts[o].entry->opt->label);
            fputc('\n', out);
        } else
            fprintf(out, "%s = %s\n", k->name, v);
    }
    for (size_t o = 0; o < cfg->n_opts; o++) {
        const char *label = cfg->opts[o].entry->opt->label;
        int header = 0;
        for (size_t i = 0; i < cfg->n_opt_raw; i++) {
            const char *e = cfg->opt_raw[i], *name = e + strlen(e) + 1;
            if (strcmp(e, label))
                continue;
            /* as for [search]: only the one of lr and lr_range in force */
            int lr_bits = cfg->opts[o].lr.n_lr ? 1 : 2;
            if ((!strcmp(name, "lr") && !(lr_bits & 1)) ||
                (!strcmp(name, "lr_range") && !(lr_bits & 2)))
                continue;
            if (!header++)
                fprintf(out, "\n[optimizer.%s]\n", label);
            fprintf(out, "%s = %s\n", name, name + strlen(name) + 1);
        }
    }
    return fflush(out) || ferror(out) ? -1 : 0;
}
