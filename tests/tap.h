/*
 * tap.h — the few TAP helpers the C tests need.  Every check prints one
 * "ok N - name" or "not ok N - name" line; done_testing() prints the plan
 * and returns the exit status.
 */
#ifndef OS_TAP_H
#define OS_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failed;

static void tap_vresult(int pass, const char *fmt, va_list ap)
{
    tap_count++;
    tap_failed += !pass;
    printf("%sok %d - ", pass ? "" : "not ", tap_count);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
}

static __attribute__((format(printf, 2, 3), unused)) int ok(int pass, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_vresult(pass, fmt, ap);
    va_end(ap);
    return pass;
}

static __attribute__((format(printf, 1, 2), unused)) void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

/* Passes when got equals want; shows both otherwise. */
static __attribute__((unused)) int is_str(const char *got, const char *want, const char *name)
{
    int pass = got && want && !strcmp(got, want);
    ok(pass, "%s", name);
    if (!pass) {
        diag("     got: '%s'", got ? got : "(null)");
        diag("expected: '%s'", want ? want : "(null)");
    }
    return pass;
}

/* Passes when needle occurs in hay. */
static __attribute__((unused)) int has_str(const char *hay, const char *needle, const char *name)
{
    int pass = hay && needle && strstr(hay, needle);
    ok(pass, "%s", name);
    if (!pass)
        diag("'%s' does not contain '%s'", hay ? hay : "(null)", needle);
    return pass;
}

static int done_testing(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

/* $var/rel, or ./rel when the variable is unset (running by hand).  The
 * result lives in one of 8 rotating buffers. */
static const char *top_path(const char *var, const char *rel)
{
    static char buf[8][4096];
    static int next;
    const char *top = getenv(var);
    char *b = buf[next++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", top ? top : ".", rel);
    return b;
}

static __attribute__((unused)) const char *build_path(const char *rel)
{
    return top_path("top_builddir", rel);
}

static __attribute__((unused)) const char *src_path(const char *rel)
{
    return top_path("top_srcdir", rel);
}

/* A scratch directory for one test program; tap_cleanup() removes it. */
static char tap_dir[] = "/tmp/optselect-tap-XXXXXX";

static __attribute__((unused)) int tap_mkdir(void)
{
    return mkdtemp(tap_dir) ? 0 : -1;
}

/* Writes text to tap_dir/name and returns the path (8 rotating buffers). */
static __attribute__((unused)) const char *tap_write(const char *name, const char *text)
{
    static char path[8][512];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", tap_dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return p;
}

static __attribute__((unused)) void tap_cleanup(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tap_dir);
    if (system(cmd) != 0)
        diag("could not remove %s", tap_dir);
}

#endif
