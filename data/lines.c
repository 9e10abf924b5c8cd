/* lines.c — see lines.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lines.h"
#include "util.h"

int os_lines_open(os_lines *r, const char *path)
{
    memset(r, 0, sizeof *r);
    errno = 0;
    r->f = gzopen(path, "rb");
    if (!r->f)
        return -1;
    gzbuffer(r->f, 1 << 17);
    return 0;
}

int os_lines_next(os_lines *r)
{
    size_t len = 0;
    for (;;) {
        if (r->cap - len < 2 && os_reserve(&r->line, &r->cap, r->cap + 1, 4096))
            return -2;
        /* gzgets says nothing of a NUL byte it copies: with no other NUL
         * in the buffer, its own terminator is the last one there, and a
         * NUL before it came from the file */
        memset(r->line + len, 1, r->cap - len);
        if (!gzgets(r->f, r->line + len, (int)(r->cap - len))) {
            int code;
            gzerror(r->f, &code);
            if (code != Z_OK && code != Z_BUF_ERROR)
                return -1;
            if (len == 0)
                return 0;
            break;
        }
        const char *end = memrchr(r->line + len, 0, r->cap - len);
        size_t got = (size_t)(end - (r->line + len));
        if (memchr(r->line + len, 0, got)) {
            r->lineno++;
            return -3;
        }
        len += got;
        if (len > 0 && r->line[len - 1] == '\n')
            break;
    }
    r->lineno++;
    r->line[len] = '\0'; /* a last line without '\n': the next gzgets wrote nothing */
    while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
        r->line[--len] = '\0';
    return 1;
}

int os_lines_fail(const os_lines *r, int more, const char *path, os_error *err)
{
    if (more == -3)
        return os_error_set(err, OS_ERR_DATA, "%s:%zu: a NUL byte: not a text file", path,
                            r->lineno);
    int code;
    const char *msg = gzerror(r->f, &code);
    return os_error_set(err, OS_ERR_DATA, "%s:%zu: read error: %s", path, r->lineno + 1,
                        code == Z_ERRNO ? strerror(errno) : code == Z_OK ? "out of memory"
                                                                         : msg);
}

int os_lines_rewind(os_lines *r)
{
    r->lineno = 0;
    return gzrewind(r->f) == 0 ? 0 : -1;
}

void os_lines_close(os_lines *r)
{
    if (r->f)
        gzclose(r->f);
    free(r->line);
    memset(r, 0, sizeof *r);
}
