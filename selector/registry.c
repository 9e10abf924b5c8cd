/*
 * registry.c — plugin discovery and the ABI handshake.
 *
 * A plugin is trusted only as far as its descriptor checks out: every field
 * the host reads is validated here once, so the rest of the program can use
 * descriptors without defensive code.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "registry.h"
#include "util.h"

#define MAX_PER_FILE 1024  /* a runaway descriptor function must not hang us */

static int name_ok(const char *s, const char *extra)
{
    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              strchr(extra, *s)))
            return 0;
    return 1;
}

/* A descriptor claiming 1.minor must cover that minor's fields; a minor
 * newer than this host's must cover at least every field the host knows. */
static size_t required_size(uint32_t minor)
{
    return minor == 0 ? OS_OPTIMIZER_SIZE_1_0 : OS_OPTIMIZER_SIZE_1_1;
}

os_eval_params_fn os_optimizer_eval_params(const os_optimizer *d)
{
    return d->abi_minor >= 1 ? d->eval_params : NULL;
}

static int check_hparams(const os_optimizer *d, const char *path, os_error *err)
{
    if (d->n_hparams > 0 && !d->hparams)
        return os_error_set(err, OS_ERR_PLUGIN, "%s: optimizer '%s' declares %zu "
                            "hyperparameters but no table", path, d->label, d->n_hparams);
    if (d->n_hparams > 64)
        return os_error_set(err, OS_ERR_PLUGIN, "%s: optimizer '%s' declares %zu "
                            "hyperparameters (at most 64)", path, d->label, d->n_hparams);
    for (size_t i = 0; i < d->n_hparams; i++) {
        const os_hparam *h = &d->hparams[i];
        if (!name_ok(h->name, "") || !strcmp(h->name, "lr") || !strcmp(h->name, "lr_range") ||
            !strcmp(h->name, "lr_points"))
            return os_error_set(err, OS_ERR_PLUGIN, "%s: optimizer '%s': hyperparameter %zu "
                                "has an invalid or reserved name", path, d->label, i);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(d->hparams[j].name, h->name))
                return os_error_set(err, OS_ERR_PLUGIN, "%s: optimizer '%s': hyperparameter "
                                    "'%s' is declared twice", path, d->label, h->name);
        if (!isfinite(h->min) || !isfinite(h->max) || !(h->min <= h->default_value) ||
            !(h->default_value <= h->max))
            return os_error_set(err, OS_ERR_PLUGIN, "%s: optimizer '%s': hyperparameter '%s' "
                                "needs finite min <= default <= max", path, d->label, h->name);
        if ((h->flags & OS_HP_LOG) && h->min <= 0)
            return os_error_set(err, OS_ERR_PLUGIN, "%s: optimizer '%s': hyperparameter '%s' "
                                "is log-scaled but its minimum is not positive",
                                path, d->label, h->name);
        if ((h->flags & OS_HP_BOOL) && (h->min != 0 || h->max != 1 ||
                                        (h->default_value != 0 && h->default_value != 1)))
            return os_error_set(err, OS_ERR_PLUGIN, "%s: optimizer '%s': boolean '%s' must "
                                "range over 0 and 1", path, d->label, h->name);
    }
    return 0;
}

int os_descriptor_check(const os_optimizer *d, const char *path, os_error *err)
{
    if (d->abi_major != OS_PLUGIN_ABI_MAJOR)
        return os_error_set(err, OS_ERR_PLUGIN, "%s: built for plugin ABI %u.%u, but this "
                            "optselect supports ABI %d.x (it is %d.%d)", path,
                            (unsigned)d->abi_major, (unsigned)d->abi_minor,
                            OS_PLUGIN_ABI_MAJOR, OS_PLUGIN_ABI_MAJOR, OS_PLUGIN_ABI_MINOR);
    if (d->float_size != sizeof(float))
        return os_error_set(err, OS_ERR_PLUGIN, "%s: built with sizeof(float) = %u, "
                            "this optselect has %zu", path, (unsigned)d->float_size,
                            sizeof(float));
    if (d->struct_size < required_size(d->abi_minor))
        return os_error_set(err, OS_ERR_PLUGIN, "%s: descriptor is %u bytes, but plugin ABI "
                            "%u.%u needs at least %zu (built against a broken header?)",
                            path, (unsigned)d->struct_size, (unsigned)d->abi_major,
                            (unsigned)d->abi_minor, required_size(d->abi_minor));
    if (!name_ok(d->label, "-"))
        return os_error_set(err, OS_ERR_PLUGIN, "%s: optimizer label is missing or not "
                            "[a-z0-9_-]{1,64}", path);
    if (!d->summary)
        return os_error_set(err, OS_ERR_PLUGIN, "%s: optimizer '%s' has no summary",
                            path, d->label);
    if (!(d->default_lr > 0) || !isfinite(d->default_lr))
        return os_error_set(err, OS_ERR_PLUGIN, "%s: optimizer '%s' has default_lr %g; it "
                            "must be positive and finite", path, d->label, d->default_lr);
    if (!d->state_bytes || !d->init || !d->step)
        return os_error_set(err, OS_ERR_PLUGIN, "%s: optimizer '%s' lacks state_bytes, "
                            "init or step", path, d->label);
    return check_hparams(d, path, err);
}

