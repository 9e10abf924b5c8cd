/* fuzz_csv.c — the CSV loader.  The first byte picks the options (header,
 * label column, delimiter, task), the rest is the file. */
#include "fuzz.h"
#include "dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const labels[] = { "-1", "0", "1", "label", "-2", "y", "3", "class" };
    static const char delims[] = { ',', ';', '\t', ' ' };
    uint8_t pick = data[0];
    os_csv_options opt = { pick & 1, labels[(pick >> 1) & 7], delims[(pick >> 4) & 3],
                           (pick >> 6) & 1 };
    char path[64];
    int fd = fuzz_memfile(data + 1, size - 1, path, sizeof path);
    if (fd < 0)
        return 0;
    os_dataset ds = { 0 };
    os_error err = { 0 };
    int rc = os_csv_load(path, &opt, NULL, &ds, &err);
    fuzz_check_error(rc, &err);
    if (!rc) {
        /* a second file read "like" the first: the test-set path */
        os_dataset again = { 0 };
        os_error err2 = { 0 };
        int rc2 = os_csv_load(path, &opt, &ds, &again, &err2);
        fuzz_check_error(rc2, &err2);
        os_dataset_free(&again);
    }
    os_dataset_free(&ds);
    close(fd);
    return 0;
}
