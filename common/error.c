/* error.c — the error table's functions; see error.h. */
#include <stdarg.h>
#include <stdio.h>
#include "error.h"
#include "util.h"

int os_error_set(os_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        os_vformat_line(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

const char *os_error_name(int code)
{
    switch (code) {
    case 0: return "success";
#define OS_ERR_XX(name, c, status, text) case c: return text;
    OS_ERR_MAP(OS_ERR_XX)
#undef OS_ERR_XX
    }
    return "unknown error";
}

int os_error_exit_status(int code)
{
    switch (code) {
    case 0: return 0;
#define OS_ERR_XX(name, c, status, text) case c: return status;
    OS_ERR_MAP(OS_ERR_XX)
#undef OS_ERR_XX
    }
    return 1;
}
