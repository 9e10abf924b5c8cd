/* results.c — see results.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "plot.h"
#include "report.h"
#include "results.h"
#include "util.h"

int os_results_prepare(const char *dir, os_error *err)
{
    if (os_make_dirs(dir) == 0)
        return 0;
    return os_error_set(err, OS_ERR_IO, "%s: cannot create the results folder: %s", dir,
                        errno == EEXIST ? "a file of that name exists" : strerror(errno));
}

int os_results_lock(const char *dir, int *fd, os_error *err)
{
    *fd = -1;
    char *path = os_path_join(dir, ".lock");
    if (!path)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644), rc = 0;
    if (lock < 0) {
        rc = os_error_set(err, OS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    } else if (flock(lock, LOCK_EX | LOCK_NB)) {
        int e = errno;
        char holder[32] = "";
        ssize_t got = e == EWOULDBLOCK ? pread(lock, holder, sizeof holder - 1, 0) : -1;
        holder[got > 0 ? got : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        rc = e != EWOULDBLOCK
           ? os_error_set(err, OS_ERR_IO, "%s: cannot lock: %s", path, strerror(e))
           : os_error_set(err, OS_ERR_CONFIG, "%s: another optselect (pid %s) is writing "
                          "this results folder; wait for it to finish, or use another "
                          "--output", dir, holder[0] ? holder : "unknown");
    } else {
        /* the holder's pid, for the message another process gets */
        char pid[32];
        int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (ftruncate(lock, 0) || pwrite(lock, pid, (size_t)len, 0) != len)
            rc = os_error_set(err, OS_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    }
    free(path);
    if (rc) {
        if (lock >= 0)
            close(lock);
        return rc;
    }
    *fd = lock;
    return 0;
}

void os_results_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* and with it the lock; the file stays, for the next */
}

char *os_results_path(const char *dir, const char *name)
{
    return os_path_join(dir, name);
}

int os_write_atomic(const char *path, int (*fill)(FILE *out, const void *arg),
                    const void *arg, os_error *err)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int rc = 0;
    if (!f) {
        /* named by the final path: the temporary name means nothing to the user */
        rc = os_error_set(err, OS_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    } else {
        int filled = fill(f, arg);
        if (filled == -2) {
            fclose(f);
            remove(tmp);
            free(tmp);
            return os_error_set(err, OS_ERR_NOMEM, "%s: out of memory", path);
        }
        int bad = filled != 0;
        bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
        int saved = errno;
        bad |= fclose(f) != 0;
        if (bad || rename(tmp, path) != 0) {
            rc = os_error_set(err, OS_ERR_IO, "%s: cannot write: %s", path,
                              strerror(bad && saved ? saved : errno));
            remove(tmp);
        }
    }
    free(tmp);
    return rc;
}

static int write_in(const char *dir, const char *name, int (*fill)(FILE *, const void *),
                    const void *arg, os_error *err)
{
    char *path = os_results_path(dir, name);
    if (!path)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    int rc = os_write_atomic(path, fill, arg, err);
    free(path);
    return rc;
}

static int fill_config(FILE *out, const void *arg)
{
    const os_config *cfg = arg;
    fputs("# The effective configuration of this study: every key as optselect ran\n"
          "# it.  `optselect --resume DIR` continues the study in this folder;\n"
          "# `optselect config.ini` runs it again from the start.\n\n", out);
    return os_config_write_effective(cfg, out);
}

static int fill_json(FILE *out, const void *arg)
{
    return os_report_write(out, arg, OS_FORMAT_JSON);
}

static int fill_csv(FILE *out, const void *arg)
{
    return os_report_write(out, arg, OS_FORMAT_CSV);
}

int os_results_write_config(const char *dir, const os_config *cfg, os_error *err)
{
    return write_in(dir, "config.ini", fill_config, cfg, err);
}

static int fill_curves(FILE *out, const void *arg) { return os_report_curves_csv(out, arg); }
static int fill_curves_svg(FILE *out, const void *arg) { return os_plot_curves(out, arg); }
static int fill_lr_svg(FILE *out, const void *arg) { return os_plot_lr(out, arg); }
static int fill_paths_svg(FILE *out, const void *arg) { return os_plot_paths(out, arg); }
static int fill_lrfind_svg(FILE *out, const void *arg) { return os_plot_lrfind(out, arg); }

int os_results_write_reports(const char *dir, const os_study *s, os_error *err)
{
    int rc = write_in(dir, "report.json", fill_json, s, err);
    if (!rc)
        rc = write_in(dir, "trials.csv", fill_csv, s, err);
    if (!rc)
        rc = write_in(dir, "curves.csv", fill_curves, s, err);
    if (!rc)
        rc = write_in(dir, "curves.svg", fill_curves_svg, s, err);
    if (!rc)
        rc = write_in(dir, "lr.svg", fill_lr_svg, s, err);
    if (!rc && s->fn)
        rc = write_in(dir, "paths.svg", fill_paths_svg, s, err);
    if (!rc && os_study_lrfind_steps(s))
        rc = write_in(dir, "lrfind.svg", fill_lrfind_svg, s, err);
    return rc;
}
