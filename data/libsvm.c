/*
 * libsvm.c — the LIBSVM / SVMlight loader: one record per line,
 *
 *     LABEL INDEX:VALUE INDEX:VALUE ...      # an optional comment
 *
 * with 1-based, strictly increasing indices; absent features are zero.  The
 * file is read twice (zlib reads plain and gzip files alike): once to find
 * the number of rows and the largest index, once to fill a dense matrix —
 * at the sizes optselect trains on, dense is both simpler and faster.
 *
 * Class labels are whatever numbers the file uses (-1/+1, 1..K, 0..K-1);
 * they are mapped to 0..K-1 in increasing order, and the report speaks of
 * those indices.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "dataset.h"
#include "lines.h"
#include "util.h"

#define MAX_FEATURES 10000000
#define MAX_CLASSES 65536

/* The current line without its comment. */
static void strip_comment(os_lines *r)
{
    char *hash = strchr(r->line, '#');
    if (hash)
        *hash = '\0';
}

/* Parses one record.  With x NULL only checks it and reports the largest
 * index; otherwise writes the features into x[0..d) (zeroed first). */
static int parse_record(const char *path, os_lines *r, double *label, float *x, size_t d,
                        size_t *max_index, int *blank, os_error *err)
{
    char *s = r->line, *end;
    while (*s == ' ' || *s == '\t')
        s++;
    *blank = *s == '\0' || *s == '\n' || *s == '\r';
    if (*blank)
        return 0;
    errno = 0;
    *label = strtod(s, &end);
    if (end == s || !isfinite(*label) || (*end && !strchr(" \t\r\n", *end)))
        return os_error_set(err, OS_ERR_DATA, "%s:%zu: the label is not a number", path,
                            r->lineno);
    if (x)
        memset(x, 0, d * sizeof *x);
    unsigned long long last = 0;
    size_t col = 1;
    for (s = end;; col++) {
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        if (!*s)
            break;
        if (*s < '0' || *s > '9')
            return os_error_set(err, OS_ERR_DATA, "%s:%zu: feature %zu: expected INDEX:VALUE "
                                "with a positive integer index", path, r->lineno, col);
        unsigned long long idx = strtoull(s, &end, 10);
        if (*end != ':')
            return os_error_set(err, OS_ERR_DATA, "%s:%zu: feature %zu: expected INDEX:VALUE",
                                path, r->lineno, col);
        if (idx == 0 || idx > MAX_FEATURES)
            return os_error_set(err, OS_ERR_DATA, "%s:%zu: feature %zu: index %llu is outside "
                                "1..%d", path, r->lineno, col, idx, MAX_FEATURES);
        if (idx <= last)
            return os_error_set(err, OS_ERR_DATA, "%s:%zu: feature %zu: index %llu does not "
                                "increase (after %llu)", path, r->lineno, col, idx, last);
        last = idx;
        s = end + 1;
        double v = strtod(s, &end);
        if (end == s || !isfinite(v) || fabs(v) > 3.0e38 || (*end && !strchr(" \t\r\n", *end)))
            return os_error_set(err, OS_ERR_DATA, "%s:%zu: feature %zu (index %llu): the value "
                                "is not a finite number", path, r->lineno, col, idx);
        s = end;
        if (x)
            x[idx - 1] = (float)v;
    }
    if (last > *max_index)
        *max_index = (size_t)last;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define SVM_NOMEM 1 /* a helper's "out of memory", reported with the line */

/* Pass 1: counts the records, checks them, and collects their labels. */
static int count_records(const char *path, os_lines *r, size_t features, const os_dataset *like,
                         double **labels, size_t *n, size_t *max_index, os_error *err)
{
    size_t cap = 0;
    int more, blank, rc;
    while ((more = os_lines_next(r)) > 0) {
        double label;
        strip_comment(r);
        if ((rc = parse_record(path, r, &label, NULL, 0, max_index, &blank, err)))
            return rc;
        if (blank)
            continue;
        if (features && *max_index > features) /* named at its record */
            return os_error_set(err, OS_ERR_DATA, "%s:%zu: index %zu exceeds features = %zu%s",
                                path, r->lineno, *max_index, features,
                                like ? " (the training set's)" : "");
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            double *grown = realloc(*labels, cap * sizeof **labels);
            if (!grown)
                return SVM_NOMEM;
            *labels = grown;
        }
        (*labels)[(*n)++] = label;
    }
    if (more == -2)
        return SVM_NOMEM;
    if (more < 0)
        return os_lines_fail(r, more, path, err);
    if (*n == 0)
        return os_error_set(err, OS_ERR_DATA, "%s: no records", path);
    return 0;
}

