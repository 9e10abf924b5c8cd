/*
 * util.h — small helpers used across modules: strings, paths, aligned
 * memory, number parsing with full validation, the monotonic clock.
 */
#ifndef OS_UTIL_H
#define OS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds on the monotonic clock (CLOCK_MONOTONIC): for durations only. */
double os_seconds(void);

/* strdup that returns NULL on NULL input or out of memory. */
char *os_strdup(const char *s);

/* "dir/name", or just name when name is absolute or dir is empty.  Caller frees. */
char *os_path_join(const char *dir, const char *name);

/* The directory part of path ("." when there is none).  Caller frees. */
char *os_dirname(const char *path);

/* 64-byte aligned, zeroed allocation (size 0 gives a valid unique pointer);
 * free with os_free_aligned. */
void *os_alloc_aligned(size_t size);
void os_free_aligned(void *p);

/* Strict parsers: the whole of s (surrounding blanks aside) must be one
 * number.  Return 0 on success, -1 otherwise; *out is untouched on failure. */
int os_parse_double(const char *s, double *out);
int os_parse_u64(const char *s, uint64_t *out);
int os_parse_i64(const char *s, int64_t *out);
/* true/false, yes/no, on/off, 1/0 (any case). */
int os_parse_bool(const char *s, int *out);

/* Grows *buf (its size in *cap; NULL and 0 to start) by doubling, from
 * `first` bytes, until it holds at least `need`; 0, or -1 without memory
 * (*buf and *cap are then as they were). */
int os_reserve(char **buf, size_t *cap, size_t need, size_t first);

/* The index of the first of p[0..n) that is not finite, or n: one pass
 * that the compiler vectorises (the trials' scan of their parameters at
 * every evaluation; bench/scan_cost measures it against a step). */
size_t os_first_nonfinite(const float *p, size_t n);

/* mkdir -p: dir and the folders leading to it; 0, or -1 with errno. */
int os_make_dirs(const char *dir);

/* rm -rf: path and everything under it, not following links; 0 when it
 * is gone (or never was), else -1 with errno. */
int os_remove_tree(const char *path);

/* write(2) until all n bytes are out, across short writes and EINTR;
 * 0, or -1 with errno set (EIO when the descriptor takes nothing). */
int os_write_all(int fd, const void *p, size_t n);

/* src as one printable line in dst[size], cut short to fit: control
 * characters but tab written as \n, \r or \xHH, so that a message
 * quoting someone else's bytes (a plugin's error text, a trainer's line,
 * a parser's excerpt) stays one line and sends no terminal escapes. */
void os_one_line(char *dst, size_t size, const char *src);

/* vsnprintf through os_one_line: every message of a study's errors and
 * trials is formatted by it. */
void os_vformat_line(char *dst, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* v rounded to `digits` significant digits (v itself when not finite or
 * zero): learning rates in reports are then exactly the rates that ran. */
double os_round_sig(double v, int digits);

/* Copies s without surrounding blanks into buf (truncating to size - 1). */
void os_trim_copy(char *buf, size_t size, const char *s, size_t len);

/* " (did you mean 'x'?)" for the name of names[0..n) closest to word
 * (fewer than three edits), or "" when none is that close. */
void os_suggest(char *buf, size_t size, const char *word, const char *const *names, size_t n);

#endif
