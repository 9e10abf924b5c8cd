/* The config loader: a good study, overrides, and malformed inputs with the
 * exact one-line messages. */
#include "tap.h"
#include "candidates.h"
#include "study_config.h"

static os_registry reg;

#define HEAD "[data]\npath = d.csv\n[search]\noptimizers = sgd, adam\n"

/* Loading text must fail with "PATH:rest" (or exactly rest when it starts
 * with "--set"). */
static void expect(const char *name, const char *text, char *const *sets, size_t n_sets,
                   const char *rest) __attribute__((format(printf, 5, 0)));
static void expect(const char *name, const char *text, char *const *sets, size_t n_sets,
                   const char *rest)
{
    os_config cfg;
    os_error err = { 0 };
    const char *path = tap_write(name, text);
    char want[2048], tail[1024];
    /* rest may name the file again through one %s */
    snprintf(tail, sizeof tail, rest, path);
    if (!strncmp(rest, "--set", 5))
        snprintf(want, sizeof want, "%s", tail);
    else
        snprintf(want, sizeof want, "%s%s", path, tail);
    int rc = os_config_load(&cfg, path, NULL, &reg, sets, n_sets, &err);
    ok(rc == OS_ERR_CONFIG || rc == OS_ERR_USAGE, "%s is refused", name);
    is_str(err.msg, want, name);
    if (!rc)
        os_config_free(&cfg);
}

/* A good config: its values, defaults, rates and candidates; conv blocks
 * and --set overrides on top of it. */
static void good_config(void)
{
    os_error err = { 0 };
    os_config cfg;
    const char *p = tap_write("good.ini",
        "; a comment\n"
        "[data]\npath = sub/d.csv.gz\nheader = yes\nlabel = y\nvalidation = 0.25\n"
        "[model]\nhidden = 8, 4\nactivation = tanh\n"
        "[search]\noptimizers = sgd, adam\nlr_range = 0.1, 10\nlr_points = 3\nsteps = 50\n"
        "seeds = 2\n"
        "[optimizer.sgd]\nmomentum = 0, 0.9\nnesterov = false\n"
        "[optimizer.adam]\nlr = 0.01, 0.001\n");
    int rc = os_config_load(&cfg, p, NULL, &reg, NULL, 0, &err);
    if (!ok(rc == 0, "a good config loads (%s)", rc ? err.msg : ""))
        return;
    char want[600];
    snprintf(want, sizeof want, "%s/sub/d.csv.gz", tap_dir);
    is_str(cfg.data_path, want, "the data path is relative to the config file");
    ok(cfg.header == 1 && !strcmp(cfg.label, "y") && cfg.validation == 0.25, "[data] values");
    ok(cfg.model.n_hidden == 2 && cfg.model.hidden[0] == 8 && cfg.model.hidden[1] == 4 &&
       cfg.model.activation == OS_LAYER_TANH && cfg.model.n_conv == 0 && cfg.model.pool == 2,
       "[model] values and defaults");
    ok(cfg.steps == 50 && cfg.seeds == 2 && cfg.batch_size == 64, "[search] values and "
       "defaults");
    ok(cfg.n_opts == 2 && cfg.opts[0].hp_n[0] == 2 && cfg.opts[0].hp[0][1] == 0.9,
       "a hyperparameter list");
    double lrs[OS_MAX_LIST];
    size_t n = os_search_lrs(&cfg.opts[0], NULL, lrs);
    ok(n == 3 && fabs(lrs[0] - 0.001) < 1e-12 && fabs(lrs[1] - 0.01) < 1e-12 &&
       fabs(lrs[2] - 0.1) < 1e-12, "sgd's lr_range 0.1..10 × 0.01 gives 0.001, 0.01, 0.1");
    n = os_search_lrs(&cfg.opts[1], NULL, lrs);
    ok(n == 2 && lrs[0] == 0.001 && lrs[1] == 0.01, "adam's explicit list, sorted");
    os_search s;
    ok(os_search_build(&s, &cfg, NULL, &err) == 0 && s.n == (2 * 3 + 2) * 2 && s.n_groups == 8,
       "candidates: (2 momenta × 3 lrs + 2 lrs) × 2 seeds = 16 in 8 groups");
    ok(s.n == 16 && s.cands[0].seed_index == 0 && s.cands[1].seed_index == 1 &&
       s.cands[1].group == s.cands[0].group && s.cands[2].group == 1,
       "seeds are innermost and share a group");
    os_search_free(&s);
    os_config_free(&cfg);

    char *conv[] = { "model.conv=6:5:2, 16:5:0:2", "model.image=1x28x28" };
    rc = os_config_load(&cfg, p, NULL, &reg, conv, 2, &err);
    ok(rc == 0 && cfg.model.n_conv == 2 && cfg.model.conv[0].channels == 6 &&
       cfg.model.conv[0].kernel == 5 && cfg.model.conv[0].pad == 2 && cfg.model.conv[1].pad == 0 &&
       cfg.model.conv[0].stride == 1 && cfg.model.conv[1].stride == 2 &&
       cfg.model.image[0] == 1 && cfg.model.image[2] == 28, "conv blocks and image geometry parse");
    if (!rc)
        os_config_free(&cfg);
    char *sets[] = { "search.steps=77", "optimizer.adam.beta1=0.5", "data.path=/abs.csv" };
    rc = os_config_load(&cfg, p, NULL, &reg, sets, 3, &err);
    ok(rc == 0 && cfg.steps == 77 && cfg.opts[1].hp[0][0] == 0.5 &&
       !strcmp(cfg.data_path, "/abs.csv"), "--set overrides keys of every section");
    if (!rc)
        os_config_free(&cfg);

}

