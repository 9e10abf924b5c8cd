/*
 * study_config.h — a study as the user wrote it: the INI file, validated against
 * the key table and the loaded plugins' hyperparameter tables.
 *
 * Sections: [data], [model], [search], and [optimizer.LABEL] for each
 * optimizer that needs non-default hyperparameters or learning rates.
 * Every key, its default and its meaning are in the table in config_keys.c;
 * `optselect --help-config` prints it and docs/config.md documents it.
 */
#ifndef OS_STUDY_CONFIG_H
#define OS_STUDY_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "error.h"
#include "model.h"
#include "registry.h"
#include "schedule.h"
#include "command.h"

#define OS_MAX_OPTS  32   /* optimizers in one study                      */
#define OS_MAX_LIST  32   /* values in one list (learning rates, a hparam) */
#define OS_MAX_HP    64   /* hyperparameters of one optimizer             */

/* Learning rates: an explicit list, or lr_points values log-spaced over
 * [lr_range[0], lr_range[1]] times the optimizer's default. */
typedef struct os_lr_spec {
    double lr[OS_MAX_LIST];
    size_t n_lr;          /* 0: use the range                              */
    double range[2];      /* factors of the optimizer's default lr         */
    uint64_t points;
    int    autotune;      /* lr = auto: a range test proposes the band, and
                             points rates inside it become the list of the
                             study's plan (plan.h, lrfind.h)               */
} os_lr_spec;

/* One optimizer of the study with the values to try for each hyperparameter
 * (one value when not searched). */
typedef struct os_opt_config {
    const os_registry_entry *entry;
    double     hp[OS_MAX_HP][OS_MAX_LIST];
    size_t     hp_n[OS_MAX_HP];
    os_lr_spec lr;
    int        lr_set;      /* the section set lr, lr_range or lr_points    */
    unsigned char hp_depth[OS_MAX_HP], lr_depth[3]; /* include depth that set
                               each key: an includer may override           */
    int        included;    /* the section comes from an included file      */
    char       where[400];  /* "FILE:LINE" of its section, else of
                               search.optimizers; for messages              */
} os_opt_config;

/* A list of fractions in (0, 1), increasing ([full] milestones). */
typedef struct os_fractions {
    double v[OS_SCHED_MAX_MILESTONES];
    size_t n;
} os_fractions;

