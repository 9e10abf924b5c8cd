/*
 * lines.h — reads text files line by line, plain or gzip-compressed (zlib
 * reads both), with lines of any length, counting them for messages.
 */
#ifndef OS_LINES_H
#define OS_LINES_H

#include <stddef.h>
#include <zlib.h>
#include "error.h"

typedef struct os_lines {
    gzFile f;
    char  *line;    /* the current line, without its line ending          */
    size_t cap;
    size_t lineno;  /* 1-based number of the current line                */
} os_lines;

/* Opens path; 0, or -1 with errno set (0 when zlib ran out of memory). */
int os_lines_open(os_lines *r, const char *path);

/* The next line into r->line: 1, 0 at the end, -1 on a read error, -2 out
 * of memory, -3 when line r->lineno holds a NUL byte (which C strings
 * would end the line at: the file is not text). */
int os_lines_next(os_lines *r);

/* os_lines_next's -1 or -3 as one error, "PATH:LINE: ...", in err; returns
 * OS_ERR_DATA. */
int os_lines_fail(const os_lines *r, int more, const char *path, os_error *err);

/* Back to the first line (for a second pass); 0 or -1. */
int os_lines_rewind(os_lines *r);

void os_lines_close(os_lines *r);

#endif
