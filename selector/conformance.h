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

#endif