/* Malformed inputs, each refused with its one line. */
static void refusals(void)
{
    expect("typo.ini", HEAD "stpes = 10\n", NULL, 0,
           ":5: [search] unknown key 'stpes' (did you mean 'steps'?)");
    expect("typo_section.ini", HEAD "[modle]\n", NULL, 0,
           ":5: unknown section [modle] (did you mean 'model'?); sections are [data], "
           "[model], [search], [full], [trainer], [optimizer.LABEL] and [study NAME]");
    expect("bad_int.ini", HEAD "steps = ten\n", NULL, 0,
           ":5: [search] steps = 'ten': expected an integer from 1 to 1000000000");
    expect("bad_range.ini", HEAD "[data]\nvalidation = 1.5\n", NULL, 0,
           ":6: [data] validation = '1.5': expected a number from 0.01 to 0.9");
    expect("dup.ini", HEAD "steps = 10\nsteps = 20\n", NULL, 0,
           ":6: [search] steps is already set at %s:5");
    expect("long_section.ini", HEAD "[optimizer.a_label_of_forty_characters_xxxxxxxxxxxx]\n",
           NULL, 0, ":5: section name longer than 49 characters");
    expect("long_key.ini", HEAD "steps_and_then_a_great_many_more_characters_after_it = 1\n",
           NULL, 0, ":5: key name longer than 49 characters");
    expect("bad_bool.ini", HEAD "[data]\nheader = maybe\n", NULL, 0,
           ":6: [data] header = 'maybe': expected true or false");
    expect("bad_act.ini", HEAD "[model]\nactivation = softplus\n", NULL, 0,
           ":6: [model] activation = 'softplus': expected one of relu,tanh,sigmoid,leaky_relu,"
           "gelu");
    expect("bad_conv.ini", HEAD "[model]\nconv = 6:5:5\n", NULL, 0,
           ":6: [model] conv = '6:5:5': each block is CHANNELS:KERNEL[:PAD[:STRIDE]] (channels "
           "1..4096, kernel 1..31, pad < kernel, 1 <= stride <= kernel)");
    expect("bad_image.ini", HEAD "[model]\nimage = 28x28\n", NULL, 0,
           ":6: [model] image = '28x28': expected auto or CHANNELSxHEIGHTxWIDTH, e.g. 1x28x28");
    expect("unknown_opt.ini", "[data]\npath = d.csv\n[search]\noptimizers = sgd, sophia\n",
           NULL, 0, ":4: [search] optimizers: unknown optimizer 'sophia' (loaded: "
           "adabelief, adadelta, adafactor, adagrad, adam, adamw, adamax, adamw_schedulefree, "
           "adan, asgd, lamb, lars, lion, muon, nadam, radam, rmsprop, rprop, sgd, yogi)");
    expect("hp_range.ini", HEAD "[optimizer.sgd]\nmomentum = 1.5\n", NULL, 0,
           ":6: [optimizer.sgd] momentum = '1.5': expected a number from 0 to 1");
    expect("hp_typo.ini", HEAD "[optimizer.sgd]\nmomentun = 0.9\n", NULL, 0,
           ":6: [optimizer.sgd] unknown key 'momentun' (did you mean 'momentum'?)");
    expect("hp_not_tunable.ini", HEAD "[optimizer.adam]\neps = 1e-8, 1e-6\n", NULL, 0,
           ":6: [optimizer.adam] eps is not tunable: give one value");
    expect("opt_section_unknown.ini", HEAD "[optimizer.sophia]\n", NULL, 0,
           ":5: section [optimizer.sophia]: no loaded optimizer is called 'sophia' (see optselect "
           "--list-plugins)");
    expect("syntax.ini", HEAD "just some words\n", NULL, 0,
           ":5: syntax error: expected [section], key = value, or a comment");
    expect("no_path.ini", "[search]\noptimizers = sgd\n", NULL, 0,
           ": [data] path is required");
    expect("no_opts.ini", "[data]\npath = x.csv\n", NULL, 0,
           ": [search] optimizers is required (for example: optimizers = sgd, adam)");
    expect("no_section.ini", "steps = 3\n" HEAD, NULL, 0,
           ":1: key outside any section; put it under [data], [model], [search] or "
           "[optimizer.LABEL] (only include = FILE comes before the first section)");
    expect("function_data.ini", HEAD "[model]\nfunction = beale\n", NULL, 0,
           ":2: [data] path: a test function needs no data (remove path, or set [model] "
           "function = none)");
    expect("bad_start.ini", HEAD "[model]\nstart = 1\n", NULL, 0,
           ":6: [model] start = '1': expected auto or two coordinates X, Y");
    expect("lr_both.ini", HEAD "lr = 0.1\nlr_range = 1, 2\n", NULL, 0,
           ":5: [search] sets both lr and lr_range (at %s:6); keep one");
    char *bad_set[] = { "search.steps=abc" };
    expect("set_bad.ini", HEAD, bad_set, 1,
           "--set search.steps=abc: [search] steps = 'abc': expected an integer from 1 to "
           "1000000000");
    char *bad_set2[] = { "steps=3" };
    expect("set_form.ini", HEAD, bad_set2, 1, "--set steps=3: expected SECTION.KEY=VALUE");

}

