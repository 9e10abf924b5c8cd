/* plan.c — the config's open values resolved into the plan.  See plan.h. */
#include "config.h"

#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "plan.h"

void os_plan_init(os_plan *p, const os_config *cfg)
{
    memset(p, 0, sizeof *p);
    p->steps = cfg->steps;
    p->full_steps = cfg->full_steps;
    p->full_batch = cfg->full_batch ? cfg->full_batch : cfg->batch_size;
    p->batch_split = cfg->batch_split;
    p->batch_max = p->batch_min = cfg->batch_size;
    for (size_t i = 0; i < cfg->n_batch; i++) {
        if (cfg->batch_sizes[i] > p->batch_max)
            p->batch_max = cfg->batch_sizes[i];
        if (cfg->batch_sizes[i] < p->batch_min)
            p->batch_min = cfg->batch_sizes[i];
    }
    p->strategy = !strcmp(cfg->strategy, "halving")   ? OS_STRATEGY_HALVING
                : !strcmp(cfg->strategy, "hyperband") ? OS_STRATEGY_HYPERBAND
                : !strcmp(cfg->strategy, "asha")      ? OS_STRATEGY_ASHA
                                                      : OS_STRATEGY_GRID;
    p->score = (os_score_kind)os_score_from_name(cfg->score);
    p->refine = !strcmp(cfg->refine, "train")  ? OS_REFINE_TRAIN
              : !strcmp(cfg->refine, "report") ? OS_REFINE_REPORT
                                               : OS_REFINE_OFF;
    p->isolate = !strcmp(cfg->isolation, "process");
    /* strategy = auto's rungs: every candidate for an eighth of the top
     * budget, the best quarter on to half of it, the best quarter of
     * those to all of it (measured best on the selection suite,
     * docs/selection-quality.md); whoever sets the ladder gets theirs */
    const int auto_rungs = cfg->strategy_auto && !cfg->rungs.n && !cfg->reduction_factor &&
                           !cfg->min_steps;
    p->eta = cfg->reduction_factor ? cfg->reduction_factor : auto_rungs ? 4 : 3;
    p->min_steps = cfg->min_steps;
    p->rungs = cfg->rungs;
    if (auto_rungs)
        p->rungs = (os_fractions){ { 0.125, 0.5, 1 }, 3 };
    for (size_t k = 0; k < cfg->n_opts; k++)
        p->lr[k] = cfg->opts[k].lr;
}

size_t os_halving_budgets(uint64_t steps, uint64_t min_steps, uint64_t eta,
                          uint64_t budgets[OS_MAX_BUDGETS])
{
    if (eta < 2)
        eta = 2;
    if (min_steps == 0)
        min_steps = steps / (eta * eta);
    if (min_steps < 1)
        min_steps = 1;
    /* from the top down, so that the last budget is exactly steps */
    uint64_t down[OS_MAX_BUDGETS];
    size_t n = 0;
    double b = (double)steps;
    while (n < OS_MAX_BUDGETS) {
        uint64_t r = (uint64_t)llround(b);
        if (n && (r < min_steps || r >= down[n - 1]))
            break;
        down[n++] = r;
        b /= (double)eta;
        if (r <= min_steps)
            break;
    }
    for (size_t i = 0; i < n; i++)
        budgets[i] = down[n - 1 - i];
    return n;
}

size_t os_plan_rungs(const os_plan *p, uint64_t budgets[OS_MAX_BUDGETS])
{
    if (p->strategy == OS_STRATEGY_GRID) {
        budgets[0] = p->steps;
        return 1;
    }
    if (!p->rungs.n)
        return os_halving_budgets(p->steps, p->min_steps, p->eta, budgets);
    size_t n = 0;
    for (size_t i = 0; i < p->rungs.n; i++) {
        uint64_t b = (uint64_t)llround(p->rungs.v[i] * (double)p->steps);
        if (i + 1 == p->rungs.n)
            b = p->steps;
        if (b >= 1 && (!n || b > budgets[n - 1]))
            budgets[n++] = b;
    }
    return n;
}

