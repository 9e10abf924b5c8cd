/* The generator, the split, standardisation, the subset, the validation
 * sample and the batcher. */
#include "tap.h"
#include "dataset.h"

/* 100 rows, 2 features: x0 = i, x1 = 5 (constant); classes alternate.  A
 * fresh one per split, since a split takes its dataset's rows. */
static os_dataset make_all(void)
{
    os_dataset all = { .n = 100, .d = 2, .x = malloc(200 * sizeof(float)),
                       .y = malloc(100 * sizeof(float)), .n_classes = 2 };
    for (int i = 0; i < 100; i++) {
        all.x[2 * i] = (float)i;
        all.x[2 * i + 1] = 5.0f;
        all.y[i] = (float)(i % 2);
    }
    return all;
}

/* The generator: streams, normal draws, shuffles. */
static void rng_checks(void)
{
    os_rng a, b;
    os_rng_seed(&a, 7, 3);
    os_rng_seed(&b, 7, 3);
    int same = 1;
    for (int i = 0; i < 100; i++)
        same &= os_rng_next(&a) == os_rng_next(&b);
    ok(same, "same seed and stream, same numbers");
    os_rng_seed(&b, 7, 4);
    ok(os_rng_next(&a) != os_rng_next(&b), "another stream, other numbers");

    double sum = 0, sq = 0;
    for (int i = 0; i < 20000; i++) {
        double z = os_rng_normal(&a);
        sum += z;
        sq += z * z;
    }
    ok(fabs(sum / 20000) < 0.03 && fabs(sq / 20000 - 1) < 0.05, "normal draws have mean 0, "
       "variance 1 (%.3f, %.3f)", sum / 20000, sq / 20000);

    uint32_t idx[50], seen[50] = { 0 };
    for (uint32_t i = 0; i < 50; i++)
        idx[i] = i;
    os_rng_shuffle(&a, idx, 50);
    int perm = 1;
    for (int i = 0; i < 50; i++)
        perm &= idx[i] < 50 && !seen[idx[i]]++;
    ok(perm, "shuffle is a permutation");
}

/* A split of 100 rows: validation share, standardisation, the subset. */
static void split_checks(os_data_split *s)
{
    os_dataset all = make_all();
    os_error err;
    ok(os_data_split_make(&all, 0.2, 1, 30, 11, s, &err) == 0, "split builds");
    ok(all.x == NULL && all.y == NULL && all.n == 100 && all.d == 2,
       "the split takes the rows; the dataset keeps its shape");
    int ordered = 1;
    for (size_t i = 1; i < s->train.n; i++)
        ordered &= s->train.x[2 * i] > s->train.x[2 * (i - 1)];
    ok(ordered && s->train.x[1] == 0.0f, "training rows keep the file's order after the "
       "in-place compaction");
    ok(s->train.n == 80 && s->val.n == 20, "20%% of 100 rows go to validation");
    double m = 0, v = 0;
    for (size_t i = 0; i < s->train.n; i++)
        m += s->train.x[2 * i];
    m /= (double)s->train.n;
    for (size_t i = 0; i < s->train.n; i++)
        v += (s->train.x[2 * i] - m) * (s->train.x[2 * i] - m);
    v /= (double)s->train.n;
    ok(fabs(m) < 1e-5 && fabs(v - 1) < 1e-4, "training features are standardised "
       "(mean %.2g, variance %.5f)", m, v);
    ok(s->train.x[1] == 0.0f && s->val.x[1] == 0.0f, "a constant feature is centred, not "
       "divided by zero");
    ok(s->n_subset == 30, "the subset has 30 rows");
    int sorted = 1;
    for (size_t i = 1; i < s->n_subset; i++)
        sorted &= s->subset[i - 1] < s->subset[i] && s->subset[i] < 80;
    ok(sorted, "subset rows are distinct training rows");
    os_dataset_free(&all);
}

/* The subset keeps each class's share. */
static void stratified_checks(void)
{
    os_data_split t;
    os_error err;
    /* The subset keeps each class's share: an 80/20 split of classes gives
     * 8 and 2 of a 10-row subset, whatever the seed. */
    int stratified = 1;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        os_dataset skew = { .n = 100, .d = 1, .x = malloc(100 * sizeof(float)),
                            .y = malloc(100 * sizeof(float)), .n_classes = 2 };
        for (int i = 0; i < 100; i++) {
            skew.x[i] = (float)i;
            skew.y[i] = i % 5 == 0 ? 1.0f : 0.0f;
        }
        ok(os_data_split_make(&skew, 0.01, 0, 10, seed, &t, &err) == 0, "skewed split %d",
           (int)seed);
        size_t ones = 0;
        for (size_t i = 0; i < t.n_subset; i++)
            ones += t.train.y[t.subset[i]] == 1.0f;
        /* 99 training rows hold 19 or 20 of class 1: 10 * 19.x / 99 rounds to 2 */
        stratified &= ones == 2 && t.n_subset == 10;
        os_data_split_free(&t);
        os_dataset_free(&skew);
    }
    ok(stratified, "subsets are stratified: 2 of 10 rows from a 20%% class, for 20 seeds");
}

