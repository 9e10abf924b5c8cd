/*
 * split.c — seeded train/validation split, standardisation from training
 * statistics only, the trial subset, and the per-trial batcher.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dataset.h"

static int alloc_like(os_dataset *ds, size_t n, size_t d, size_t n_classes)
{
    *ds = (os_dataset){ .n = n, .d = d, .n_classes = n_classes };
    ds->x = malloc(n * d * sizeof *ds->x);
    ds->y = malloc(n * sizeof *ds->y);
    return ds->x && ds->y ? 0 : -1;
}

static void copy_rows(os_dataset *dst, const os_dataset *src, const uint32_t *rows)
{
    for (size_t i = 0; i < dst->n; i++) {
        memcpy(dst->x + i * dst->d, src->x + (size_t)rows[i] * src->d, src->d * sizeof(float));
        dst->y[i] = src->y[rows[i]];
    }
}

/* Centres and scales every feature of both parts by the training part's mean
 * and standard deviation, kept in mean and scale; a constant feature is only
 * centred. */
/* Per-feature mean and 1/sd over the training rows (two passes, in double),
 * applied to training and validation rows.  The loops run along rows, not
 * down columns: a column walk strides the whole matrix once per feature.
 * Each column's sums still add its rows in file order.  -1: no memory. */
static int standardize(os_dataset *train, os_dataset *val, double *mean_out, float *scale_out)
{
    const size_t d = train->d;
    double *sq = calloc(d, sizeof *sq);
    if (!sq)
        return -1;
    for (size_t j = 0; j < d; j++)
        mean_out[j] = 0.0;
    for (size_t i = 0; i < train->n; i++)
        for (size_t j = 0; j < d; j++)
            mean_out[j] += train->x[i * d + j];
    for (size_t j = 0; j < d; j++)
        mean_out[j] /= (double)train->n;
    for (size_t i = 0; i < train->n; i++)
        for (size_t j = 0; j < d; j++) {
            double c = train->x[i * d + j] - mean_out[j];
            sq[j] += c * c;
        }
    for (size_t j = 0; j < d; j++) {
        double sd = sqrt(sq[j] / (double)train->n);
        scale_out[j] = sd > 1e-12 ? (float)(1.0 / sd) : 1.0f;
    }
    free(sq);
    const os_dataset *sets[2] = { train, val };
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < sets[k]->n; i++)
            for (size_t j = 0; j < d; j++)
                sets[k]->x[i * d + j] =
                    (float)(sets[k]->x[i * d + j] - mean_out[j]) * scale_out[j];
    return 0;
}

void os_data_standardize_like(const os_data_split *s, os_dataset *ds)
{
    if (!s->mean)
        return;
    for (size_t i = 0; i < ds->n; i++)
        for (size_t j = 0; j < ds->d; j++)
            ds->x[i * ds->d + j] = (float)(ds->x[i * ds->d + j] - s->mean[j]) * s->scale[j];
}

/* Picks `want` rows of train into out (in shuffled order), each class
 * contributing its share of the rows (largest remainders round), each
 * class's rows chosen by a shuffle seeded on stream.  For regression
 * (n_classes 0), a plain seeded sample. */
static int stratified_subset(const os_dataset *train, size_t want, uint64_t seed, int stream,
                             uint32_t *out)
{
    const size_t n = train->n, k = train->n_classes ? train->n_classes : 1;
    uint32_t *order = malloc(n * sizeof *order);
    size_t *count = calloc(k, sizeof *count), *take = calloc(k, sizeof *take);
    double *rem = calloc(k, sizeof *rem);
    if (!order || !count || !take || !rem) {
        free(order), free(count), free(take), free(rem);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    os_rng rng;
    os_rng_seed(&rng, seed, stream);
    os_rng_shuffle(&rng, order, n);
    for (size_t i = 0; i < n; i++)
        count[train->n_classes ? (size_t)train->y[i] : 0]++;
    size_t given = 0;
    for (size_t c = 0; c < k; c++) {
        double exact = (double)want * (double)count[c] / (double)n;
        take[c] = (size_t)exact;
        rem[c] = exact - (double)take[c];
        given += take[c];
    }
    while (given < want) { /* the largest remainder first; ties to the lower class */
        size_t best = 0;
        for (size_t c = 1; c < k; c++)
            if (rem[c] > rem[best])
                best = c;
        take[best]++;
        rem[best] = -1.0;
        given++;
    }
    /* Walk the shuffled rows, keeping each while its class still has room. */
    size_t m = 0;
    for (size_t i = 0; i < n && m < want; i++) {
        size_t c = train->n_classes ? (size_t)train->y[order[i]] : 0;
        if (take[c]) {
            take[c]--;
            out[m++] = order[i];
        }
    }
    free(order), free(count), free(take), free(rem);
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Moves the rows rows[0..n) (ascending) of ds to its front, in order, and
 * shrinks its buffers to them: a compaction in place, since no row moves
 * backwards. */
static void keep_rows(os_dataset *ds, const uint32_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i] != i) {
            memcpy(ds->x + i * ds->d, ds->x + (size_t)rows[i] * ds->d, ds->d * sizeof(float));
            ds->y[i] = ds->y[rows[i]];
        }
    float *x = realloc(ds->x, n * ds->d * sizeof *x), *y = realloc(ds->y, n * sizeof *y);
    if (x) /* a failed shrink leaves the larger block, which is still valid */
        ds->x = x;
    if (y)
        ds->y = y;
    ds->n = n;
}

