/*
 * config_values.c — the parsers of config values, one per kind of key in
 * config_keys.c's table, and the message helpers they share with it.  Each
 * takes the raw text and writes the field, or reports a one-line error
 * naming the file and line (or the --set) and returns 0.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "study_config_internal.h"
#include "testfn.h"
#include "util.h"

/* ---- locations and errors ---------------------------------------------- */

void os_cfg_where_now(const parse_ctx *ctx, char *buf, size_t size)
{
    if (ctx->set_text && ctx->set_where)
        snprintf(buf, size, "%s", ctx->set_where);
    else if (ctx->set_text)
        snprintf(buf, size, "--set %s", ctx->set_text);
    else
        snprintf(buf, size, "%s:%zu", ctx->file, ctx->line);
}

int os_cfg_fail(parse_ctx *ctx, int code, const char *fmt, ...)
{
    if (ctx->failed)
        return 0;
    char loc[200], msg[OS_ERROR_MSG_MAX - 220];
    os_cfg_where_now(ctx, loc, sizeof loc);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    os_error_set(ctx->err, code, "%s: %s", loc, msg);
    ctx->failed = 1;
    return 0;
}

int os_cfg_bad_value(parse_ctx *ctx, const char *value, const char *want)
{
    return os_cfg_fail(ctx, OS_ERR_CONFIG, "[%s] %s = '%s': %s", ctx->key->section, ctx->key->name,
                value, want);
}

/* ---- value parsers ------------------------------------------------------ */

int os_cfg_p_u64(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    uint64_t x;
    if (os_parse_u64(v, &x) || (double)x < min || (double)x > max) {
        char want[96];
        snprintf(want, sizeof want, "expected an integer from %.0f to %.0f", min, max);
        return os_cfg_bad_value(ctx, v, want);
    }
    *(uint64_t *)field = x;
    return 1;
}

/* [search] batch_size: one, or a list of distinct sizes (batch_sizes) */
int os_cfg_p_batch_list(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    os_config *cfg = ctx->cfg;
    char items[OS_MAX_LIST][128];
    int n = os_cfg_split_list(v, items, OS_MAX_LIST);
    if (n < 0)
        return os_cfg_bad_value(ctx, v, "expected a batch size or up to 32 comma-separated ones");
    uint64_t sizes[OS_MAX_LIST];
    for (int i = 0; i < n; i++) {
        if (!os_cfg_p_u64(ctx, &sizes[i], items[i], min, max))
            return 0;
        for (int j = 0; j < i; j++)
            if (sizes[j] == sizes[i])
                return os_cfg_bad_value(ctx, v, "a batch size is listed twice");
    }
    memcpy(cfg->batch_sizes, sizes, (size_t)n * sizeof *sizes);
    cfg->n_batch = (size_t)n;
    *(uint64_t *)field = sizes[0];
    return 1;
}

/* batch_split: auto (0) or a chunk count */
int os_cfg_p_split(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    if (!strcmp(v, "auto")) {
        *(uint64_t *)field = 0;
        return 1;
    }
    return os_cfg_p_u64(ctx, field, v, min, max);
}

int os_cfg_p_f64(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    double x;
    if (os_parse_double(v, &x) || x < min || x > max) {
        char want[96];
        snprintf(want, sizeof want, "expected a number from %g to %g", min, max);
        return os_cfg_bad_value(ctx, v, want);
    }
    *(double *)field = x;
    return 1;
}

int os_cfg_p_bool(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    if (os_parse_bool(v, field))
        return os_cfg_bad_value(ctx, v, "expected true or false");
    return 1;
}

int os_cfg_p_path(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    char buf[4096];
    os_trim_copy(buf, sizeof buf, v, strlen(v));
    if (!buf[0])
        return os_cfg_bad_value(ctx, v, "expected a file name");
    /* relative to the file that names it: an included file's own folder */
    char *p = os_path_join(ctx->set_where || !ctx->set_text ? ctx->dir : ctx->cfg->dir, buf);
    if (!p)
        return os_cfg_fail(ctx, OS_ERR_NOMEM, "out of memory");
    free(*(char **)field);
    *(char **)field = p;
    return 1;
}

