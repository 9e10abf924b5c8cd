/* The CSV loader: good files (plain and gzip) and every malformed kind,
 * asserting the exact one-line messages. */
#include <zlib.h>
#include "tap.h"
#include "dataset.h"

static int load(const char *path, int header, const char *label, os_dataset *ds, os_error *err)
{
    os_csv_options opt = { header, label, ',', 0 };
    return os_csv_load(path, &opt, NULL, ds, err);
}

/* Expects an OS_ERR_DATA (or CONFIG) failure whose message is path + rest. */
static void expect_error(const char *name, const char *text, int header, const char *label,
                         int code, const char *rest)
{
    os_dataset ds;
    os_error err = { 0 };
    const char *path = tap_write(name, text);
    char want[1024];
    snprintf(want, sizeof want, "%s%s", path, rest);
    int rc = load(path, header, label, &ds, &err);
    ok(rc == code, "%s: fails with code %d (got %d)", name, code, rc);
    is_str(err.msg, want, name);
}

/* Files that load: headers, blank lines, CRLF, label columns, gzip. */
static void plain_files(void)
{
    os_dataset ds;
    os_error err = { 0 };

    const char *p = tap_write("good.csv", "x1,x2,y\n1,2,0\n\n3.5, -4 ,1\r\n5,6e-1,2\n");
    int rc = load(p, 1, "y", &ds, &err);
    ok(rc == 0, "a CSV with header, blank line and CRLF loads (%s)", rc ? err.msg : "");
    ok(ds.n == 3 && ds.d == 2 && ds.n_classes == 3, "3 rows, 2 features, 3 classes");
    ok(ds.x[2] == 3.5f && ds.x[3] == -4.0f && ds.x[5] == 0.6f && ds.y[2] == 2.0f,
       "values land in row-major order, label removed");
    os_dataset_free(&ds);

    os_csv_options first = { 1, "0", ',', 1 };
    rc = os_csv_load(p, &first, NULL, &ds, &err);
    ok(rc == 0 && ds.y[1] == 3.5f && ds.x[0] == 2.0f && ds.x[1] == 0.0f,
       "label by index takes another column");
    os_dataset_free(&ds);

    p = tap_write("noheader.csv", "1,2,1\n3,4,0\n");
    rc = load(p, 0, "-1", &ds, &err);
    ok(rc == 0 && ds.n == 2 && ds.y[0] == 1.0f && ds.x[3] == 4.0f,
       "no header, label is the last column");
    os_dataset_free(&ds);

    /* the last line without its '\n' (once read on past its end) */
    p = tap_write("no_last_newline.csv", "1,2,1\n3,4,0");
    rc = load(p, 0, "-1", &ds, &err);
    ok(rc == 0 && ds.n == 2 && ds.y[1] == 0.0f && ds.x[3] == 4.0f,
       "a last line without a newline loads (%s)", rc ? err.msg : "ok");
    os_dataset_free(&ds);

    char gz[600];
    snprintf(gz, sizeof gz, "%s/data.csv.gz", tap_dir);
    gzFile g = gzopen(gz, "wb");
    gzputs(g, "0.5,1\n0.25,0\n0.125,1\n");
    gzclose(g);
    rc = load(gz, 0, "-1", &ds, &err);
    ok(rc == 0 && ds.n == 3 && ds.x[2] == 0.125f, "a gzip-compressed file loads");
    os_dataset_free(&ds);
}

/* Quoted fields and class names. */
static void quoted_files(void)
{
    os_dataset ds;
    os_error err = { 0 };
    int rc;
    const char *p;
    p = tap_write("quoted.csv", "\"width, cm\",\"say \"\"hi\"\"\",species\n"
                                "1.5,2,\"setosa\"\n \"2.5\" , 3 ,versicolor\n4,5,setosa\n");
    os_csv_options named = { 1, "species", ',', 0 };
    rc = os_csv_load(p, &named, NULL, &ds, &err);
    ok(rc == 0, "quoted fields with commas and escaped quotes load (%s)", rc ? err.msg : "ok");
    ok(ds.n == 3 && ds.d == 2 && ds.x[2] == 2.5f && ds.x[3] == 3.0f,
       "a quoted number is a number; blanks around quotes are ignored");
    ok(ds.n_classes == 2 && !strcmp(ds.class_names[0], "setosa") &&
       !strcmp(ds.class_names[1], "versicolor") && ds.y[0] == 0.0f && ds.y[1] == 1.0f &&
       ds.y[2] == 0.0f, "class names map to classes in sorted order");
    const char *q = tap_write("quoted_test.csv", "a,b,species\n1,2,versicolor\n3,4,virginica\n");
    os_dataset test;
    rc = os_csv_load(q, &named, &ds, &test, &err);
    char want[1024];
    snprintf(want, sizeof want, "%s:3: column 3: class 'virginica' does not occur in the "
             "training data", q);
    is_str(rc ? err.msg : "", want, "a test file's new class name is refused");
    q = tap_write("quoted_test2.csv", "a,b,species\n1,2,versicolor\n");
    rc = os_csv_load(q, &named, &ds, &test, &err);
    ok(rc == 0 && test.y[0] == 1.0f && test.n_classes == 2,
       "a test file maps names as its training file does");
    os_dataset_free(&test);
    os_dataset_free(&ds);
}

