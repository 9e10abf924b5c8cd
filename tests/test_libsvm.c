/* The LIBSVM loader: good files, class mapping, a test file read like its
 * training file, and every malformed record with its exact message. */
#include "tap.h"
#include "dataset.h"

static void expect(const char *name, const char *text, const char *rest)
{
    os_dataset ds;
    os_error err = { 0 };
    const char *p = tap_write(name, text);
    char want[1024];
    snprintf(want, sizeof want, "%s%s", p, rest);
    int rc = os_libsvm_load(p, 0, 0, NULL, &ds, &err);
    ok(rc == OS_ERR_DATA, "%s: refused", name);
    is_str(err.msg, want, name);
}

int main(void)
{
    if (tap_mkdir())
        return 1;
    os_dataset ds, test;
    os_error err = { 0 };
    const char *p = tap_write("good.svm", "# a comment line\n+1 1:0.5 3:-2\n\n-1 2:1.5 # tail\n"
                                          "+1 3:4e-1\n");
    int rc = os_libsvm_load(p, 0, 0, NULL, &ds, &err);
    ok(rc == 0, "a LIBSVM file with comments and blank lines loads (%s)", rc ? err.msg : "ok");
    ok(ds.n == 3 && ds.d == 3 && ds.n_classes == 2, "3 records, 3 features (largest index), "
       "2 classes");
    ok(ds.x[0] == 0.5f && ds.x[1] == 0.0f && ds.x[2] == -2.0f && ds.x[4] == 1.5f &&
       ds.x[8] == 0.4f, "sparse features land densely, absent ones are zero");
    ok(ds.y[0] == 1.0f && ds.y[1] == 0.0f && ds.y[2] == 1.0f, "labels -1/+1 map to classes 0/1");

    const char *t = tap_write("test.svm", "-1 1:1\n+1 2:2");
    /* (its last line without a '\n', once read on past its end) */
    rc = os_libsvm_load(t, 0, 0, &ds, &test, &err);
    ok(rc == 0 && test.d == 3 && test.y[0] == 0.0f && test.y[1] == 1.0f,
       "a test file takes the training width and class mapping");
    os_dataset_free(&test);
    t = tap_write("test_bad.svm", "-1 1:1\n+2 2:2\n");
    rc = os_libsvm_load(t, 0, 0, &ds, &test, &err);
    char want[1024];
    snprintf(want, sizeof want, "%s:2: label 2 does not occur in the training data", t);
    is_str(rc ? err.msg : "", want, "a test label unknown to training is refused");
    t = tap_write("test_wide.svm", "-1 1:1\n-1 4:1\n");
    rc = os_libsvm_load(t, 0, 0, &ds, &test, &err);
    snprintf(want, sizeof want, "%s:2: index 4 exceeds features = 3 (the training set's)", t);
    is_str(rc ? err.msg : "", want,
           "a test feature beyond the training width is refused at its record");
    t = tap_write("narrow.svm", "-1 1:1\n+1 2:1 3:1\n");
    rc = os_libsvm_load(t, 2, 0, NULL, &test, &err);
    snprintf(want, sizeof want, "%s:2: index 3 exceeds features = 2", t);
    is_str(rc ? err.msg : "", want, "an index past [data] features is refused at its record");
    if (!rc)
        os_dataset_free(&test);
    os_dataset_free(&ds);

    p = tap_write("reg.svm", "2.5 1:1\n-0.25 2:1\n");
    rc = os_libsvm_load(p, 5, 1, NULL, &ds, &err);
    ok(rc == 0 && ds.d == 5 && ds.y[1] == -0.25f && ds.n_classes == 0,
       "regression labels, and features = 5 widens the matrix");
    os_dataset_free(&ds);

    expect("no_colon.svm", "1 1:2 3\n", ":1: feature 2: expected INDEX:VALUE");
    expect("zero_index.svm", "1 0:2\n", ":1: feature 1: index 0 is outside 1..10000000");
    expect("descending.svm", "1 1:1\n0 3:1 2:1\n",
           ":2: feature 2: index 2 does not increase (after 3)");
    expect("duplicate.svm", "1 2:1 2:5\n", ":1: feature 2: index 2 does not increase (after 2)");
    expect("bad_value.svm", "1 1:abc\n", ":1: feature 1 (index 1): the value is not a finite "
           "number");
    expect("nan_value.svm", "1 1:nan\n", ":1: feature 1 (index 1): the value is not a finite "
           "number");
    expect("bad_label.svm", "one 1:1\n", ":1: the label is not a number");
    expect("negative_index.svm", "1 -3:1\n",
           ":1: feature 1: expected INDEX:VALUE with a positive integer index");
    expect("one_class.svm", "1 1:1\n1 2:1\n", ": 1 distinct labels; classification needs 2 to "
           "65536 (or set task = regression)");
    expect("empty.svm", "# only a comment\n\n", ": no records");
    tap_cleanup();
    return done_testing();
}