typedef struct os_config {
    char *path;             /* the config file as given                    */
    char  study[72];        /* the [study NAME] loaded, or ""               */
    char *dir;              /* its directory: relative paths start there   */

    /* [data] */
    char    *data_path;     /* resolved against dir                        */
    char    *labels_path;   /* idx: the labels file; NULL for csv           */
    char    *test_path;     /* held-out test data, or NULL                  */
    char    *test_labels_path;
    int      pixel_scale;   /* idx: divide values by 255                    */
    uint64_t features;      /* libsvm: columns; 0 = the largest index;
                               synthetic blobs and linear: dimensions       */
    char     generator[16]; /* synthetic: spirals, moons, blobs, linear     */
    uint64_t samples;       /* synthetic: rows                              */
    uint64_t classes;       /* synthetic spirals and blobs                  */
    double   noise;         /* synthetic: noise standard deviation          */
    char     format[16];
    int      header;
    char     label[128];
    char     delimiter;
    char     task[16];      /* "classification" or "regression"            */
    double   validation;
    uint64_t subset;
    int      subset_grow;   /* with a [full] run on all rows: grow the subset
                               so that trials pass over it no more often
                               than the full run passes over its data      */
    int      standardize;

    /* [model] */
    os_model_spec model;
    char     loss[24];      /* auto, cross_entropy or binary_cross_entropy  */
    char     function[16];  /* a test function instead of data, or "none"   */
    double   start[2];      /* its starting point                           */
    int      start_auto;    /* start = auto: the function's standard point  */

    /* [search] */
    os_opt_config opts[OS_MAX_OPTS];
    size_t   n_opts;
    os_lr_spec lr;          /* defaults for every optimizer                */
    uint64_t seeds;
    uint64_t seed;
    uint64_t steps;
    double   epochs;        /* the trial budget in epochs instead; 0: unused */
    double   fraction;      /* or as a fraction of the full run; 0: unused  */
    double   seconds;       /* or in wall-clock seconds per trial, turned
                               into steps by a timed trial; 0: unused      */
    uint64_t batch_size;    /* rows per step: the first of batch_sizes     */
    uint64_t batch_sizes[OS_MAX_LIST]; /* a list searches over them: each
                               candidate trains at one (candidates.h)     */
    size_t   n_batch;       /* 1 unless a list was given                   */
    uint64_t batch_split;   /* chunks of a data-parallel step; 0: auto,
                               resolved by the study (os_study_prepare)   */
    uint64_t eval_every;
    uint64_t eval_sample;   /* validation rows of the measurements before
                               the full budget; 0: all                     */
    double   smoothing;
    double   diverge_factor;
    char     strategy[16];  /* grid, halving or hyperband (auto resolved by
                               os_config_load: halving with a [full] run)  */
    int      strategy_auto; /* strategy was auto                            */
    char     score[16];     /* final, last, auc, extrapolated or horizon
                               (score.h)                                    */
    double   horizon_exponent; /* score = horizon: alpha of the best rate's
                               shift, lr* ∝ horizon^(-alpha) (horizon.h)   */
    uint64_t reduction_factor; /* halving: keep 1 in this many per budget;
                               0: auto (the plan resolves it)             */
    uint64_t min_steps;     /* halving: the first budget; 0 = steps / eta^2 */
    os_fractions rungs;     /* halving: the budgets as fractions of steps,
                               increasing, the last 1; n = 0: auto        */
    uint64_t asha_window;   /* asha: jobs decided ahead of their results    */
    uint64_t rerun_top;     /* the noise check: best candidates rerun       */
    uint64_t rerun_seeds;   /* with this many seeds in all                  */
    char     refine[16];    /* the winner's rate (refine.h): off, report (fit
                               and band) or train (and measure, recommend) */
    char     schedule[16];  /* the trials' rate schedule: follow ([full]
                               schedule compressed to the trial) or constant */
    char     decay[16];     /* all or weights: the tensors weight decay
                               applies to (os_env.decays)                  */
    char     isolation[16]; /* "none" or "process"                          */
    double   trial_timeout; /* seconds per trial; 0: no limit               */
    uint64_t max_crashes;   /* crashed trials of a plugin file before its
                               remaining trials are skipped                 */

    /* [trainer] (trainer.c, docs/trainers.md) */
    char    *command;       /* the user's training program; NULL: trials train
                               optselect's own model on [data]             */
    os_command cmd;         /* its words, placeholders unexpanded           */
    char    *workdir;       /* where it runs; NULL: the config's directory  */
    uint64_t trainer_threads; /* OMP_NUM_THREADS and the like of each trial */

    /* [full] */
    uint64_t full_steps;    /* the full run's length; 0: not given          */
    double   full_epochs;   /* the full run in epochs instead; 0: not used  */
    uint64_t full_seeds;    /* validate: seeds per full run; 0: seeds       */
    char     full_data[16]; /* its rows: all (every training row) or subset
                               (the trials' [data] subset)                 */
    uint64_t full_batch;    /* its batch size; 0: the trials'               */
    char     full_schedule[16]; /* constant, cosine, linear, step or wsd    */
    double   full_warmup;   /* warm-up steps (>= 1) or a fraction of the run
                               (< 1); 0: none                              */
    double   full_floor;    /* the rate the decay ends at, over the peak    */
    double   full_decay;    /* wsd: the fraction of the run that decays     */
    double   full_gamma;    /* step: the factor at each milestone           */
    os_fractions full_milestones; /* step: where the rate drops             */

    /* Where each key was set ("FILE:LINE" or "--set ..."), for messages
     * raised after parsing; indexed like the key table.  Empty if unset. */
    char   (*where)[400];
    /* The text each key was last given, indexed like the key table (NULL:
     * unset), and the [optimizer.X] keys as "LABEL\0KEY\0VALUE" in the order
     * given; what os_config_write_effective writes back. */
    char   **raw;
    char   **opt_raw;
    size_t   n_opt_raw;
    /* Per key: last set by an override (--set, a [study NAME] key, or a file
     * over a value from a file it includes), which replaces rather than
     * conflicts. */
    unsigned char *overridden;
    /* Labelled variants ([optimizer.LABEL] plugin = NAME): LABEL as a copy
     * of NAME's descriptor under its own label, owned here. */
    os_registry_entry *variants;
    os_optimizer      *variant_opts;
    char             (*variant_labels)[65];
    size_t             n_variants;
    /* A command study's optimizer names that no plugin has: stand-ins that
     * carry the name and its section's keys as hyperparameters. */
    struct os_named_opt *named;
    size_t             n_named;
} os_config;

