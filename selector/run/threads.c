/* threads.c — the thread plan; see threads.h. */
#include "config.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#include "blas.h"
#include "threads.h"

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
int os_threads_plan(int requested, size_t to_run, os_trial_env *env)
{
    int threads = 1;
    os_blas_set_threads(1);
#ifdef _OPENMP
    threads = requested > 0 ? requested : omp_get_max_threads();
    if ((size_t)threads > to_run * env->split) /* more would only idle */
        threads = to_run ? (int)(to_run * env->split) : 1;
    if (env->split > 1)
        omp_set_max_active_levels(2);
#else
    (void)requested;
#endif
    env->step_threads = os_step_threads(threads, to_run, env->split);
    return threads;
}
