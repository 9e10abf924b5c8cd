/* study.c — see study.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "blas.h"
#include "halving.h"
#include "executor.h"
#include "journal.h"
#include "score.h"
#include "study.h"
#include "util.h"

/* Loads one dataset in the config's format; like is the training set when
 * loading the test set (LIBSVM takes its width and classes from it). */
static int load(const os_config *cfg, const char *path, const char *labels, int regression,
                const os_dataset *like, os_dataset *out, os_error *err)
{
    if (!strcmp(cfg->format, "synthetic")) {
        os_synthetic_spec spec = { cfg->generator, (size_t)cfg->samples, (size_t)cfg->classes,
                                   cfg->features ? (size_t)cfg->features : 2, cfg->noise };
        return os_synthetic_make(&spec, cfg->seed, out, err);
    }
    /* a directory opens, and would fail only at its first read, as an
     * empty or short file */
    struct stat st;
    for (int i = 0; i < 2; i++) {
        const char *file = i ? labels : path;
        if (file && stat(file, &st) == 0 && S_ISDIR(st.st_mode))
            return os_error_set(err, OS_ERR_DATA, "%s: a directory, not a data file", file);
    }
    if (!strcmp(cfg->format, "libsvm"))
        return os_libsvm_load(path, (size_t)cfg->features, regression, like, out, err);
    if (!strcmp(cfg->format, "idx")) {
        os_idx_options idx = { cfg->pixel_scale, regression };
        return os_idx_load(path, labels, &idx, out, err);
    }
    os_csv_options csv = { cfg->header, cfg->label, cfg->delimiter, regression };
    return os_csv_load(path, &csv, like, out, err);
}

/* lr = auto: a range test per optimizer that asks for one, into the plan. */
static int find_rates(os_study *s, const os_config *cfg, os_error *err)
{
    const os_lrfind_on on = {
        .fn = s->fn, .fn_layout = &s->fn_layout, .start = { cfg->start[0], cfg->start[1] },
        .model = &s->model, .decays = s->decays, .data = &s->data,
        .batch_size = cfg->batch_size, .seed = cfg->seed, .smoothing = cfg->smoothing,
    };
    for (size_t k = 0; k < cfg->n_opts; k++) {
        if (!s->plan.lr[k].autotune)
            continue;
        int rc = os_lrfind_optimizer(&on, &cfg->opts[k], &s->plan.lr[k], &s->lrfind[k], err);
        if (rc)
            return rc;
        s->lrfound[k] = 1;
    }
    return 0;
}

/* The training data, its split and subset, and the test set. */
static int load_data(os_study *s, const os_config *cfg, int regression, os_error *err)
{
    int rc = load(cfg, cfg->data_path, cfg->labels_path, regression, NULL, &s->all, err);
    if (!rc)
        rc = os_data_split_make(&s->all, cfg->validation, cfg->standardize,
                                (size_t)cfg->subset, cfg->seed, &s->data, err);
    if (!rc && os_data_split_val_sample(&s->data, (size_t)cfg->eval_sample, cfg->seed))
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for eval_sample = %llu rows",
                          (unsigned long long)cfg->eval_sample);
    if (!rc && cfg->test_path)
        rc = load(cfg, cfg->test_path, cfg->test_labels_path, regression, &s->all, &s->test,
                  err);
    if (rc)
        return rc;
    if (s->test.n) {
        if (s->test.d != s->all.d)
            return os_error_set(err, OS_ERR_DATA, "%s: %zu features per row, but the training "
                                "data has %zu", cfg->test_path, s->test.d, s->all.d);
        if (!regression && s->test.n_classes > s->all.n_classes)
            return os_error_set(err, OS_ERR_DATA, "%s: class %zu does not occur in the "
                                "training data", cfg->test_path, s->test.n_classes - 1);
        os_data_standardize_like(&s->data, &s->test);
    }
    return 0;
}

/* The plan's budgets from the data, the trials' pool as it grows, and the
 * checks that need both. */
