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
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
    return minor == 0 ? OS_OPTIMIZER_SIZE_1_0 : minor == 1 ? OS_OPTIMIZER_SIZE_1_1
                                                           : OS_OPTIMIZER_SIZE_1_2;
}

os_eval_params_fn os_optimizer_eval_params(const os_optimizer *d)
{
    return d->abi_minor >= 1 ? d->eval_params : NULL;
}

uint32_t os_optimizer_version(const os_optimizer *d)
{
    return d->abi_minor >= 2 ? d->version : 0;
}

os_env os_plugin_env(const os_layout *layout, const double *hparams, char *err, size_t size)
{
    return (os_env){ .layout = layout, .hparams = hparams, .err = err, .err_size = size,
                     .host_minor = OS_PLUGIN_ABI_MINOR, .env_size = (uint32_t)sizeof(os_env) };
}

void os_plugin_decays(const os_layout *layout, unsigned char *flags)
{
    for (size_t k = 0; k < layout->n_tensors; k++) {
        unsigned role = layout->roles ? layout->roles[k] : OS_ROLE_OTHER;
        flags[k] = role != OS_ROLE_BIAS && role != OS_ROLE_NORM;
    }
}

const char *os_plugin_error_name(int code)
{
    switch (code) {
#define OS_XX(name, value, text) case value: return "OS_" #name ": " text;
        OS_PLUGIN_ERRNO_MAP(OS_XX)
#undef OS_XX
    default: return "not a code of the plugin header";
    }
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
            !strcmp(h->name, "lr_points") || !strcmp(h->name, "plugin"))
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

/* ---- trust ---------------------------------------------------------------- */

static int trusted(const char *what, const char *path, const struct stat *st, os_error *err)
{
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return os_error_set(err, OS_ERR_PLUGIN, "%s: refused: %s is writable by %s, so anyone "
                            "could replace the plugin (chmod go-w it)", path, what,
                            st->st_mode & S_IWOTH ? "others" : "its group");
    if (st->st_uid != geteuid() && st->st_uid != 0)
        return os_error_set(err, OS_ERR_PLUGIN, "%s: refused: %s is owned by uid %ld, neither "
                            "you nor root", path, what, (long)st->st_uid);
    return 0;
}

/* The file and the directory it really lives in must be safe from other
 * users; a missing file is left for dlopen to report. */
static int check_trust(const char *path, os_error *err)
{
    if (!strchr(path, '/'))
        return os_error_set(err, OS_ERR_PLUGIN, "%s: refused: give the plugin as a path "
                            "(./%s); a bare name would be searched for by the dynamic linker",
                            path, path);
    char *real = realpath(path, NULL);
    if (!real)
        return 0;
    struct stat st;
    int rc = 0;
    if (stat(real, &st) == 0)
        rc = trusted("the file", path, &st, err);
    char *dir = rc ? NULL : os_dirname(real);
    if (dir && stat(dir, &st) == 0)
        rc = trusted("its directory", path, &st, err);
    free(dir);
    free(real);
    return rc;
}

/* ---- probing in a child process ------------------------------------------ */

typedef struct stand_in {
    os_optimizer desc;
    char         label[65];
    char         summary[80];
    char         reason[400];
} stand_in;

static size_t zero_bytes(const os_env *env) { return 0; }
static int refuse_init(const os_env *env, void *s, const float *p) { return OS_EINVAL; }
static int refuse_step(const os_env *env, void *s, float *p, const float *g, double lr,
                       uint64_t t) { return OS_EINVAL; }

/* A refused file's stand-in, labelled after the file ("dir/crash.so" is
 * "crash"), so that a config naming it gets failed trials with the reason. */
