/* command.c — see command.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "command.h"
#include "util.h"

/* ---- splitting ---------------------------------------------------------- */

typedef struct word_buf {
    char  *s;
    size_t n, cap;
} word_buf;

static int put(word_buf *w, char c)
{
    if (os_reserve(&w->s, &w->cap, w->n + 2, 64))
        return -1;
    w->s[w->n++] = c;
    w->s[w->n] = 0;
    return 0;
}

static int push_word(os_command *cmd, word_buf *w)
{
    char **grown = realloc(cmd->words, (cmd->n_words + 2) * sizeof *grown);
    if (!grown)
        return -1;
    cmd->words = grown;
    cmd->words[cmd->n_words++] = w->s ? w->s : os_strdup("");
    cmd->words[cmd->n_words] = NULL;
    *w = (word_buf){ 0 };
    return cmd->words[cmd->n_words - 1] ? 0 : -1;
}

/* Checks the braces of one word: {NAME} with NAME of letters, digits and
 * _, or {{ and }}. */
static int check_braces(const char *w, char *why, size_t size)
{
    for (const char *p = w; *p; p++) {
        if ((*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}')) {
            p++;
            continue;
        }
        if (*p == '}') {
            snprintf(why, size, "'%s': a '}' without its '{' (write }} for a brace)", w);
            return -1;
        }
        if (*p != '{')
            continue;
        const char *q = p + 1;
        while (isalnum((unsigned char)*q) || *q == '_')
            q++;
        if (*q != '}' || q == p + 1) {
            snprintf(why, size, "'%s': a placeholder is {NAME}, NAME of letters, digits and _ "
                     "(write {{ for a brace)", w);
            return -1;
        }
        p = q;
    }
    return 0;
}

int os_command_split(const char *text, os_command *cmd, char *why, size_t size)
{
    *cmd = (os_command){ 0 };
    word_buf w = { 0 };
    int in_word = 0;
    char quote = 0;
    for (const char *p = text;; p++) {
        char c = *p;
        if (!c) {
            if (quote) {
                snprintf(why, size, "an unclosed %c quote", quote);
                goto fail;
            }
            if (in_word && push_word(cmd, &w))
                goto nomem;
            break;
        }
        if (quote == '\'') {
            if (c == '\'')
                quote = 0;
            else if (put(&w, c))
                goto nomem;
            continue;
        }
        if (quote == '"') {
            if (c == '"')
                quote = 0;
            else if (c == '\\' && (p[1] == '"' || p[1] == '\\') ? put(&w, *++p) : put(&w, c))
                goto nomem;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (in_word && push_word(cmd, &w))
                goto nomem;
            in_word = 0;
            continue;
        }
        in_word = 1;
        if (c == '\'' || c == '"') {
            quote = c;
            if (!w.s && put(&w, 0) == 0) /* an empty quoted word is a word */
                w.n = 0;
            continue;
        }
        if (c == '\\' && p[1])
            c = *++p;
        if (put(&w, c))
            goto nomem;
    }
    if (!cmd->n_words) {
        snprintf(why, size, "no program to run");
        goto fail;
    }
    for (size_t i = 0; i < cmd->n_words; i++)
        if (check_braces(cmd->words[i], why, size))
            goto fail;
    return 0;
nomem:
    snprintf(why, size, "out of memory");
fail:
    free(w.s);
    os_command_free(cmd);
    return -1;
}

void os_command_free(os_command *cmd)
{
    os_strv_free(cmd->words);
    *cmd = (os_command){ 0 };
}

/* Walks one checked word: each literal character to text(ctx, c) ({{ and
 * }} as one brace) and each placeholder's name to name(ctx, NAME); stops
 * at and returns either's first nonzero. */
static int walk(const char *word, int (*text)(void *, char), int (*name)(void *, const char *),
                void *ctx)
{
    for (const char *p = word; *p; p++) {
        int rc;
        if ((*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}')) {
            rc = text(ctx, *p++);
        } else if (*p != '{') {
            rc = text(ctx, *p);
        } else {
            char buf[64];
            const char *end = strchr(p, '}'); /* there: the split checked */
            os_trim_copy(buf, sizeof buf, p + 1, (size_t)(end - p - 1));
            rc = name(ctx, buf);
            p = end;
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int no_text(void *ctx, char c)
{
    (void)ctx, (void)c;
    return 0;
}

int os_command_each(const os_command *cmd, int (*fn)(void *ctx, const char *name), void *ctx)
{
    for (size_t i = 0; i < cmd->n_words; i++) {
        int rc = walk(cmd->words[i], no_text, fn, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- values ------------------------------------------------------------- */

int os_vars_set(os_vars *v, const char *name, const char *fmt, ...)
{
    char *value = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (len < 0)
        return -1;
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->names[i], name)) {
            free(v->values[i]);
            v->values[i] = value;
            return 0;
        }
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 32;
        char **names = realloc(v->names, cap * sizeof *names);
        if (names)
            v->names = names;
        char **values = names ? realloc(v->values, cap * sizeof *values) : NULL;
        if (!values) {
            free(value);
            return -1;
        }
        v->values = values;
        v->cap = cap;
    }
    if (!(v->names[v->n] = os_strdup(name))) {
        free(value);
        return -1;
    }
    v->values[v->n++] = value;
    return 0;
}

int os_vars_set_double(os_vars *v, const char *name, double x)
{
    char buf[40];
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    return os_vars_set(v, name, "%s", buf);
}

const char *os_vars_get(const os_vars *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->names[i], name))
            return v->values[i];
    return NULL;
}

void os_vars_free(os_vars *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->names[i]);
        free(v->values[i]);
    }
    free(v->names);
    free(v->values);
    *v = (os_vars){ 0 };
}