static int resolve_budgets(os_study *s, const os_config *cfg, os_error *err)
{
    os_plan *p = &s->plan;
    int rc = os_plan_budgets(p, cfg, s->data.n_subset, s->data.train.n, err);
    if (rc)
        return rc;
    size_t pool = os_plan_pool(p, cfg, s->data.n_subset, s->data.train.n);
    if (pool > s->data.n_subset) {
        p->subset_given = s->data.n_subset;
        if (os_data_split_subset(&s->data, pool, cfg->seed))
            return os_error_set(err, OS_ERR_NOMEM, "out of memory for the trials' rows");
    }
    if (!(cfg->seconds > 0) &&
        (rc = os_config_check_extrapolated(cfg, p->steps, p->full_steps, err)))
        return rc; /* with seconds: once they are steps */
    if (p->batch_max > s->data.n_subset)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [search] batch_size %llu exceeds the "
                            "%zu training rows trials draw from",
                            os_config_where(cfg, "search", "batch_size"),
                            (unsigned long long)p->batch_max, s->data.n_subset);
    if (p->batch_split > p->batch_min)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [search] batch_split %llu exceeds "
                            "batch_size %llu: every chunk needs a row",
                            os_config_where(cfg, "search", "batch_split"),
                            (unsigned long long)p->batch_split,
                            (unsigned long long)p->batch_min);
    return 0;
}

/* The model from [model] and the data's shape. */
static int build_model(os_study *s, const os_config *cfg, int regression, os_error *err)
{
    os_model_spec spec = cfg->model;
    int binary = !regression && !strcmp(cfg->loss, "binary_cross_entropy");
    spec.loss = regression ? OS_LOSS_MSE : binary ? OS_LOSS_BINARY_CE : OS_LOSS_CROSS_ENTROPY;
    if (binary && s->all.n_classes != 2)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [model] loss = binary_cross_entropy needs "
                            "two classes; the data has %zu", os_config_where(cfg, "model", "loss"),
                            s->all.n_classes);
    if (regression && strcmp(cfg->loss, "auto"))
        return os_error_set(err, OS_ERR_CONFIG, "%s: [model] loss = %s is for classification; "
                            "regression uses mse", os_config_where(cfg, "model", "loss"), cfg->loss);
    if (spec.n_conv && !spec.image[0]) {
        if (!s->all.height)
            return os_error_set(err, OS_ERR_CONFIG, "%s: [model] conv needs the image geometry: "
                                "set image = CxHxW (the data file does not say)",
                                os_config_where(cfg, "model", "conv"));
        spec.image[0] = s->all.channels;
        spec.image[1] = s->all.height;
        spec.image[2] = s->all.width;
    }
    int built = os_model_build(&s->model, &spec, s->all.d,
                               regression || binary ? 1 : s->all.n_classes);
    if (built == -2)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [model] the convolution blocks do not fit "
                            "a %zux%zux%zu input of %zu features (a kernel or pool larger than "
                            "the image, or image does not multiply out to the features)",
                            os_config_where(cfg, "model", "conv"), spec.image[0], spec.image[1],
                            spec.image[2], s->all.d);
    if (built)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory building the model");
    if (!strcmp(cfg->decay, "weights")) {
        if (!(s->decays = malloc(s->model.layout.n_tensors)))
            return os_error_set(err, OS_ERR_NOMEM, "out of memory building the model");
        os_plugin_decays(&s->model.layout, s->decays);
    }
    return 0;
}

int os_study_prepare(os_study *s, const os_config *cfg, os_error *err)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->journal.fd = -1;
    os_plan_init(&s->plan, cfg);
    if (cfg->command) { /* the trainer has the model and the data */
        const char *dir = cfg->workdir ? cfg->workdir : cfg->dir;
        if (!(s->workdir = realpath(dir, NULL)))
            return os_error_set(err, OS_ERR_CONFIG, "%s: [trainer] workdir %s: %s",
                                os_config_where(cfg, "trainer", cfg->workdir ? "workdir"
                                                                             : "command"),
                                dir, strerror(errno));
        s->plan.batch_split = 1;
        int rc = os_plan_schedules(&s->plan, cfg, err);
        return rc ? rc : os_search_build(&s->search, cfg, s->plan.lr, err);
    }
    if (strcmp(cfg->function, "none")) {
        s->fn = os_testfn_find(cfg->function);
        s->fn_tensor = (os_tensor){ "point", 0, 2, 1, { 2 } };
        s->fn_layout = (os_layout){ 2, 1, &s->fn_tensor, NULL };
        int found = find_rates(s, cfg, err);
        s->plan.batch_split = 1; /* a point has no batch to split */
        if (!found)
            found = os_plan_schedules(&s->plan, cfg, err);
        return found ? found : os_search_build(&s->search, cfg, s->plan.lr, err);
    }
    int regression = !strcmp(cfg->task, "regression");
    int rc = load_data(s, cfg, regression, err);
    if (!rc)
        rc = resolve_budgets(s, cfg, err);
    if (!rc)
        rc = build_model(s, cfg, regression, err);
    if (rc)
        return rc;
    int found = os_plan_schedules(&s->plan, cfg, err);
    if (found || (found = find_rates(s, cfg, err)) ||
        (found = os_search_build(&s->search, cfg, s->plan.lr, err)))
        return found;
    os_plan_split(&s->plan, &s->model, s->search.n);
    return 0;
}

