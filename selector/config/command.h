/*
 * command.h — a [trainer] command: the user's training program as words
 * with placeholders ({lr}, {steps}, {momentum}...), split once when the
 * config loads and expanded for every run of a trial (docs/trainers.md).
 *
 * The words are split here, not by a shell: a value (a path with spaces,
 * a rate) is always one argument, whatever it holds.  Quotes group words
 * ('...' literally, "..." with \" and \\), a backslash escapes the next
 * character outside them, {{ and }} are literal braces.  A command that
 * wants a shell says so: sh -c '...'.
 */
#ifndef OS_COMMAND_H
#define OS_COMMAND_H

#include <stddef.h>

typedef struct os_command {
    char  **words;      /* unexpanded; NULL-terminated                       */
    size_t  n_words;
} os_command;

/* Splits text into cmd's words; 0, or -1 with why: an unclosed quote or
 * brace, an empty placeholder, no words at all. */
int  os_command_split(const char *text, os_command *cmd, char *why, size_t size);
void os_command_free(os_command *cmd);

/* Calls fn(ctx, NAME) for each placeholder of the words, in order; stops
 * at and returns fn's first nonzero. */
int os_command_each(const os_command *cmd, int (*fn)(void *ctx, const char *name), void *ctx);

/* The values of one run, by placeholder name. */
typedef struct os_vars {
    char  **names, **values;
    size_t  n, cap;
} os_vars;

/* Adds NAME = the printf-formatted value; 0 or -1 without memory. */
int os_vars_set(os_vars *v, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with a double as the shortest text that reads back as it. */
int os_vars_set_double(os_vars *v, const char *name, double x);
const char *os_vars_get(const os_vars *v, const char *name);
void os_vars_free(os_vars *v);

/* The placeholders every trial has, with what each holds (what
 * docs/trainers.md lists); a hyperparameter's name is one too. */
typedef struct os_placeholder {
    const char *name, *help;
} os_placeholder;
extern const os_placeholder os_command_standard[];
extern const size_t os_command_n_standard;
int os_command_is_standard(const char *name);

/* The words with every placeholder replaced (NULL-terminated, each
 * malloc'd; os_strv_free).  NULL without memory or when a placeholder has
 * no value (then missing[64] names it). */
char **os_command_expand(const os_command *cmd, const os_vars *v, char *missing);

/* The environment of a run: the caller's, then OPTSELECT_NAME=value for
 * every value (NAME in capitals), then `extra` (NAME=VALUE strings, NULL-
 * terminated, may be NULL), each replacing any earlier one of its name. */
char **os_command_environ(char *const *base, const os_vars *v, char *const *extra);

void os_strv_free(char **v);

#endif
