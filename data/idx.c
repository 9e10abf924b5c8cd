/*
 * idx.c — the IDX loader (the format of MNIST and Fashion-MNIST): an images
 * file and a labels file, each plain or gzip-compressed.
 *
 * An IDX file is a 4-byte magic (0, 0, element type, number of dimensions),
 * one big-endian uint32 per dimension, then the elements, big-endian, in
 * row-major order.  Nothing in it is trusted: the declared size is checked
 * against overflow and a hard limit before anything is allocated, and the
 * stream must hold exactly that many bytes, so a gzip bomb stops at the
 * declared size and a short file is reported at the record where it ends.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "dataset.h"

#define IDX_MAX_ELEMENTS ((uint64_t)1 << 30) /* 4 GiB once decoded to float */
#define IDX_MAX_DIMS 4

typedef struct idx_file {
    const char *path;
    gzFile      f;
    uint8_t     type;              /* 0x08 ubyte .. 0x0E double            */
    unsigned    elem;              /* bytes per element                    */
    unsigned    ndim;
    uint32_t    dims[IDX_MAX_DIMS];
    uint64_t    items, per_item;   /* dims[0], product of the others       */
} idx_file;

static unsigned elem_size(uint8_t type)
{
    switch (type) {
    case 0x08: case 0x09: return 1;  /* unsigned, signed byte */
    case 0x0B: return 2;             /* int16  */
    case 0x0C: case 0x0D: return 4;  /* int32, float32 */
    case 0x0E: return 8;             /* float64 */
    }
    return 0;
}

