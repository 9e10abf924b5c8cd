/* journal.c — see journal.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "journal.h"
#include "util.h"

/* The format: 2 since the fingerprint hashes the plan (fingerprint.c); a
 * journal of format 1 hashed the config's text, so its studies cannot be
 * told apart from others, and it is refused with its own message. */
#define HEADER_TAG "optselect-journal 2"
#define OLD_TAG    "optselect-journal 1 "

uint64_t os_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint32_t crc(const char *s, size_t len)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)s, (uInt)len);
}

/* Appends "\t<crc>\n" to a line held in a memstream's buffer. */
static char *seal(FILE *f, char **buf, size_t *len)
{
    if (fflush(f)) {
        fclose(f);
        free(*buf);
        return NULL;
    }
    fprintf(f, "\t%08" PRIx32 "\n", crc(*buf, *len));
    if (fclose(f)) {
        free(*buf);
        return NULL;
    }
    return *buf;
}

/* Doubles in C99 hex notation: exact, and strtod reads them back, inf and
 * nan included. */
char *os_record_encode(size_t index, const os_trial_result *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    fprintf(f, "trial %zu %d %" PRIu64 " %a %a %a %zu %zu", index, (int)r->status, r->steps,
            r->score, r->test_loss, r->test_acc, r->n_curve, r->n_path);
    for (size_t i = 0; i < r->n_curve; i++) {
        const os_curve_point *p = &r->curve[i];
        fprintf(f, " %" PRIu64 " %a %a %a", p->step, p->train_loss, p->val_loss, p->val_acc);
    }
    for (size_t i = 0; i < 2 * r->n_path; i++)
        fprintf(f, " %a", (double)r->path[i]);
    fputs(" :", f);
    for (const char *m = r->message; *m; m++) /* tabs and newlines would break the line */
        fputc(*m == '\t' || *m == '\n' || *m == '\r' ? ' ' : *m, f);
    return seal(f, &buf, len);
}

/* A cursor over a record's fields: each is one space then a token. */
typedef struct cursor {
    const char *p, *end;
    int bad;
} cursor;

static const char *token(cursor *c, char *buf, size_t size)
{
    if (c->bad || c->p >= c->end || *c->p != ' ') {
        c->bad = 1;
        return "";
    }
    const char *start = ++c->p;
    while (c->p < c->end && *c->p != ' ')
        c->p++;
    size_t n = (size_t)(c->p - start);
    if (!n || n >= size) {
        c->bad = 1;
        return "";
    }
    memcpy(buf, start, n);
    buf[n] = '\0';
    return buf;
}

static uint64_t next_u64(cursor *c)
{
    char buf[64];
    uint64_t v = 0;
    const char *t = token(c, buf, sizeof buf);
    if (!c->bad && os_parse_u64(t, &v))
        c->bad = 1;
    return v;
}

static double next_f64(cursor *c)
{
    char buf[64], *end;
    const char *t = token(c, buf, sizeof buf);
    if (c->bad)
        return 0;
    errno = 0;
    double v = strtod(t, &end);
    if (*end || end == t)
        c->bad = 1;
    return v;
}