/* ---- expansion ---------------------------------------------------------- */

const os_placeholder os_command_standard[] = {
    { "optimizer", "the optimizer's name: the plugin a labelled variant is of, else the label" },
    { "label", "the optimizer's label in [search] optimizers" },
    { "lr", "the peak learning rate" },
    { "steps", "train to this step (a promoted trial: its new budget)" },
    { "start_step", "the step a promoted trial continues from ({checkpoint}); else 0" },
    { "total_steps", "the trial's longest budget: the steps its schedule spans" },
    { "seed", "the study seed plus the seed index: same seed, same initial weights and "
      "batches, whatever the optimizer" },
    { "seed_index", "0, 1, ...: which of the study's seeds" },
    { "trial", "the trial's number in the study" },
    { "batch_size", "[search] batch_size" },
    { "eval_every", "[search] eval_every: steps between val_loss lines" },
    { "schedule", "the rate schedule: constant, cosine, linear, step or wsd" },
    { "warmup", "warm-up steps of the schedule (0: none)" },
    { "floor", "the rate the decay ends at, over the peak" },
    { "decay", "wsd: the fraction of the run that decays" },
    { "gamma", "step: the factor at each milestone" },
    { "milestones", "step: the steps where the rate drops, comma-separated" },
    { "trial_dir", "a folder of the trial's own (its log is there)" },
    { "checkpoint", "a file in it for the trainer's state: a promoted trial continues from it" },
    { "hparams", "every hyperparameter of the optimizer as NAME=VALUE,NAME=VALUE (may be "
      "empty)" },
    { "threads", "[trainer] threads" },
};
const size_t os_command_n_standard = sizeof os_command_standard / sizeof *os_command_standard;

int os_command_is_standard(const char *name)
{
    for (size_t i = 0; i < os_command_n_standard; i++)
        if (!strcmp(os_command_standard[i].name, name))
            return 1;
    return 0;
}

/* One word being expanded. */
typedef struct expansion {
    word_buf      w;
    const os_vars *v;
    char         *missing;
} expansion;

static int expand_text(void *ctx, char c)
{
    return put(&((expansion *)ctx)->w, c);
}

static int expand_name(void *ctx, const char *name)
{
    expansion *e = ctx;
    const char *value = os_vars_get(e->v, name);
    if (!value) {
        if (e->missing)
            snprintf(e->missing, 64, "%s", name);
        return -1;
    }
    for (const char *q = value; *q; q++)
        if (put(&e->w, *q))
            return -1;
    return 0;
}

char **os_command_expand(const os_command *cmd, const os_vars *v, char *missing)
{
    char **out = calloc(cmd->n_words + 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < cmd->n_words; i++) {
        expansion e = { { 0 }, v, missing };
        if (put(&e.w, 0) || (e.w.n = 0, walk(cmd->words[i], expand_text, expand_name, &e))) {
            free(e.w.s);
            os_strv_free(out);
            return NULL;
        }
        out[i] = e.w.s;
    }
    return out;
}

/* Adds "NAME=VALUE" to env (n of them, NULL-terminated), replacing one of
 * the same NAME; entry is taken over. */
static int env_put(char ***env, size_t *n, char *entry)
{
    if (!entry)
        return -1;
    size_t len = strcspn(entry, "=");
    for (size_t i = 0; i < *n; i++)
        if (!strncmp((*env)[i], entry, len + 1)) {
            free((*env)[i]);
            (*env)[i] = entry;
            return 0;
        }
    char **grown = realloc(*env, (*n + 2) * sizeof *grown);
    if (!grown) {
        free(entry);
        return -1;
    }
    *env = grown;
    (*env)[(*n)++] = entry;
    (*env)[*n] = NULL;
    return 0;
}

char **os_command_environ(char *const *base, const os_vars *v, char *const *extra)
{
    char **env = calloc(1, sizeof *env);
    size_t n = 0;
    for (size_t i = 0; env && base && base[i]; i++)
        if (env_put(&env, &n, os_strdup(base[i])))
            goto fail;
    for (size_t i = 0; env && i < v->n; i++) {
        char *entry = NULL;
        if (asprintf(&entry, "OPTSELECT_%s=%s", v->names[i], v->values[i]) < 0)
            goto fail;
        for (char *p = entry + 10; *p != '='; p++)
            *p = (char)toupper((unsigned char)*p);
        if (env_put(&env, &n, entry))
            goto fail;
    }
    for (size_t i = 0; env && extra && extra[i]; i++)
        if (env_put(&env, &n, os_strdup(extra[i])))
            goto fail;
    return env;
fail:
    os_strv_free(env);
    return NULL;
}

void os_strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}
