/*
 * config_files.c — what surrounds the parse of one config: the [study NAME]
 * sections a file defines, a JSON report read as the config it ran, and the
 * effective configuration written back as INI.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <ini.h>
#include <jansson.h>
#include "study_config_internal.h"
#include "util.h"

#define keys os_cfg_keys
#define N_KEYS os_cfg_n_keys

/* A study name: [A-Za-z0-9_.-]{1,64}, as it names a results folder. */
int os_cfg_study_name_ok(const char *s)
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
const char *os_cfg_study_of(const char *section)
{
    return !strncmp(section, "study ", 6) ? section + 6 : NULL;
}

/* A JSON report (it starts with '{') stands for the study it reports: its
 * "effective_config" string, written to a temporary stream.  NULL with ctx
 * failed when the file is not JSON or holds no such string. */
FILE *os_cfg_report_config(parse_ctx *ctx, FILE *f)
{
    json_error_t jerr;
    json_t *report = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    if (!report) {
        ctx->line = (size_t)(jerr.line > 0 ? jerr.line : 0);
        /* jansson quotes the bytes it met, newlines too: os_error_set
         * keeps the message on one line */
        os_cfg_fail(ctx, OS_ERR_CONFIG, "not valid JSON: %s", jerr.text);
        return NULL;
    }
    const char *text = json_string_value(json_object_get(report, "effective_config"));
    FILE *out = text ? tmpfile() : NULL;
    if (!text) { /* the file as a whole is wrong, no line of it */
        os_error_set(ctx->err, OS_ERR_CONFIG, "%s: a JSON file, but not an optselect report "
                     "with an effective_config string", ctx->file);
        ctx->failed = 1;
    }
    else if (!out)
        os_cfg_fail(ctx, OS_ERR_IO, "cannot make a temporary file: %s", strerror(errno));
    else if (fputs(text, out) == EOF || fflush(out)) {
        os_cfg_fail(ctx, OS_ERR_IO, "cannot write a temporary file: %s", strerror(errno));
        fclose(out);
        out = NULL;
    }
    json_decref(report);
    if (out)
        rewind(out);
    return out;
}

/* fopen for reading a config: a directory opens, and fails only at its
 * first read, so it is refused here (errno EISDIR) with the other reasons
 * a file cannot be opened. */
FILE *os_cfg_fopen(const char *path)
{
    FILE *f = fopen(path, "r");
    struct stat st;
    if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        errno = EISDIR;
        return NULL;
    }
    return f;
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
    FILE *f = os_cfg_fopen(path);
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
        const char *study = os_cfg_study_of(section);
        if (!study)
            continue;
        if (!os_cfg_study_name_ok(study)) {
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

/* ---- the effective configuration ---------------------------------------- */

/* An absolute form of a resolved path, so that the written config works
 * from any directory; the path itself when it cannot be resolved. */
static void put_path(FILE *out, const char *name, const char *path)
{
    char *abs = realpath(path, NULL);
    fprintf(out, "%s = %s\n", name, abs ? abs : path);
    free(abs);
}

/* A long [trainer] command over several lines, each after the first
 * indented: inih's continuation, which the reader joins with one space.
 * So a line ends only at a lone space, which the join gives back exactly,
 * inside quotes or out: after column 100 for the eye, and wherever the
 * next stretch would make the line longer than the reader takes.  Every
 * stretch between lone spaces came from one line of a file the reader
 * took, so it fits on a line of its own (with a one-space indent, or
 * "name=" first, when it is that long). */
#define LINE_CHARS (INI_MAX_LINE - 2) /* the longest line the reader takes */

static int lone_space(const char *v, const char *p)
{
    /* the reader strips the blanks at both ends of a line, tabs too */
    return *p == ' ' && p > v && !isspace((unsigned char)p[-1]) && p[1] &&
           !isspace((unsigned char)p[1]);
}

static void put_long(FILE *out, const char *name, const char *v)
{
    size_t col = 0;
    const char *p = v;
    do {
        const char *q = p + (*p != 0); /* the stretch [p, q), up to a lone space */
        while (*q && !lone_space(v, q))
            q++;
        size_t len = (size_t)(q - p);
        if (p == v)
            col = (size_t)fprintf(out, strlen(name) + 3 + len > LINE_CHARS ? "%s=" : "%s = ",
                                  name);
        else if (col > 100 || col + 1 + len > LINE_CHARS)
            col = (size_t)fprintf(out, "\n%s", 4 + len > LINE_CHARS ? " " : "    ") - 1;
        else
            col += (size_t)fprintf(out, " ");
        fwrite(p, 1, len, out);
        col += len;
        p = *q ? q + 1 : q;
    } while (*p);
    fputc('\n', out);
}

/* Key i's value in force, as given or its default; NULL when it has none
 * or is not in force. */
static const char *in_force(const os_config *cfg, size_t i)
{
    const os_key *k = &keys[i];
    /* One of the lr pair is in force: the list when it has values. */
    if (k->parse == os_cfg_p_lr_list && !cfg->lr.n_lr && !cfg->lr.autotune)
        return NULL;
    if (k->parse == os_cfg_p_lr_range && (cfg->lr.n_lr || cfg->lr.autotune))
        return NULL;
    /* a command study has no [data] or [model]; other studies no [trainer] */
    if (cfg->command ? !strcmp(k->section, "data") || !strcmp(k->section, "model")
                     : !strcmp(k->section, "trainer"))
        return NULL;
    return cfg->raw[i] ? cfg->raw[i] : k->def;
}

int os_config_each_trial_key(const os_config *cfg, os_key_fn fn, void *arg)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        const os_key *k = &keys[i];
        const char *v = k->trials == OS_KEY_HASHED || k->trials == OS_KEY_HASHED_SET
                      ? in_force(cfg, i) : NULL;
        if (!v || (k->trials == OS_KEY_HASHED_SET && !strcmp(v, k->def)))
            continue;
        char *abs = NULL; /* a path as the effective config writes it */
        if (k->parse == os_cfg_p_path) {
            v = *(char *const *)((const char *)cfg + k->offset);
            abs = realpath(v, NULL);
        }
        fn(arg, k->section, k->name, abs ? abs : v);
        free(abs);
    }
    return 0;
}

int os_config_write_effective(const os_config *cfg, FILE *out)
{
    const char *section = "";
    for (size_t i = 0; i < N_KEYS; i++) {
        const os_key *k = &keys[i];
        const char *v = in_force(cfg, i);
        if (!v)
            continue;
        if (strcmp(section, k->section))
            fprintf(out, "%s[%s]\n", i ? "\n" : "", section = k->section);
        if (k->parse == os_cfg_p_path)
            put_path(out, k->name, *(char *const *)((const char *)cfg + k->offset));
        else if (k->parse == os_cfg_p_command)
            put_long(out, k->name, v);
        else if (k->parse == os_cfg_p_optimizers) {
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
            int lr_bits = cfg->opts[o].lr.n_lr || cfg->opts[o].lr.autotune ? 1 : 2;
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
