/* spawn.c — see spawn.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "spawn.h"
#include "util.h"

char *os_spawn_resolve(const char *name, const char *dir, char *why, size_t size)
{
    if (strchr(name, '/')) {
        char *p = name[0] == '/' ? os_strdup(name) : os_path_join(dir, name);
        if (p && access(p, X_OK)) {
            snprintf(why, size, "cannot run '%s': %s", name, strerror(errno));
            free(p);
            return NULL;
        }
        return p;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        char *d = n ? strndup(p, n) : os_strdup(".");
        char *f = d ? os_path_join(d, name) : NULL;
        free(d);
        struct stat st;
        if (f && access(f, X_OK) == 0 && stat(f, &st) == 0 && S_ISREG(st.st_mode))
            return f;
        free(f);
        p += n + (p[n] == ':');
    }
    snprintf(why, size, "cannot find the program '%s' in PATH", name);
    return NULL;
}

/* In the child, after fork: only async-signal-safe calls. */
static void child(const char *file, char *const *argv, char *const *envp, const char *dir,
                  int out, int err, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(127);
    static const char cd[] = "optselect: cannot enter the trainer's workdir\n";
    static const char ex[] = "optselect: cannot execute the trainer\n";
    if (chdir(dir)) {
        (void)!write(2, cd, sizeof cd - 1);
        _exit(127);
    }
    execve(file, argv, envp);
    (void)!write(2, ex, sizeof ex - 1);
    _exit(127);
}

int os_spawn_start(os_spawn *sp, char *const *argv, char *const *envp, const char *dir,
                   char *why, size_t size)
{
    *sp = (os_spawn){ .pid = -1, .fd = { -1, -1 } };
    int out[2] = { -1, -1 }, err[2] = { -1, -1 };
    char *file = os_spawn_resolve(argv[0], dir, why, size);
    if (!file)
        return -1;
    sp->buf[0] = malloc(OS_SPAWN_LINE + 1);
    sp->buf[1] = malloc(OS_SPAWN_LINE + 1);
    if (!sp->buf[0] || !sp->buf[1] || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
        snprintf(why, size, "cannot start '%s': %s", argv[0],
                 sp->buf[1] ? strerror(errno) : "out of memory");
        goto fail;
    }
    pid_t parent = getpid();
    sp->pid = fork();
    if (sp->pid == 0)
        child(file, argv, envp, dir, out[1], err[1], parent);
    if (sp->pid < 0) {
        snprintf(why, size, "cannot start '%s': fork: %s", argv[0], strerror(errno));
        goto fail;
    }
    setpgid(sp->pid, sp->pid); /* either side may come first */
    close(out[1]);
    close(err[1]);
    sp->fd[0] = out[0];
    sp->fd[1] = err[0];
    free(file);
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (err[i] >= 0)
            close(err[i]);
        free(sp->buf[i]);
        sp->buf[i] = NULL;
    }
    free(file);
    sp->pid = -1;
    return -1;
}

/* Hands over the whole lines in stream k's buffer (all of it at EOF). */
static int drain(os_spawn *sp, int k, int eof, int (*line)(void *, int, char *), void *ctx)
{
    char *b = sp->buf[k];
    size_t start = 0;
    int stop = 0;
    for (size_t i = 0; i < sp->len[k] && !stop; i++)
        if (b[i] == '\n') {
            b[i] = 0;
            if (i > start && b[i - 1] == '\r')
                b[i - 1] = 0;
            stop = line(ctx, k + 1, b + start);
            start = i + 1;
        }
    if (!stop && (eof || sp->len[k] - start == OS_SPAWN_LINE) && sp->len[k] > start) {
        b[sp->len[k]] = 0;
        stop = line(ctx, k + 1, b + start);
        start = sp->len[k];
    }
    memmove(b, b + start, sp->len[k] - start);
    sp->len[k] -= start;
    return stop;
}

int os_spawn_poll(os_spawn *sp, int ms, int (*line)(void *ctx, int stream, char *text),
                  void *ctx)
{
    struct pollfd p[2];
    int n = 0, which[2];
    for (int k = 0; k < 2; k++)
        if (sp->fd[k] >= 0) {
            p[n] = (struct pollfd){ .fd = sp->fd[k], .events = POLLIN };
            which[n++] = k;
        }
    if (!n)
        return 0;
    if (poll(p, (nfds_t)n, ms) < 0)
        return 1; /* EINTR: again next time */
    for (int i = 0; i < n; i++) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        int k = which[i];
        ssize_t got = read(sp->fd[k], sp->buf[k] + sp->len[k], OS_SPAWN_LINE - sp->len[k]);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0) {
            close(sp->fd[k]);
            sp->fd[k] = -1;
            drain(sp, k, 1, line, ctx);
            sp->len[k] = 0;
            continue;
        }
        sp->len[k] += (size_t)got;
        if (drain(sp, k, 0, line, ctx))
            break;
    }
    return sp->fd[0] >= 0 || sp->fd[1] >= 0;
}

void os_spawn_kill(const os_spawn *sp)
{
    if (sp->pid > 0)
        kill(-sp->pid, SIGKILL);
}

int os_spawn_wait(os_spawn *sp)
{
    int status = 0;
    for (int k = 0; k < 2; k++) {
        if (sp->fd[k] >= 0)
            close(sp->fd[k]);
        sp->fd[k] = -1;
        free(sp->buf[k]);
        sp->buf[k] = NULL;
    }
    if (sp->pid > 0)
        while (waitpid(sp->pid, &status, 0) < 0 && errno == EINTR)
            ;
    sp->pid = -1;
    return status;
}
