/*
 * config_check.c — the rules between keys of a config, each in one place:
 * what the data keys imply for each other, the trial budget and the full
 * run's length, and what a strategy needs.  Run once every key is read
 * (study_config.c); each rule's message names where the key was set.
 */
#include <math.h>
#include <string.h>
#include "study_config_internal.h"

#define WHERE(section, key) os_config_where(cfg, section, key)

int os_config_check_data(const os_config *cfg, os_error *err)
{
    int synthetic = !strcmp(cfg->format, "synthetic"), idx = !strcmp(cfg->format, "idx");
    if (cfg->eval_sample && (cfg->command || strcmp(cfg->function, "none")))
        return os_error_set(err, OS_ERR_CONFIG, "%s: [search] eval_sample samples the "
                            "validation rows; %s has none of optselect's: remove the key",
                            WHERE("search", "eval_sample"), cfg->command ?
                            "a [trainer] command measures its own loss and" :
                            "a test function");
    if (cfg->command)
        return 0; /* the trainer reads its own data (os_cfg_check_trainer) */
    if (strcmp(cfg->function, "none") && cfg->data_path)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [data] path: a test function needs no "
                            "data (remove path, or set [model] function = none)",
                            WHERE("data", "path"));
    if (!strcmp(cfg->function, "none") && !cfg->data_path && !synthetic)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [data] path is required", cfg->path);
    if (synthetic && (cfg->data_path || cfg->test_path))
        return os_error_set(err, OS_ERR_CONFIG, "%s: [data] format = synthetic generates its "
                            "data; remove path and test_path", cfg->data_path ?
                            WHERE("data", "path") : WHERE("data", "test_path"));
    if (synthetic && (!strcmp(cfg->generator, "linear")) != !strcmp(cfg->task, "regression"))
        return os_error_set(err, OS_ERR_CONFIG, "%s: [data] generator = %s %s",
                            WHERE("data", "generator"), cfg->generator,
                            strcmp(cfg->generator, "linear") ? "makes classes; it needs task = "
                            "classification" : "makes a regression target; set task = "
                            "regression");
    if (idx && !cfg->labels_path)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [data] format = idx needs labels, the "
                            "labels file", WHERE("data", "format"));
    if (!idx && (cfg->labels_path || cfg->test_labels_path))
        return os_error_set(err, OS_ERR_CONFIG, "%s: [data] %s is for format = idx; a CSV file "
                            "holds its labels in a column", cfg->labels_path ?
                            WHERE("data", "labels") : WHERE("data", "test_labels"),
                            cfg->labels_path ? "labels" : "test_labels");
    if (idx && !cfg->test_path != !cfg->test_labels_path)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [data] an IDX test set needs both "
                            "test_path and test_labels", cfg->test_path ?
                            WHERE("data", "test_path") : WHERE("data", "test_labels"));
    return 0;
}