/* Reads exactly n bytes; returns the count read (short at end of stream). */
static size_t read_full(gzFile f, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
        int r = gzread(f, (char *)buf + got, chunk);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static int idx_open(idx_file *x, const char *path, os_error *err)
{
    memset(x, 0, sizeof *x);
    x->path = path;
    x->f = gzopen(path, "rb");
    if (!x->f)
        return os_error_set(err, OS_ERR_DATA, "%s: cannot open: %s", path,
                            errno ? strerror(errno) : "out of memory");
    gzbuffer(x->f, 1 << 17);
    uint8_t magic[4];
    size_t got = read_full(x->f, magic, 4);
    if (got < 4)
        return os_error_set(err, OS_ERR_DATA, "%s: not an IDX file: %zu bytes, shorter than "
                            "the 4-byte magic", path, got);
    if (magic[0] != 0 || magic[1] != 0 || !elem_size(magic[2]) || magic[3] == 0 ||
        magic[3] > IDX_MAX_DIMS)
        return os_error_set(err, OS_ERR_DATA, "%s: not an IDX file: magic %02x %02x %02x %02x "
                            "(expected 00 00, a type 08 09 0b 0c 0d 0e, and 1 to %d dimensions)",
                            path, magic[0], magic[1], magic[2], magic[3], IDX_MAX_DIMS);
    x->type = magic[2];
    x->elem = elem_size(x->type);
    x->ndim = magic[3];
    uint8_t raw[4 * IDX_MAX_DIMS];
    got = read_full(x->f, raw, 4 * x->ndim);
    if (got < 4 * x->ndim)
        return os_error_set(err, OS_ERR_DATA, "%s: truncated IDX header: %u dimensions "
                            "declared, the file ends after %zu of their %u bytes", path,
                            x->ndim, got, 4 * x->ndim);
    uint64_t total = 1;
    x->per_item = 1;
    for (unsigned i = 0; i < x->ndim; i++) {
        x->dims[i] = (uint32_t)raw[4 * i] << 24 | (uint32_t)raw[4 * i + 1] << 16 |
                     (uint32_t)raw[4 * i + 2] << 8 | raw[4 * i + 3];
        if (x->dims[i] == 0)
            return os_error_set(err, OS_ERR_DATA, "%s: dimension %u is 0", path, i + 1);
        /* Checked before multiplying, so the product can neither overflow nor
         * ask for more memory than a sane dataset needs. */
        if (total > IDX_MAX_ELEMENTS / x->dims[i])
            return os_error_set(err, OS_ERR_DATA, "%s: dimensions declare more than %llu "
                                "elements (the limit)", path,
                                (unsigned long long)IDX_MAX_ELEMENTS);
        total *= x->dims[i];
        if (i > 0)
            x->per_item *= x->dims[i];
    }
    x->items = x->dims[0];
    return 0;
}

/* One element at p, big-endian, as a double. */
static double decode(const uint8_t *p, uint8_t type)
{
    switch (type) {
    case 0x08: return p[0];
    case 0x09: return (int8_t)p[0];
    case 0x0B: return (int16_t)(uint16_t)(p[0] << 8 | p[1]);
    case 0x0C: return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
    case 0x0D: {
        uint32_t u = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
    case 0x0E: {
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
            u = u << 8 | p[i];
        double d;
        memcpy(&d, &u, sizeof d);
        return d;
    }
    }
    return 0;
}

/* Reads every item into a new array *out (items * per_item values,
 * scaled).  The array grows as data arrives, never past what the file holds
 * (doubling), so a header that declares a billion items in a file of forty
 * bytes costs a truncation message, not gigabytes. */
static int idx_read(idx_file *x, float **out, double scale, os_error *err)
{
    enum { BLOCK = 1 << 16 }; /* bytes per read: a multiple of every element size */
    const uint64_t total = x->items * x->per_item;
    const uint64_t rec = x->per_item * x->elem;
    uint8_t *buf = malloc(BLOCK);
    float *vals = NULL;
    uint64_t cap = 0, done = 0;
    int rc = buf ? 0 : os_error_set(err, OS_ERR_NOMEM, "%s: out of memory", x->path);
    /* One-byte elements (Fashion-MNIST's pixels) through a table of the 256
     * values the loop below would compute, the same bits a switch and a
     * multiply per pixel cost; when a scale makes one of them non-finite,
     * the loop names the record that holds it. */
    float lut[256];
    int lut_ok = x->elem == 1;
    for (unsigned b = 0; lut_ok && b < 256; b++) {
        const uint8_t byte = (uint8_t)b;
        double v = decode(&byte, x->type) * scale;
        lut_ok = v >= -3.0e38 && v <= 3.0e38;
        lut[b] = (float)v;
    }
    while (!rc && done < total) {
        uint64_t want = total - done < BLOCK / x->elem ? total - done : BLOCK / x->elem;
        size_t got = read_full(x->f, buf, (size_t)(want * x->elem));
        if (got < want * x->elem) {
            int code;
            const char *msg = gzerror(x->f, &code);
            uint64_t at = done * x->elem + got, r = at / rec;
            rc = os_error_set(err, OS_ERR_DATA, "%s: record %llu of %llu is truncated (%llu of "
                              "%llu bytes)%s%s", x->path, (unsigned long long)r + 1,
                              (unsigned long long)x->items, (unsigned long long)(at - r * rec),
                              (unsigned long long)rec,
                              code != Z_OK && code != Z_BUF_ERROR ? ": " : "",
                              code != Z_OK && code != Z_BUF_ERROR ? msg : "");
            break;
        }
        if (done + want > cap) {
            uint64_t grown = cap ? 2 * cap : BLOCK;
            if (grown < done + want)
                grown = done + want;
            if (grown > total)
                grown = total;
            float *more = realloc(vals, (size_t)grown * sizeof *vals);
            if (!more) {
                rc = os_error_set(err, OS_ERR_NOMEM, "%s: out of memory for %llu values",
                                  x->path, (unsigned long long)total);
                break;
            }
            vals = more;
            cap = grown;
        }
        if (lut_ok) { /* bytes: the table holds every value they can take */
            for (uint64_t k = 0; k < want; k++)
                vals[done + k] = lut[buf[k]];
            done += want;
            continue;
        }
        for (uint64_t k = 0; k < want; k++) {
            double v = decode(buf + k * x->elem, x->type) * scale;
            if (!(v >= -3.0e38 && v <= 3.0e38)) {
                uint64_t e = done + k;
                rc = os_error_set(err, OS_ERR_DATA, "%s: record %llu, element %llu is not a "
                                  "finite number", x->path,
                                  (unsigned long long)(e / x->per_item) + 1,
                                  (unsigned long long)(e % x->per_item) + 1);
                break;
            }
            vals[done + k] = (float)v;
        }
        done += want;
    }
    /* The declared size must be the whole stream: extra bytes mean the
     * header and the data disagree. */
    if (!rc && gzgetc(x->f) != -1)
        rc = os_error_set(err, OS_ERR_DATA, "%s: data continues after the %llu records the "
                          "header declares", x->path, (unsigned long long)x->items);
    free(buf);
    if (rc)
        free(vals);
    else
        *out = vals;
    return rc;
}

static void idx_close(idx_file *x)
{
    if (x->f)
        gzclose(x->f);
    x->f = NULL;
}

int os_idx_load(const char *images, const char *labels, const os_idx_options *opt,
                os_dataset *out, os_error *err)
{
    memset(out, 0, sizeof *out);
    idx_file im, lb;
    int rc = idx_open(&im, images, err);
    if (!rc)
        rc = idx_open(&lb, labels, err);
    else
        memset(&lb, 0, sizeof lb);
    if (rc)
        goto done;
    if (im.ndim < 2) {
        rc = os_error_set(err, OS_ERR_DATA, "%s: images need at least 2 dimensions (items and "
                          "features); this file has %u", images, im.ndim);
        goto done;
    }
    if (lb.ndim != 1 && !(lb.ndim == 2 && lb.dims[1] == 1)) {
        rc = os_error_set(err, OS_ERR_DATA, "%s: labels must be one value per item; this file "
                          "has %u dimensions", labels, lb.ndim);
        goto done;
    }
    if (lb.items != im.items) {
        rc = os_error_set(err, OS_ERR_DATA, "%s: %llu labels for the %llu images of %s", labels,
                          (unsigned long long)lb.items, (unsigned long long)im.items, images);
        goto done;
    }
    if (im.items > ((uint64_t)1 << 31)) {
        rc = os_error_set(err, OS_ERR_DATA, "%s: %llu items, more than 2^31", images,
                          (unsigned long long)im.items);
        goto done;
    }
    out->n = (size_t)im.items;
    out->d = (size_t)im.per_item;
    if (im.ndim >= 3) {
        out->height = im.dims[im.ndim == 4 ? 2 : 1];
        out->width = im.dims[im.ndim == 4 ? 3 : 2];
        out->channels = im.ndim == 4 ? im.dims[1] : 1;
    }
    rc = idx_read(&im, &out->x, opt->pixel_scale ? 1.0 / 255.0 : 1.0, err);
    if (!rc)
        rc = idx_read(&lb, &out->y, 1.0, err);
    if (rc)
        goto done;
    for (size_t i = 0; i < out->n; i++) {
        float v = out->y[i];
        if (opt->regression)
            continue;
        if (v < 0 || v > 65535 || v != (float)(size_t)v) {
            rc = os_error_set(err, OS_ERR_DATA, "%s: record %zu: class label %g is not an "
                              "integer in 0..65535", labels, i + 1, (double)v);
            goto done;
        }
        if ((size_t)v + 1 > out->n_classes)
            out->n_classes = (size_t)v + 1;
    }
    if (!opt->regression && out->n_classes < 2)
        rc = os_error_set(err, OS_ERR_DATA, "%s: every label is 0; classification needs at "
                          "least two classes", labels);
done:
    idx_close(&im);
    idx_close(&lb);
    if (rc)
        os_dataset_free(out);
    return rc;
}
