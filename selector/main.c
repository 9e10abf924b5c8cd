/*
 * main.c — the optselect command.  Parses the command line, loads plugins
 * and the config, runs the study and writes the report.  The only place
 * that prints errors and decides the exit status.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "blas.h"
#include "conformance.h"
#include "study_config.h"
#include "registry.h"
#include "report.h"
#include "results.h"
#include "study.h"
#include "util.h"
#include "validate.h"
#include "world.h"

/* The run worked but found nothing good: no finite trial, a failed check. */
#define EXIT_UNSUCCESSFUL 1

/* The signal that asked the study to stop, or 0.  Trials poll it between
 * steps; a second signal of the same kind takes its default action. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void catch_stop_signals(void)
{
    struct sigaction sa = { .sa_handler = on_stop_signal, .sa_flags = SA_RESETHAND };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void usage(FILE *out)
{
    fprintf(out,
"usage: optselect [OPTIONS] CONFIG.ini\n"
"       optselect [-j N] [-f FORMAT] [--isolate] --resume DIR\n"
"       optselect validate [OPTIONS] CONFIG.ini\n"
"       optselect --list-plugins | --check-plugin FILE | --help-config | --help | --version\n"
"\n"
"Runs short training trials of every optimizer and learning rate the config\n"
"lists, ranks them by validation loss, and recommends the best.\n"
"\n"
"The recommendation is for the run you will train, declared in [full]: its\n"
"length, data, batch size and learning-rate schedule, for example\n"
"    [full]\n"
"    epochs = 10          ; of every training row (data = all)\n"
"    schedule = cosine    ; constant, cosine, linear, step or wsd\n"
"    warmup = 0.05        ; steps, or a fraction of the run\n"
"The trials follow that schedule scaled to their length, and the rates are its\n"
"peak.  Without [full] the recommendation is for a run as long as a trial.\n"
"\n"
"validate runs the study, then trains every candidate for the whole [full] run,\n"
"and reports how well the selection predicted the full runs: Kendall's tau and\n"
"Spearman's rho between the rankings, the recommendation's rank and regret, and\n"
"the compute the selection spent as a fraction of the full grid's.  With\n"
"--output DIR: DIR/selection, DIR/full (resumable; shared by any selection of\n"
"the same candidates) and DIR/validation.json.\n"
"\n"
"options:\n"
"  -j, --threads N        run trials on N threads (default: OMP_NUM_THREADS or all cores)\n"
"  -s, --seed N           study seed (same as --set search.seed=N)\n"
"  -f, --format FORMAT    report format: text (default), json or csv\n"
"  -o, --output DIR       also write the results folder DIR: config.ini, journal,\n"
"                         report.json, trials.csv (DIR/NAME for each study of a\n"
"                         file with several); if DIR holds an unfinished run of\n"
"                         the same study, continue it\n"
"  -r, --resume DIR       continue the study in results folder DIR (after a crash,\n"
"                         a kill or an interrupt); finished trials are not rerun\n"
"  -S, --set SEC.KEY=VAL  override a config key, e.g. --set search.steps=500 or\n"
"                         --set optimizer.sgd.momentum=0.9 (repeatable)\n"
"  -p, --plugin FILE      load an optimizer plugin from FILE before the search path\n"
"                         (repeatable; a path, never a bare name)\n"
"      --isolate          run each trial in a worker process (as isolation = process):\n"
"                         a crashing or hanging plugin fails its trials, not the study\n"
"      --mpi              run across MPI ranks (implied when started by mpirun):\n"
"                         rank 0 schedules and reports, the others train\n"
"      --study NAME       run only the study [study NAME] of a file that defines\n"
"                         several (default: all, then a summary table)\n"
"  -q, --quiet            no progress line and no notices on standard error (the\n"
"                         progress line shows only when it is a terminal anyway)\n"
"      --list-plugins     list the optimizers found and their hyperparameters\n"
"      --check-plugin FILE run the conformance suite on a plugin file; exit 1 if any\n"
"                         check fails\n"
"      --help-config      list every config key with its default\n"
"  -h, --help             show this help\n"
"  -V, --version          show the version and the BLAS in use\n"
"\n"
"plugins are searched in $OPTSELECT_PLUGIN_PATH (colon-separated), then\n"
"plugins/.libs beside the executable (a build tree), then %s.\n"
"\n"
"exit status:\n"
"  0  a recommendation was made         4  bad data file\n"
"  1  every trial diverged or failed,   5  bad or missing plugin\n"
"     or a --check-plugin check failed  6  input/output failure\n"
"  2  bad command line                  7  out of memory\n"
"  3  bad configuration\n"
"  130, 143  interrupted by SIGINT or SIGTERM: running trials stop at their next\n"
"     step, and the report of the finished ones is written before exiting\n",
            PKGLIBDIR);
}


typedef struct cli {
    int         threads;
    os_format   format;
    const char *output;      /* the results folder, or NULL */
    const char *config;
    char       *resume_config; /* --resume DIR: DIR/config.ini, owned */
    char      **sets;
    size_t      n_sets;
    char      **plugins;
    size_t      n_plugins;
    char        seed_set[64];
    const char *check_plugin;
    int         isolate;       /* --isolate */
    int         mpi;           /* --mpi */
    const char *study;         /* --study NAME, or NULL: every study */
    int         validate;      /* optselect validate CONFIG.ini */
    int         quiet;         /* --quiet */
    enum { ACT_RUN, ACT_LIST, ACT_CHECK, ACT_HELP, ACT_HELP_CONFIG, ACT_VERSION } action;
} cli;

