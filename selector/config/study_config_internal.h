/*
 * study_config_internal.h — what the config reader (study_config.c) and its value
 * parsers (config_values.c) share: the parse context, the key type and the
 * message helpers.  Not for other modules.
 */
#ifndef OS_STUDY_CONFIG_INTERNAL_H
#define OS_STUDY_CONFIG_INTERNAL_H

#include "study_config.h"

typedef struct parse_ctx parse_ctx;
typedef int (*parse_fn)(parse_ctx *ctx, void *field, const char *value, double min,
                        double max);

/* How a key's value reaches the journal's fingerprint (fingerprint.c):
 * a study resumes only a journal whose trials the same values decided. */
enum {
    OS_KEY_HASHED = 0,  /* its value in force decides trials: hashed as given */
    OS_KEY_PLANNED,     /* decides them through the plan (the candidates, the
                           steps, the pool, the schedule), which the
                           fingerprint hashes as resolved                   */
    OS_KEY_IDLE,        /* decides no journaled trial: the ranking, the report,
                           how trials are run, the full runs of validate   */
    OS_KEY_HASHED_SET   /* as HASHED, but hashed only away from its default:
                           a key added after journal format 2, so that a
                           journal from before it resumes at its default */
};

typedef struct os_key {
    const char *section, *name, *def, *help;
    parse_fn    parse;
    size_t      offset;     /* of the field in os_config                      */
    double      min, max;   /* bounds for numbers                             */
    int         trials;     /* OS_KEY_*: what its value decides               */
} os_key;

#define OS_CFG_MAX_KEYS    96  /* entries of the key table                  */
#define OS_CFG_MAX_INCLUDE  8  /* include depth                             */

/* A [study NAME] key of the study being loaded: "section.key=value". */
typedef struct study_override {
    char *text;
    char  where[400];          /* "FILE:LINE"                              */
} study_override;

struct parse_ctx {
    os_config         *cfg;
    const os_registry *reg;
    os_error          *err;
    int                failed;
    const char        *file;          /* the file being read (maybe included) */
    char              *dir;           /* its directory: relative paths start there */
    FILE              *stream;
    size_t             line;
    int                depth;         /* 0: the top file; n: n includes deep  */
    int                seen_section;  /* in the current file                  */
    int                continued;     /* the line read is indented: it continues
                                         the key before it (inih's rule)     */
    char              *chain[OS_CFG_MAX_INCLUDE + 1]; /* real paths, for cycles */
    unsigned char      key_depth[OS_CFG_MAX_KEYS]; /* depth that set each key  */
    const char        *set_text;      /* the override being applied, or NULL  */
    const char        *set_where;     /* where it comes from, or NULL: --set  */
    const char        *study;         /* the [study NAME] being loaded, or NULL */
    int                study_found;
    study_override    *overrides;     /* its keys, applied after the file     */
    size_t             n_overrides;
    const os_key      *key;           /* key being parsed, for messages       */
    char               section[80];   /* current section while in the file    */
    os_opt_config     *sections;      /* [optimizer.X] settings, by label     */
    size_t             n_sections;
    char               opt_labels[OS_MAX_OPTS][128]; /* search.optimizers      */
    size_t             n_opt_labels;
    /* the look ahead's "[optimizer.LABEL] plugin = NAME" declarations */
    struct os_cfg_variant { char label[65], plugin[65], where[400]; } *decl;
    size_t             n_decl;
    /* the look ahead's [optimizer.LABEL] keys, "LABEL\0KEY" each */
    char             **named_keys;
    size_t             n_named_keys;
};

/* The key table (config_keys.c): the base sections' keys, and the keys an
 * [optimizer.X] section takes besides the plugin's hyperparameters. */
extern const os_key os_cfg_keys[];
extern const size_t os_cfg_n_keys;
extern const os_key os_cfg_opt_keys[3];

/* [study NAME] sections (config_files.c): whether NAME is a valid name
 * ([A-Za-z0-9_.-]{1,64}: it names a results folder), and NAME for "study
 * NAME", NULL for other sections. */
