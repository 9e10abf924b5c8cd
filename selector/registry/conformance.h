/*
 * conformance.h — the plugin conformance suite behind
 * `optselect --check-plugin FILE`.
 */
#ifndef OS_CONFORMANCE_H
#define OS_CONFORMANCE_H

#include <stdio.h>
#include "registry.h"

/* Loads the plugin at path on its own and checks every optimizer it holds,
 * printing "pass  ..." or "FAIL  ..." per check and a closing
 * "N checks, M failed" line to out.  Returns the number of failed checks. */
int os_conformance_run(const char *path, FILE *out);

/* The same in a child process (conformance_child.c): a plugin that
 * crashes, aborts, exits or hangs (no check finished for 10 s) fails a
 * check with its cause instead of taking the checker down, and one check
 * more fails when the plugin wrote anything to standard output or error.
 * The closing line counts every check.  Returns the number failed. */
int os_conformance_run_isolated(const char *path, FILE *out);

#endif
