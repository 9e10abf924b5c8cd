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
#include "util.h"

#define MAX_ROWS   ((size_t)1 << 31)  /* row indices are uint32 */
#define MAX_CLASS  65535

typedef struct reader {
    gzFile f;
    char  *line;
    size_t cap;
    size_t lineno;
} reader;

/* Reads one whole line of any length (without its newline) into r->line.
 * Returns 1, 0 at end of file, or -1 on a read error. */
static int read_line(reader *r)
{
    size_t len = 0;
    for (;;) {
        if (r->cap - len < 2) {
            size_t cap = r->cap ? 2 * r->cap : 4096;
            char *p = realloc(r->line, cap);
            if (!p)
                return -1;
            r->line = p;
            r->cap = cap;
        }
        if (!gzgets(r->f, r->line + len, (int)(r->cap - len))) {
            int code;
            gzerror(r->f, &code);
            if (code != Z_OK && code != Z_BUF_ERROR)
                return -1;
            if (len == 0)
                return 0;
            break;
        }
        len += strlen(r->line + len);
        if (len > 0 && r->line[len - 1] == '\n')
            break;
    }
    r->lineno++;
    while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
        r->line[--len] = '\0';
    return 1;
}

static int blank(const char *s)
{
    return s[strspn(s, " \t")] == '\0';
}

/* Splits line in place at delim; fields[] point into it.  Returns the count
 * (which may exceed max; only max are stored). */
static size_t split(char *line, char delim, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *end = strchr(p, delim);
        if (n < max)
            fields[n] = p;
        n++;
        if (!end)
            break;
        *end = '\0';
        p = end + 1;
    }
    return n;
}

static size_t count_fields(const char *line, char delim)
{
    size_t n = 1;
    for (; *line; line++)
        n += *line == delim;
    return n;
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

int os_csv_load(const char *path, const os_csv_options *opt, os_dataset *out, os_error *err)
{
    *out = (os_dataset){ 0 };
    reader r = { 0 };
    char **fields = NULL;
    size_t n_cols = 0, label_col = 0, cap = 0, header_line = 0;
    int rc = 0, more;
    const char delim = opt->delimiter ? opt->delimiter : ',';

    r.f = gzopen(path, "rb");
    if (!r.f)
        return os_error_set(err, OS_ERR_DATA, "%s: cannot open: %s", path,
                            errno ? strerror(errno) : "out of memory");
    gzbuffer(r.f, 1 << 17);

    while ((more = read_line(&r)) > 0) {
        if (blank(r.line))
            continue;
        size_t got;
        if (n_cols) {
            got = split(r.line, delim, fields, n_cols);
        } else {
            /* The first record fixes the column count and the label column. */
            n_cols = count_fields(r.line, delim);
            header_line = r.lineno;
            if (n_cols < 2) {
                rc = os_error_set(err, OS_ERR_DATA, "%s:%zu: found 1 column; a dataset needs "
                                  "at least one feature and a label (is the delimiter '%c' "
                                  "right?)", path, r.lineno, delim);
                goto fail;
            }
            fields = malloc(n_cols * sizeof *fields);
            if (!fields)
                goto nomem;
            got = split(r.line, delim, fields, n_cols);
            rc = find_label(path, opt, opt->header ? fields : NULL, n_cols, &label_col, err);
            if (rc)
                goto fail;
            out->d = n_cols - 1;
            if (opt->header)
                continue;
        }
        if (got != n_cols) {
            rc = os_error_set(err, OS_ERR_DATA, "%s:%zu: row has %zu fields, expected %zu "
                              "(as on line %zu)", path, r.lineno, got, n_cols, header_line);
            goto fail;
        }
        if (out->n == cap) {
            if (cap >= MAX_ROWS) {
                rc = os_error_set(err, OS_ERR_DATA, "%s:%zu: more than %zu rows", path,
                                  r.lineno, MAX_ROWS);
                goto fail;
            }
            if (grow(out, &cap, out->d))
                goto nomem;
        }
        float *row = out->x + out->n * out->d;
        for (size_t c = 0, j = 0; c < n_cols; c++) {
            double v;
            if (os_parse_double(fields[c], &v) || fabs(v) > 3.0e38) {
                char shown[40];
                os_trim_copy(shown, sizeof shown, fields[c], strlen(fields[c]));
                rc = os_error_set(err, OS_ERR_DATA, "%s:%zu: column %zu: '%s' is not a finite "
                                  "number", path, r.lineno, c + 1, shown);
                goto fail;
            }
            if (c != label_col) {
                row[j++] = (float)v;
                continue;
            }
            if (!opt->regression) {
                if (v < 0 || v > MAX_CLASS || v != floor(v)) {
                    rc = os_error_set(err, OS_ERR_DATA, "%s:%zu: column %zu: class label %g "
                                      "is not an integer in 0..%d", path, r.lineno, c + 1,
                                      v, MAX_CLASS);
                    goto fail;
                }
                if ((size_t)v + 1 > out->n_classes)
                    out->n_classes = (size_t)v + 1;
            }
            out->y[out->n] = (float)v;
        }
        out->n++;
    }
    if (more < 0) {
        int code;
        const char *msg = gzerror(r.f, &code);
        rc = os_error_set(err, OS_ERR_DATA, "%s:%zu: read error: %s", path, r.lineno + 1,
                          code == Z_ERRNO ? strerror(errno) : msg);
        goto fail;
    }
    if (out->n == 0) {
        rc = os_error_set(err, OS_ERR_DATA, "%s: no data rows", path);
        goto fail;
    }
    if (!opt->regression && out->n_classes < 2) {
        rc = os_error_set(err, OS_ERR_DATA, "%s: every row has class 0; classification "
                          "needs at least two classes", path);
        goto fail;
    }
    goto done;
nomem:
    rc = os_error_set(err, OS_ERR_NOMEM, "%s:%zu: out of memory", path, r.lineno);
fail:
    os_dataset_free(out);
done:
    free(fields);
    free(r.line);
    gzclose(r.f);
    return rc;
}

void os_dataset_free(os_dataset *ds)
{
    free(ds->x);
    free(ds->y);
    free(ds->class_values);
    *ds = (os_dataset){ 0 };
}