/* A word from a '|'-separated list of choices, stored as text (max bytes). */
static int choose(parse_ctx *ctx, const char *v, const char *choices, char *out, size_t size)
{
    char word[64];
    os_trim_copy(word, sizeof word, v, strlen(v));
    size_t n = strlen(word);
    for (const char *c = choices; *c;) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (n && len == n && n < size && !strncmp(c, word, n)) {
            memcpy(out, word, n + 1);
            return 1;
        }
        c += len + (bar != NULL);
    }
    char want[400];
    snprintf(want, sizeof want, "expected one of %s", choices);
    for (char *p = want; *p; p++)
        if (*p == '|')
            *p = ',';
    return os_cfg_bad_value(ctx, v, want);
}

/* The keys whose value is one of a list of words. */
#define CHOICE(name, words)                                                      \
    int name(parse_ctx *ctx, void *field, const char *v, double min, double max) \
    {                                                                            \
        (void)min, (void)max;                                                    \
        return choose(ctx, v, words, field, 16);                                 \
    }
CHOICE(os_cfg_p_format, "csv|idx|libsvm|synthetic")
CHOICE(os_cfg_p_generator, "spirals|moons|blobs|linear")
CHOICE(os_cfg_p_task, "classification|regression")
CHOICE(os_cfg_p_isolation, "none|process")
CHOICE(os_cfg_p_score, "final|last|auc|extrapolated|horizon")
CHOICE(os_cfg_p_refine, "off|report|train")
CHOICE(os_cfg_p_trial_schedule, "follow|constant")
CHOICE(os_cfg_p_decay, "all|weights")
CHOICE(os_cfg_p_full_data, "all|subset")
CHOICE(os_cfg_p_schedule, "constant|cosine|linear|step|wsd")
CHOICE(os_cfg_p_strategy, "auto|grid|halving|hyperband|asha")
#undef CHOICE

/* auto, or increasing fractions of the trial budget up to 1 ([search]
 * rungs); a last fraction below 1 is followed by 1. */
int os_cfg_p_rungs(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    (void)min, (void)max;
    os_fractions *f = field;
    if (!strcmp(v, "auto")) {
        f->n = 0;
        return 1;
    }
    char items[OS_SCHED_MAX_MILESTONES][128];
    int n = os_cfg_split_list(v, items, OS_SCHED_MAX_MILESTONES - 1);
    os_fractions out = { .n = n > 0 ? (size_t)n : 0 };
    for (int i = 0; i < n; i++)
        if (os_parse_double(items[i], &out.v[i]) || !(out.v[i] > 0 && out.v[i] <= 1) ||
            (i && !(out.v[i] > out.v[i - 1])))
            n = -1;
    if (n < 1) {
        char want[128];
        snprintf(want, sizeof want, "expected auto, or 1 to %d increasing fractions of steps, "
                 "each above 0 and at most 1", OS_SCHED_MAX_MILESTONES - 1);
        return os_cfg_bad_value(ctx, v, want);
    }
    if (out.v[out.n - 1] < 1)
        out.v[out.n++] = 1;
    *f = out;
    return 1;
}

/* Increasing fractions strictly between 0 and 1 ([full] milestones). */
int os_cfg_p_fractions(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    os_fractions *f = field;
    char items[OS_SCHED_MAX_MILESTONES][128];
    int n = os_cfg_split_list(v, items, OS_SCHED_MAX_MILESTONES);
    os_fractions out = { .n = n > 0 ? (size_t)n : 0 };
    for (int i = 0; i < n; i++)
        if (os_parse_double(items[i], &out.v[i]) || !(out.v[i] > 0 && out.v[i] < 1) ||
            (i && !(out.v[i] > out.v[i - 1])))
            n = -1;
    if (n < 1) {
        char want[96];
        snprintf(want, sizeof want, "expected 1 to %d increasing fractions of the run, each "
                 "between 0 and 1", OS_SCHED_MAX_MILESTONES);
        return os_cfg_bad_value(ctx, v, want);
    }
    *f = out;
    return 1;
}

int os_cfg_p_label(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    char buf[128];
    os_trim_copy(buf, sizeof buf, v, strlen(v));
    if (!buf[0])
        return os_cfg_bad_value(ctx, v, "expected a column index or name");
    memcpy(field, buf, sizeof buf);
    return 1;
}