int os_config_check_budget(const os_config *cfg, os_error *err)
{
    int full_length = cfg->full_steps || cfg->full_epochs > 0;
    /* epochs and fraction replace steps (which always has a value) */
    if ((cfg->epochs > 0) + (cfg->fraction > 0) + (cfg->seconds > 0) > 1)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [search] give the trial budget one way: "
                            "epochs, fraction or seconds (or steps)",
                            WHERE("search", cfg->seconds > 0 ? "seconds" : "fraction"));
    if (cfg->full_steps && cfg->full_epochs > 0)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [full] give the full run's length one "
                            "way: steps or epochs", WHERE("full", "epochs"));
    if (cfg->fraction > 0 && !full_length)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [search] fraction is of the full run: "
                            "set [full] steps or epochs", WHERE("search", "fraction"));
    if (cfg->full_warmup >= 1 && cfg->full_warmup != floor(cfg->full_warmup))
        return os_error_set(err, OS_ERR_CONFIG, "%s: [full] warmup = %g: give whole steps, or "
                            "a fraction of the run below 1", WHERE("full", "warmup"),
                            cfg->full_warmup);
    if ((strcmp(cfg->full_schedule, "constant") || cfg->full_warmup > 0) && !full_length)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [full] a %s needs the run's length: set "
                            "[full] steps or epochs",
                            WHERE("full", cfg->full_warmup > 0 ? "warmup" : "schedule"),
                            cfg->full_warmup > 0 ? "warm-up" : "schedule");
    if ((cfg->epochs > 0 || cfg->full_epochs > 0) && strcmp(cfg->function, "none"))
        return os_error_set(err, OS_ERR_CONFIG, "%s: epochs count passes over data; a test "
                            "function has none: give steps",
                            WHERE(cfg->epochs > 0 ? "search" : "full", "epochs"));
    if (cfg->n_batch > 1) { /* every batch size trains the same steps */
        const char *why = cfg->epochs > 0 ? "epochs" : cfg->fraction > 0 ? "fraction"
                        : cfg->seconds > 0 ? "seconds" : NULL;
        if (why)
            return os_error_set(err, OS_ERR_CONFIG, "%s: [search] %s: with a list of batch "
                                "sizes give the budget in steps (every batch size trains as "
                                "many; the report says how many rows each saw)",
                                WHERE("search", why), why);
        if (cfg->full_batch || cfg->full_epochs > 0)
            return os_error_set(err, OS_ERR_CONFIG, "%s: [full] %s: with a list of [search] "
                                "batch sizes the full run takes the recommended one; give its "
                                "length in steps and no batch_size", WHERE("full",
                                cfg->full_batch ? "batch_size" : "epochs"),
                                cfg->full_batch ? "batch_size" : "epochs");
        if (!strcmp(cfg->score, "horizon"))
            return os_error_set(err, OS_ERR_CONFIG, "%s: [search] score = horizon carries one "
                                "batch size's rates to the full run; not with a list of them",
                                WHERE("search", "score"));
    }
    /* budgets in epochs, fractions or seconds are steps once the data is
     * loaded or a trial timed: checked then */
    if (!(cfg->epochs > 0) && !(cfg->fraction > 0) && !(cfg->full_epochs > 0) &&
        !(cfg->seconds > 0))
        return os_config_check_extrapolated(cfg, cfg->steps, cfg->full_steps, err);
    return 0;
}

int os_config_check_extrapolated(const os_config *cfg, uint64_t steps, uint64_t full_steps,
                                 os_error *err)
{
    if (strcmp(cfg->score, "extrapolated") || full_steps > steps)
        return 0;
    if (cfg->seconds > 0)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [search] seconds = %g comes to %llu "
                            "steps per trial here, and score = extrapolated needs the full "
                            "run's %llu steps to be more", WHERE("search", "seconds"),
                            cfg->seconds, (unsigned long long)steps,
                            (unsigned long long)full_steps);
    if (!full_steps)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [search] score = extrapolated predicts "
                            "the loss at the full run's length: set [full] steps (more than "
                            "the trials' %llu)", WHERE("search", "score"),
                            (unsigned long long)steps);
    return os_error_set(err, OS_ERR_CONFIG, "%s: [search] score = extrapolated predicts the "
                        "loss at the full run's length: the full run's %llu steps must be "
                        "more than the trials' %llu", WHERE("search", "score"),
                        (unsigned long long)full_steps, (unsigned long long)steps);
}

int os_config_check_decay(const os_config *cfg, os_error *err)
{
    if (!strcmp(cfg->decay, "all"))
        return 0;
    if (cfg->command)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [search] decay = %s: a [trainer] command "
                            "decides which of its tensors take weight decay; remove the key",
                            WHERE("search", "decay"), cfg->decay);
    /* a plugin older than ABI 1.2 cannot see the flags: it would decay
     * every tensor while the report said otherwise */
    for (size_t k = 0; k < cfg->n_opts; k++) {
        const os_registry_entry *e = cfg->opts[k].entry;
        if (e->opt->abi_minor < 2 && os_hparam_index(e->opt, "weight_decay") >= 0)
            return os_error_set(err, OS_ERR_CONFIG, "%s: [search] decay = %s: optimizer '%s' "
                                "(%s) is built for plugin ABI %u.%u, which cannot leave a "
                                "tensor out of its weight decay; rebuild it against ABI 1.2, "
                                "or set decay = all", WHERE("search", "decay"), cfg->decay,
                                e->opt->label, e->path, (unsigned)e->opt->abi_major,
                                (unsigned)e->opt->abi_minor);
    }
    return 0;
}