/* Malformed files: one line naming the file, the line and what is wrong. */
static void bad_files(void)
{
    expect_error("unterminated.csv", "1,\"2,0\n", 0, "-1", OS_ERR_DATA,
                 ":1: a quoted field is not closed, or text follows its closing quote");
    expect_error("after_quote.csv", "1,2,0\n3,\"4\"x,1\n", 0, "-1", OS_ERR_DATA,
                 ":2: a quoted field is not closed, or text follows its closing quote");

    expect_error("ragged.csv", "1,2,0\n3,4,1\n5,6\n", 0, "-1", OS_ERR_DATA,
                 ":3: row has 2 fields, expected 3 (as on line 1)");
    expect_error("ragged_long.csv", "a,b,c\n1,2,0\n3,4,1,9\n", 1, "c", OS_ERR_DATA,
                 ":3: row has 4 fields, expected 3 (as on line 1)");
    expect_error("nan.csv", "1,2,0\n3,abc,1\n", 0, "-1", OS_ERR_DATA,
                 ":2: column 2: 'abc' is not a finite number");
    expect_error("inf.csv", "1,2,0\n3,inf,1\n", 0, "-1", OS_ERR_DATA,
                 ":2: column 2: 'inf' is not a finite number");
    expect_error("empty_field.csv", "1,,0\n", 0, "-1", OS_ERR_DATA,
                 ":1: column 2: '' is not a finite number");
    expect_error("class.csv", "1,2,0\n3,4,1.5\n", 0, "-1", OS_ERR_DATA,
                 ":2: column 3: class label 1.5 is not an integer in 0..65535");
    expect_error("negative.csv", "1,2,-1\n", 0, "-1", OS_ERR_DATA,
                 ":1: column 3: class label -1 is not an integer in 0..65535");
    expect_error("onecol.csv", "1\n2\n", 0, "-1", OS_ERR_DATA,
                 ":1: found 1 column; a dataset needs at least one feature and a label "
                 "(is the delimiter ',' right?)");
    expect_error("empty.csv", "\n\n", 0, "-1", OS_ERR_DATA, ": no data rows");
    expect_error("header_only.csv", "a,b\n", 1, "b", OS_ERR_DATA, ": no data rows");
    expect_error("one_class.csv", "1,0\n2,0\n", 0, "-1", OS_ERR_DATA,
                 ": every row has class 0; classification needs at least two classes");
    expect_error("no_such_col.csv", "a,b\n1,0\n", 1, "label", OS_ERR_CONFIG,
                 ": line 1: no column named 'label' in the header");
    expect_error("col_range.csv", "1,0\n", 0, "5", OS_ERR_CONFIG,
                 ": label column 5 is out of range (the file has 2 columns)");
    expect_error("name_no_header.csv", "1,0\n", 0, "y", OS_ERR_CONFIG,
                 ": label 'y' is a column name, but the file has no header (set header = "
                 "true, or give a column index)");
}

int main(void)
{
    if (tap_mkdir())
        return 1;
    plain_files();
    quoted_files();
    bad_files();
    os_dataset ds;
    os_error err = { 0 };
    os_csv_options reg = { 0, "-1", ';', 1 };
    const char *p = tap_write("semi.csv", "1;2;0.5\n3;4;-7.25\n");
    int rc = os_csv_load(p, &reg, NULL, &ds, &err);
    ok(rc == 0 && ds.n == 2 && ds.y[1] == -7.25f && ds.n_classes == 0,
       "regression labels and another delimiter");
    os_dataset_free(&ds);

    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing.csv", tap_dir);
    rc = load(missing, 0, "-1", &ds, &err);
    ok(rc == OS_ERR_DATA && strstr(err.msg, "missing.csv: cannot open: No such file"),
       "a missing file names itself");

    tap_cleanup();
    return done_testing();
}