int os_cfg_p_delimiter(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    static const struct { const char *name; char c; } named[] = {
        { "comma", ',' }, { "semicolon", ';' }, { "tab", '\t' }, { "space", ' ' },
        { "pipe", '|' },
    };
    char buf[16];
    os_trim_copy(buf, sizeof buf, v, strlen(v));
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (!strcmp(buf, named[i].name)) {
            *(char *)field = named[i].c;
            return 1;
        }
    if (strlen(buf) == 1 && !isalnum((unsigned char)buf[0]) && buf[0] != '.' &&
        buf[0] != '-' && buf[0] != '+') {
        *(char *)field = buf[0];
        return 1;
    }
    return os_cfg_bad_value(ctx, v, "expected one punctuation character, or comma, semicolon, "
                             "tab, space, pipe");
}

/* Splits a comma-separated list into trimmed items; returns the count or -1
 * when an item is empty or there are more than max. */
int os_cfg_split_list(const char *v, char items[][128], size_t max)
{
    size_t n = 0;
    const char *p = v;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (n == max)
            return -1;
        os_trim_copy(items[n], 128, p, len);
        if (!items[n][0])
            return -1;
        n++;
        if (!comma)
            return (int)n;
        p = comma + 1;
    }
}

/* Whether v, blanks aside, is the keyword word ("none", "auto"). */
static int is_keyword(const char *v, const char *word)
{
    char buf[16];
    os_trim_copy(buf, sizeof buf, v, strlen(v));
    return !strcmp(buf, word);
}

int os_cfg_p_hidden(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    os_model_spec *mlp = field;
    char items[OS_MAX_HIDDEN][128];
    if (is_keyword(v, "none")) {
        mlp->n_hidden = 0;
        return 1;
    }
    int n = os_cfg_split_list(v, items, OS_MAX_HIDDEN);
    if (n < 0)
        return os_cfg_bad_value(ctx, v, "expected 'none' or up to 16 comma-separated layer widths");
    for (int i = 0; i < n; i++) {
        uint64_t w;
        if (os_parse_u64(items[i], &w) || w < 1 || w > 65536)
            return os_cfg_bad_value(ctx, v, "each layer width must be an integer from 1 to 65536");
        mlp->hidden[i] = (size_t)w;
    }
    mlp->n_hidden = (size_t)n;
    return 1;
}

int os_cfg_p_activation(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    char word[16];
    if (!choose(ctx, v, "relu|tanh|sigmoid|leaky_relu|gelu", word, sizeof word))
        return 0;
    *(os_layer_kind *)field = (os_layer_kind)os_layer_kind_from_name(word);
    return 1;
}

/* "none", or blocks CHANNELS:KERNEL[:PAD[:STRIDE]], e.g. "6:5:2, 16:5". */
int os_cfg_p_conv(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    os_model_spec *spec = field;
    char items[OS_MAX_CONV][128];
    if (is_keyword(v, "none")) {
        spec->n_conv = 0;
        return 1;
    }
    int n = os_cfg_split_list(v, items, OS_MAX_CONV);
    if (n < 0)
        return os_cfg_bad_value(ctx, v, "expected 'none' or up to 8 blocks "
                                 "CHANNELS:KERNEL[:PAD[:STRIDE]]");
    for (int i = 0; i < n; i++) {
        unsigned long ch, k, pad = 0, stride = 1;
        char tail;
        int got = sscanf(items[i], "%lu:%lu:%lu:%lu%c", &ch, &k, &pad, &stride, &tail);
        if (got < 2 || got > 4 || ch < 1 || ch > 4096 || k < 1 || k > 31 || pad >= k ||
            stride < 1 || stride > k)
            return os_cfg_bad_value(ctx, v, "each block is CHANNELS:KERNEL[:PAD[:STRIDE]] (channels "
                                     "1..4096, kernel 1..31, pad < kernel, 1 <= stride <= "
                                     "kernel)");
        spec->conv[i] = (os_conv_spec){ ch, k, pad, stride };
    }
    spec->n_conv = (size_t)n;
    return 1;
}

/* "auto" (from the data) or CxHxW. */
int os_cfg_p_image(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    size_t *image = field;
    char buf[64], tail;
    unsigned long c, h, w;
    if (is_keyword(v, "auto")) {
        image[0] = image[1] = image[2] = 0;
        return 1;
    }
    os_trim_copy(buf, sizeof buf, v, strlen(v));
    if (sscanf(buf, "%lux%lux%lu%c", &c, &h, &w, &tail) != 3 || !c || !h || !w ||
        c > 4096 || h > 65536 || w > 65536)
        return os_cfg_bad_value(ctx, v, "expected auto or CHANNELSxHEIGHTxWIDTH, e.g. 1x28x28");
    image[0] = c, image[1] = h, image[2] = w;
    return 1;
}