static int push(char ***list, size_t *n, char *item, os_error *err)
{
    char **grown = realloc(*list, (*n + 1) * sizeof **list);
    if (!grown)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    *list = grown;
    (*list)[(*n)++] = item;
    return 0;
}

enum { OPT_LIST = 256, OPT_HELP_CONFIG, OPT_CHECK, OPT_ISOLATE, OPT_STUDY, OPT_MPI };
static const struct option longs[] = {
    { "threads", required_argument, NULL, 'j' },
    { "seed", required_argument, NULL, 's' },
    { "format", required_argument, NULL, 'f' },
    { "output", required_argument, NULL, 'o' },
    { "resume", required_argument, NULL, 'r' },
    { "set", required_argument, NULL, 'S' },
    { "plugin", required_argument, NULL, 'p' },
    { "isolate", no_argument, NULL, OPT_ISOLATE },
    { "mpi", no_argument, NULL, OPT_MPI },
    { "quiet", no_argument, NULL, 'q' },
    { "study", required_argument, NULL, OPT_STUDY },
    { "list-plugins", no_argument, NULL, OPT_LIST },
    { "check-plugin", required_argument, NULL, OPT_CHECK },
    { "help-config", no_argument, NULL, OPT_HELP_CONFIG },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

/* One option of the command line (ch as getopt_long returned it). */
static int parse_option(cli *c, int ch, char **argv, os_error *err)
{
    uint64_t v;
    switch (ch) {
    case 'j':
        if (os_parse_u64(optarg, &v) || v < 1 || v > 4096)
            return os_error_set(err, OS_ERR_USAGE, "--threads '%s': expected an integer "
                                "from 1 to 4096", optarg);
        c->threads = (int)v;
        break;
    case 's':
        if (os_parse_u64(optarg, &v))
            return os_error_set(err, OS_ERR_USAGE, "--seed '%s': expected a "
                                "non-negative integer", optarg);
        snprintf(c->seed_set, sizeof c->seed_set, "search.seed=%llu",
                 (unsigned long long)v);
        break;
    case 'f': {
        int f = os_format_from_name(optarg);
        if (f < 0)
            return os_error_set(err, OS_ERR_USAGE, "--format '%s': expected text, json "
                                "or csv", optarg);
        c->format = (os_format)f;
        break;
    }
    case 'o': c->output = optarg; break;
    case 'r':
        free(c->resume_config);
        if (!(c->resume_config = os_path_join(optarg, "config.ini")))
            return os_error_set(err, OS_ERR_NOMEM, "out of memory");
        c->output = optarg;
        break;
    case 'S': return push(&c->sets, &c->n_sets, optarg, err);
    case 'p': return push(&c->plugins, &c->n_plugins, optarg, err);
    case OPT_LIST: c->action = ACT_LIST; break;
    case OPT_ISOLATE: c->isolate = 1; break;
    case OPT_MPI: c->mpi = 1; break;
    case 'q': c->quiet = 1; break;
    case OPT_STUDY: c->study = optarg; break;
    case OPT_CHECK:
        if (optarg[0] == '-') /* an option where the file belongs */
            return os_error_set(err, OS_ERR_USAGE, "--check-plugin needs the plugin "
                                "file first, got '%s' (a file named so: ./%s)", optarg,
                                optarg);
        c->action = ACT_CHECK;
        c->check_plugin = optarg;
        break;
    case OPT_HELP_CONFIG: c->action = ACT_HELP_CONFIG; break;
    case 'h': c->action = ACT_HELP; break;
    case 'V': c->action = ACT_VERSION; break;
    case ':':
        return os_error_set(err, OS_ERR_USAGE, "%s needs a value", argv[optind - 1]);
    default:
        return os_error_set(err, OS_ERR_USAGE, "unknown option '%s' (see --help)",
                            argv[optind - 1]);
    }
    return 0;
}

/* The operands after the options: validate, and the one CONFIG.ini. */
static int parse_operands(cli *c, int argc, char **argv, os_error *err)
{
    int validate = optind < argc && !strcmp(argv[optind], "validate");
    if (c->resume_config) {
        if (validate || c->n_sets || optind != argc || c->study)
            return os_error_set(err, OS_ERR_USAGE, "%s", validate
                ? "validate takes no --resume: run the same validate command again, with the "
                  "same --output DIR, and it continues from the trials journaled there"
                : "--resume continues the study as it was configured: give no CONFIG.ini, "
                  "--set, --seed or --study with it");
        c->config = c->resume_config;
        return 0;
    }
    if (validate) {
        if (optind == argc - 1)
            return os_error_set(err, OS_ERR_USAGE, "validate: missing CONFIG.ini (see --help)");
        c->validate = 1;
        optind++;
    }
    if (optind != argc - 1)
        return os_error_set(err, OS_ERR_USAGE, optind == argc
                            ? "missing CONFIG.ini (see --help)"
                            : "expected one CONFIG.ini, got %d arguments (see --help)",
                            argc - optind);
    c->config = argv[optind];
    return 0;
}

static int parse_cli(cli *c, int argc, char **argv, os_error *err)
{
    opterr = 0;
    int ch, rc = 0;
    while (!rc && (ch = getopt_long(argc, argv, ":j:s:f:o:r:S:p:qhV", longs, NULL)) != -1)
        rc = parse_option(c, ch, argv, err);
    if (rc)
        return rc;
    /* --seed applies after every --set, as the more specific switch. */
    if (c->seed_set[0] && (rc = push(&c->sets, &c->n_sets, c->seed_set, err)))
        return rc;
    return c->action != ACT_RUN ? 0 : parse_operands(c, argc, argv, err);
}

/* A batch prints each study's error as it happens. */
static int batch_error_printed;

/* Loads the config (the whole file, or its [study NAME] when study is set,
 * with the overrides sets), prepares and runs the study into *s, and
 * writes its results folder when output is set.  *cfg and *s are the
 * caller's to free, whatever the outcome. */
static int execute_study(const cli *c, os_registry *reg, const char *study, char *const *sets,
                         size_t n_sets, const char *output, os_config *cfg, os_study *s,
                         os_error *err)
{
    char *journal = NULL;
    int lock = -1;
    int rc = os_config_load(cfg, c->config, study, reg, sets, n_sets, err);
    if (rc)
        return rc;
    rc = os_study_prepare(s, cfg, err);
    if (!rc && cfg->command && c->isolate)
        rc = os_error_set(err, OS_ERR_USAGE, "--isolate: the trials of %s's [trainer] command "
                          "are processes already", cfg->path);
    if (!rc)
        rc = os_study_trial_root(s, output, err);
    if (!rc && output && !(journal = os_results_path(output, "journal")))
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = os_study_budget_seconds(s, c->isolate || s->plan.isolate, journal, err);
    if (!rc && output) {
        /* The journal is opened before config.ini is written: a folder that
         * holds another study is refused before anything in it changes. */
        rc = os_results_prepare(output, err);
        if (!rc)
            rc = os_results_lock(output, &lock, err);
        if (!rc)
            rc = os_study_open_journal(s, journal, err);
        if (!rc)
            rc = os_results_write_config(output, cfg, err);
        if (!rc && s->n_resumed && !c->quiet)
            fprintf(stderr, "optselect: %s: resuming: %zu of %zu trials already finished\n",
                    output, s->n_resumed, s->search.n);
    }
    free(journal);
    /* The progress line goes to a terminal only; colour unless NO_COLOR. */
    int live = !c->quiet && isatty(STDERR_FILENO);
    const char *no_color = getenv("NO_COLOR");
    os_run_options run_opts = { .threads = c->threads, .stop = &stop_signal,
                                .isolate = c->isolate || s->plan.isolate,
                                .progress = live ? stderr : NULL,
                                .color = live && !(no_color && *no_color) };
    if (!rc)
        rc = os_study_run(s, &run_opts, err);
    if (!rc && output)
        rc = os_results_write_reports(output, s, err);
    os_results_unlock(lock);
    return rc;
}

static int stdout_failed(FILE *out, os_error *err)
{
    return os_error_set(err, OS_ERR_IO, "%s: write failed: %s",
                        out == stdout ? "standard output" : "report", strerror(errno));
}

/* Runs one study: the whole file, or its [study NAME] when study is set;
 * writes its results folder when output is set.  The report goes to out
 * (NULL: nowhere).  *summary gets its line for the batch summary. */
static int run_study(const cli *c, os_registry *reg, const char *study, const char *output,
                     FILE *out, os_summary_row *summary, os_error *err)
{
    os_config *cfg = calloc(1, sizeof *cfg); /* about 1 MiB: not for the stack */
    os_study s = { 0 };
    if (!cfg)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    int rc = execute_study(c, reg, study, c->sets, c->n_sets, output, cfg, &s, err);
    if (!rc) {
        os_summary_fill(summary, &s);
        if (out && (os_report_write(out, &s, c->format) || fflush(out)))
            rc = stdout_failed(out, err);
    }
    os_study_free(&s);
    os_config_free(cfg);
    free(cfg);
    return rc;
}

static int fill_validation(FILE *out, const void *arg)
{
    const void *const *parts = arg;
    return os_validation_write(out, parts[0], parts[1], parts[2], OS_FORMAT_JSON);
}

/* optselect validate: the study as configured (the selection), then every
 * candidate for the whole [full] run, then the comparison (validate.h).
 * With --output DIR: DIR/selection and DIR/full are results folders (a
 * second validate of the same candidates reuses DIR/full's journal, so a
 * different strategy or score costs only its selection) and
 * DIR/validation.json holds the comparison. */
static int run_validate(const cli *c, os_registry *reg, const char *study, int *unsuccessful,
                        os_error *err)
{
    os_config *cfg = calloc(2, sizeof *cfg);
    os_study sel = { 0 }, full = { 0 };
    os_validation v = { 0 };
    char **sets = NULL, *dir_sel = NULL, *dir_full = NULL, *json = NULL;
    size_t n_sets = 0;
    if (!cfg)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    int rc = 0;
    if (c->output && (!(dir_sel = os_path_join(c->output, "selection")) ||
                      !(dir_full = os_path_join(c->output, "full")) ||
                      !(json = os_path_join(c->output, "validation.json"))))
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = execute_study(c, reg, study, c->sets, c->n_sets, dir_sel, &cfg[0], &sel, err);
    for (size_t i = 0; !rc && i < c->n_sets; i++)
        rc = push(&sets, &n_sets, c->sets[i], err) ? OS_ERR_NOMEM : 0;
    size_t own = n_sets; /* the sets from here on are allocated here */
    if (!rc && !stop_signal)
        rc = os_validation_full_sets(&sel, &sets, &n_sets, err);
    if (!rc && !stop_signal)
        rc = execute_study(c, reg, study, sets, n_sets, dir_full, &cfg[1], &full, err);
    int compared = 0;
    if (!rc && !stop_signal && !sel.n_interrupted && !full.n_interrupted) {
        rc = os_validation_compare(&sel, &full, &v, err);
        if (!rc)
            rc = os_validation_refined(&sel, &full, &v, &stop_signal, err);
        compared = !rc && !stop_signal;
    }
    if (compared) {
        if (c->format == OS_FORMAT_TEXT && os_report_write(stdout, &sel, c->format))
            rc = stdout_failed(stdout, err);
        if (!rc && (os_validation_write(stdout, &v, &sel, &full, c->format) || fflush(stdout)))
            rc = stdout_failed(stdout, err);
        const void *parts[3] = { &v, &sel, &full };
        if (!rc && json)
            rc = os_write_atomic(json, fill_validation, parts, err);
        *unsuccessful = !rc && !v.rank;
    } else if (!rc && !os_world_worker()) {
        fprintf(stderr, "optselect: validate: interrupted before the comparison%s\n",
                c->output ? "; run the same command again to continue" : "");
    }
    for (size_t i = own; i < n_sets; i++)
        free(sets[i]);
    free(sets);
    os_validation_free(&v);
    os_study_free(&sel);
    os_study_free(&full);
    os_config_free(&cfg[0]);
    os_config_free(&cfg[1]);
    free(cfg);
    free(dir_sel);
    free(dir_full);
    free(json);
    return rc;
}

/* Every study of a file with [study NAME] sections (or the one --study
 * names), each with its report and results folder DIR/NAME, then the
 * summary.  A study that fails is reported and the others still run; the
 * first failure decides the exit status. */
static int run_batch(const cli *c, os_registry *reg, char **names, size_t n,
                     int *unsuccessful, os_error *err)
{
    int prep = c->output ? os_results_prepare(c->output, err) : 0;
    if (prep)
        return prep;
    os_summary_row *rows = calloc(n, sizeof *rows);
    if (!rows)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    int first_rc = 0;
    os_error first_err = { 0 };
    size_t ran = 0;
    os_batch_begin(stdout, c->format);
    for (size_t i = 0; i < n && !stop_signal; i++) {
        if (c->study && strcmp(c->study, names[i]))
            continue;
        char *output = c->output ? os_path_join(c->output, names[i]) : NULL;
        os_error e = { 0 };
        snprintf(rows[ran].study, sizeof rows[ran].study, "%s", names[i]);
        FILE *report = os_batch_study_begin(stdout, c->format, names[i], ran);
        int rc = c->output && !output ? os_error_set(&e, OS_ERR_NOMEM, "out of memory")
               : run_study(c, reg, names[i], output, report, &rows[ran], &e);
        os_batch_study_end(stdout, c->format, report, names[i], ran, rc ? e.msg : NULL);
        if (rc) {
            snprintf(rows[ran].error, sizeof rows[ran].error, "%s", e.msg);
            if (!os_world_worker())
                fprintf(stderr, "optselect: %s\n", e.msg);
            if (!first_rc) {
                first_rc = rc;
                first_err = e;
            }
        }
        *unsuccessful |= !rc && !rows[ran].recommended;
        ran++;
        free(output);
        /* ranks could part ways after a failure only one of them saw (a
         * results folder rank 0 cannot write): the batch ends together */
        if (rc && os_world_ranks())
            break;
    }
    os_batch_end(stdout, c->format, rows, ran);
    free(rows);
    if (fflush(stdout) && !first_rc)
        return os_error_set(err, OS_ERR_IO, "standard output: write failed: %s",
                            strerror(errno));
    if (first_rc) {
        *err = first_err;
        batch_error_printed = 1;
    }
    return first_rc;
}

static int run(const cli *c, os_registry *reg, int *unsuccessful, os_error *err)
{
    char **names;
    size_t n;
    int rc = c->resume_config ? (names = NULL, n = 0, 0)
                              : os_config_list_studies(c->config, &names, &n, err);
    if (rc)
        return rc;
    if (c->study && !n)
        rc = os_error_set(err, OS_ERR_USAGE, "--study %s: %s defines no [study NAME] sections",
                          c->study, c->config);
    for (size_t i = 0; !rc && c->study && i <= n; i++)
        if (i == n)
            rc = os_error_set(err, OS_ERR_USAGE, "--study %s: %s has no [study %s]", c->study,
                              c->config, c->study);
        else if (!strcmp(names[i], c->study))
            break;
    if (!rc && c->validate) {
        if (n && !c->study)
            rc = os_error_set(err, OS_ERR_USAGE, "validate: %s defines %zu studies; choose one "
                              "with --study NAME", c->config, n);
        else
            rc = run_validate(c, reg, c->study, unsuccessful, err);
    } else if (!rc && !n) {
        os_summary_row row = { 0 };
        rc = run_study(c, reg, NULL, c->output, stdout, &row, err);
        *unsuccessful = !rc && !row.recommended;
    } else if (!rc) {
        rc = run_batch(c, reg, names, n, unsuccessful, err);
    }
    os_config_free_names(names, n);
    return rc;
}

/* Whether a study the command runs isolates its trials: its plugins are
 * then loaded in a child process first, so one that crashes while loading
 * cannot take optselect down. */
static int wants_isolation(const cli *c)
{
    if (c->isolate)
        return 1;
    if (c->action != ACT_RUN)
        return 0;
    char **names = NULL;
    size_t n = 0;
    os_error ignored = { 0 }; /* the run reports a file it cannot read */
    if (c->study || c->resume_config || os_config_list_studies(c->config, &names, &n, &ignored))
        return os_config_wants_isolation(c->config, c->study, c->sets, c->n_sets);
    int any = !n && os_config_wants_isolation(c->config, NULL, c->sets, c->n_sets);
    for (size_t i = 0; i < n && !any; i++)
        any = os_config_wants_isolation(c->config, names[i], c->sets, c->n_sets);
    os_config_free_names(names, n);
    return any;
}

int main(int argc, char **argv)
{
    /* OpenBLAS fixes its kernels before main(); a misdetected core costs a
     * factor of several in every matrix product, so start again with the
     * right one. */
    const char *core = os_blas_wanted_coretype();
    if (core && setenv("OPENBLAS_CORETYPE", core, 1) == 0) {
        execv("/proc/self/exe", argv);
        /* exec failed: carry on at reduced speed, but say so */
        fprintf(stderr, "optselect: warning: OpenBLAS runs a slow kernel for this CPU; "
                "set OPENBLAS_CORETYPE=%s for full speed\n", core);
    }

    cli c = { 0 };
    os_error err = { 0 };
    os_registry reg = { 0 };
    int rc = parse_cli(&c, argc, argv, &err), unsuccessful = 0;
    if (!rc && c.action == ACT_HELP)
        usage(stdout);
    else if (!rc && c.action == ACT_VERSION)
    {
        printf("optselect %s\nplugin ABI %d.%d\nBLAS: %s\nMPI: %s\n", PACKAGE_VERSION,
               OS_PLUGIN_ABI_MAJOR, OS_PLUGIN_ABI_MINOR, os_blas_describe(),
               os_world_built() ? "yes (mpirun -np N optselect ...)" : "no");
        if (os_blas_advice())
            printf("note: %s\n", os_blas_advice());
    }
    else if (!rc && c.action == ACT_HELP_CONFIG)
        os_config_print_keys(stdout);
    else if (!rc && c.action == ACT_CHECK)
        unsuccessful = os_conformance_run_isolated(c.check_plugin, stdout) > 0;
    else if (!rc && !(rc = os_world_init(&argc, &argv, c.mpi, &err))) {
        catch_stop_signals();
        os_world_set_stop(&stop_signal);
        if (os_world_worker()) { /* rank 0 reports and keeps the results folder */
            c.output = NULL;
            c.quiet = 1;
        }
        /* isolated studies load each plugin in a child first */
        reg.probe = wants_isolation(&c);
        if (reg.probe && os_world_ranks())
            rc = os_error_set(&err, OS_ERR_USAGE, "isolation = process (or --isolate) and "
                              "MPI ranks do not combine: every rank trains in its own "
                              "process already; run without one or the other");
        for (size_t i = 0; i < c.n_plugins && !rc; i++)
            rc = os_registry_load_file(&reg, c.plugins[i], &err);
        if (!rc)
            rc = os_registry_load_default(&reg, &err);
        if (!rc && c.action == ACT_LIST)
            os_registry_list(&reg, stdout);
        else if (!rc)
            rc = run(&c, &reg, &unsuccessful, &err);
    }
    if (rc && !batch_error_printed && !os_world_worker())
        fprintf(stderr, "optselect: %s\n", err.msg);
    os_registry_free(&reg);
    free(c.sets);
    free(c.plugins);
    free(c.resume_config);
    int status = rc ? os_error_exit_status(rc)
               : stop_signal ? 128 + stop_signal /* the partial report is written */
               : unsuccessful ? EXIT_UNSUCCESSFUL : 0;
    return os_world_end(rc, err.msg, status);
}
