/*
 * spawn.h — one run of an outside program, read line by line: started in a
 * process group of its own (so that a time-out or a stop kills everything
 * it started), with standard input from /dev/null and its standard output
 * and error each in a pipe, and killed with it should optselect die
 * (PR_SET_PDEATHSIG).  Safe from any thread: everything the child needs is
 * made before fork, and every descriptor is close-on-exec.
 */
#ifndef OS_SPAWN_H
#define OS_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#define OS_SPAWN_LINE 65536 /* longer lines arrive in pieces of this size */

typedef struct os_spawn {
    pid_t  pid;
    int    fd[2];              /* stdout, stderr read ends; -1 at EOF    */
    char  *buf[2];             /* each a partial line                    */
    size_t len[2];
} os_spawn;

/* The file that running name in dir would execute: a path as it is
 * (relative to dir), or the first executable of that name in PATH;
 * malloc'd, or NULL with why[size]. */
char *os_spawn_resolve(const char *name, const char *dir, char *why, size_t size);

/* Finds argv[0] (in PATH unless it has a '/'; relative to dir then) and
 * starts it in dir with envp.  0, or -1 with why[size] (no such program,
 * not executable, out of memory, fork failed). */
int os_spawn_start(os_spawn *sp, char *const *argv, char *const *envp, const char *dir,
                   char *why, size_t size);

/* Waits up to ms milliseconds for output and hands each whole line (no
 * newline; stream 1 or 2) to line(ctx, ...), which returns nonzero to
 * hear no more from this poll.  1 while either pipe is open, 0 once both
 * reached end of file (the last partial lines handed over). */
int os_spawn_poll(os_spawn *sp, int ms, int (*line)(void *ctx, int stream, char *text),
                  void *ctx);

/* SIGKILL to its process group. */
void os_spawn_kill(const os_spawn *sp);

/* Closes the pipes and reaps it: the wait status (waitpid's). */
int os_spawn_wait(os_spawn *sp);

#endif