int os_cfg_p_loss(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    return choose(ctx, v, "auto|cross_entropy|binary_cross_entropy", field, 24);
}

int os_cfg_p_function(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    return choose(ctx, v, "none|" OS_TESTFN_NAMES, field, 16);
}

/* "auto" or "X, Y". */
int os_cfg_p_start(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    os_config *cfg = ctx->cfg;
    char items[2][128];
    if (is_keyword(v, "auto")) {
        cfg->start_auto = 1;
        return 1;
    }
    if (os_cfg_split_list(v, items, 2) != 2 || os_parse_double(items[0], &cfg->start[0]) ||
        os_parse_double(items[1], &cfg->start[1]) || fabs(cfg->start[0]) > 1e6 ||
        fabs(cfg->start[1]) > 1e6)
        return os_cfg_bad_value(ctx, v, "expected auto or two coordinates X, Y");
    cfg->start_auto = 0;
    return 1;
}

int os_cfg_p_init(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    char word[16];
    if (!choose(ctx, v, "auto|he|xavier", word, sizeof word))
        return 0;
    *(os_init_kind *)field = !strcmp(word, "he") ? OS_INIT_HE
                           : !strcmp(word, "xavier") ? OS_INIT_XAVIER : OS_INIT_AUTO;
    return 1;
}

int os_cfg_p_optimizers(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    char items[OS_MAX_OPTS][128];
    int n = os_cfg_split_list(v, items, OS_MAX_OPTS);
    if (n < 0)
        return os_cfg_bad_value(ctx, v, "expected up to 32 comma-separated optimizer labels");
    /* Labels are looked up once every --set has applied (resolve_optimizers),
     * so that overriding the list with loaded optimizers works. */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++)
            if (!strcmp(items[i], items[j]))
                return os_cfg_fail(ctx, OS_ERR_CONFIG, "[search] optimizers: '%s' is listed twice",
                            items[i]);
        memcpy(ctx->opt_labels[i], items[i], sizeof ctx->opt_labels[i]);
    }
    ctx->n_opt_labels = (size_t)n;
    return 1;
}

int os_cfg_p_lr_list(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    os_lr_spec *lr = field;
    char items[OS_MAX_LIST][128];
    int n = os_cfg_split_list(v, items, OS_MAX_LIST);
    if (n == 1 && !strcmp(items[0], "auto")) {
        lr->autotune = 1;
        lr->n_lr = 0;
        return 1;
    }
    lr->autotune = 0;
    if (n < 0)
        return os_cfg_bad_value(ctx, v, "expected auto, or up to 32 comma-separated learning "
                                "rates");
    for (int i = 0; i < n; i++)
        if (os_parse_double(items[i], &lr->lr[i]) || !(lr->lr[i] > 0) || lr->lr[i] > 1e6)
            return os_cfg_bad_value(ctx, v, "each learning rate must be a number in (0, 1e6]");
    lr->n_lr = (size_t)n;
    return 1;
}

int os_cfg_p_lr_range(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    os_lr_spec *lr = field;
    char items[2][128];
    double lo, hi;
    if (os_cfg_split_list(v, items, 2) != 2 || os_parse_double(items[0], &lo) ||
        os_parse_double(items[1], &hi) || !(lo > 0) || !(lo <= hi) || hi > 1e6)
        return os_cfg_bad_value(ctx, v, "expected two factors LOW, HIGH with 0 < LOW <= HIGH "
                                 "(multiples of the optimizer's default lr)");
    lr->range[0] = lo;
    lr->range[1] = hi;
    lr->n_lr = 0; /* a range replaces an earlier list */
    lr->autotune = 0;
    return 1;
}

int os_cfg_p_lr_points(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    os_lr_spec *lr = field;
    return os_cfg_p_u64(ctx, &lr->points, v, 1, OS_MAX_LIST);
}


int os_cfg_p_command(parse_ctx *ctx, void *field, const char *v, double min, double max)
{
    (void)min, (void)max;
    /* split once the whole of it is read (it may continue on more lines):
     * os_cfg_check_trainer */
    char *text = os_strdup(v);
    if (!text)
        return os_cfg_fail(ctx, OS_ERR_NOMEM, "out of memory");
    free(*(char **)field);
    *(char **)field = text;
    return 1;
}