int os_data_split_subset(os_data_split *s, size_t subset, uint64_t seed)
{
    const size_t n_train = s->train.n;
    s->n_subset = subset && subset < n_train ? subset : n_train;
    for (size_t i = 0; i < n_train; i++)
        s->subset[i] = (uint32_t)i;
    if (s->n_subset < n_train) {
        if (stratified_subset(&s->train, s->n_subset, seed, OS_STREAM_SUBSET, s->subset))
            return -1;
        qsort(s->subset, s->n_subset, sizeof *s->subset, cmp_u32);
    }
    return 0;
}

int os_data_split_make(os_dataset *all, double val_fraction, int standardize_x,
                       size_t subset, uint64_t seed, os_data_split *out, os_error *err)
{
    *out = (os_data_split){ 0 };
    if (all->n < 2)
        return os_error_set(err, OS_ERR_DATA, "the dataset has %zu row; a train/validation "
                            "split needs at least 2", all->n);
    size_t n_val = (size_t)llround(val_fraction * (double)all->n);
    if (n_val < 1)
        n_val = 1;
    if (n_val > all->n - 1)
        n_val = all->n - 1;
    size_t n_train = all->n - n_val;

    uint32_t *perm = malloc(all->n * sizeof *perm);
    if (!perm)
        goto nomem;
    for (size_t i = 0; i < all->n; i++)
        perm[i] = (uint32_t)i;
    os_rng rng;
    os_rng_seed(&rng, seed, OS_STREAM_SPLIT);
    os_rng_shuffle(&rng, perm, all->n);
    /* Sorting each part keeps the file's row order, which makes the split
     * independent of the shuffle's internal order beyond membership. */
    qsort(perm, n_val, sizeof *perm, cmp_u32);
    qsort(perm + n_val, n_train, sizeof *perm, cmp_u32);

    /* Validation rows are copied out; training rows stay in all's buffers,
     * compacted, which then become the training set: the dataset is never
     * held twice. */
    if (alloc_like(&out->val, n_val, all->d, all->n_classes))
        goto nomem;
    copy_rows(&out->val, all, perm);
    out->train = (os_dataset){ .d = all->d, .n_classes = all->n_classes, .x = all->x,
                               .y = all->y, .n = all->n };
    keep_rows(&out->train, perm + n_val, n_train);
    all->x = NULL;
    all->y = NULL;
    if (standardize_x) {
        out->mean = malloc(all->d * sizeof *out->mean);
        out->scale = malloc(all->d * sizeof *out->scale);
        if (!out->mean || !out->scale)
            goto nomem;
        if (standardize(&out->train, &out->val, out->mean, out->scale))
            goto nomem;
    }

    out->subset = malloc(n_train * sizeof *out->subset);
    if (!out->subset || os_data_split_subset(out, subset, seed))
        goto nomem;
    free(perm);
    return 0;
nomem:
    free(perm);
    os_data_split_free(out);
    return os_error_set(err, OS_ERR_NOMEM, "out of memory splitting %zu rows", all->n);
}

int os_data_split_val_sample(os_data_split *s, size_t n, uint64_t seed)
{
    os_dataset_free(&s->val_sample);
    s->val_sample = (os_dataset){ 0 };
    if (!n || n >= s->val.n)
        return 0;
    uint32_t *rows = malloc(n * sizeof *rows);
    if (!rows || stratified_subset(&s->val, n, seed, OS_STREAM_VAL_SAMPLE, rows) ||
        alloc_like(&s->val_sample, n, s->val.d, s->val.n_classes)) {
        free(rows);
        os_dataset_free(&s->val_sample);
        s->val_sample = (os_dataset){ 0 };
        return -1;
    }
    qsort(rows, n, sizeof *rows, cmp_u32);
    copy_rows(&s->val_sample, &s->val, rows);
    free(rows);
    return 0;
}

void os_data_split_free(os_data_split *s)
{
    os_dataset_free(&s->train);
    os_dataset_free(&s->val);
    os_dataset_free(&s->val_sample);
    free(s->subset);
    free(s->mean);
    free(s->scale);
    *s = (os_data_split){ 0 };
}

int os_batcher_init(os_batcher *b, const os_dataset *ds, const uint32_t *pool,
                    size_t n_pool, size_t batch, const os_rng *rng)
{
    *b = (os_batcher){ .ds = ds, .pool = pool, .n_pool = n_pool, .batch = batch,
                       .pos = n_pool, .rng = *rng };
    b->order = malloc(n_pool * sizeof *b->order);
    if (!b->order)
        return -1;
    memcpy(b->order, pool, n_pool * sizeof *pool);
    return 0;
}

void os_batcher_next(os_batcher *b, float *x, float *y)
{
    if (b->pos + b->batch > b->n_pool) {
        os_rng_shuffle(&b->rng, b->order, b->n_pool);
        b->pos = 0;
    }
    const size_t d = b->ds->d;
    for (size_t i = 0; i < b->batch; i++) {
        uint32_t row = b->order[b->pos + i];
        memcpy(x + i * d, b->ds->x + (size_t)row * d, d * sizeof *x);
        y[i] = b->ds->y[row];
    }
    b->pos += b->batch;
}

void os_batcher_free(os_batcher *b)
{
    free(b->order);
    *b = (os_batcher){ 0 };
}
