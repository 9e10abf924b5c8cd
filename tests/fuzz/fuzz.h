/*
 * fuzz.h — what the fuzz targets share.  Each target is a libFuzzer entry
 * point (LLVMFuzzerTestOneInput) over one parser of hostile input.  Built
 * with --enable-fuzzing (clang) they run under libFuzzer; otherwise
 * replay.c gives them a main() that feeds them the corpus, which is how
 * `make check` replays every seed and every crash ever found.
 */
#ifndef OS_FUZZ_H
#define OS_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parsers take file names: the input goes into an anonymous memory file
 * named through /proc, so no disk is touched.  Returns the descriptor (or
 * -1) and writes the name into path. */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t n)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    for (size_t done = 0; done < size;) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    snprintf(path, n, "/proc/self/fd/%d", fd);
    return fd;
}

/* Every refusal must be one line that says something: a crash is not the
 * only failure a fuzzer can find. */
static inline void fuzz_check_error(int rc, const os_error *err)
{
    if (rc && (!err->msg[0] || strchr(err->msg, '\n')))
        abort();
}

#endif
