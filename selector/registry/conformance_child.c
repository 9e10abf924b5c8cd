/*
 * conformance_child.c — `--check-plugin` with the plugin kept at arm's
 * length: the suite runs in a child process whose standard output and
 * error are captured, so a plugin that crashes, aborts, exits, hangs or
 * prints fails a check with its cause, and the checker itself always ends
 * with its summary and the status for failed checks.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "conformance.h"
#include "util.h"

/* Seconds without a finished check before the plugin counts as hung. */
#define QUIET_LIMIT 10.0

typedef struct watch {
    char   lines[8192];   /* the report, as far as a line is complete      */
    size_t n_lines;
    char   output[160];   /* the first bytes the plugin wrote itself       */
    size_t n_output, total_output;
    int    checks, failed; /* the report's pass and FAIL lines             */
    int    summary;        /* its closing line came: the suite ran through */
} watch;

static void child(const char *path, int report_fd, int output_fd)
{
    /* whatever the plugin writes lands in the output pipe */
    dup2(output_fd, STDOUT_FILENO);
    dup2(output_fd, STDERR_FILENO);
    close(output_fd);
    FILE *out = fdopen(report_fd, "w");
    if (!out)
        _exit(99);
    setvbuf(out, NULL, _IOLBF, 0);
    os_conformance_run(path, out);
    fclose(out);
    _exit(0); /* the verdict travels in the report, not the status */
}

/* Forwards complete report lines to out, keeping the summary to itself. */
static void take_report(watch *w, const char *buf, size_t n, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        if (w->n_lines + 1 < sizeof w->lines)
            w->lines[w->n_lines++] = buf[i];
        if (buf[i] != '\n')
            continue;
        w->lines[w->n_lines] = '\0';
        int total, bad;
        if (sscanf(w->lines, "%d checks, %d failed", &total, &bad) == 2) {
            w->summary = 1; /* the child's count is ours too: counted as read */
        } else {
            w->checks += !strncmp(w->lines, "pass  ", 6) || !strncmp(w->lines, "FAIL  ", 6);
            w->failed += !strncmp(w->lines, "FAIL  ", 6);
            fputs(w->lines, out);
        }
        w->n_lines = 0;
    }
}

static void take_output(watch *w, const char *buf, size_t n)
{
    w->total_output += n;
    for (size_t i = 0; i < n && w->n_output + 1 < sizeof w->output; i++)
        w->output[w->n_output++] = buf[i] == '\n' ? ' ' : buf[i];
    w->output[w->n_output] = '\0';
}

/* Reads both pipes until the report ends; 1 if the child went quiet for
 * QUIET_LIMIT seconds (it is then killed). */
static int follow(watch *w, int report_fd, int output_fd, pid_t pid, FILE *out)
{
    struct pollfd pfd[2] = { { report_fd, POLLIN, 0 }, { output_fd, POLLIN, 0 } };
    double last = os_seconds();
    char buf[4096];
    while (pfd[0].fd >= 0) {
        int ready = poll(pfd, 2, 200);
        if (ready < 0 && errno != EINTR)
            break;
        for (int k = 0; k < 2 && ready > 0; k++) {
            if (pfd[k].fd < 0 || !(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t got = read(pfd[k].fd, buf, sizeof buf);
            if (got <= 0) {
                pfd[k].fd = -1;
                continue;
            }
            if (k == 0) {
                take_report(w, buf, (size_t)got, out);
                last = os_seconds();
            } else {
                take_output(w, buf, (size_t)got);
            }
        }
        if (os_seconds() - last > QUIET_LIMIT) {
            kill(pid, SIGKILL);
            return 1;
        }
    }
    /* what the plugin wrote after the report closed */
    ssize_t got;
    while (pfd[1].fd >= 0 && (got = read(pfd[1].fd, buf, sizeof buf)) > 0)
        take_output(w, buf, (size_t)got);
    return 0;
}

int os_conformance_run_isolated(const char *path, FILE *out)
{
    int report[2] = { -1, -1 }, output[2] = { -1, -1 };
    if (pipe(report) || pipe(output)) {
        int e = errno;
        if (output[0] < 0 && report[0] >= 0) { /* the second pipe failed */
            close(report[0]);
            close(report[1]);
        }
        fprintf(out, "FAIL  %s: cannot start the checker: %s\n1 checks, 1 failed\n", path,
                strerror(e));
        return 1;
    }
    fflush(out);
    pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        close(output[0]);
        child(path, report[1], output[1]);
    }
    close(report[1]);
    close(output[1]);
    watch w = { .checks = 0 };
    int hung = pid > 0 && follow(&w, report[0], output[0], pid, out);
    close(report[0]);
    close(output[0]);
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int checks = w.checks, failed = w.failed;
    /* the checks the child could not report on itself */
    char why[200] = "";
    if (pid < 0)
        snprintf(why, sizeof why, "cannot start the checker: %s", strerror(errno));
    else if (hung)
        snprintf(why, sizeof why, "no check finished for %.0f s: the plugin hangs (killed)",
                 QUIET_LIMIT);
    else if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "the plugin crashed: signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (!w.summary)
        snprintf(why, sizeof why, "the plugin ended the process (exit status %d) before "
                 "the checks did", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    if (why[0]) {
        checks++;
        failed++;
        fprintf(out, "FAIL  %s: the checks run to their end: %s\n", path, why);
    }
    checks++;
    if (w.total_output) {
        failed++;
        fprintf(out, "FAIL  %s: the plugin writes nothing to standard output or error: it "
                "wrote %zu bytes (\"%s\")\n", path, w.total_output, w.output);
    } else {
        fprintf(out, "pass  %s: the plugin writes nothing to standard output or error\n",
                path);
    }
    fprintf(out, "%d checks, %d failed\n", checks, failed);
    return failed;
}