int os_record_decode(const char *line, size_t len, size_t *index, os_trial_result *r)
{
    memset(r, 0, sizeof *r);
    const char *tab = len ? memrchr(line, '\t', len) : NULL;
    char sum[9];
    if (!tab || line + len - tab != 9)
        return -1;
    memcpy(sum, tab + 1, 8);
    sum[8] = '\0';
    char *end;
    unsigned long want = strtoul(sum, &end, 16);
    if (*end || want != crc(line, (size_t)(tab - line)) || tab - line < 6 ||
        memcmp(line, "trial", 5))
        return -1;

    cursor c = { line + 5, tab, 0 };
    *index = (size_t)next_u64(&c);
    uint64_t status = next_u64(&c);
    r->steps = next_u64(&c);
    r->score = next_f64(&c);
    r->test_loss = next_f64(&c);
    r->test_acc = next_f64(&c);
    uint64_t n_curve = next_u64(&c), n_path = next_u64(&c);
    /* every value takes at least two characters: a count larger than the
     * line allows is damage, not a reason to allocate */
    size_t room = (size_t)(tab - line);
    if (c.bad || status > OS_TRIAL_INTERRUPTED || n_curve > room / 8 || n_path > room / 4)
        return -1;
    r->status = (os_trial_status)status;
    r->curve = n_curve ? calloc(n_curve, sizeof *r->curve) : NULL;
    r->path = n_path ? malloc(2 * n_path * sizeof *r->path) : NULL;
    if ((n_curve && !r->curve) || (n_path && !r->path)) {
        os_trial_result_free(r);
        return -2;
    }
    r->n_curve = n_curve;
    r->n_path = n_path;
    for (size_t i = 0; i < n_curve; i++) {
        os_curve_point *p = &r->curve[i];
        p->step = next_u64(&c);
        p->train_loss = next_f64(&c);
        p->val_loss = next_f64(&c);
        p->val_acc = next_f64(&c);
    }
    for (size_t i = 0; i < 2 * n_path; i++)
        r->path[i] = (float)next_f64(&c);
    if (c.bad || tab - c.p < 2 || memcmp(c.p, " :", 2)) {
        os_trial_result_free(r);
        return -1;
    }
    c.p += 2;
    size_t m = (size_t)(tab - c.p);
    if (m >= sizeof r->message)
        m = sizeof r->message - 1;
    memcpy(r->message, c.p, m);
    r->message[m] = '\0';
    return 0;
}

/* ---- the file ------------------------------------------------------------ */

/* The study's part of the header: what it is, and how many trials. */
static int study_part(char *buf, size_t size, uint64_t fingerprint, size_t n, uint64_t budget)
{
    int len = snprintf(buf, size, HEADER_TAG " %016" PRIx64 " %zu", fingerprint, n);
    if (budget)
        len += snprintf(buf + len, size - (size_t)len, " %" PRIu64, budget);
    return len;
}

static int header_line(char *buf, size_t size, uint64_t fingerprint, size_t n, uint64_t budget,
                       uint32_t versions)
{
    int len = study_part(buf, size, fingerprint, n, budget);
    if (versions)
        len += snprintf(buf + len, size - (size_t)len, " plugins %08" PRIx32, versions);
    len += snprintf(buf + len, size - (size_t)len, "\t%08" PRIx32 "\n",
                    crc(buf, (size_t)len));
    return len;
}

