/*
 * threads.c — the thread plan: how many trials run at once, how many
 * threads each split step gets (the executor runs the trials on them).
 * Results never depend on either (see study.h).
 */
#include "config.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#include "blas.h"
#include "study.h"

int os_trial_threads(int threads, size_t trials)
{
    return trials && (size_t)threads > trials ? (int)trials : threads;
}

int os_step_threads(int threads, size_t trials, size_t split)
{
    if (split <= 1 || !trials)
        return 1;
    size_t inner = (size_t)threads / (size_t)os_trial_threads(threads, trials);
    return (int)(inner < split ? inner : split);
}

/* One trial per thread, each with a single-threaded BLAS; threads that
 * trials leave idle run the chunks of split steps. */
void os_study_plan_threads(os_study *s, const os_run_options *o, os_trial_env *env,
                         size_t to_run)
{
    os_blas_set_threads(1);
#ifdef _OPENMP
    s->threads = o->threads > 0 ? o->threads : omp_get_max_threads();
    if ((size_t)s->threads > to_run * env->split) /* more would only idle */
        s->threads = to_run ? (int)(to_run * env->split) : 1;
    if (env->split > 1)
        omp_set_max_active_levels(2);
#else
    (void)o;
    s->threads = 1;
#endif
    env->step_threads = os_step_threads(s->threads, to_run, env->split);
}