/* The split and subset depend on the seed alone. */
static void seed_checks(const os_data_split *s)
{
    os_dataset all = make_all();
    os_data_split t;
    os_error err;
    ok(os_data_split_make(&all, 0.2, 1, 30, 11, &t, &err) == 0 &&
       !memcmp(s->val.x, t.val.x, 40 * sizeof(float)) &&
       !memcmp(s->subset, t.subset, 30 * sizeof(uint32_t)), "same seed, same split and subset");
    os_data_split_free(&t);
    all = make_all();
    ok(os_data_split_make(&all, 0.2, 1, 30, 12, &t, &err) == 0 &&
       memcmp(s->subset, t.subset, 30 * sizeof(uint32_t)), "another seed, another subset");
    os_data_split_free(&t);
    os_dataset_free(&all);
}

/* eval_sample's rows: validation rows, each class its share, in val's
 * order, the same for the same seed; none when it would be every row. */
static void val_sample_checks(void)
{
    os_dataset skew = { .n = 100, .d = 1, .x = malloc(100 * sizeof(float)),
                        .y = malloc(100 * sizeof(float)), .n_classes = 2 };
    for (int i = 0; i < 100; i++) {
        skew.x[i] = (float)i;
        skew.y[i] = i % 5 == 0 ? 1.0f : 0.0f;
    }
    os_data_split t;
    os_error err;
    ok(os_data_split_make(&skew, 0.5, 0, 0, 3, &t, &err) == 0, "a 50-row validation set");
    size_t val_ones = 0;
    for (size_t i = 0; i < t.val.n; i++)
        val_ones += t.val.y[i] == 1.0f;
    ok(os_data_split_val_sample(&t, 20, 3) == 0 && t.val_sample.n == 20, "a sample of 20 rows");
    size_t ones = 0, found = 0, ordered = 1;
    for (size_t i = 0, at = 0; i < t.val_sample.n; i++) {
        ones += t.val_sample.y[i] == 1.0f;
        while (at < t.val.n && t.val.x[at] != t.val_sample.x[i])
            at++; /* val's rows after the previous one's */
        found += at < t.val.n && t.val.y[at] == t.val_sample.y[i];
        ordered &= i == 0 || t.val_sample.x[i - 1] < t.val_sample.x[i];
    }
    ok(found == 20 && ordered, "  its rows are validation rows, in the validation set's order");
    ok((long)ones == lround(20.0 * (double)val_ones / 50.0),
       "  class 1 has its share of them: %zu of 20, as %zu of the 50 validation rows", ones,
       val_ones);
    float first[20];
    memcpy(first, t.val_sample.x, sizeof first);
    ok(os_data_split_val_sample(&t, 20, 3) == 0 && !memcmp(first, t.val_sample.x, sizeof first),
       "  the same seed draws the same rows");
    ok(os_data_split_val_sample(&t, 20, 4) == 0 && memcmp(first, t.val_sample.x, sizeof first),
       "  another seed draws others");
    ok(os_data_split_val_sample(&t, 50, 3) == 0 && t.val_sample.n == 0 && !t.val_sample.x,
       "  a sample of every validation row is none: they all measure");
    os_data_split_free(&t);
    os_dataset_free(&skew);
}

/* The batcher visits each pool row once per epoch. */
static void batcher_checks(const os_data_split *s)
{
    os_batcher bt;
    os_rng r;
    os_rng_seed(&r, 1, 1);
    ok(os_batcher_init(&bt, &s->train, s->subset, s->n_subset, 10, &r) == 0, "batcher builds");
    float x[20], y[10];
    int count[80] = { 0 }, each_once = 1;
    for (int k = 0; k < 3; k++) {
        os_batcher_next(&bt, x, y);
        for (int i = 0; i < 10; i++) {
            /* recover the row from its standardised first feature */
            for (size_t row = 0; row < s->train.n; row++)
                if (s->train.x[2 * row] == x[2 * i])
                    count[row]++;
        }
    }
    for (size_t i = 0; i < s->n_subset; i++)
        each_once &= count[s->subset[i]] == 1;
    ok(each_once, "one epoch of 3 batches covers all 30 subset rows exactly once");
    os_batcher_free(&bt);
}

int main(void)
{
    os_data_split s;
    rng_checks();
    split_checks(&s);
    stratified_checks();
    seed_checks(&s);
    val_sample_checks();
    batcher_checks(&s);
    os_data_split_free(&s);
    return done_testing();
}