static int alloc_results(os_study *s, os_error *err)
{
    if (s->results)
        return 0;
    s->results = calloc(s->search.n, sizeof *s->results);
    s->done = calloc(s->search.n, 1);
    s->ranking = calloc(s->search.n_groups, sizeof *s->ranking);
    if (!s->results || !s->done || !s->ranking)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu trials", s->search.n);
    return 0;
}

int os_study_trial_root(os_study *s, const char *output, os_error *err)
{
    if (!s->cfg->command || s->trial_root)
        return 0;
    if (output) {
        s->trial_root = os_path_join(output, "trials");
    } else {
        const char *tmp = getenv("TMPDIR");
        char *templ = os_path_join(tmp && *tmp ? tmp : "/tmp", "optselect-XXXXXX");
        if (templ && !mkdtemp(templ)) {
            int e = errno;
            os_error_set(err, OS_ERR_IO, "%s: cannot make a folder for the trials: %s", templ,
                         strerror(e));
            free(templ);
            return err->code;
        }
        s->trial_root = templ;
        s->trial_root_temp = 1;
    }
    if (!s->trial_root)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory");
    if (os_make_dirs(s->trial_root))
        return os_error_set(err, OS_ERR_IO, "%s: cannot make the trials' folder: %s",
                            s->trial_root, strerror(errno));
    return 0;
}

int os_study_open_journal(os_study *s, const char *path, os_error *err)
{
    int rc = alloc_results(s, err);
    s->journal.budget = s->cfg->seconds > 0 ? s->plan.steps : 0;
    s->journal.versions = os_study_plugin_versions(s, s->versions_text,
                                                   sizeof s->versions_text);
    s->journal.versions_text = s->versions_text;
    return rc ? rc : os_journal_open(&s->journal, path, os_study_fingerprint(s), s->search.n,
                                     s->results, s->done, &s->n_resumed, err);
}

/* The environment every trial of the study shares. */
static os_trial_env study_env(const os_study *s, const volatile sig_atomic_t *stop)
{
    const os_config *cfg = s->cfg;
    return (os_trial_env){
        .model = &s->model, .decays = s->decays, .data = &s->data,
        .test = s->test.n ? &s->test : NULL,
        .fn = s->fn, .fn_layout = &s->fn_layout, .start = { cfg->start[0], cfg->start[1] },
        .steps = s->plan.steps, .batch_size = s->plan.batch_max, .eval_every = cfg->eval_every,
        .seed = cfg->seed, .smoothing = cfg->smoothing, .diverge_factor = cfg->diverge_factor,
        .stop = stop, .timeout = cfg->trial_timeout,
        .score_kind = s->plan.score, .horizon = s->plan.full_steps,
        .split = s->plan.batch_split, .schedule = &s->plan.schedule,
        .command = cfg->command ? &cfg->cmd : NULL,
        .workdir = s->workdir, .trial_root = s->trial_root, .logs_kept = !s->trial_root_temp,
        .command_threads = cfg->trainer_threads,
    };
}

/* The executor's plan for n trials of the study on its threads or worker
 * processes. */
static os_exec_plan exec_plan(const os_study *s, const os_trial_env *env,
                              const os_candidate *cands, os_trial_result *results, size_t n,
                              const uint64_t *budgets, size_t nb)
{
    return (os_exec_plan){ .env = env, .cands = cands, .results = results, .n = n,
                           .budgets = budgets, .nb = nb,
                           .workers = s->threads > 0 ? s->threads : 1,
                           .isolate = s->isolated, .max_crashes = s->cfg->max_crashes,
                           .local = s->local, .sim = s->sim };
}

os_exec_plan os_study_plan(os_study *s, const os_trial_env *env, os_progress *progress,
                           const uint64_t *budgets, size_t nb)
{
    os_exec_plan plan = exec_plan(s, env, s->search.cands, s->results, s->search.n, budgets, nb);
    plan.done = s->done;
    plan.journal = &s->journal;
    plan.progress = progress;
    return plan;
}

