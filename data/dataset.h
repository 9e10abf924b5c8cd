/*
 * dataset.h — an in-memory dataset and what trials read from it.
 *
 * A dataset is loaded once, split and standardised once, and then shared
 * read-only by every trial; a trial owns only its batch order.
 */
#ifndef OS_DATASET_H
#define OS_DATASET_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "rng.h"

typedef struct os_dataset {
    size_t n, d;        /* rows, features                                     */
    float *x;           /* n × d, row-major; owned                            */
    float *y;           /* n targets: class index (exact in float) or value   */
    size_t n_classes;   /* max class + 1; 0 for regression                    */
    size_t height, width, channels; /* image geometry of IDX images; else 0   */
    double *class_values; /* libsvm: the file's label for each class, or NULL */
    char  **class_names;  /* csv with named classes: the name of each class,
                             sorted; or NULL                                  */
} os_dataset;

void os_dataset_free(os_dataset *ds);

typedef struct os_csv_options {
    int         header;      /* the first non-blank line names the columns     */
    const char *label;       /* label column: 0-based index, negative counts
                                from the end (-1 is the last), or header name */
    char        delimiter;   /* ',' by default                                 */
    int         regression;  /* label is a real value rather than a class      */
} os_csv_options;

/* Reads a CSV file, plain or gzip-compressed.  Fields may be double-quoted
 * ("" is a quote inside one).  Class labels are integers 0..65535, or names
 * that map to classes in sorted order; with like (the training set) non-NULL
 * its names are used and a new one is an error.  Every malformed record is
 * an error naming path and line. */
int os_csv_load(const char *path, const os_csv_options *opt, const os_dataset *like,
                os_dataset *out, os_error *err);

typedef struct os_idx_options {
    int pixel_scale;    /* divide every image value by 255                    */
    int regression;     /* labels are values rather than classes              */
} os_idx_options;

/* Reads an IDX images file (2 to 4 dimensions: items first) and an IDX
 * labels file (one value per item), plain or gzip-compressed.  Every
 * malformed header or record is an error naming the file and the record. */
int os_idx_load(const char *images, const char *labels, const os_idx_options *opt,
                os_dataset *out, os_error *err);

/* Reads a LIBSVM / SVMlight file, plain or gzip-compressed, into a dense
 * dataset with features columns (0: the largest index in the file).  Class
 * labels are mapped to 0..K-1 in increasing order; with like (a training
 * set) non-NULL, its width and its mapping are used instead.  Every malformed
 * record is an error naming file, line and feature. */
int os_libsvm_load(const char *path, size_t features, int regression, const os_dataset *like,
                   os_dataset *out, os_error *err);

/* Stream keys for os_rng_seed, so that no two uses of the study seed collide. */
enum { OS_STREAM_SPLIT = 1, OS_STREAM_SUBSET = 2, OS_STREAM_DATA = 3, OS_STREAM_VAL_SAMPLE = 4,
       OS_STREAM_TRIAL = 1000 };

typedef struct os_synthetic_spec {
    const char *generator;  /* spirals, moons, blobs or linear                */
    size_t      samples;
    size_t      classes;    /* spirals and blobs                              */
    size_t      features;   /* blobs and linear                               */
    double      noise;      /* standard deviation of the added noise          */
} os_synthetic_spec;

/* Generates a seeded synthetic dataset (see data/synthetic.c). */
int os_synthetic_make(const os_synthetic_spec *spec, uint64_t seed, os_dataset *out,
                      os_error *err);

/* The data every trial shares. */
typedef struct os_data_split {
    os_dataset train, val;  /* disjoint rows of the loaded dataset          */
    uint32_t  *subset;      /* rows of train that trials draw batches from  */
    size_t     n_subset;
    double    *mean;        /* per feature, from the training rows; NULL
                               when not standardised                        */
    float     *scale;
    os_dataset val_sample;  /* a seeded, stratified sample of val's rows (a
                               copy, in val's order) for the measurements
                               before a trial's full budget; n = 0: none
                               (os_data_split_val_sample)                  */
} os_data_split;

/* Applies a split's standardisation to another dataset (the test set). */
void os_data_standardize_like(const os_data_split *s, os_dataset *ds);

/* Seeded split: round(val_fraction * n) rows to validation (at least one
 * row each side).  Consumes all's rows: its x and y become the training set
 * and are NULL afterwards (n, d and the class fields stay).  With standardize, every feature is centred and scaled
 * by statistics of the training rows only.  subset = 0 means all training
 * rows. */
int os_data_split_make(os_dataset *all, double val_fraction, int standardize,
                       size_t subset, uint64_t seed, os_data_split *out, os_error *err);
/* Draws the trials' subset again at another size (the same seeded,
 * stratified draw as os_data_split_make; subset 0 or >= the training rows:
 * all of them).  0, or -1 out of memory (the subset is then every row). */
int os_data_split_subset(os_data_split *s, size_t subset, uint64_t seed);
/* Draws val_sample: n of the validation rows, each class its share (the
 * stratified draw of the subset, on a stream of its own), kept in val's
 * order.  n = 0 or n >= val.n: no sample.  0, or -1 out of memory. */
int os_data_split_val_sample(os_data_split *s, size_t n, uint64_t seed);
void os_data_split_free(os_data_split *s);

/* A trial's view: batches drawn from a pool of rows in a seeded order that is
 * reshuffled every epoch; the last incomplete batch of an epoch is dropped. */
typedef struct os_batcher {
    const os_dataset *ds;
    const uint32_t   *pool;
    size_t            n_pool, batch, pos;
    uint32_t         *order;
    os_rng            rng;
} os_batcher;

/* batch must be between 1 and n_pool.  Returns 0 or -1 (no memory). */
int os_batcher_init(os_batcher *b, const os_dataset *ds, const uint32_t *pool,
                    size_t n_pool, size_t batch, const os_rng *rng);
/* Gathers the next batch into x [batch × d] and y [batch]. */
void os_batcher_next(os_batcher *b, float *x, float *y);
void os_batcher_free(os_batcher *b);

#endif
