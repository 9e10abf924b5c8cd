/*
 * candidates.h — the candidate list: every optimizer × hyperparameter
 * combination × learning rate × seed of a study, in a fixed order.
 */
#ifndef OS_CANDIDATES_H
#define OS_CANDIDATES_H

#include <stddef.h>
#include <stdint.h>
#include "study_config.h"

#define OS_MAX_CANDIDATES 100000

typedef struct os_candidate {
    size_t         id;        /* position in the list                          */
    size_t         group;     /* candidates differing only in seed share it    */
    const os_opt_config *opt; /* the optimizer and its section                 */
    const double  *hp;        /* one value per hyperparameter, table order     */
    double         lr;
    uint64_t       seed_index;/* 0..seeds-1: same index, same init and batches */
    uint64_t       batch_size;/* rows per step, with a list of [search]
                                 batch_size; 0: the study's one batch size  */
} os_candidate;

/* A combination of a hyperparameter grid the plugin's check() refused. */
typedef struct os_skipped {
    os_candidate as;          /* its optimizer and values (lr and ids unused)  */
    char         why[200];    /* the plugin's message                          */
} os_skipped;

typedef struct os_search {
    os_candidate *cands;
    size_t        n, n_groups;
    double       *hp_block;   /* storage behind every cands[i].hp              */
    os_skipped   *skipped;    /* refused combinations of grids, in order       */
    size_t        n_skipped;
} os_search;

/* Expands the config, with optimizer k's rates from lrs[k] (the study's
 * plan, where lr = auto has its list) or, when lrs is NULL, from its
 * section.  A combination of a grid that the plugin's check() refuses
 * (nesterov with momentum 0) is skipped and listed; an optimizer whose
 * every combination is refused is an error naming its section. */
int os_search_build(os_search *s, const os_config *cfg, const os_lr_spec *lrs,
                    os_error *err);
void os_search_free(os_search *s);

/* The learning rates an optimizer will try (n <= OS_MAX_LIST), ascending,
 * by the spec lr (NULL: its section's). */
size_t os_search_lrs(const os_opt_config *o, const os_lr_spec *lr, double *out);

#endif
