/* The IDX loader: good files (plain and gzip, several element types) and
 * every malformed kind, asserting the exact one-line messages. */
#include <stdint.h>
#include <zlib.h>
#include "tap.h"
#include "dataset.h"

/* Writes an IDX file: header for type and dims, then nbytes of data (which
 * may disagree with the dims on purpose).  gz selects gzip. */
static const char *write_idx(const char *name, uint8_t type, unsigned ndim,
                             const uint32_t *dims, const void *data, size_t nbytes, int gz)
{
    static char path[8][512];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", tap_dir, name);
    unsigned char head[4 + 16] = { 0, 0, type, (unsigned char)ndim };
    for (unsigned i = 0; i < ndim; i++) {
        head[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
        head[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
        head[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
        head[7 + 4 * i] = (unsigned char)dims[i];
    }
    gzFile f = gzopen(p, gz ? "wb" : "wbT");
    gzwrite(f, head, 4 + 4 * ndim);
    if (nbytes)
        gzwrite(f, data, (unsigned)nbytes);
    gzclose(f);
    return p;
}

static void expect(const char *what, const char *images, const char *labels, int code,
                   const char *want)
{
    os_dataset ds;
    os_error err = { 0 };
    os_idx_options opt = { 1, 0 };
    int rc = os_idx_load(images, labels, &opt, &ds, &err);
    ok(rc == code, "%s: code %d (got %d)", what, code, rc);
    is_str(err.msg, want, what);
}

/* 3 images of 2x2, labels 0, 1, 2 */
static const uint8_t pixels[12] = { 0, 255, 51, 102, 1, 2, 3, 4, 10, 20, 30, 40 };
static const uint8_t lab[3] = { 0, 1, 2 };
static const uint32_t img_dims[3] = { 3, 2, 2 }, lab_dims[1] = { 3 };
static const uint32_t d1[2] = { 1, 1 }, l1[1] = { 1 };
/* Kept in arrays of their own: write_idx's buffers rotate. */
static char img[512], lbl[512];

/* Files that load: the types, scaling and labels. */
static void good_files(void)
{
    os_dataset ds;
    os_error err = { 0 };
    os_idx_options opt = { 1, 0 };
    int rc = os_idx_load(img, lbl, &opt, &ds, &err);
    ok(rc == 0, "a gzip images file and a plain labels file load (%s)", rc ? err.msg : "ok");
    ok(ds.n == 3 && ds.d == 4 && ds.n_classes == 3 && ds.height == 2 && ds.width == 2 &&
       ds.channels == 1, "3 images of 2x2, 3 classes");
    ok(ds.x[1] == 1.0f && fabsf(ds.x[2] - 0.2f) < 1e-7f && ds.y[2] == 2.0f,
       "pixels are scaled by 1/255, labels are classes");
    int same = 1; /* through the byte table: the bits of the double product */
    for (size_t i = 0; i < 12; i++)
        same &= ds.x[i] == (float)(pixels[i] * (1.0 / 255.0));
    ok(same, "every pixel is the float of its byte times 1/255 in double");
    os_dataset_free(&ds);

    /* Big-endian types: int16 and float32 labels/images decode. */
    const uint8_t be16[6] = { 0xFF, 0xFE, 0x00, 0x05, 0x01, 0x00 }; /* -2, 5, 256 */
    const uint32_t d3[2] = { 3, 1 };
    const char *img16 = write_idx("img16.idx", 0x0B, 2, d3, be16, 6, 0);
    os_idx_options raw = { 0, 0 };
    rc = os_idx_load(img16, lbl, &raw, &ds, &err);
    ok(rc == 0 && ds.x[0] == -2.0f && ds.x[1] == 5.0f && ds.x[2] == 256.0f,
       "int16 values decode big-endian");
    os_dataset_free(&ds);
    const uint8_t bef[4] = { 0x3F, 0xC0, 0x00, 0x00 }; /* 1.5f */
    const uint8_t lab1[1] = { 1 };
    const char *imgf = write_idx("imgf.idx", 0x0D, 2, d1, bef, 4, 0);
    const char *lbl1 = write_idx("lbl1.idx", 0x08, 1, l1, lab1, 1, 0);
    os_idx_options reg = { 0, 1 };
    rc = os_idx_load(imgf, lbl1, &reg, &ds, &err);
    ok(rc == 0 && ds.x[0] == 1.5f && ds.y[0] == 1.0f && ds.n_classes == 0,
       "float32 values decode; regression labels");
    os_dataset_free(&ds);
}

/* Malformed headers: each one line naming the file and what is wrong. */
static void bad_headers(void)
{
    char want[2048];
    const char *p = tap_write("empty.idx", "");
    snprintf(want, sizeof want, "%s: not an IDX file: 0 bytes, shorter than the 4-byte magic", p);
    expect("an empty file", p, lbl, OS_ERR_DATA, want);

    p = tap_write("text.idx", "hello, world\n");
    snprintf(want, sizeof want, "%s: not an IDX file: magic 68 65 6c 6c (expected 00 00, a "
             "type 08 09 0b 0c 0d 0e, and 1 to 4 dimensions)", p);
    expect("wrong magic", p, lbl, OS_ERR_DATA, want);

    p = write_idx("badtype.idx", 0x07, 1, lab_dims, lab, 3, 0);
    snprintf(want, sizeof want, "%s: not an IDX file: magic 00 00 07 01 (expected 00 00, a "
             "type 08 09 0b 0c 0d 0e, and 1 to 4 dimensions)", p);
    expect("an unknown element type", p, lbl, OS_ERR_DATA, want);

    p = write_idx("shorthead.idx", 0x08, 1, lab_dims, NULL, 0, 0);
    {   /* rewrite with a header that declares 3 dims but holds 1 */
        FILE *f = fopen(p, "wb");
        const unsigned char h[8] = { 0, 0, 8, 3, 0, 0, 0, 3 };
        fwrite(h, 1, 8, f);
        fclose(f);
    }
    snprintf(want, sizeof want, "%s: truncated IDX header: 3 dimensions declared, the file "
             "ends after 4 of their 12 bytes", p);
    expect("a truncated header", p, lbl, OS_ERR_DATA, want);

    const uint32_t huge[3] = { 60000, 60000, 60000 };
    p = write_idx("huge.idx.gz", 0x08, 3, huge, pixels, 12, 1);
    snprintf(want, sizeof want, "%s: dimensions declare more than 1073741824 elements (the "
             "limit)", p);
    expect("dimensions whose product overflows the limit", p, lbl, OS_ERR_DATA, want);

}

/* Malformed contents: sizes, counts and values. */
static void bad_contents(void)
{
    char want[2048];
    const char *p;
    const uint32_t zero[3] = { 3, 0, 2 };
    p = write_idx("zero.idx", 0x08, 3, zero, pixels, 12, 0);
    snprintf(want, sizeof want, "%s: dimension 2 is 0", p);
    expect("a zero dimension", p, lbl, OS_ERR_DATA, want);

    p = write_idx("short.idx.gz", 0x08, 3, img_dims, pixels, 9, 1);
    snprintf(want, sizeof want, "%s: record 3 of 3 is truncated (1 of 4 bytes)", p);
    expect("data shorter than the dimensions", p, lbl, OS_ERR_DATA, want);

    const uint8_t more[16] = { 0 };
    p = write_idx("long.idx.gz", 0x08, 3, img_dims, more, 16, 1);
    snprintf(want, sizeof want, "%s: data continues after the 3 records the header declares", p);
    expect("data longer than the dimensions (a stream inflating past its size)", p, lbl,
           OS_ERR_DATA, want);

    const uint32_t four[1] = { 4 };
    const uint8_t lab4[4] = { 0, 1, 0, 1 };
    const char *lbl4 = write_idx("lbl4.idx", 0x08, 1, four, lab4, 4, 0);
    snprintf(want, sizeof want, "%s: 4 labels for the 3 images of %s", lbl4, img);
    expect("image and label counts that disagree", img, lbl4, OS_ERR_DATA, want);

    const uint32_t flat[1] = { 12 };
    p = write_idx("flat.idx", 0x08, 1, flat, pixels, 12, 0);
    snprintf(want, sizeof want, "%s: images need at least 2 dimensions (items and features); "
             "this file has 1", p);
    expect("one-dimensional images", p, lbl, OS_ERR_DATA, want);

    const uint8_t badlab[3] = { 0, 1, 0 };
    const uint8_t nan[4] = { 0x7F, 0xC0, 0, 0 };
    p = write_idx("nan.idx", 0x0D, 2, d1, nan, 4, 0);
    const char *l1b = write_idx("l1b.idx", 0x08, 1, l1, badlab, 1, 0);
    snprintf(want, sizeof want, "%s: record 1, element 1 is not a finite number", p);
    expect("a NaN value", p, l1b, OS_ERR_DATA, want);

    snprintf(want, sizeof want, "%s/missing.idx: cannot open: No such file or directory", tap_dir);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing.idx", tap_dir);
    expect("a missing file", missing, lbl, OS_ERR_DATA, want);
}

int main(void)
{
    if (tap_mkdir())
        return 1;
    snprintf(img, sizeof img, "%s", write_idx("img.idx.gz", 0x08, 3, img_dims, pixels, 12, 1));
    snprintf(lbl, sizeof lbl, "%s", write_idx("lbl.idx", 0x08, 1, lab_dims, lab, 3, 0));
    good_files();
    bad_headers();
    bad_contents();
    tap_cleanup();
    return done_testing();
}