/* Makes a new file's directory entry durable too. */
static void sync_parent(const char *path)
{
    char *dir = os_dirname(path);
    int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

static int create(os_journal *j, uint64_t fingerprint, size_t n, os_error *err)
{
    char head[128];
    int len = header_line(head, sizeof head, fingerprint, n, j->budget, j->versions);
    j->fd = open(j->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (j->fd < 0 || os_write_all(j->fd, head, (size_t)len) || fsync(j->fd))
        return os_error_set(err, OS_ERR_IO, "%s: cannot write: %s", j->path, strerror(errno));
    sync_parent(j->path);
    return 0;
}

static int read_file(const char *path, char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap && os_reserve(&buf, &cap, cap + 1, 65536)) {
            free(buf);
            fclose(f);
            errno = ENOMEM;
            return -1;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return -1;
    }
    *data = buf;
    *size = n;
    return 0;
}

/* Replays data into results; *keep gets the length of the intact part. */
static int replay(os_journal *j, const char *data, size_t size, uint64_t fingerprint, size_t n,
                  os_trial_result *results, unsigned char *done, size_t *n_done, size_t *keep,
                  os_error *err)
{
    char head[128];
    size_t head_len = (size_t)header_line(head, sizeof head, fingerprint, n, j->budget,
                                          j->versions);
    const char *nl = memchr(data, '\n', size);
    if (!nl) { /* torn while the header was written: nothing was done yet */
        *keep = 0;
        return 0;
    }
    if ((size_t)(nl + 1 - data) != head_len || memcmp(data, head, head_len)) {
        if (!strncmp(data, OLD_TAG, strlen(OLD_TAG)))
            return os_error_set(err, OS_ERR_CONFIG, "%s: the journal was written by an earlier "
                                "optselect (journal format 1), whose fingerprint this one "
                                "cannot check; use another --output folder, or remove it to "
                                "start over", j->path);
        if (strncmp(data, HEADER_TAG " ", sizeof HEADER_TAG))
            return os_error_set(err, OS_ERR_DATA, "%s:1: not an optselect journal", j->path);
        /* the same study, other builds of its plugins */
        size_t part = (size_t)study_part(head, sizeof head, fingerprint, n, j->budget);
        if ((size_t)(nl - data) > part && !memcmp(data, head, part) &&
            (data[part] == ' ' || data[part] == '\t'))
            return os_error_set(err, OS_ERR_CONFIG, "%s: the journal's trials ran with other "
                                "versions of the plugins than now (%s): they measured other "
                                "optimizers; use another --output folder, or remove it to "
                                "start over", j->path, j->versions_text && *j->versions_text
                                ? j->versions_text : "none versioned");
        return os_error_set(err, OS_ERR_CONFIG, "%s: the journal belongs to a different "
                            "study (another config, --set, plugin or training script); use "
                            "another --output "
                            "folder, or remove it to start over", j->path);
    }
    size_t line_no = 1, pos = head_len;
    *keep = pos;
    while (pos < size) {
        line_no++;
        const char *line = data + pos;
        nl = memchr(line, '\n', size - pos);
        if (!nl) /* torn last record: the trial was not done */
            break;
        size_t len = (size_t)(nl - line), index;
        os_trial_result r;
        int bad = os_record_decode(line, len, &index, &r);
        if (bad == -2)
            return os_error_set(err, OS_ERR_NOMEM, "%s: out of memory reading it", j->path);
        if (bad || index >= n) {
            os_trial_result_free(&r);
            if (nl + 1 == data + size) /* a torn record of full length */
                break;
            return os_error_set(err, OS_ERR_DATA, "%s:%zu: damaged record (bad checksum or "
                                "syntax) with more records after it; the journal cannot be "
                                "trusted: remove it to start over", j->path, line_no);
        }
        if (done[index]) {
            os_trial_result_free(&r);
        } else {
            results[index] = r;
            done[index] = 1;
            (*n_done)++;
        }
        pos += len + 1;
        *keep = pos;
    }
    return 0;
}

uint64_t os_journal_budget(const char *path)
{
    char line[160];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    char *tab = got ? strchr(line, '\t') : NULL;
    uint32_t want;
    uint64_t fp, budget;
    size_t n;
    if (!tab || sscanf(tab + 1, "%8" SCNx32, &want) != 1 || crc(line, (size_t)(tab - line)) != want)
        return 0;
    *tab = '\0';
    if (sscanf(line, HEADER_TAG " %16" SCNx64 " %zu %" SCNu64, &fp, &n, &budget) != 3)
        return 0;
    return budget;
}

int os_journal_open(os_journal *j, const char *path, uint64_t fingerprint, size_t n,
                    os_trial_result *results, unsigned char *done, size_t *n_done,
                    os_error *err)
{
    *n_done = 0;
    j->fd = -1;
    if (!(j->path = os_strdup(path)))
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    char *data = NULL;
    size_t size = 0, keep = 0;
    if (read_file(path, &data, &size)) {
        if (errno == ENOENT)
            return create(j, fingerprint, n, err);
        if (errno == ENOMEM)
            return os_error_set(err, OS_ERR_NOMEM, "%s: out of memory reading it", path);
        return os_error_set(err, OS_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    }
    int rc = size ? replay(j, data, size, fingerprint, n, results, done, n_done, &keep, err)
                  : 0;
    free(data);
    if (rc)
        return rc;
    if (keep == 0)
        return create(j, fingerprint, n, err);
    j->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (j->fd < 0 || (keep < size && (ftruncate(j->fd, (off_t)keep) || fsync(j->fd))))
        return os_error_set(err, OS_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

int os_journal_append(os_journal *j, size_t index, const os_trial_result *r, os_error *err)
{
    size_t len;
    char *line = os_record_encode(index, r, &len);
    if (!line)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for a journal record");
    int bad = os_write_all(j->fd, line, len) || fdatasync(j->fd);
    free(line);
    if (bad)
        return os_error_set(err, OS_ERR_IO, "%s: cannot write: %s", j->path, strerror(errno));
    return 0;
}

void os_journal_close(os_journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    free(j->path);
    j->fd = -1;
    j->path = NULL;
}
