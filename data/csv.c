/*
 * csv.c — the CSV loader.  zlib's gz* functions read plain files too, so one
 * reader serves "x.csv" and "x.csv.gz".
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "dataset.h"
#include "lines.h"
#include "util.h"

#define MAX_ROWS   ((size_t)1 << 31)  /* row indices are uint32 */
#define MAX_CLASS  65535

static int blank(const char *s)
{
    return s[strspn(s, " \t")] == '\0';
}

/* Splits line in place at delim, honouring double quotes: a quoted field
 * may hold the delimiter, and "" inside quotes is one quote.  fields[]
 * point into line (only max are stored).  Returns the field count, or 0
 * when a quote is unterminated or followed by anything but a delimiter. */
static size_t split(char *line, char delim, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        char *start = p, *w = p;
        if (*p == '"') {
            start = w = ++p;
            for (;;) {
                if (!*p)
                    return 0;                       /* unterminated */
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p && *p != delim)
                return 0;                           /* text after the closing quote */
        } else {
            while (*p && *p != delim)
                p++;
            w = p;
        }
        char *next = *p ? p + 1 : NULL;
        *w = '\0';
        if (n < max)
            fields[n] = start;
        n++;
        if (!next)
            return n;
        p = next;
    }
}

#define NO_MEMORY ((size_t)-1)

/* Fields on a line, without changing it; 0 for a malformed quote,
 * NO_MEMORY when out of memory. */
static size_t count_fields(const char *line, char delim)
{
    char *copy = os_strdup(line);
    size_t n = copy ? split(copy, delim, NULL, 0) : NO_MEMORY;
    free(copy);
    return n;
}

/* The index of a class name among names[0..n), or -1. */
static long find_class(char *const *names, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], label))
            return (long)i;
    return -1;
}

/* The index of a class name, added when new: -1 past 65536 classes, -2
 * when out of memory. */
