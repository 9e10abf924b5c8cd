/*
 * plugin_util.h — small helpers shared by the bundled plugins (not installed;
 * third-party plugins need only <optselect/plugin.h>).
 */
#ifndef OS_PLUGIN_UTIL_H
#define OS_PLUGIN_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <optselect/plugin.h>

/* Writes a message into the host's buffer (if any) and returns code, so that
 * a failing path reads:  return os_fail(env->err, env->err_size, OS_EINVAL, ...). */
static inline int os_fail(char *err, size_t err_size, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int os_fail(char *err, size_t err_size, int code, const char *fmt, ...)
{
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* The state is a run of float vectors of length n each; slot k of it. */
static inline float *os_slot(void *state, size_t n, unsigned k)
{
    return (float *)state + (size_t)k * n;
}

#endif
