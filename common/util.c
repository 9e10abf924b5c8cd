/* util.c — see util.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include "util.h"

double os_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

char *os_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    return p ? memcpy(p, s, n) : NULL;
}

char *os_path_join(const char *dir, const char *name)
{
    if (name[0] == '/' || !dir || !dir[0])
        return os_strdup(name);
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

char *os_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return os_strdup(".");
    if (slash == path)
        return os_strdup("/");
    size_t n = (size_t)(slash - path);
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, path, n);
    p[n] = '\0';
    return p;
}

void *os_alloc_aligned(size_t size)
{
    size_t rounded = (size + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (p)
        memset(p, 0, rounded ? rounded : 64);
    return p;
}

void os_free_aligned(void *p)
{
    free(p);
}

static const char *skip_blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

static int only_blank(const char *s)
{
    return *skip_blank(s) == '\0';
}

int os_parse_double(const char *s, double *out)
{
    s = skip_blank(s);
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || !only_blank(end) || !isfinite(v)) /* overflow gives inf */
        return -1;
    *out = v;
    return 0;
}

int os_parse_u64(const char *s, uint64_t *out)
{
    s = skip_blank(s);
    if (!isdigit((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || !only_blank(end))
        return -1;
    *out = v;
    return 0;
}

int os_parse_i64(const char *s, int64_t *out)
{
    s = skip_blank(s);
    const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;
    if (!isdigit((unsigned char)*digits))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || !only_blank(end))
        return -1;
    *out = v;
    return 0;
}

int os_parse_bool(const char *s, int *out)
{
    char buf[8];
    os_trim_copy(buf, sizeof buf, s, strlen(s));
    static const char *yes[] = { "true", "yes", "on", "1" }, *no[] = { "false", "no", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(buf, yes[i])) { *out = 1; return 0; }
        if (!strcasecmp(buf, no[i]))  { *out = 0; return 0; }
    }
    return -1;
}

void os_trim_copy(char *buf, size_t size, const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= size)
        len = size - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
}

int os_reserve(char **buf, size_t *cap, size_t need, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : first;
    while (c < need)
        c *= 2;
    char *grown = realloc(*buf, c);
    if (!grown)
        return -1;
    *buf = grown;
    *cap = c;
    return 0;
}

int os_write_all(int fd, const void *p, size_t n)
{
    const char *at = p;
    while (n) {
        ssize_t w = write(fd, at, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        at += w;
        n -= (size_t)w;
    }
    return 0;
}

double os_round_sig(double v, int digits)
{
    if (!isfinite(v) || v == 0)
        return v;
    double scale = pow(10.0, floor(log10(fabs(v))) - (digits - 1));
    return round(v / scale) * scale;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[65];
    if (la > 64 || lb > 64)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t best = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            prev = cur;
        }
    }
    return row[lb];
}

/* " (did you mean 'x'?)" for the closest of names, or "" if none is close. */
void os_suggest(char *buf, size_t size, const char *word, const char *const *names,
                    size_t n)
{
    size_t best = 3, pick = n;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, names[i]);
        if (d < best) {
            best = d;
            pick = i;
        }
    }
    if (pick < n)
        snprintf(buf, size, " (did you mean '%s'?)", names[pick]);
    else
        buf[0] = '\0';
}

int os_make_dirs(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0777) == 0)
        return 0;
    if (errno == EEXIST)
        return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : (errno = EEXIST, -1);
    if (errno != ENOENT)
        return -1;
    char *parent = os_dirname(dir);
    int rc = parent && strcmp(parent, dir) && strcmp(parent, ".") && strcmp(parent, "/")
             ? os_make_dirs(parent) : (errno = ENOENT, -1);
    free(parent);
    return rc ? rc : mkdir(dir, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path) && errno != ENOENT ? -1 : 0;
}

int os_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st))
        return errno == ENOENT ? 0 : -1;
    return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

size_t os_first_nonfinite(const float *p, size_t n)
{
    /* blocks without a branch inside, then the exact place in the block */
    const size_t block = 256;
    for (size_t start = 0; start < n; start += block) {
        size_t end = start + block < n ? start + block : n;
        int bad = 0;
        for (size_t i = start; i < end; i++)
            bad |= !isfinite(p[i]);
        if (bad)
            for (size_t i = start; i < end; i++)
                if (!isfinite(p[i]))
                    return i;
    }
    return n;
}

void os_one_line(char *dst, size_t size, const char *src)
{
    if (!size)
        return;
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        char esc[8];
        if (*p == '\n' || *p == '\r')
            snprintf(esc, sizeof esc, "\\%c", *p == '\n' ? 'n' : 'r');
        else if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            snprintf(esc, sizeof esc, "\\x%02x", *p);
        else
            esc[0] = (char)*p, esc[1] = 0;
        size_t n = strlen(esc);
        if (o + n >= size)
            break;
        memcpy(dst + o, esc, n);
        o += n;
    }
    dst[o] = 0;
}

void os_vformat_line(char *dst, size_t size, const char *fmt, va_list ap)
{
    char raw[4096];
    vsnprintf(raw, sizeof raw, fmt, ap);
    os_one_line(dst, size, raw);
}
