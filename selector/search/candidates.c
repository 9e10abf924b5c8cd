/* candidates.c — expands a config into candidates; see candidates.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "candidates.h"
#include "util.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t os_search_lrs(const os_opt_config *o, const os_lr_spec *lr, double *out)
{
    if (!lr)
        lr = &o->lr;
    size_t n;
    if (lr->n_lr) {
        n = lr->n_lr;
        memcpy(out, lr->lr, n * sizeof *out);
        qsort(out, n, sizeof *out, cmp_double);
        return n;
    }
    const double base = o->entry->opt->default_lr;
    const double lo = log(lr->range[0]), hi = log(lr->range[1]);
    n = (size_t)lr->points;
    for (size_t i = 0; i < n; i++) {
        double f = n == 1 ? 0.5 : (double)i / (double)(n - 1);
        /* Rounded to 4 significant digits so that reports show the exact
         * rate that ran. */
        out[i] = os_round_sig(base * exp(lo + f * (hi - lo)), 4);
    }
    return n;
}

/* Number of hyperparameter combinations of o, or 0 when over the limit. */
static size_t combinations(const os_opt_config *o)
{
    size_t c = 1;
    for (size_t h = 0; h < o->entry->opt->n_hparams; h++) {
        c *= o->hp_n[h];
        if (c > OS_MAX_CANDIDATES)
            return 0;
    }
    return c;
}

/* Writes combination k of o's hyperparameter lists (mixed radix, first
 * hyperparameter slowest) into hp. */
static void combination(const os_opt_config *o, size_t k, double *hp)
{
    size_t nh = o->entry->opt->n_hparams;
    for (size_t h = nh; h-- > 0;) {
        hp[h] = o->hp[h][k % o->hp_n[h]];
        k /= o->hp_n[h];
    }
}

int os_search_build(os_search *s, const os_config *cfg, const os_lr_spec *lrs_of,
                    os_error *err)
{
    memset(s, 0, sizeof *s);
    size_t total = 0, hp_total = 0;
    for (size_t i = 0; i < cfg->n_opts; i++) {
        const os_opt_config *o = &cfg->opts[i];
        double lrs[OS_MAX_LIST];
        size_t combos = combinations(o), n_lr = os_search_lrs(o, lrs_of ? &lrs_of[i] : NULL, lrs);
        size_t n = combos * n_lr * cfg->seeds * (cfg->n_batch ? cfg->n_batch : 1);
        if (!combos || n > OS_MAX_CANDIDATES || total + n > OS_MAX_CANDIDATES)
            return os_error_set(err, OS_ERR_CONFIG, "%s: the study has more than %d "
                                "candidates; shorten the lists", o->where, OS_MAX_CANDIDATES);
        total += n;
        hp_total += combos * o->entry->opt->n_hparams;
    }
    s->cands = calloc(total, sizeof *s->cands);
    s->hp_block = calloc(hp_total ? hp_total : 1, sizeof *s->hp_block);
    if (!s->cands || !s->hp_block) {
        os_search_free(s);
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu candidates", total);
    }

    double *hp = s->hp_block;
    for (size_t i = 0; i < cfg->n_opts; i++) {
        const os_opt_config *o = &cfg->opts[i];
        const os_optimizer *opt = o->entry->opt;
        double lrs[OS_MAX_LIST];
        size_t n_lr = os_search_lrs(o, lrs_of ? &lrs_of[i] : NULL, lrs), combos = combinations(o), kept = 0;
        for (size_t k = 0; k < combos; k++, hp += opt->n_hparams) {
            combination(o, k, hp);
            char msg[256] = "";
            if (opt->check && opt->check(hp, msg, sizeof msg) != OS_OK) {
                /* the last refusal of an optimizer with none left is the error */
                if (kept == 0 && k + 1 == combos) {
                    os_search_free(s);
                    return os_error_set(err, OS_ERR_CONFIG, "%s: [optimizer.%s]: %s%s",
                                        o->where, opt->label,
                                        msg[0] ? msg : "hyperparameters refused",
                                        combos > 1 ? " (and so every combination)" : "");
                }
                os_skipped *grown = realloc(s->skipped, (s->n_skipped + 1) * sizeof *grown);
                if (!grown) {
                    os_search_free(s);
                    return os_error_set(err, OS_ERR_NOMEM, "out of memory");
                }
                s->skipped = grown;
                os_skipped *sk = &s->skipped[s->n_skipped++];
                sk->as = (os_candidate){ .opt = o, .hp = hp };
                snprintf(sk->why, sizeof sk->why, "%s", msg[0] ? msg : "refused");
                continue;
            }
            kept++;
            for (size_t b = 0; b < (cfg->n_batch ? cfg->n_batch : 1); b++)
                for (size_t l = 0; l < n_lr; l++, s->n_groups++)
                    for (uint64_t seed = 0; seed < cfg->seeds; seed++) {
                        os_candidate *c = &s->cands[s->n];
                        *c = (os_candidate){ s->n, s->n_groups, o, hp, lrs[l], seed,
                                             cfg->n_batch > 1 ? cfg->batch_sizes[b] : 0 };
                        s->n++;
                    }
        }
    }
    return 0;
}

void os_search_free(os_search *s)
{
    free(s->cands);
    free(s->hp_block);
    free(s->skipped);
    memset(s, 0, sizeof *s);
}
