/* calibrate.c — [search] seconds: a trial budget in wall-clock seconds,
 * as steps.  See study.h.
 *
 * Trials must all run the same number of steps, or the study's ranking
 * would depend on how busy the machine was: the seconds are turned into
 * steps once, before any trial, by timing one.  The steps then decide the
 * trials (they are in the fingerprint), and the journal keeps them, so a
 * resumed study trains to the same budget on a machine that has become
 * faster or slower meanwhile. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include "study.h"
#include "util.h"
#include "world.h"

/* The timing (or the journal's steps) into s->plan.steps, s->step_seconds
 * and s->timed_steps. */
static int time_steps(os_study *s, int isolate, const char *journal, os_error *err)
{
    const os_config *cfg = s->cfg;
    uint64_t kept = journal ? os_journal_budget(journal) : 0;
    if (kept) {
        s->plan.steps = kept;
    } else {
        /* Time a candidate at doubling lengths until a run takes a
         * tenth of the budget or a quarter of a second; the last two runs
         * separate the time per step (evaluations included) from the
         * trial's fixed cost (weights, the first and last measurements),
         * which the budget also has to pay. */
        const double enough = fmin(0.25, cfg->seconds / 10);
        uint64_t done = 0, prev_done = 0;
        double took = 0, prev_took = 0;
        int was = s->isolated, rc = 0, timed = 0;
        s->isolated = isolate;
        /* a candidate that diverges or fails before it is timed gives way
         * to the next */
        for (size_t ci = 0; ci < s->search.n && !timed && !rc; ci++) {
            os_candidate c = s->search.cands[ci];
            uint64_t n = cfg->eval_every;
            int runs = 0;
            done = prev_done = 0;
            took = prev_took = 0;
            for (;;) {
                os_trial_result r;
                memset(&r, 0, sizeof r);
                s->plan.steps = n;
                prev_took = took;
                prev_done = done;
                double t0 = os_seconds();
                rc = os_study_train(s, NULL, &c, &r, 1, &n, NULL, err);
                took = os_seconds() - t0;
                done = r.steps;
                int stopped = r.status != OS_TRIAL_OK;
                os_trial_result_free(&r);
                runs++;
                if (rc || stopped)
                    break;
                if ((took >= enough && runs >= 2) || n >= ((uint64_t)1 << 30)) {
                    timed = 1;
                    break;
                }
                n *= 2;
            }
        }
        s->isolated = was;
        s->steps_trained = 0; /* the timing is not a trial of the study */
        if (rc)
            return rc;
        if (!timed)
            return os_error_set(err, OS_ERR_CONFIG, "%s: [search] seconds: every candidate "
                                "diverged or failed before a step could be timed; give the "
                                "budget in steps", os_config_where(cfg, "search", "seconds"));
        double per = done > prev_done ? (took - prev_took) / (double)(done - prev_done) : 0;
        double fixed = took - per * (double)done;
        if (!(per > 0) || fixed < 0) { /* too noisy to tell apart: all per step */
            per = took / (double)(done ? done : 1);
            fixed = 0;
        }
        s->step_seconds = per;
        s->timed_steps = done;
        double steps = floor((cfg->seconds - fixed) / per);
        if (steps > 1e9)
            steps = 1e9;
        s->plan.steps = steps >= 1 ? (uint64_t)steps : 1;
        /* whole evaluation periods: the last measurement is a scheduled one */
        if (s->plan.steps > cfg->eval_every)
            s->plan.steps -= s->plan.steps % cfg->eval_every;
    }
    return 0;
}

int os_study_budget_seconds(os_study *s, int isolate, const char *journal, os_error *err)
{
    const os_config *cfg = s->cfg;
    if (!(cfg->seconds > 0))
        return 0;
    /* Under MPI rank 0 times a trial on its own threads (the other ranks
     * would time the network too) and every rank takes its steps. */
    struct { int64_t rc; uint64_t steps, timed; double per; char msg[OS_ERROR_MSG_MAX]; }
        got = { 0 };
    int rc = 0;
    if (!os_world_worker()) {
        s->local = 1;
        got.rc = rc = time_steps(s, isolate, journal, err);
        s->local = 0;
        got.steps = s->plan.steps;
        got.timed = s->timed_steps;
        got.per = s->step_seconds;
        snprintf(got.msg, sizeof got.msg, "%s", rc ? err->msg : "");
    }
    int shared = os_world_share(&got, sizeof got, err);
    if (shared && !rc)
        return shared;
    if (rc || (rc = (int)got.rc)) {
        if (os_world_worker())
            os_error_set(err, rc, "%s", got.msg);
        return rc;
    }
    s->plan.steps = got.steps;
    s->timed_steps = got.timed;
    s->step_seconds = got.per;
    rc = os_plan_schedules(&s->plan, cfg, err); /* the trials' schedule spans the steps */
    if (rc)
        return rc;
    if ((rc = os_config_check_extrapolated(cfg, s->plan.steps, s->plan.full_steps, err)))
        return rc;
    return 0;
}
