/* The learning-rate schedules: each one's factor against its closed form
 * at chosen steps (warm-up, midpoint, milestones, the last step), their
 * bounds and monotony, and scaling a schedule to a trial's length. */
#include <math.h>
#include <string.h>
#include "tap.h"
#include "schedule.h"

static int near(double x, double want)
{
    return fabs(x - want) <= 1e-12 * (fabs(want) > 1 ? fabs(want) : 1);
}

/* Post-warm-up steps run over N = steps - warmup; step t is at progress
 * (t - 1 - warmup) / N, so t = warmup + 1 + N p. */
static uint64_t at(const os_schedule *s, double p)
{
    return s->warmup + 1 + (uint64_t)llround(p * (double)(s->steps - s->warmup));
}

/* cosine over 110 steps, 10 of warm-up: N = 100 */
static const os_schedule cos_s = { .kind = OS_SCHED_COSINE, .steps = 110, .warmup = 10,
                                   .floor = 0.1 };
static const os_schedule lin = { .kind = OS_SCHED_LINEAR, .steps = 200, .floor = 0 };
static const os_schedule st = { .kind = OS_SCHED_STEP, .steps = 100, .gamma = 0.1,
                                .n_milestones = 2, .milestones = { 0.5, 0.75 }, .floor = 0.05 };
static const os_schedule w = { .kind = OS_SCHED_WSD, .steps = 1010, .warmup = 10, .decay = 0.2,
                               .floor = 0.01 };

/* Constant, warm-up and cosine against their closed forms. */
static void constant_and_cosine(void)
{
    os_schedule c = { .kind = OS_SCHED_CONSTANT, .steps = 300 };
    int exact = 1;
    for (uint64_t t = 1; t <= 300; t++)
        exact &= os_schedule_factor(&c, t) == 1.0;
    ok(exact, "constant without warm-up: exactly 1 at every step");

    c.warmup = 20;
    ok(near(os_schedule_factor(&c, 1), 1.0 / 20) && near(os_schedule_factor(&c, 5), 0.25) &&
       near(os_schedule_factor(&c, 20), 1.0) && near(os_schedule_factor(&c, 21), 1.0),
       "warm-up: t / warmup up to the peak at step warmup, the peak after");

    ok(near(os_schedule_factor(&cos_s, 11), 1.0), "cosine: the peak at the first step past "
       "the warm-up");
    ok(near(os_schedule_factor(&cos_s, at(&cos_s, 0.5)), 0.55),
       "cosine: (1 + floor) / 2 halfway (%.15g)", os_schedule_factor(&cos_s, at(&cos_s, 0.5)));
    ok(near(os_schedule_factor(&cos_s, at(&cos_s, 0.25)),
            0.1 + 0.9 * 0.5 * (1 + cos(M_PI / 4))), "cosine: floor + (1 - floor)(1 + cos(pi/4))/2 "
       "a quarter in");
    ok(near(os_schedule_factor(&cos_s, 110), 0.1 + 0.9 * 0.5 * (1 + cos(M_PI * 0.99))),
       "cosine: the last step at progress 99/100, just above the floor (as torch's "
       "CosineAnnealingLR)");
    ok(near(os_schedule_factor(&cos_s, 500), os_schedule_factor(&cos_s, 110)),
       "past its steps a schedule keeps the last step's factor");
}

/* Linear, step and wsd against their closed forms. */
static void linear_step_wsd(void)
{
    ok(near(os_schedule_factor(&lin, 1), 1.0) && near(os_schedule_factor(&lin, 101), 0.5) &&
       near(os_schedule_factor(&lin, 200), 1.0 / 200),
       "linear to 0: 1, 1/2 halfway, 1/steps at the last step");

    os_schedule st0 = st;
    st0.floor = 0;
    ok(near(os_schedule_factor(&st0, 50), 1.0) && near(os_schedule_factor(&st0, 51), 0.1) &&
       near(os_schedule_factor(&st0, 75), 0.1) && near(os_schedule_factor(&st0, 76), 0.01) &&
       near(os_schedule_factor(&st0, 100), 0.01),
       "step: times gamma from each milestone on (steps 51 and 76 of 100)");
    ok(near(os_schedule_factor(&st, 100), 0.05), "step: never below the floor");

    ok(near(os_schedule_factor(&w, at(&w, 0.5)), 1.0) &&
       near(os_schedule_factor(&w, at(&w, 0.79)), 1.0),
       "wsd: stable at the peak before the last 20%%");
    ok(near(os_schedule_factor(&w, at(&w, 0.9)), 1.0 - 0.99 * 0.5),
       "wsd: halfway down the decay at progress 0.9 (%.15g)",
       os_schedule_factor(&w, at(&w, 0.9)));
    ok(near(os_schedule_factor(&w, at(&w, 0.8)), 1.0), "wsd: the decay starts at 1 - decay");
}

/* Every decaying schedule stays within [floor, 1] and never rises after
 * its warm-up. */
static void bounded_and_falling(void)
{
    os_schedule all[] = { cos_s, lin, st, w };
    for (size_t k = 0; k < sizeof all / sizeof *all; k++) {
        int bounded = 1, falling = 1;
        double prev = 1.0;
        for (uint64_t t = all[k].warmup + 1; t <= all[k].steps; t++) {
            double f = os_schedule_factor(&all[k], t);
            bounded &= f >= all[k].floor - 1e-15 && f <= 1.0;
            falling &= f <= prev;
            prev = f;
        }
        ok(bounded && falling, "%s: within [floor, 1], never rising after the warm-up",
           os_schedule_name(all[k].kind));
    }
}

/* A trial's schedule: the full run's scaled to its steps; names. */
static void scaled_and_named(void)
{
    os_schedule full = { .kind = OS_SCHED_COSINE, .steps = 10000, .warmup = 500 };
    os_schedule tr = os_schedule_scaled(&full, 300);
    ok(tr.steps == 300 && tr.warmup == 15 && tr.kind == OS_SCHED_COSINE,
       "scaled to 300 steps: the warm-up in proportion (%llu)", (unsigned long long)tr.warmup);
    full.warmup = 10;
    tr = os_schedule_scaled(&full, 300);
    ok(tr.warmup == 1, "a warm-up keeps at least one step");
    tr = os_schedule_scaled(&full, 1);
    ok(tr.steps == 1 && tr.warmup == 0, "a one-step trial has no warm-up");
    ok(near(os_schedule_factor(&tr, 1), 1.0), "  and trains at the peak");

    int names = 1;
    for (int k = OS_SCHED_CONSTANT; k <= OS_SCHED_WSD; k++)
        names &= os_schedule_from_name(os_schedule_name((os_schedule_kind)k)) == k;
    ok(names && os_schedule_from_name("exponential") == -1, "names round-trip; unknown: -1");

    char buf[256];
    ok(!strcmp(os_schedule_describe(&cos_s, buf, sizeof buf),
               "cosine, 10 warm-up steps, down to 0.1 x the peak"), "described: %s", buf);
    ok(!strcmp(os_schedule_describe(&st, buf, sizeof buf),
               "step, times 0.1 at 0.5, 0.75 of the run, down to 0.05 x the peak"),
       "described: %s", buf);
}

int main(void)
{
    constant_and_cosine();
    linear_step_wsd();
    bounded_and_falling();
    scaled_and_named();
    return done_testing();
}
