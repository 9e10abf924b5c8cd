/* progress.c — see progress.h. */
#include <time.h>
#include "progress.h"
#include "util.h"

/* "12.3s", "4m05s", "1h02m" */
static void duration(char *buf, size_t size, double s)
{
    if (s < 60)
        snprintf(buf, size, "%.1fs", s);
    else if (s < 3600)
        snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

static void draw(os_progress *p, double t)
{
    char elapsed[32], left[48] = "";
    duration(elapsed, sizeof elapsed, t - p->start);
    if (p->done > p->first_done && p->done < p->total) {
        /* the pace of this run, not counting trials replayed from a journal */
        double per = (t - p->start) / (double)(p->done - p->first_done);
        char eta[32];
        duration(eta, sizeof eta, per * (double)(p->total - p->done));
        snprintf(left, sizeof left, ", about %s left", eta);
    }
    const char *bold = p->color ? "\033[1m" : "", *red = p->color ? "\033[31m" : "",
               *plain = p->color ? "\033[0m" : "";
    fprintf(p->out, "\r\033[K%s%zu/%zu trials%s, %zu running, %s%zu diverged, %zu failed%s, "
            "%s elapsed%s", bold, p->done, p->total, plain, p->running,
            p->diverged || p->failed ? red : "", p->diverged, p->failed, plain, elapsed, left);
    fflush(p->out);
    p->last_draw = t;
}

static void maybe_draw(os_progress *p, int force)
{
    if (!p->out)
        return;
    double t = os_seconds();
    if (force || t - p->last_draw >= 0.1)
        draw(p, t);
}

/* Once a second, a redraw: the clock and the estimate move on while long
 * trials run (checks for the end ten times a second). */
static void *tick(void *arg)
{
    os_progress *p = arg;
    struct timespec nap = { 0, 100000000L };
    for (int n = 1;; n++) {
        nanosleep(&nap, NULL);
        pthread_mutex_lock(&p->lock);
        int stop = p->stop;
        if (!stop && n % 10 == 0)
            draw(p, os_seconds());
        pthread_mutex_unlock(&p->lock);
        if (stop)
            return NULL;
    }
}

void os_progress_begin(os_progress *p, FILE *out, int color, size_t total, size_t done)
{
    *p = (os_progress){ .out = out, .color = color, .total = total, .done = done,
                        .first_done = done, .start = os_seconds() };
    if (!out)
        return;
    pthread_mutex_init(&p->lock, NULL);
    maybe_draw(p, 1);
    /* without a ticker the line still redraws at each trial's start and end */
    p->ticking = pthread_create(&p->ticker, NULL, tick, p) == 0;
}

void os_progress_started(os_progress *p)
{
    if (!p->out)
        return;
    pthread_mutex_lock(&p->lock);
    p->running++;
    maybe_draw(p, 0);
    pthread_mutex_unlock(&p->lock);
}

void os_progress_finished(os_progress *p, os_trial_status status)
{
    if (!p->out)
        return;
    pthread_mutex_lock(&p->lock);
    p->running--;
    p->done++;
    p->diverged += status == OS_TRIAL_DIVERGED;
    p->failed += status == OS_TRIAL_FAILED;
    maybe_draw(p, p->done == p->total);
    pthread_mutex_unlock(&p->lock);
}

void os_progress_end(os_progress *p)
{
    if (!p->out)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_mutex_unlock(&p->lock);
    if (p->ticking)
        pthread_join(p->ticker, NULL);
    fputs("\r\033[K", p->out);
    fflush(p->out);
    pthread_mutex_destroy(&p->lock);
}
