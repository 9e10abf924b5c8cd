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
        if (!gzgets(r->f, r->line + len, (int)(r->cap - len))) {
            int code;
            gzerror(r->f, &code);
            if (code != Z_OK && code != Z_BUF_ERROR)
                return -1;
            if (len == 0)
                return 0;
            break;
        }
        len += strlen(r->line + len);
        if (len > 0 && r->line[len - 1] == '\n')
            break;
    }
    r->lineno++;
    while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
        r->line[--len] = '\0';
    return 1;
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
