/* The plugin loader: a good plugin, and each way a plugin can be broken. */
#include "tap.h"
#include "registry.h"

static int load(const char *rel, os_error *err)
{
    os_registry reg = { 0 };
    int rc = os_registry_load_file(&reg, build_path(rel), err);
    os_registry_free(&reg);
    return rc;
}

/* The built plugins load, by file and by directory. */
static void good_plugins(void)
{
    os_registry reg = { 0 };
    os_error err = { 0 };
    int rc = os_registry_load_file(&reg, build_path("plugins/.libs/sgd.so"), &err);
    ok(rc == 0, "sgd.so loads (%s)", rc ? err.msg : "ok");
    ok(reg.n == 1 && !strcmp(reg.entries[0].opt->label, "sgd"), "it provides 'sgd'");
    ok(os_registry_find(&reg, "sgd") == &reg.entries[0], "find returns the entry");
    ok(os_registry_find(&reg, "adam") == NULL, "find returns NULL for an absent label");
    ok(os_hparam_index(reg.entries[0].opt, "nesterov") == 3 &&
       os_hparam_index(reg.entries[0].opt, "nope") == -1, "hyperparameters are found by name");
    rc = os_registry_load_file(&reg, build_path("plugins/.libs/sgd.so"), &err);
    ok(rc == 0 && reg.n == 1, "loading the same file again shadows, does not duplicate");
    os_registry_free(&reg);

    rc = os_registry_load_path(&reg, build_path("plugins/.libs"), &err);
    ok(rc == 0 && reg.n == 20, "the plugins directory holds 20 optimizers (got %zu)", reg.n);
    ok(reg.n == 20 && !strcmp(reg.entries[0].opt->label, "adabelief") &&
       !strcmp(reg.entries[19].opt->label, "yogi"), "files load in name order");
    const os_registry_entry *adam = os_registry_find(&reg, "adam"),
                            *adamw = os_registry_find(&reg, "adamw");
    ok(adam && adamw && adam->path == adamw->path && adamw == adam + 1,
       "one file may hold a family (adam, adamw), in descriptor order");
    os_registry_free(&reg);
}

/* Broken files are refused, each with one line naming the file. */
static void refused_plugins(void)
{
    os_error err = { 0 };
    char want[8192];
    int rc;
    rc = load("tests/broken/.libs/noentry.so", &err);
    snprintf(want, sizeof want, "%s: not an optselect plugin: it does not export "
             "optselect_descriptor()", build_path("tests/broken/.libs/noentry.so"));
    ok(rc == OS_ERR_PLUGIN, "a file without the entry point is refused");
    is_str(err.msg, want, "... naming the file and the missing symbol");

    rc = load("tests/broken/.libs/abi_major.so", &err);
    snprintf(want, sizeof want, "%s: built for plugin ABI 2.3, but this optselect supports "
             "ABI 1.x (it is 1.2)", build_path("tests/broken/.libs/abi_major.so"));
    ok(rc == OS_ERR_PLUGIN, "a plugin of another ABI major is refused");
    is_str(err.msg, want, "... naming the file and both versions");

    rc = load("tests/broken/.libs/short_desc.so", &err);
    snprintf(want, sizeof want, "%s: descriptor is 24 bytes, but plugin ABI 1.0 needs at "
             "least %zu (built against a broken header?)",
             build_path("tests/broken/.libs/short_desc.so"), (size_t)OS_OPTIMIZER_SIZE_1_0);
    ok(rc == OS_ERR_PLUGIN, "a short descriptor is refused");
    is_str(err.msg, want, "... naming the file and both sizes");

    rc = load("tests/broken/.libs/bad_hparam.so", &err);
    ok(rc == OS_ERR_PLUGIN, "a hyperparameter default outside its bounds is refused");
    has_str(err.msg, "optimizer 'bad-hparam': hyperparameter 'beta' needs finite min <= "
            "default <= max", "... naming the optimizer and the hyperparameter");

    rc = load("tests/broken/.libs/does-not-exist.so", &err);
    ok(rc == OS_ERR_PLUGIN, "a missing file is an error");
    has_str(err.msg, "does-not-exist.so: cannot load:", "... naming the file");
}

