/* fuzz_idx.c — the IDX loader, plain or (FUZZ_IDX_GZIP) through gzip.  The
 * first two bytes give the length of the images file, which the labels
 * file follows.  The gzip variant compresses both before loading, so the
 * mutations reach the IDX parser behind zlib instead of dying in its CRC. */
#include <zlib.h>
#include "fuzz.h"
#include "dataset.h"

#ifdef FUZZ_IDX_GZIP
/* gzip-compresses data into a new buffer. */
static uint8_t *gzip(const uint8_t *data, size_t size, size_t *out_size)
{
    z_stream z = { 0 };
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)size) + 32;
    uint8_t *out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)size;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_size = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}
#endif

static int memfile(const uint8_t *data, size_t size, char *path, size_t n)
{
#ifdef FUZZ_IDX_GZIP
    size_t zsize;
    uint8_t *z = gzip(data, size, &zsize);
    if (!z)
        return -1;
    int fd = fuzz_memfile(z, zsize, path, n);
    free(z);
    return fd;
#else
    return fuzz_memfile(data, size, path, n);
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t split = (size_t)data[0] | (size_t)data[1] << 8;
    data += 2;
    size -= 2;
    if (split > size)
        split = size;
    char images[64], labels[64];
    int fi = memfile(data, split, images, sizeof images);
    int fl = fi < 0 ? -1 : memfile(data + split, size - split, labels, sizeof labels);
    if (fl >= 0) {
        os_dataset ds = { 0 };
        os_error err = { 0 };
        os_idx_options opt = { 1, 0 };
        int rc = os_idx_load(images, labels, &opt, &ds, &err);
        fuzz_check_error(rc, &err);
        os_dataset_free(&ds);
    }
    if (fi >= 0)
        close(fi);
    if (fl >= 0)
        close(fl);
    return 0;
}