static int add_stand_in(os_registry *reg, const char *path, const char *reason, os_error *err)
{
    stand_in *si = calloc(1, sizeof *si);
    void **grown = si ? realloc(reg->stand_ins, (reg->n_stand_ins + 1) * sizeof *grown) : NULL;
    os_registry_entry *e = grown ? realloc(reg->entries, (reg->n + 1) * sizeof *e) : NULL;
    char *own_path = e ? os_strdup(path) : NULL;
    if (grown)
        reg->stand_ins = grown;
    if (e)
        reg->entries = e;
    if (!own_path) {
        free(si);
        return os_error_set(err, OS_ERR_NOMEM, "%s: out of memory", path);
    }
    reg->stand_ins[reg->n_stand_ins++] = si;
    si->reason[0] = '\0';
    snprintf(si->reason, sizeof si->reason, "%s", reason);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = 0;
    for (; base[n] && n < 64 && strcmp(base + n, ".so"); n++) {
        char ch = base[n];
        si->label[n] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a')
                     : ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')
                     ? ch : '_';
    }
    si->label[n ? n : 0] = '\0';
    if (!n)
        snprintf(si->label, sizeof si->label, "refused");
    snprintf(si->summary, sizeof si->summary, "refused at load (see the trials' message)");
    si->desc = (os_optimizer){ OS_OPTIMIZER_HEADER, .label = si->label,
                               .summary = si->summary, .default_lr = 1e-3,
                               .state_bytes = zero_bytes, .init = refuse_init,
                               .step = refuse_step };
    /* the file is named for the path it was given by, like loaded ones */
    char **paths = realloc(reg->paths, (reg->n_files + 1) * sizeof *paths);
    void **handles = paths ? realloc(reg->handles, (reg->n_files + 1) * sizeof *handles) : NULL;
    if (paths)
        reg->paths = paths;
    if (handles)
        reg->handles = handles;
    if (!handles) {
        free(own_path);
        return os_error_set(err, OS_ERR_NOMEM, "%s: out of memory", path);
    }
    reg->handles[reg->n_files] = NULL;
    reg->paths[reg->n_files++] = own_path;
    reg->entries[reg->n++] = (os_registry_entry){ &si->desc, own_path, si->reason, NULL };
    return 0;
}

static int load_file(os_registry *reg, const char *path, os_error *err);

/* Loads path in a child first: a plugin that crashes, hangs in its
 * constructor (cut off after 10 s) or fails a check costs that plugin only. */
static int probe_then_load(os_registry *reg, const char *path, os_error *err)
{
    int fds[2];
    fflush(NULL);
    if (pipe(fds))
        return load_file(reg, path, err);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return load_file(reg, path, err);
    }
    if (pid == 0) {
        close(fds[0]);
        alarm(10);
        os_registry child = { 0 };
        os_error e = { 0 };
        int rc = load_file(&child, path, &e);
        if (rc && write(fds[1], e.msg, strlen(e.msg)) < 0)
            rc = 1;
        _exit(rc ? 1 : 0);
    }
    close(fds[1]);
    char msg[sizeof err->msg] = "";
    size_t got = 0;
    ssize_t r;
    while (got < sizeof msg - 1 &&
           ((r = read(fds[0], msg + got, sizeof msg - 1 - got)) > 0 || (r < 0 && errno == EINTR)))
        got += r > 0 ? (size_t)r : 0;
    msg[got] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return load_file(reg, path, err);
    char reason[600];
    if (WIFSIGNALED(status))
        snprintf(reason, sizeof reason, "%s: crashed while loading (%s)", path,
                 WTERMSIG(status) == SIGALRM ? "still loading after 10 s"
                 : strsignal(WTERMSIG(status)));
    else
        snprintf(reason, sizeof reason, "%s", got ? msg : "failed to load");
    return add_stand_in(reg, path, reason, err);
}

int os_registry_load_file(os_registry *reg, const char *path, os_error *err)
{
    int rc = check_trust(path, err);
    if (rc)
        return rc;
    return reg->probe ? probe_then_load(reg, path, err) : load_file(reg, path, err);
}

static int load_file(os_registry *reg, const char *path, os_error *err)
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
        reg->entries[reg->n++] = (os_registry_entry){ d, own_path, NULL, NULL };
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
        if (reg->handles[i])
            dlclose(reg->handles[i]);
        free(reg->paths[i]);
    }
    for (size_t i = 0; i < reg->n_stand_ins; i++)
        free(reg->stand_ins[i]);
    free(reg->stand_ins);
    free(reg->handles);
    free(reg->paths);
    free(reg->entries);
    *reg = (os_registry){ 0 };
}
