/*
 * registry.h — finds optimizer plugins, loads them with dlopen, checks the
 * ABI handshake and the descriptor, and looks optimizers up by label.
 */
#ifndef OS_REGISTRY_H
#define OS_REGISTRY_H

#include <stddef.h>
#include <stdio.h>
#include <optselect/plugin.h>
#include "error.h"

/* One optimizer that passed every check, or (with probing) a stand-in for
 * a plugin file that did not load. */
typedef struct os_registry_entry {
    const os_optimizer *opt;  /* owned by the plugin; valid until free      */
    const char         *path; /* file it came from; owned by the registry   */
    const char         *refused; /* NULL; or why the file was refused, when
                                    probing: opt is then a stand-in labelled
                                    after the file, and its trials fail     */
    const os_optimizer *base; /* a config's labelled variant: the loaded
                                 optimizer it copies; NULL otherwise       */
} os_registry_entry;

typedef struct os_registry {
    os_registry_entry *entries;  /* in load order                           */
    size_t             n;
    void             **handles;  /* one per loaded file, closed by free     */
    char             **paths;    /* file names, parallel to handles         */
    size_t             n_files;
    int                probe;    /* set before loading: load each file in a
                                    child process first; a file that fails
                                    or crashes there becomes a refused
                                    stand-in instead of an error           */
    void             **stand_ins; /* refused entries' storage               */
    size_t             n_stand_ins;
} os_registry;

/* Loads every optimizer of one shared object.  A label already present is
 * an error when it comes from the same file, and is skipped (the earlier
 * file shadows it) otherwise, as PATH does.
 *
 * Only a path is loaded, never a bare name (which dlopen would look up in
 * the dynamic linker's search path), and only a file that nobody else can
 * replace: a file or directory writable by group or others, or owned by
 * another user than the caller or root, is refused. */
int os_registry_load_file(os_registry *reg, const char *path, os_error *err);

/* Loads every "*.so" of every directory in a colon-separated list, in list
 * order and by name within a directory.  Missing directories are skipped. */
int os_registry_load_path(os_registry *reg, const char *dirs, os_error *err);

/* The default search: $OPTSELECT_PLUGIN_PATH, then plugins/.libs beside the
 * executable (an uninstalled build tree), then the install directory. */
int os_registry_load_default(os_registry *reg, os_error *err);

/* The entry with this label, or NULL. */
const os_registry_entry *os_registry_find(const os_registry *reg, const char *label);

/* Index of a hyperparameter by name in opt's table, or -1. */
int os_hparam_index(const os_optimizer *opt, const char *name);

/* The descriptor's eval_params, or NULL when it has none or predates ABI 1.1
 * (whose descriptors end before that field). */
typedef int (*os_eval_params_fn)(const os_env *, const void *, const float *, float *);
os_eval_params_fn os_optimizer_eval_params(const os_optimizer *d);

/* --list-plugins (registry_list.c): each optimizer with its file, ABI and
 * version, state floats per parameter and hyperparameters. */
void os_registry_list(const os_registry *reg, FILE *out);

/* The descriptor's version, or 0 when it predates ABI 1.2 (or has none). */
uint32_t os_optimizer_version(const os_optimizer *d);

/* The env the host hands a plugin: the layout, the hyperparameters, the
 * message buffer, and the host's minor and env size (ABI 1.2). */
os_env os_plugin_env(const os_layout *layout, const double *hparams, char *err, size_t size);

/* [search] decay = weights: flags[k] (layout->n_tensors of them) is 0 for a
 * bias or a norm, which take no weight decay, and 1 for every other role,
 * as torch's two parameter groups split them (os_env.decays). */
void os_plugin_decays(const os_layout *layout, unsigned char *flags);

/* A plugin's error code by its name in the header's map, with its default
 * text ("OS_EINVAL: invalid hyperparameter or argument"). */
const char *os_plugin_error_name(int code);

/* Checks a descriptor the way the loader does; exposed for tests. */
int os_descriptor_check(const os_optimizer *d, const char *path, os_error *err);

void os_registry_free(os_registry *reg);

#endif