int os_study_train(os_study *s, const os_trial_env *env, const os_candidate *cands,
                   os_trial_result *results, size_t n, const uint64_t *until,
                   const volatile sig_atomic_t *stop, os_error *err)
{
    os_trial_env own;
    if (!env) {
        own = study_env(s, stop);
        os_blas_set_threads(1);
        env = &own;
    }
    uint64_t budgets[OS_MAX_BUDGETS];
    size_t nb = os_plan_rungs(&s->plan, budgets);
    int *targets = malloc((n ? n : 1) * sizeof *targets);
    if (!targets)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu trials", n);
    for (size_t j = 0; j < n; j++) { /* the last budget within until[j]; -1: none */
        size_t k = 0;
        while (k < nb && budgets[k] <= until[j])
            k++;
        targets[j] = (int)k - 1;
    }
    os_exec_plan plan = exec_plan(s, env, cands, results, n, budgets, nb);
    os_exec_sweep sweep = { .targets = targets };
    os_exec_strategy st = { .ctx = &sweep, .next = os_exec_sweep_next };
    int rc = os_exec_run(&plan, &st, err);
    for (size_t j = 0; j < n; j++) {
        s->steps_trained += results[j].steps;
        if (results[j].steps_run > results[j].steps)
            s->steps_again += results[j].steps_run - results[j].steps;
    }
    free(targets);
    return rc;
}

/* The noise check ([search] rerun_top, rerun_seeds): the best rerun_top
 * candidates (at least two: the choice is between a winner and its
 * runner-up) train again on the seeds the study did not run, as far as
 * they went before and measured at the same steps.  Means over fewer seeds
 * regress less toward the mean, so a candidate that rises into the top
 * after a round of reruns is rerun too, until the top all rest on the same
 * rerun_seeds seeds: the final choice compares like with like.  Each
 * candidate is rerun at most once, so this ends.  In process, not
 * journaled: a resumed study runs them again (same outcome). */
static int rerun_top(os_study *s, const os_trial_env *env, os_error *err)
{
    const os_config *cfg = s->cfg;
    if (cfg->rerun_seeds <= cfg->seeds)
        return 0;
    const size_t want = cfg->rerun_top > 2 ? (size_t)cfg->rerun_top : 2;
    const size_t extra = (size_t)(cfg->rerun_seeds - cfg->seeds);
    int rc = 0;
    for (;;) {
        size_t m = 0, top = want < s->n_groups ? want : s->n_groups;
        for (size_t k = 0; k < top; k++)
            m += s->ranking[k].status == OS_TRIAL_OK &&
                 s->ranking[k].n_seeds < cfg->rerun_seeds;
        if (!m)
            return 0;
        const size_t have = s->n_reruns, n = m * extra;
        os_candidate *cands = realloc(s->rerun_cands, (have + n) * sizeof *cands);
        if (cands)
            s->rerun_cands = cands;
        os_trial_result *res = cands ? realloc(s->reruns, (have + n) * sizeof *res) : NULL;
        if (res)
            s->reruns = res;
        uint64_t *until = calloc(n, sizeof *until);
        if (!cands || !res || !until) {
            free(until);
            rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu reruns", have + n);
            goto fail;
        }
        memset(res + have, 0, n * sizeof *res);
        for (size_t k = 0, j = have; k < top; k++) {
            const os_group *g = &s->ranking[k];
            if (g->status != OS_TRIAL_OK || g->n_seeds >= cfg->rerun_seeds)
                continue;
            for (size_t e = 0; e < extra; e++, j++) {
                cands[j] = s->search.cands[g->first];
                cands[j].id = s->search.n + j;
                cands[j].seed_index = cfg->seeds + e;
                until[j - have] = g->steps; /* as far as it went before */
            }
        }
        rc = os_study_train(s, env, cands + have, res + have, n, until, NULL, err);
        free(until);
        s->n_reruns = have + n; /* counted, so that fail frees them */
        if (rc || os_trial_should_stop(env))
            goto fail;
        os_study_rank(s);
    }
fail:
    /* cut short: the ranking is the study's own, as if no rerun had run */
    for (size_t j = 0; j < s->n_reruns; j++)
        os_trial_result_free(&s->reruns[j]);
    free(s->reruns);
    free(s->rerun_cands);
    s->reruns = NULL;
    s->rerun_cands = NULL;
    s->n_reruns = 0;
    os_study_rank(s);
    return rc;
}




