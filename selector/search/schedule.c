/* schedule.c — see schedule.h. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "schedule.h"

static const char *const names[] = { "constant", "cosine", "linear", "step", "wsd" };

const char *os_schedule_name(os_schedule_kind kind)
{
    return (size_t)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

int os_schedule_from_name(const char *name)
{
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (!strcmp(name, names[k]))
            return (int)k;
    return -1;
}

double os_schedule_factor(const os_schedule *s, uint64_t t)
{
    if (t < 1)
        t = 1;
    if (t > s->steps)
        t = s->steps;
    if (t <= s->warmup)
        return (double)t / (double)s->warmup;
    const double p = (double)(t - 1 - s->warmup) / (double)(s->steps - s->warmup);
    const double f = s->floor;
    switch (s->kind) {
    case OS_SCHED_COSINE:
        return f + (1.0 - f) * 0.5 * (1.0 + cos(M_PI * p));
    case OS_SCHED_LINEAR:
        return 1.0 - (1.0 - f) * p;
    case OS_SCHED_STEP: {
        double v = 1.0;
        for (size_t k = 0; k < s->n_milestones; k++)
            if (p >= s->milestones[k])
                v *= s->gamma;
        return v > f ? v : f;
    }
    case OS_SCHED_WSD:
        if (p < 1.0 - s->decay)
            return 1.0;
        return 1.0 - (1.0 - f) * (p - (1.0 - s->decay)) / s->decay;
    case OS_SCHED_CONSTANT:
    default:
        return 1.0;
    }
}

os_schedule os_schedule_scaled(const os_schedule *s, uint64_t steps)
{
    os_schedule out = *s;
    out.steps = steps ? steps : 1;
    if (s->warmup) {
        double w = (double)s->warmup * (double)out.steps / (double)s->steps;
        uint64_t W = (uint64_t)llround(w);
        out.warmup = W < 1 ? 1 : W;
        if (out.warmup >= out.steps)
            out.warmup = out.steps - 1; /* a one-step run has none */
    }
    return out;
}

char *os_schedule_describe(const os_schedule *s, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s", os_schedule_name(s->kind));
    if (n < 0 || (size_t)n >= size)
        return buf;
    if (s->warmup)
        n += snprintf(buf + n, size - (size_t)n, ", %llu warm-up step%s",
                      (unsigned long long)s->warmup, s->warmup == 1 ? "" : "s");
    if ((size_t)n >= size)
        return buf;
    switch (s->kind) {
    case OS_SCHED_STEP:
        n += snprintf(buf + n, size - (size_t)n, ", times %g at", s->gamma);
        for (size_t k = 0; k < s->n_milestones && (size_t)n < size; k++)
            n += snprintf(buf + n, size - (size_t)n, "%s%g", k ? ", " : " ", s->milestones[k]);
        if ((size_t)n < size)
            n += snprintf(buf + n, size - (size_t)n, " of the run");
        break;
    case OS_SCHED_WSD:
        n += snprintf(buf + n, size - (size_t)n, ", the last %g of the run decaying", s->decay);
        break;
    default:
        break;
    }
    if ((size_t)n < size && s->kind != OS_SCHED_CONSTANT && (s->kind != OS_SCHED_STEP ||
                                                             s->floor > 0))
        snprintf(buf + n, size - (size_t)n, s->floor > 0 ? ", down to %g x the peak"
                                                          : ", down to 0", s->floor);
    return buf;
}