const os_registry_entry *os_registry_find(const os_registry *reg, const char *label)
{
    for (size_t i = 0; i < reg->n; i++)
        if (!strcmp(reg->entries[i].opt->label, label))
            return &reg->entries[i];
    return NULL;
}

int os_hparam_index(const os_optimizer *opt, const char *name)
{
    for (size_t i = 0; i < opt->n_hparams; i++)
        if (!strcmp(opt->hparams[i].name, name))
            return (int)i;
    return -1;
}

int os_registry_load_file(os_registry *reg, const char *path, os_error *err)
{
    dlerror();
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        return os_error_set(err, OS_ERR_PLUGIN, "%s: cannot load: %s", path, dlerror());

    os_descriptor_fn fn;
    /* POSIX guarantees a data pointer from dlsym converts to a function pointer. */
    *(void **)&fn = dlsym(handle, OS_PLUGIN_ENTRY);
    if (!fn) {
        dlclose(handle);
        return os_error_set(err, OS_ERR_PLUGIN, "%s: not an optselect plugin: it does not "
                            "export %s()", path, OS_PLUGIN_ENTRY);
    }

    char *own_path = os_strdup(path);
    void **handles = realloc(reg->handles, (reg->n_files + 1) * sizeof *handles);
    char **paths = handles ? realloc(reg->paths, (reg->n_files + 1) * sizeof *paths) : NULL;
    if (handles) reg->handles = handles;
    if (paths) reg->paths = paths;
    if (!own_path || !handles || !paths) {
        free(own_path);
        dlclose(handle);
        return os_error_set(err, OS_ERR_NOMEM, "%s: out of memory", path);
    }
    reg->handles[reg->n_files] = handle;
    reg->paths[reg->n_files] = own_path;
    reg->n_files++;

    size_t first_of_file = reg->n, index;
    for (index = 0; index < MAX_PER_FILE; index++) {
        const os_optimizer *d = fn(index);
        if (!d)
            break;
        int rc = os_descriptor_check(d, path, err);
        if (rc)
            return rc;
        const os_registry_entry *dup = os_registry_find(reg, d->label);
        if (dup && (size_t)(dup - reg->entries) >= first_of_file)
            return os_error_set(err, OS_ERR_PLUGIN, "%s: optimizer label '%s' appears twice "
                                "in this file", path, d->label);
        if (dup)
            continue; /* shadowed by a file earlier in the search path */
        os_registry_entry *e = realloc(reg->entries, (reg->n + 1) * sizeof *e);
        if (!e)
            return os_error_set(err, OS_ERR_NOMEM, "%s: out of memory", path);
        reg->entries = e;
        reg->entries[reg->n++] = (os_registry_entry){ d, own_path };
    }
    if (index == 0)
        return os_error_set(err, OS_ERR_PLUGIN, "%s: %s(0) returned no optimizer",
                            path, OS_PLUGIN_ENTRY);
    if (index == MAX_PER_FILE)
        return os_error_set(err, OS_ERR_PLUGIN, "%s: %s() never returned NULL (more than "
                            "%d optimizers)", path, OS_PLUGIN_ENTRY, MAX_PER_FILE);
    return 0;
}

static int has_so_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && !strcmp(name + n - 3, ".so");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(os_registry *reg, const char *dir, os_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!has_so_suffix(de->d_name))
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        char *full = grown ? os_path_join(dir, de->d_name) : NULL;
        if (grown)
            names = grown;
        if (!full) {
            rc = os_error_set(err, OS_ERR_NOMEM, "%s: out of memory", dir);
            break;
        }
        names[n++] = full;
    }
    closedir(d);
    if (names)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && !rc; i++)
        rc = os_registry_load_file(reg, names[i], err);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int os_registry_load_path(os_registry *reg, const char *dirs, os_error *err)
{
    char *copy = os_strdup(dirs);
    if (!copy)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    int rc = 0;
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !rc; dir = strtok_r(NULL, ":", &save))
        rc = load_dir(reg, dir, err);
    free(copy);
    return rc;
}

int os_registry_load_default(os_registry *reg, os_error *err)
{
    int rc = 0;
    const char *env = getenv("OPTSELECT_PLUGIN_PATH");
    if (env && *env)
        rc = os_registry_load_path(reg, env, err);

    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (!rc && len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char *build_tree = os_path_join(exe, "plugins/.libs");
            if (!build_tree)
                return os_error_set(err, OS_ERR_NOMEM, "out of memory");
            rc = load_dir(reg, build_tree, err);
            free(build_tree);
        }
    }
    if (!rc)
        rc = load_dir(reg, PKGLIBDIR, err);
    return rc;
}

void os_registry_free(os_registry *reg)
{
    for (size_t i = 0; i < reg->n_files; i++) {
        dlclose(reg->handles[i]);
        free(reg->paths[i]);
    }
    free(reg->handles);
    free(reg->paths);
    free(reg->entries);
    *reg = (os_registry){ 0 };
}
