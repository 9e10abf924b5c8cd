/*
 * failalloc.c — allocation-failure injection for tests/faults.sh.
 *
 * Linked into a second build of the optselect program with
 * -Wl,--wrap=malloc (and calloc, realloc, aligned_alloc), so every
 * allocation made by optselect's own code comes through here:
 *
 *   OPTSELECT_FAIL_ALLOC=N    the Nth allocation returns NULL (once)
 *   OPTSELECT_COUNT_ALLOC=F   write the number of allocations into F at exit
 *
 * Libraries' own allocations (libc, zlib, inih, OpenBLAS) are not counted:
 * their failures are theirs to report, through the return values optselect
 * already checks.
 */
#include <stdio.h>
#include <stdlib.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_aligned_alloc(size_t align, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_aligned_alloc(size_t align, size_t size);

static long count, fail_at = -1;

static int fail_now(void)
{
    if (fail_at < 0) {
        const char *e = getenv("OPTSELECT_FAIL_ALLOC");
        fail_at = e ? atol(e) : 0;
    }
    return __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED) == fail_at;
}

void *__wrap_malloc(size_t size)
{
    return fail_now() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return fail_now() ? NULL : __real_realloc(p, size);
}

void *__wrap_aligned_alloc(size_t align, size_t size)
{
    return fail_now() ? NULL : __real_aligned_alloc(align, size);
}

__attribute__((destructor)) static void report_count(void)
{
    const char *path = getenv("OPTSELECT_COUNT_ALLOC");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f, "%ld\n", count);
        fclose(f);
    }
}