int os_cfg_study_name_ok(const char *s);
const char *os_cfg_study_of(const char *section);

/* A JSON report's effective config as a stream to parse, or NULL with ctx
 * failed (config_files.c). */
FILE *os_cfg_report_config(parse_ctx *ctx, FILE *f);
FILE *os_cfg_fopen(const char *path);

/* "FILE:LINE" or "--set ...": where the current value comes from. */
void os_cfg_where_now(const parse_ctx *ctx, char *buf, size_t size);

/* Records the first error only (later ones are usually its consequences)
 * and returns 0, the handler's failure value. */
int os_cfg_fail(parse_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "[section] key = 'value': want", for the key being parsed. */
int os_cfg_bad_value(parse_ctx *ctx, const char *value, const char *want);

/* Splits a comma-separated list into trimmed items of up to 127 characters;
 * the count, or -1 when an item is empty or there are more than max. */
int os_cfg_split_list(const char *v, char items[][128], size_t max);

/* [optimizer.X] sections and the optimizers list (config_optimizers.c):
 * the record for label, created on first use (NULL, ctx failed, when no
 * loaded optimizer has that label); one key of a section; and, after the
 * parse, cfg->opts from [search] optimizers and the sections. */
os_opt_config *os_cfg_opt_section(parse_ctx *ctx, const char *label);
int os_cfg_set_opt_key(parse_ctx *ctx, os_opt_config *o, const char *name, const char *value);
int os_cfg_resolve_optimizers(parse_ctx *ctx);

/* The entry for label: a variant of the config's, or a loaded optimizer;
 * NULL when neither. */
const os_registry_entry *os_cfg_find_entry(const parse_ctx *ctx, const char *label);

/* Records "[optimizer.LABEL] plugin = NAME" during the look ahead (no
 * registry); makes cfg's variants from the declarations (after it). */
int os_cfg_declare_variant(parse_ctx *ctx, const char *label, const char *value);
int os_cfg_make_variants(parse_ctx *ctx);

/* [trainer] command studies (config_trainer.c): the look ahead notes each
 * [optimizer.LABEL] key; after it, the names no plugin has become stand-ins
 * (cfg->named) when the study has a command; after the load, the rules of
 * a command study. */
int os_cfg_note_opt_key(parse_ctx *ctx, const char *label, const char *name);
int os_cfg_make_named(parse_ctx *ctx, const parse_ctx *look, const os_config *ahead);
int os_cfg_check_trainer(parse_ctx *ctx);

/* The value parsers the key table names (config_values.c). */
#define OS_CFG_PARSERS(XX) \
    XX(os_cfg_p_u64) XX(os_cfg_p_f64) XX(os_cfg_p_bool) XX(os_cfg_p_path) XX(os_cfg_p_format) XX(os_cfg_p_generator) XX(os_cfg_p_task) \
    XX(os_cfg_p_label) XX(os_cfg_p_delimiter) XX(os_cfg_p_hidden) XX(os_cfg_p_activation) XX(os_cfg_p_conv) XX(os_cfg_p_image) \
    XX(os_cfg_p_loss) XX(os_cfg_p_function) XX(os_cfg_p_start) XX(os_cfg_p_init) XX(os_cfg_p_optimizers) XX(os_cfg_p_lr_list) \
    XX(os_cfg_p_lr_range) XX(os_cfg_p_lr_points) XX(os_cfg_p_isolation) XX(os_cfg_p_strategy) XX(os_cfg_p_score) \
    XX(os_cfg_p_split) XX(os_cfg_p_refine) XX(os_cfg_p_trial_schedule) XX(os_cfg_p_full_data) XX(os_cfg_p_schedule) \
    XX(os_cfg_p_fractions) XX(os_cfg_p_command) XX(os_cfg_p_batch_list) XX(os_cfg_p_decay) XX(os_cfg_p_rungs)
#define OS_CFG_DECLARE(name) \
    int name(parse_ctx *ctx, void *field, const char *v, double min, double max);
OS_CFG_PARSERS(OS_CFG_DECLARE)
#undef OS_CFG_DECLARE

#endif