/* Plugins built against older headers load; the env says what exists. */
static void older_abis(void)
{
    os_registry reg = { 0 };
    os_error err = { 0 };
    int rc;
    /* A plugin built against the 1.0 header still loads, without eval_params. */
    rc = os_registry_load_file(&reg, build_path("tests/plugins/.libs/abi_1_0.so"), &err);
    ok(rc == 0 && reg.n == 1 && !strcmp(reg.entries[0].opt->label, "old-sgd"),
       "an ABI 1.0 plugin loads in an ABI 1.%d host (%s)", OS_PLUGIN_ABI_MINOR,
       rc ? err.msg : "ok");
    ok(rc == 0 && os_optimizer_eval_params(reg.entries[0].opt) == NULL,
       "... and the host never reads past its 1.0 descriptor");
    os_registry_free(&reg);

    /* A 1.1 plugin too: its eval_params is read, its (absent) version not. */
    rc = os_registry_load_file(&reg, build_path("tests/plugins/.libs/abi_1_1.so"), &err);
    ok(rc == 0 && reg.n == 1 && !strcmp(reg.entries[0].opt->label, "mid-momentum"),
       "an ABI 1.1 plugin loads in an ABI 1.%d host (%s)", OS_PLUGIN_ABI_MINOR,
       rc ? err.msg : "ok");
    ok(rc == 0 && os_optimizer_eval_params(reg.entries[0].opt) != NULL &&
       os_optimizer_version(reg.entries[0].opt) == 0,
       "... with its eval_params, and version 0: the host never reads past its descriptor");
    os_registry_free(&reg);

    /* A 1.2 plugin: its version is read. */
    rc = os_registry_load_file(&reg, build_path("plugins/.libs/sgd.so"), &err);
    ok(rc == 0 && reg.entries[0].opt->abi_minor == 2 &&
       os_optimizer_version(reg.entries[0].opt) == 1,
       "an ABI 1.2 plugin (sgd) loads with its version, 1 (%s)", rc ? err.msg : "ok");
    os_registry_free(&reg);

    /* The env a 1.2 host hands over says which fields exist. */
    os_env env = os_plugin_env(NULL, NULL, NULL, 0);
    ok(env.host_minor == OS_PLUGIN_ABI_MINOR && env.env_size == sizeof env,
       "os_env carries the host's minor and its size");
    has_str(os_plugin_error_name(OS_ENUMERIC), "OS_ENUMERIC: numerical failure",
            "a plugin's error code is reported by its name in the header's map");

    /* [search] decay = weights: biases and norms take no weight decay */
    const unsigned char roles[5] = { OS_ROLE_WEIGHT, OS_ROLE_BIAS, OS_ROLE_NORM,
                                     OS_ROLE_EMBEDDING, OS_ROLE_OTHER };
    os_tensor t[5] = { { "w", 0, 1, 1, { 1 } }, { "b", 1, 1, 1, { 1 } }, { "n", 2, 1, 1, { 1 } },
                       { "e", 3, 1, 1, { 1 } }, { "o", 4, 1, 1, { 1 } } };
    os_layout layout = { 5, 5, t, roles };
    unsigned char flags[5];
    os_plugin_decays(&layout, flags);
    ok(flags[0] && !flags[1] && !flags[2] && flags[3] && flags[4],
       "decay flags: weights, embeddings and others decay; biases and norms do not");
}

/* The descriptor checks themselves, on descriptors built here. */
static void descriptor_checks(void)
{
    os_error err = { 0 };
    os_optimizer d = { OS_OPTIMIZER_HEADER, .label = "Bad Label", .summary = "s",
                       .default_lr = 0.1 };
    ok(os_descriptor_check(&d, "x.so", &err) == OS_ERR_PLUGIN &&
       strstr(err.msg, "label is missing or not"), "labels must be [a-z0-9_-]");
    d.label = "fine";
    d.float_size = 8;
    ok(os_descriptor_check(&d, "x.so", &err) == OS_ERR_PLUGIN &&
       strstr(err.msg, "sizeof(float) = 8"), "a different sizeof(float) is refused");
    d.float_size = sizeof(float);
    d.default_lr = -1;
    ok(os_descriptor_check(&d, "x.so", &err) == OS_ERR_PLUGIN &&
       strstr(err.msg, "default_lr"), "a non-positive default lr is refused");
    d.default_lr = 0.1;
    ok(os_descriptor_check(&d, "x.so", &err) == OS_ERR_PLUGIN &&
       strstr(err.msg, "lacks state_bytes, init or step"), "missing functions are refused");
}

int main(void)
{
    good_plugins();
    refused_plugins();
    older_abis();
    descriptor_checks();
    return done_testing();
}