int os_plan_budgets(os_plan *p, const os_config *cfg, size_t n_subset, size_t n_train,
                    os_error *err)
{
    p->full_rows = !strcmp(cfg->full_data, "subset") ? n_subset : n_train;
    if (p->full_batch > p->full_rows && !cfg->full_batch) /* the trials' batch */
        return os_error_set(err, OS_ERR_CONFIG, "%s: [search] batch_size %llu exceeds the %llu "
                            "training rows%s", os_config_where(cfg, "search", "batch_size"),
                            (unsigned long long)p->full_batch,
                            (unsigned long long)p->full_rows,
                            p->full_rows == n_subset && n_subset < n_train ? " trials draw from"
                                                                           : "");
    if (p->full_batch > p->full_rows)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [full] batch_size %llu exceeds the full "
                            "run's %llu training rows", os_config_where(cfg, "full",
                            cfg->full_batch ? "batch_size" : "data"),
                            (unsigned long long)p->full_batch,
                            (unsigned long long)p->full_rows);
    uint64_t per_epoch = (n_subset + cfg->batch_size - 1) / cfg->batch_size;
    uint64_t full_per_epoch = (p->full_rows + p->full_batch - 1) / p->full_batch;
    if (cfg->full_epochs > 0)
        p->full_steps = (uint64_t)fmax(1, llround(cfg->full_epochs * (double)full_per_epoch));
    if (cfg->epochs > 0)
        p->steps = (uint64_t)fmax(1, llround(cfg->epochs * (double)per_epoch));
    /* a fraction of the full run's samples, in the trials' batches */
    if (cfg->fraction > 0)
        p->steps = (uint64_t)fmax(1, llround(cfg->fraction * (double)p->full_steps *
                                             (double)p->full_batch /
                                             (double)cfg->batch_size));
    return 0;
}

/* A trial that passes over a small subset more often than the full run
 * passes over all its rows overfits where the full run would not, and
 * favours slow learners (measured on the selection suite): its pool grows
 * to the full run's rows times the trial's share of its rows trained.  A
 * step costs the same whatever the pool. */
size_t os_plan_pool(const os_plan *p, const os_config *cfg, size_t n_subset, size_t n_train)
{
    if (!cfg->subset_grow || !p->full_steps || !strcmp(cfg->full_data, "subset") ||
        cfg->seconds > 0 || n_subset >= n_train)
        return n_subset;
    double share = (double)p->steps * (double)p->batch_max /
                   ((double)p->full_steps * (double)p->full_batch);
    double need = ceil((double)p->full_rows * fmin(share, 1.0));
    return need > (double)n_subset ? (size_t)need : n_subset;
}

int os_plan_schedules(os_plan *p, const os_config *cfg, os_error *err)
{
    os_schedule full = {
        .kind = os_schedule_from_name(cfg->full_schedule), .steps = p->full_steps,
        .floor = cfg->full_floor, .decay = cfg->full_decay, .gamma = cfg->full_gamma,
        .n_milestones = cfg->full_milestones.n,
    };
    memcpy(full.milestones, cfg->full_milestones.v, sizeof full.milestones);
    if (cfg->full_warmup > 0 && full.steps)
        full.warmup = cfg->full_warmup >= 1
                    ? (uint64_t)cfg->full_warmup
                    : (uint64_t)fmax(1, llround(cfg->full_warmup * (double)full.steps));
    if (full.warmup && full.warmup >= full.steps)
        return os_error_set(err, OS_ERR_CONFIG, "%s: [full] warmup of %llu steps leaves "
                            "nothing of the full run's %llu", os_config_where(cfg, "full",
                            "warmup"), (unsigned long long)full.warmup,
                            (unsigned long long)full.steps);
    p->full_schedule = full;
    p->horizon_ratio = full.steps ? (double)full.steps * (double)p->full_batch /
                                    ((double)p->steps * (double)cfg->batch_size) : 0;
    if (!full.steps || !strcmp(cfg->schedule, "constant"))
        p->schedule = (os_schedule){ .kind = OS_SCHED_CONSTANT, .steps = p->steps };
    else
        p->schedule = os_schedule_scaled(&full, p->steps);
    return 0;
}

/* batch_split = auto.  Splitting a step pays only where the trials leave
 * cores idle and the step is mostly matrix products: the optimizer's update
 * and the evaluations stay serial, and they cost per parameter, where the
 * products cost per parameter and row.  Measured (docs/performance.md): the
 * reference MLP (~770 flops per parameter per step) runs slower split on 2
 * threads than whole on one; the LeNet-style CNN (~5,000) twice as fast.
 * The machine's cores, not --threads, decide, so that the thread count
 * never changes a result. */
void os_plan_split(os_plan *p, const os_model *m, size_t trials)
{
    if (p->batch_split)
        return;
#ifdef _OPENMP
    const size_t cores = (size_t)omp_get_num_procs();
#else
    const size_t cores = 1;
#endif
    p->batch_split = 1;
    if (trials >= cores || os_model_flops(m, p->batch_min) < 2000.0 * (double)m->layout.n)
        return;
    while (p->batch_split * 2 * trials <= cores && p->batch_split * 2 <= OS_MAX_AUTO_SPLIT &&
           p->batch_min / (p->batch_split * 2) >= 16)
        p->batch_split *= 2;
}
