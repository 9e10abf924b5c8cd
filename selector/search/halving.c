/* halving.c — see halving.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "halving.h"
#include "rng.h"
#include "score.h"

typedef struct ranked {
    double score;
    size_t index;
} ranked;

static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    int na = isnan(a->score), nb = isnan(b->score);
    if (na != nb)
        return na - nb;
    if (!na && a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

size_t os_halving_sure(const double *score, const unsigned char *measured, const size_t *alive,
                       size_t n, size_t keep, unsigned char *sure)
{
    /* the measured in promotion order: the p-th is certain when the p
     * before it and every unmeasured one are fewer than keep */
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    size_t m = 0, count = 0;
    for (size_t a = 0; a < n; a++) {
        sure[alive[a]] = 0;
        if (measured[alive[a]] && r)
            r[m++] = (ranked){ score[alive[a]], alive[a] };
    }
    if (!r) /* without memory, none early: the rung's decision still comes */
        return 0;
    qsort(r, m, sizeof *r, cmp_ranked);
    for (size_t p = 0; p < m && p + (n - m) < keep; p++, count++)
        sure[r[p].index] = 1;
    free(r);
    return count;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

size_t os_halving_promote(const double *score, const size_t *alive, size_t n, size_t keep,
                          size_t *out)
{
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    if (keep > n)
        keep = n;
    if (!r) { /* without memory, keep the first ones: still a valid answer */
        memcpy(out, alive, keep * sizeof *out);
        return keep;
    }
    for (size_t i = 0; i < n; i++)
        r[i] = (ranked){ score[alive[i]], alive[i] };
    qsort(r, n, sizeof *r, cmp_ranked);
    for (size_t i = 0; i < keep; i++)
        out[i] = r[i].index;
    free(r);
    qsort(out, keep, sizeof *out, cmp_size);
    return keep;
}

void os_halving_record(double *at, size_t nb, size_t k, int stopped, const os_trial_result *r,
                       const uint64_t *budgets, const os_trial_env *env)
{
    if (stopped) {
        for (size_t j = k; j < nb; j++)
            at[j] = INFINITY;
        return;
    }
    at[k] = os_trial_score_at(r, budgets[k], (os_score_kind)env->score_kind, env->horizon);
}

size_t os_hyperband_plan(size_t n_groups, size_t n_levels, uint64_t eta,
                         size_t sizes[OS_MAX_BUDGETS])
{
    /* bracket b starts at level b and has n_levels - b rungs; Li et al.
     * give bracket s (s + 1 rungs of s_max + 1) ceil((s_max + 1) / (s + 1)
     * eta^s) configurations so that every bracket costs about the same;
     * scaled here so that the most aggressive one holds every candidate */
    const double s_max = (double)(n_levels - 1);
    for (size_t b = 0; b < n_levels; b++) {
        double rungs = (double)(n_levels - b);
        double want = ceil((double)n_groups * (s_max + 1) / rungs *
                           pow((double)eta, rungs - 1 - s_max) - 1e-9);
        sizes[b] = want >= (double)n_groups ? n_groups : want < 1 ? 1 : (size_t)want;
    }
    return n_levels;
}

int os_halving_run(const os_halving_spec *h, os_error *err)
{
    const size_t ng = h->n_groups;
    const uint64_t *budgets = h->budgets;
    const size_t nb = h->nb;
    if (h->strategy == OS_STRATEGY_ASHA)
        return os_asha_run(h, budgets, nb, err);
    const int hyperband = h->strategy == OS_STRATEGY_HYPERBAND;
    size_t sizes[OS_MAX_BUDGETS] = { ng };
    size_t n_br = hyperband ? os_hyperband_plan(ng, nb, h->eta, sizes) : 1;
    os_bracket br[OS_MAX_BUDGETS] = { { 0 } };
    size_t *block = malloc((n_br * ng + 1) * sizeof *block);
    uint32_t *perm = malloc((ng + 1) * sizeof *perm);
    int rc = 0;
    if (!block || !perm) {
        rc = os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu candidates", ng);
        goto out;
    }
    for (size_t b = 0; b < n_br; b++) {
        /* each bracket draws its candidates from the seed: its own stream */
        for (size_t g = 0; g < ng; g++)
            perm[g] = (uint32_t)g;
        if (sizes[b] < ng) {
            os_rng rng;
            os_rng_seed(&rng, h->seed, 0x4879706572ull + b); /* "Hyper" + bracket */
            os_rng_shuffle(&rng, perm, ng);
        }
        br[b] = (os_bracket){ .start = b, .alive = block + b * ng, .n_alive = sizes[b] };
        for (size_t a = 0; a < sizes[b]; a++)
            br[b].alive[a] = perm[a];
        qsort(br[b].alive, sizes[b], sizeof *br[b].alive, cmp_size);
    }
    rc = os_rungs_run(h, br, n_br, budgets, nb, err);
out:
    free(block);
    free(perm);
    return rc;
}