int os_study_run(os_study *s, const os_run_options *o, os_error *err)
{
    const os_config *cfg = s->cfg;
    const size_t n = s->search.n;
    const volatile sig_atomic_t *stop = o->stop;
    os_trial_start *starts = NULL;
    size_t n_starts = 0;
    int rc = alloc_results(s, err);
    if (rc)
        goto out;
    os_trial_env env = study_env(s, stop);

    size_t to_run = n - s->n_resumed;
    s->threads = os_threads_plan(o->threads, to_run, &env);
    /* every candidate of a seed starts from the same weights: drawn and
     * measured once */
    n_starts = cfg->rerun_top && cfg->rerun_seeds > cfg->seeds ? cfg->rerun_seeds : cfg->seeds;
    if (!s->fn && !cfg->command && to_run) {
        if (!(rc = os_trial_starts_make(&env, n_starts, &starts, err))) {
            env.starts = starts;
            env.n_starts = n_starts;
        }
        if (rc)
            goto out;
    }
    double t0 = os_seconds();
    os_progress progress;
    os_progress_begin(&progress, o->progress, o->color, n, s->n_resumed);
    s->isolated = o->isolate;
    if (s->plan.strategy != OS_STRATEGY_GRID) { /* halving, hyperband or asha */
        os_halving_spec h = {
            .plan = os_study_plan(s, &env, &progress, NULL, 0), .n_groups = s->search.n_groups,
            .strategy = s->plan.strategy, .eta = s->plan.eta, .window = cfg->asha_window,
            .seed = cfg->seed,
        };
        h.nb = os_plan_rungs(&s->plan, h.budgets);
        rc = os_halving_run(&h, err);
    } else {
        os_exec_plan plan = os_study_plan(s, &env, &progress, &s->plan.steps, 1);
        os_exec_sweep sweep = { .target = 0 };
        os_exec_strategy st = { .ctx = &sweep, .next = os_exec_sweep_next };
        rc = os_exec_run(&plan, &st, err);
    }
    os_progress_end(&progress);
    s->seconds = os_seconds() - t0;
    for (size_t i = 0; i < n; i++) {
        s->n_interrupted += s->results[i].status == OS_TRIAL_INTERRUPTED;
        s->steps_trained += s->results[i].steps;
        if (s->results[i].steps_run > s->results[i].steps)
            s->steps_again += s->results[i].steps_run - s->results[i].steps;
    }
    if (!rc)
        os_study_rank(s);
    if (!rc && cfg->rerun_top && !s->n_interrupted && !(stop && *stop)) {
        rc = rerun_top(s, &env, err);
    }
    if (!rc && !s->n_interrupted && !(stop && *stop))
        rc = os_study_refine(s, &env, err);
out:
    os_trial_starts_free(starts, n_starts);
    return rc;
}

uint64_t os_study_lrfind_steps(const os_study *s)
{
    uint64_t n = 0;
    for (size_t k = 0; k < s->cfg->n_opts; k++)
        n += s->lrfound[k] ? s->lrfind[k].steps : 0;
    return n;
}

double os_study_compute(const os_study *s)
{
    double grid = (double)s->plan.steps * (double)s->search.n;
    return grid > 0 ? (double)s->steps_trained / grid : 0.0;
}

void os_study_free(os_study *s)
{
    if (s->results)
        for (size_t i = 0; i < s->search.n; i++)
            os_trial_result_free(&s->results[i]);
    free(s->results);
    free(s->done);
    free(s->ranking);
    for (size_t j = 0; s->reruns && j < s->n_reruns; j++)
        os_trial_result_free(&s->reruns[j]);
    free(s->reruns);
    free(s->rerun_cands);
    for (size_t j = 0; j < s->refine.n; j++)
        os_trial_result_free(&s->refine.results[j]);
    free(s->refine.results);
    free(s->refine.cands);
    if (s->journal.path)
        os_journal_close(&s->journal);
    os_search_free(&s->search);
    os_model_free(&s->model);
    free(s->decays);
    os_data_split_free(&s->data);
    os_dataset_free(&s->test);
    os_dataset_free(&s->all);
    if (s->trial_root_temp)
        os_remove_tree(s->trial_root);
    free(s->trial_root);
    free(s->workdir);
    memset(s, 0, sizeof *s);
}