/* One of them (config_trainer.c). */
typedef struct os_named_opt {
    os_registry_entry entry;
    os_optimizer      opt;
    char              label[65];
    os_hparam         hp[OS_MAX_HP];
    char              hp_names[OS_MAX_HP][50];
} os_named_opt;

/* Whether the optimizer's trials run the [trainer] command with a name no
 * plugin has (so it has no default rate and no checks of its own). */
int os_opt_is_named(const os_opt_config *o);

/* Parses path (and the files it includes), then the keys of its [study
 * NAME] section when study is not NULL, then each "section.key=value" of
 * sets in order, each later one overriding.  Plugins must be loaded first:
 * optimizer labels and hyperparameters are checked against reg.  On
 * failure err names the file and line (or the --set) and what is wrong. */
int os_config_load(os_config *cfg, const char *path, const char *study,
                   const os_registry *reg, char *const *sets, size_t n_sets, os_error *err);

/* The names of the [study NAME] sections of path, in order (*n = 0 when it
 * has none: the file is one study).  Free with os_config_free_names. */
int os_config_list_studies(const char *path, char ***names, size_t *n, os_error *err);
void os_config_free_names(char **names, size_t n);
void os_config_free(os_config *cfg);

/* Where a key was set, e.g. "study.ini:12", or the config's path when the
 * key kept its default.  For messages after parsing. */
const char *os_config_where(const os_config *cfg, const char *section, const char *key);

/* The default of a key of the table, as its text; NULL for a key that has
 * none or is not in the table. */
const char *os_config_default(const char *section, const char *key);

/* Writes the effective configuration as an INI file that loads into the
 * same study: every key with the value it ended up with (defaults included),
 * data paths made absolute, --set overrides folded in, and only the
 * [optimizer.X] sections of the optimizers searched.  Returns 0, or -1 if a
 * write failed. */
int os_config_write_effective(const os_config *cfg, FILE *out);

/* Calls fn for every key in force whose value decides the study's trials
 * as given (the plan resolves the others: the candidates, the budgets, the
 * pool and the schedules), in the key table's order, with its value as
 * the effective config writes it (a path absolute).  For the journal's
 * fingerprint.  Returns 0. */
typedef void (*os_key_fn)(void *arg, const char *section, const char *name, const char *value);
int os_config_each_trial_key(const os_config *cfg, os_key_fn fn, void *arg);

/* Whether study `study` (NULL: the file as one study) of the config, with
 * its includes and --set overrides, asks for isolation = process: the same
 * parse as os_config_load's, without the plugins (which it needs, and which
 * then can be probed in a child process first).  Errors are the full
 * load's to report: none here. */
int os_config_wants_isolation(const char *path, const char *study, char *const *sets,
                              size_t n_sets);

/* The rules between keys (config_check.c), each in one place; 0 or the
 * error, naming where the key was set.  os_config_load runs them; the
 * later stages run the two whose numbers they settle. */
int os_config_check_data(const os_config *cfg, os_error *err);
int os_config_check_budget(const os_config *cfg, os_error *err);
/* score = extrapolated needs a full run longer than the trials: checked
 * at load with the config's steps, and once budgets given in epochs, as a
 * fraction or in seconds are steps, with the plan's (plan.h) */
int os_config_check_extrapolated(const os_config *cfg, uint64_t steps, uint64_t full_steps,
                                 os_error *err);
/* [search] decay = weights: with the built-in engine only, and every
 * optimizer with a weight_decay built for ABI 1.2 (checked once the
 * optimizers are resolved) */
int os_config_check_decay(const os_config *cfg, os_error *err);
/* Prints every key with its default and help, section by section. */
void os_config_print_keys(FILE *out);

#endif