/* The classes, ascending: the training file's (a test file speaks its
 * classes), or the distinct labels of this one. */
static int find_classes(const char *path, const os_dataset *like, const double *labels,
                        size_t n, double **classes, size_t *n_classes, os_error *err)
{
    if (like) {
        if (!(*classes = malloc(like->n_classes * sizeof **classes)))
            return SVM_NOMEM;
        memcpy(*classes, like->class_values, like->n_classes * sizeof **classes);
        *n_classes = like->n_classes;
        return 0;
    }
    double *c = *classes = malloc(n * sizeof *c);
    if (!c)
        return SVM_NOMEM;
    memcpy(c, labels, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || c[i] != c[k - 1])
            c[k++] = c[i];
    *n_classes = k;
    if (k < 2 || k > MAX_CLASSES)
        return os_error_set(err, OS_ERR_DATA, "%s: %zu distinct labels; classification needs "
                            "2 to %d (or set task = regression)", path, k, MAX_CLASSES);
    return 0;
}

/* Pass 2: the features and targets into out (sized by pass 1). */
static int fill_records(const char *path, os_lines *r, int regression, const double *classes,
                        size_t n_classes, os_dataset *out, os_error *err)
{
    if (os_lines_rewind(r))
        return os_error_set(err, OS_ERR_DATA, "%s: cannot read it a second time", path);
    int more, blank, rc;
    for (size_t i = 0; (more = os_lines_next(r)) > 0;) {
        double label;
        strip_comment(r);
        size_t unused = 0;
        if ((rc = parse_record(path, r, &label, out->x + i * out->d, out->d, &unused, &blank,
                               err)))
            return rc;
        if (blank)
            continue;
        if (regression) {
            out->y[i] = (float)label;
        } else {
            const double *at = bsearch(&label, classes, n_classes, sizeof *classes,
                                       cmp_double);
            if (!at)
                return os_error_set(err, OS_ERR_DATA, "%s:%zu: label %g does not occur in "
                                    "the training data", path, r->lineno, label);
            out->y[i] = (float)(at - classes);
        }
        i++;
    }
    return 0;
}

int os_libsvm_load(const char *path, size_t features, int regression, const os_dataset *like,
                   os_dataset *out, os_error *err)
{
    if (like)
        features = like->d;
    memset(out, 0, sizeof *out);
    os_lines r;
    double *labels = NULL, *classes = NULL;
    size_t n = 0, max_index = 0, n_classes = 0;
    if (os_lines_open(&r, path))
        return os_error_set(err, OS_ERR_DATA, "%s: cannot open: %s", path,
                            errno ? strerror(errno) : "out of memory");
    int rc = count_records(path, &r, features, like, &labels, &n, &max_index, err);
    if (!rc) {
        out->n = n;
        out->d = features ? features : max_index;
        if (out->d == 0)
            rc = os_error_set(err, OS_ERR_DATA, "%s: no record has a feature", path);
    }
    if (!rc && !regression)
        rc = find_classes(path, like, labels, n, &classes, &n_classes, err);
    if (!rc && !regression) {
        out->n_classes = n_classes;
        if (!(out->class_values = malloc(n_classes * sizeof *out->class_values)))
            rc = SVM_NOMEM;
        else
            memcpy(out->class_values, classes, n_classes * sizeof *classes);
    }
    if (!rc) {
        out->x = malloc(out->n * out->d * sizeof *out->x);
        out->y = malloc(out->n * sizeof *out->y);
        rc = out->x && out->y ? fill_records(path, &r, regression, classes, n_classes, out, err)
                              : SVM_NOMEM;
    }
    if (rc == SVM_NOMEM)
        rc = os_error_set(err, OS_ERR_NOMEM, "%s:%zu: out of memory", path, r.lineno);
    if (rc)
        os_dataset_free(out);
    free(labels);
    free(classes);
    os_lines_close(&r);
    return rc;
}