/* Optimizer sections against the optimizers list, and plugin checks. */
static void optimizer_sections(void)
{
    os_error err = { 0 };
    os_config cfg;
    os_search s;
    char want[600];
    const char *p;
    int rc;
    /* A section for an optimizer the study does not list. */
    p = tap_write("unlisted.ini", "[data]\npath = d.csv\n[optimizer.adam]\nbeta1 = 0.8\n"
                  "[search]\noptimizers = sgd\n");
    rc = os_config_load(&cfg, p, NULL, &reg, NULL, 0, &err);
    snprintf(want, sizeof want, "%s:3: section [optimizer.adam] configures an optimizer that "
             "[search] optimizers (%s:6) does not list", p, p);
    ok(rc == OS_ERR_CONFIG, "an unlisted optimizer section is refused");
    is_str(err.msg, want, "... naming both places");

    char *only_adam[] = { "search.optimizers=adam" };
    p = tap_write("override_opts.ini", HEAD "[optimizer.sgd]\nmomentum = 0.9\n");
    rc = os_config_load(&cfg, p, NULL, &reg, only_adam, 1, &err);
    ok(rc == 0 && cfg.n_opts == 1 && !strcmp(cfg.opts[0].entry->opt->label, "adam"),
       "--set optimizers replaces the list; the file's sgd section is left unused");
    if (!rc)
        os_config_free(&cfg);
    char *unknown[] = { "search.optimizers=adam,sophia" };
    rc = os_config_load(&cfg, p, NULL, &reg, unknown, 1, &err);
    is_str(err.msg, "--set search.optimizers=adam,sophia: [search] optimizers: unknown optimizer "
           "'sophia' (loaded: adabelief, adadelta, adafactor, adagrad, adam, adamw, adamax, "
           "adamw_schedulefree, adan, asgd, lamb, lars, lion, muon, nadam, radam, rmsprop, rprop, "
           "sgd, yogi)", "an unknown label from --set names "
           "the --set");

    /* Combinations the plugin refuses are reported at the optimizer's section. */
    p = tap_write("nesterov.ini", HEAD "[optimizer.sgd]\nnesterov = true\n");
    rc = os_config_load(&cfg, p, NULL, &reg, NULL, 0, &err);
    ok(rc == 0, "nesterov without momentum parses");
    rc = os_search_build(&s, &cfg, NULL, &err);
    snprintf(want, sizeof want, "%s:5: [optimizer.sgd]: nesterov requires momentum > 0 and "
             "dampening = 0", p);
    ok(rc == OS_ERR_CONFIG, "... but the plugin's check refuses it");
    is_str(err.msg, want, "... at the section's line");
    os_config_free(&cfg);

}

int main(void)
{
    os_error err = { 0 };
    if (tap_mkdir() || os_registry_load_path(&reg, build_path("plugins/.libs"), &err))
        return 1;
    good_config();
    refusals();
    optimizer_sections();
    tap_cleanup();
    os_registry_free(&reg);
    return done_testing();
}
