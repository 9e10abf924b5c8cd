/* fuzz_libsvm.c — the LIBSVM loader.  The first byte picks the width (0:
 * from the file) and the task, the rest is the file. */
#include "fuzz.h"
#include "dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t features = data[0] & 0x3f;
    int regression = data[0] >> 7;
    char path[64];
    int fd = fuzz_memfile(data + 1, size - 1, path, sizeof path);
    if (fd < 0)
        return 0;
    os_dataset ds = { 0 };
    os_error err = { 0 };
    int rc = os_libsvm_load(path, features, regression, NULL, &ds, &err);
    fuzz_check_error(rc, &err);
    if (!rc) {
        os_dataset again = { 0 };
        os_error err2 = { 0 };
        int rc2 = os_libsvm_load(path, 0, regression, &ds, &again, &err2);
        fuzz_check_error(rc2, &err2);
        os_dataset_free(&again);
    }
    os_dataset_free(&ds);
    close(fd);
    return 0;
}
