/*
 * error.h — one table of error codes, their meaning and the exit status
 * main() turns them into (libuv's UV_ERRNO_MAP, in small).
 *
 * Every fallible host function returns 0 or a negative OS_ERR_* code and,
 * on failure, fills an os_error with one line that names the file, the line
 * or record, and what is wrong.  Only main() prints it and decides the exit.
 */
#ifndef OS_ERROR_H
#define OS_ERROR_H

#include <stddef.h>

/* XX(name, code, exit status, meaning) */
#define OS_ERR_MAP(XX)                                              \
    XX(USAGE,   -101, 2, "bad command line")                         \
    XX(CONFIG,  -102, 3, "bad configuration")                        \
    XX(DATA,    -103, 4, "bad data file")                            \
    XX(PLUGIN,  -104, 5, "bad or missing plugin")                    \
    XX(IO,      -105, 6, "input/output failure")                     \
    XX(NOMEM,   -106, 7, "out of memory")                            \
    XX(QUIT,    -107, 1, "MPI rank 0 ended the study (other ranks)")

enum {
#define OS_ERR_XX(name, code, status, text) OS_ERR_##name = (code),
    OS_ERR_MAP(OS_ERR_XX)
#undef OS_ERR_XX
};

#define OS_ERROR_MSG_MAX 1024

/* One error: the code and a complete one-line message. */
typedef struct os_error {
    int  code;                    /* 0 or an OS_ERR_* code                   */
    char msg[OS_ERROR_MSG_MAX];   /* NUL-terminated; empty when code == 0    */
} os_error;

/* Sets err (may be NULL) and returns code.  The message is printf-style. */
int os_error_set(os_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short meaning of a code ("bad configuration"); never NULL. */
const char *os_error_name(int code);

/* Exit status main() uses for a code: 0 for 0, 1 for unknown codes. */
int os_error_exit_status(int code);

#endif