static long add_class(char ***names, size_t *n, const char *label)
{
    long k = find_class(*names, *n, label);
    if (k >= 0)
        return k;
    if (*n >= 65536)
        return -1;
    char **grown = realloc(*names, (*n + 1) * sizeof **names);
    if (!grown)
        return -2;
    *names = grown;
    if (!((*names)[*n] = os_strdup(label)))
        return -2;
    return (long)(*n)++;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the class names and renumbers y to match: the classes of a file do
 * not depend on the order of its rows. */
static int sort_classes(os_dataset *ds)
{
    size_t k = ds->n_classes;
    char **sorted = malloc(k * sizeof *sorted);
    long *renum = malloc(k * sizeof *renum);
    if (!sorted || !renum) {
        free(sorted);
        free(renum);
        return -1;
    }
    memcpy(sorted, ds->class_names, k * sizeof *sorted);
    qsort(sorted, k, sizeof *sorted, cmp_name);
    for (size_t i = 0; i < k; i++)
        renum[i] = (char **)bsearch(&ds->class_names[i], sorted, k, sizeof *sorted, cmp_name) -
                   sorted;
    for (size_t i = 0; i < ds->n; i++)
        ds->y[i] = (float)renum[(size_t)ds->y[i]];
    free(ds->class_names);
    ds->class_names = sorted;
    free(renum);
    return 0;
}

/* Resolves the label column from a spec against a header (may be NULL). */
static int find_label(const char *path, const os_csv_options *opt, char **names,
                      size_t n_cols, size_t *col, os_error *err)
{
    int64_t idx;
    if (os_parse_i64(opt->label, &idx) == 0) {
        if (idx < 0)
            idx += (int64_t)n_cols;
        if (idx < 0 || idx >= (int64_t)n_cols)
            return os_error_set(err, OS_ERR_CONFIG, "%s: label column %s is out of range "
                                "(the file has %zu columns)", path, opt->label, n_cols);
        *col = (size_t)idx;
        return 0;
    }
    if (names) {
        char want[256], have[256];
        os_trim_copy(want, sizeof want, opt->label, strlen(opt->label));
        for (size_t i = 0; i < n_cols; i++) {
            os_trim_copy(have, sizeof have, names[i], strlen(names[i]));
            if (!strcmp(want, have)) {
                *col = i;
                return 0;
            }
        }
        return os_error_set(err, OS_ERR_CONFIG, "%s: line 1: no column named '%s' in the "
                            "header", path, want);
    }
    return os_error_set(err, OS_ERR_CONFIG, "%s: label '%s' is a column name, but the file "
                        "has no header (set header = true, or give a column index)",
                        path, opt->label);
}

static int grow(os_dataset *ds, size_t *cap, size_t d)
{
    size_t c = *cap ? 2 * *cap : 1024;
    float *x = realloc(ds->x, c * d * sizeof *x);
    if (x)
        ds->x = x;
    float *y = x ? realloc(ds->y, c * sizeof *y) : NULL;
    if (y)
        ds->y = y;
    if (!x || !y)
        return -1;
    *cap = c;
    return 0;
}

/* A load in progress: what each record is read against. */
typedef struct loader {
    const char           *path;
    const os_csv_options *opt;
    const os_dataset     *like;
    os_dataset           *out;
    char                **fields;
    size_t                n_cols, label_col, header_line, cap, lineno;
    int                   names_mode; /* class labels as names: -1 undecided, 0 no, 1 yes */
    char                  delim;
} loader;

#define CSV_NOMEM 1 /* a helper's "out of memory", reported with the line */

/* The first record fixes the column count and the label column (a header
 * names them); *got: its fields. */
static int first_record(loader *L, char *line, size_t *got, os_error *err)
{
    L->n_cols = count_fields(line, L->delim);
    L->header_line = L->lineno;
    if (L->n_cols == NO_MEMORY) {
        L->n_cols = 0;
        return CSV_NOMEM;
    }
    if (!L->n_cols)
        return os_error_set(err, OS_ERR_DATA, "%s:%zu: a quoted field is not closed, or "
                            "text follows its closing quote", L->path, L->lineno);
    if (L->n_cols < 2)
        return os_error_set(err, OS_ERR_DATA, "%s:%zu: found 1 column; a dataset needs "
                            "at least one feature and a label (is the delimiter '%c' "
                            "right?)", L->path, L->lineno, L->delim);
    if (!(L->fields = malloc(L->n_cols * sizeof *L->fields)))
        return CSV_NOMEM;
    *got = split(line, L->delim, L->fields, L->n_cols);
    L->out->d = L->n_cols - 1;
    return find_label(L->path, L->opt, L->opt->header ? L->fields : NULL, L->n_cols,
                      &L->label_col, err);
}

/* Column c of a classification row named by its class: its index. */
static int class_by_name(loader *L, size_t c, os_error *err)
{
    os_dataset *out = L->out;
    char label[256];
    os_trim_copy(label, sizeof label, L->fields[c], strlen(L->fields[c]));
    long k = L->like ? find_class(L->like->class_names, L->like->n_classes, label)
                     : add_class(&out->class_names, &out->n_classes, label);
    if (k == -2)
        return CSV_NOMEM;
    if (k < 0)
        return os_error_set(err, OS_ERR_DATA, L->like
                            ? "%s:%zu: column %zu: class '%s' does not occur in the "
                              "training data"
                            : "%s:%zu: column %zu: more than 65536 classes ('%s')",
                            L->path, L->lineno, c + 1, label);
    out->y[out->n] = (float)k;
    return 0;
}

/* One data row (its fields split) into the dataset. */
static int add_row(loader *L, os_error *err)
{
    os_dataset *out = L->out;
    const os_csv_options *opt = L->opt;
    if (out->n == L->cap) {
        if (L->cap >= MAX_ROWS)
            return os_error_set(err, OS_ERR_DATA, "%s:%zu: more than %zu rows", L->path,
                                L->lineno, MAX_ROWS);
        if (grow(out, &L->cap, out->d))
            return CSV_NOMEM;
    }
    float *row = out->x + out->n * out->d;
    for (size_t c = 0, j = 0; c < L->n_cols; c++) {
        double v;
        if (c == L->label_col && !opt->regression) {
            /* The first data row decides: numeric class indices, or
             * names (which then map to classes in sorted order). */
            if (L->names_mode < 0)
                L->names_mode = L->like ? L->like->class_names != NULL
                                        : os_parse_double(L->fields[c], &v) != 0;
            if (L->names_mode) {
                int rc = class_by_name(L, c, err);
                if (rc)
                    return rc;
                continue;
            }
        }
        if (os_parse_double(L->fields[c], &v) || fabs(v) > 3.0e38) {
            char shown[40];
            os_trim_copy(shown, sizeof shown, L->fields[c], strlen(L->fields[c]));
            return os_error_set(err, OS_ERR_DATA, "%s:%zu: column %zu: '%s' is not a finite "
                                "number", L->path, L->lineno, c + 1, shown);
        }
        if (c != L->label_col) {
            row[j++] = (float)v;
            continue;
        }
        if (!opt->regression) {
            if (v < 0 || v > MAX_CLASS || v != floor(v))
                return os_error_set(err, OS_ERR_DATA, "%s:%zu: column %zu: class label %g "
                                    "is not an integer in 0..%d", L->path, L->lineno, c + 1,
                                    v, MAX_CLASS);
            if ((size_t)v + 1 > out->n_classes)
                out->n_classes = (size_t)v + 1;
        }
        out->y[out->n] = (float)v;
    }
    out->n++;
    return 0;
}

/* After the last row: the classes, and what a whole file must have. */
static int finish(loader *L, os_error *err)
{
    os_dataset *out = L->out;
    if (out->n == 0)
        return os_error_set(err, OS_ERR_DATA, "%s: no data rows", L->path);
    if (L->names_mode == 1 && L->like)
        out->n_classes = L->like->n_classes;
    else if (L->names_mode == 1 && sort_classes(out))
        return CSV_NOMEM;
    if (!L->opt->regression && out->n_classes < 2)
        return os_error_set(err, OS_ERR_DATA, "%s: every row has class 0; classification "
                            "needs at least two classes", L->path);
    return 0;
}

int os_csv_load(const char *path, const os_csv_options *opt, const os_dataset *like,
                os_dataset *out, os_error *err)
{
    *out = (os_dataset){ 0 };
    os_lines r;
    loader L = { .path = path, .opt = opt, .like = like, .out = out, .names_mode = -1,
                 .delim = opt->delimiter ? opt->delimiter : ',' };
    int rc = 0, more;
    if (os_lines_open(&r, path))
        return os_error_set(err, OS_ERR_DATA, "%s: cannot open: %s", path,
                            errno ? strerror(errno) : "out of memory");
    while (!rc && (more = os_lines_next(&r)) > 0) {
        if (blank(r.line))
            continue;
        L.lineno = r.lineno;
        size_t got = 0;
        if (!L.n_cols) {
            rc = first_record(&L, r.line, &got, err);
            if (rc || opt->header)
                continue;
        } else if (!(got = split(r.line, L.delim, L.fields, L.n_cols))) {
            rc = os_error_set(err, OS_ERR_DATA, "%s:%zu: a quoted field is not closed, or "
                              "text follows its closing quote", path, r.lineno);
            continue;
        }
        if (got != L.n_cols)
            rc = os_error_set(err, OS_ERR_DATA, "%s:%zu: row has %zu fields, expected %zu "
                              "(as on line %zu)", path, r.lineno, got, L.n_cols, L.header_line);
        else
            rc = add_row(&L, err);
    }
    if (!rc && more == -2) {
        rc = CSV_NOMEM;
    } else if (!rc && more < 0) {
        rc = os_lines_fail(&r, more, path, err);
    }
    if (!rc)
        rc = finish(&L, err);
    if (rc == CSV_NOMEM)
        rc = os_error_set(err, OS_ERR_NOMEM, "%s:%zu: out of memory", path, r.lineno);
    if (rc)
        os_dataset_free(out);
    free(L.fields);
    os_lines_close(&r);
    return rc;
}

void os_dataset_free(os_dataset *ds)
{
    free(ds->x);
    free(ds->y);
    free(ds->class_values);
    if (ds->class_names)
        for (size_t i = 0; i < ds->n_classes; i++)
            free(ds->class_names[i]);
    free(ds->class_names);
    *ds = (os_dataset){ 0 };
}
