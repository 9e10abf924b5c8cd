/* plot.c — see plot.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "plot.h"

/* The canvas: the plot area, with room for the axes on the left and the
 * bottom and for the legend on the right. */
enum { WIDTH = 760, HEIGHT = 460, LEFT = 76, RIGHT = 170, TOP = 44, BOTTOM = 52 };
#define PLOT_W (WIDTH - LEFT - RIGHT)
#define PLOT_H (HEIGHT - TOP - BOTTOM)

/* Tableau's ten: distinct, and none of them black, which marks crosses. */
static const char *const palette[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };

const char *os_plot_color(size_t k)
{
    return palette[k % (sizeof palette / sizeof *palette)];
}

/* ---- axes ---------------------------------------------------------------- */

typedef struct axis {
    double lo, hi;   /* data range, lo < hi (in log10 when log) */
    int    log;
} axis;

static void axis_fit(axis *a, double lo, double hi, int log_scale)
{
    a->log = log_scale;
    if (log_scale) {
        lo = log10(lo);
        hi = log10(hi);
    }
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (hi - lo < 1e-12) {  /* one value: give it some room */
        double pad = log_scale ? 0.5 : fabs(lo) * 0.1 + 1e-3;
        lo -= pad;
        hi += pad;
    }
    double pad = (hi - lo) * 0.04;
    a->lo = lo - pad;
    a->hi = hi + pad;
}

/* Where v lands, as a fraction of the axis; outside [0, 1] when off it. */
static double axis_at(const axis *a, double v)
{
    if (a->log)
        v = log10(v > 1e-300 ? v : 1e-300);
    return (v - a->lo) / (a->hi - a->lo);
}

static double px(const axis *x, double v) { return LEFT + PLOT_W * axis_at(x, v); }
static double py(const axis *y, double v) { return TOP + PLOT_H * (1.0 - axis_at(y, v)); }

/* "1e-3", "0.01", "250" */
static void tick_label(char *buf, size_t size, double v)
{
    if (v != 0 && (fabs(v) < 1e-3 || fabs(v) >= 1e5))
        snprintf(buf, size, "1e%d", (int)lround(log10(fabs(v))));
    else
        snprintf(buf, size, "%g", v);
}

/* Ticks and grid lines: decades on a log axis (with 2 and 5 when it spans
 * less than two), 1-2-5 steps on a linear one. */
static void draw_axis(FILE *out, const axis *a, int vertical, const char *title)
{
    double values[64];
    size_t n = 0;
    if (a->log) {
        int span_small = a->hi - a->lo < 2.0;
        for (int e = (int)floor(a->lo); e <= (int)ceil(a->hi) && n < 60; e++)
            for (int m = 1; m <= 5; m += 1) {
                if (m != 1 && !(span_small && (m == 2 || m == 5)))
                    continue;
                double v = m * pow(10.0, e);
                double f = (log10(v) - a->lo) / (a->hi - a->lo);
                if (f >= 0 && f <= 1)
                    values[n++] = v;
            }
    } else {
        double raw = (a->hi - a->lo) / 6, mag = pow(10.0, floor(log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5
                    ? 5 * mag : 10 * mag;
        for (double v = ceil(a->lo / step) * step; v <= a->hi && n < 60; v += step)
            values[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    }
    for (size_t i = 0; i < n; i++) {
        char label[32];
        tick_label(label, sizeof label, values[i]);
        double f = axis_at(a, values[i]);
        if (vertical) {
            double y = TOP + PLOT_H * (1 - f);
            fprintf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n"
                    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", LEFT, y,
                    LEFT + PLOT_W, y, LEFT - 6, y + 4, label);
        } else {
            double x = LEFT + PLOT_W * f;
            fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n"
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, TOP, x,
                    TOP + PLOT_H, x, TOP + PLOT_H + 16, label);
        }
    }
    if (vertical)
        fprintf(out, "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 "
                "%d)\">%s</text>\n", TOP + PLOT_H / 2, TOP + PLOT_H / 2, title);
    else
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                LEFT + PLOT_W / 2, HEIGHT - 12, title);
}

static void xml_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", out);
        else if (*s == '>') fputs("&gt;", out);
        else if (*s == '&') fputs("&amp;", out);
        else fputc(*s, out);
    }
}

static void begin(FILE *out, const os_study *s, const char *what)
{
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<style>.grid{stroke:#e4e4e4;stroke-width:1} .frame{fill:none;stroke:#444} "
            ".trial{fill:none;stroke-width:1.3;stroke-opacity:0.75} "
            ".best{stroke-width:3.2;stroke-opacity:1} .stopped{stroke-dasharray:4 3} "
            ".cross{stroke:#000;stroke-width:2} .contour{fill:none;stroke:#b8b8b8;"
            "stroke-width:0.8}</style>\n"
            "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", WIDTH, HEIGHT, WIDTH, HEIGHT,
            WIDTH, HEIGHT);
    fprintf(out, "<text x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">", LEFT);
    xml_text(out, what);
    if (s->cfg->study[0]) {
        fputs(" — ", out);
        xml_text(out, s->cfg->study);
    }
    fputs("</text>\n", out);
    fprintf(out, "<clipPath id=\"area\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>"
            "</clipPath>\n", LEFT, TOP, PLOT_W, PLOT_H);
}

/* The optimizers' colours, a cross for stopped trials, a thick line for
 * the recommendation. */
static void legend(FILE *out, const os_study *s, int crosses, const char *best_note)
{
    const os_config *cfg = s->cfg;
    int x = LEFT + PLOT_W + 16, y = TOP + 6;
    for (size_t k = 0; k < cfg->n_opts; k++, y += 18) {
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                "stroke-width=\"3\"/>\n<text x=\"%d\" y=\"%d\">", x, y, x + 22, y,
                os_plot_color(k), x + 28, y + 4);
        xml_text(out, cfg->opts[k].entry->opt->label);
        fputs("</text>\n", out);
    }
    y += 8;
    if (crosses) { /* a stopped line is dashed and ends in a cross */
        fprintf(out, "<line class=\"legend-stopped\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                "stroke=\"#444\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n"
                "<path class=\"cross\" d=\"M%d %dl8 8m0 -8l-8 8\"/>\n"
                "<text x=\"%d\" y=\"%d\">diverged or failed</text>\n", x, y, x + 16, y,
                x + 15, y - 4, x + 28, y + 4);
        y += 18;
    }
    if (best_note)
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\" "
                "stroke-width=\"3.2\"/>\n<text x=\"%d\" y=\"%d\">%s</text>\n", x, y, x + 22, y,
                x + 28, y + 4, best_note);
}

static void end(FILE *out)
{
    fprintf(out, "<rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n"
            "</svg>\n", LEFT, TOP, PLOT_W, PLOT_H);
}

static size_t opt_index(const os_study *s, const os_candidate *c)
{
    return (size_t)(c->opt - s->cfg->opts);
}

static void cross(FILE *out, double x, double y, const char *color)
{
    fprintf(out, "<path class=\"cross\" data-kind=\"stopped\"%s%s%s d=\"M%.1f %.1fl8 8m0 "
            "-8l-8 8\"/>\n", color ? " style=\"stroke:" : "", color ? color : "",
            color ? "\"" : "", x - 4, y - 4);
}

/* ---- loss curves -------------------------------------------------------- */

int os_plot_curves(FILE *out, const os_study *s)
{
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < s->search.n; i++) {
        const os_trial_result *r = &s->results[i];
        for (size_t j = 0; j < r->n_curve; j++) {
            double v = r->curve[j].val_loss;
            if (isfinite(v) && v > 0) {
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
        }
    }
    axis x, y;
    axis_fit(&x, 0, (double)s->plan.steps, 0);
    axis_fit(&y, lo, hi, 1);
    begin(out, s, s->fn ? "Function value by step" : "Validation loss by step");
    draw_axis(out, &x, 0, "training step");
    draw_axis(out, &y, 1, s->fn ? "f(x, y), log scale" : "validation loss, log scale");
    const size_t best = s->ranking[0].status == OS_TRIAL_OK ? s->ranking[0].first : (size_t)-1;
    int any_stopped = 0;
    fputs("<g clip-path=\"url(#area)\">\n", out);
    /* the recommended trial last, on top */
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < s->search.n; i++) {
            const os_trial_result *r = &s->results[i];
            if ((i == best) != (pass == 1) || r->n_curve == 0)
                continue;
            const char *color = os_plot_color(opt_index(s, &s->search.cands[i]));
            int stopped = r->status == OS_TRIAL_DIVERGED || r->status == OS_TRIAL_FAILED;
            fprintf(out, "<polyline class=\"trial%s%s\" data-trial=\"%zu\" stroke=\"%s\" "
                    "points=\"", i == best ? " best" : "", stopped ? " stopped" : "", i, color);
            double last_x = NAN, last_y = NAN;
            for (size_t j = 0; j < r->n_curve; j++) {
                double v = r->curve[j].val_loss;
                if (!(isfinite(v) && v > 0))
                    continue;
                last_x = px(&x, (double)r->curve[j].step);
                last_y = py(&y, v);
                fprintf(out, "%.1f,%.1f ", last_x, last_y);
            }
            fputs("\"/>\n", out);
            if (stopped && isfinite(last_x)) {
                cross(out, last_x, last_y, NULL);
                any_stopped = 1;
            }
        }
    fputs("</g>\n", out);
    legend(out, s, any_stopped, best != (size_t)-1 ? "recommended" : NULL);
    end(out);
    return ferror(out) ? -1 : 0;
}

/* ---- lr = auto's range tests ----------------------------------------------- */

/* Each range test's smoothed loss against its rate, the band it proposed
 * shaded in the optimizer's colour.  The loss axis spans the curves' lowest
 * to twice the highest first loss: the blow-up at the end is clipped. */
int os_plot_lrfind(FILE *out, const os_study *s)
{
    const os_config *cfg = s->cfg;
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, ytop = -INFINITY;
    for (size_t k = 0; k < cfg->n_opts; k++) {
        const os_lrfind *f = &s->lrfind[k];
        for (size_t i = 0; s->lrfound[k] && i < f->n_curve; i++) {
            xlo = fmin(xlo, f->curve_lr[i]);
            xhi = fmax(xhi, f->curve_lr[i]);
            if (f->curve_loss[i] > 0)
                ylo = fmin(ylo, f->curve_loss[i]);
        }
        if (s->lrfound[k] && f->n_curve)
            ytop = fmax(ytop, 2 * f->curve_loss[0]);
    }
    axis x, y;
    axis_fit(&x, xlo, xhi, 1);
    axis_fit(&y, ylo, ytop > ylo ? ytop : ylo * 10, 1);
    begin(out, s, "The range tests of lr = auto");
    draw_axis(out, &x, 0, "learning rate, log scale");
    draw_axis(out, &y, 1, "smoothed training loss, log scale");
    fputs("<g clip-path=\"url(#area)\">\n", out);
    for (size_t k = 0; k < cfg->n_opts; k++) {
        const os_lrfind *f = &s->lrfind[k];
        if (!s->lrfound[k])
            continue;
        if (f->ok) /* the band searched */
            fprintf(out, "<rect class=\"band\" data-optimizer=\"%zu\" x=\"%.1f\" y=\"%d\" "
                    "width=\"%.1f\" height=\"%d\" fill=\"%s\" fill-opacity=\"0.12\"/>\n", k,
                    px(&x, f->lo), TOP, px(&x, f->hi) - px(&x, f->lo), PLOT_H,
                    os_plot_color(k));
        fprintf(out, "<polyline class=\"trial\" data-optimizer=\"%zu\" stroke=\"%s\" "
                "points=\"", k, os_plot_color(k));
        for (size_t i = 0; i < f->n_curve; i++)
            if (f->curve_loss[i] > 0)
                fprintf(out, "%.1f,%.1f ", px(&x, f->curve_lr[i]), py(&y, f->curve_loss[i]));
        fputs("\"/>\n", out);
    }
    fputs("</g>\n", out);
    legend(out, s, 0, NULL);
    end(out);
    return ferror(out) ? -1 : 0;
}

/* ---- learning-rate sensitivity -------------------------------------------- */

static int cmp_lr(const void *a, const void *b, void *ctx)
{
    const os_study *s = ctx;
    double x = s->search.cands[*(const size_t *)a].lr, y = s->search.cands[*(const size_t *)b].lr;
    return (x > y) - (x < y);
}

/* Groups are ranked; for lines they are wanted by optimizer, hyperparameter
 * combination and learning rate: the candidate order, seed 0 of each. */
int os_plot_lr(FILE *out, const os_study *s)
{
    double lr_lo = INFINITY, lr_hi = 0, lo = INFINITY, hi = 0;
    for (size_t k = 0; k < s->n_groups; k++) {
        const os_group *g = &s->ranking[k];
        double lr = s->search.cands[g->first].lr;
        lr_lo = fmin(lr_lo, lr);
        lr_hi = fmax(lr_hi, lr);
        if (g->status == OS_TRIAL_OK && isfinite(g->score) && g->score > 0) {
            lo = fmin(lo, g->score);
            hi = fmax(hi, g->score);
        }
    }
    axis x, y;
    axis_fit(&x, lr_lo, lr_hi, 1);
    axis_fit(&y, lo, hi, hi / lo > 10);
    begin(out, s, "Score by learning rate");
    draw_axis(out, &x, 0, "learning rate, log scale");
    draw_axis(out, &y, 1, y.log ? "final validation loss, log scale" : "final validation loss");
    /* the group of each candidate with seed 0, in candidate order */
    size_t *by_first = malloc(s->search.n * sizeof *by_first);
    size_t *series = malloc(s->n_groups * sizeof *series);
    if (!by_first || !series) {
        free(by_first);
        free(series);
        return -2;
    }
    for (size_t k = 0; k < s->n_groups; k++)
        by_first[s->ranking[k].first] = k;
    const size_t best = s->ranking[0].status == OS_TRIAL_OK ? s->ranking[0].first : (size_t)-1;
    int any_stopped = 0;
    /* a series: the candidates of one optimizer and hyperparameter combination */
    for (size_t i = 0; i < s->search.n;) {
        const os_candidate *c0 = &s->search.cands[i];
        size_t n = 0;
        for (; i < s->search.n && s->search.cands[i].opt == c0->opt &&
               s->search.cands[i].hp == c0->hp &&
               s->search.cands[i].batch_size == c0->batch_size; i++)
            if (s->search.cands[i].seed_index == 0)
                series[n++] = i;
        qsort_r(series, n, sizeof *series, cmp_lr, (void *)s);
        const char *color = os_plot_color(opt_index(s, c0));
        fprintf(out, "<polyline class=\"trial\" data-optimizer=\"%s\" stroke=\"%s\" "
                "points=\"", c0->opt->entry->opt->label, color);
        for (size_t j = 0; j < n; j++) {
            const os_group *g = &s->ranking[by_first[series[j]]];
            if (g->status == OS_TRIAL_OK && isfinite(g->score))
                fprintf(out, "%.1f,%.1f ", px(&x, s->search.cands[series[j]].lr),
                        py(&y, g->score));
        }
        fputs("\"/>\n", out);
        for (size_t j = 0; j < n; j++) {
            const os_group *g = &s->ranking[by_first[series[j]]];
            double cx = px(&x, s->search.cands[series[j]].lr);
            if (g->status == OS_TRIAL_OK && isfinite(g->score))
                fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"%s/>\n", cx,
                        py(&y, g->score), series[j] == best ? "6" : "3.2", color,
                        series[j] == best ? " stroke=\"#000\" stroke-width=\"2\"" : "");
            else if (g->status == OS_TRIAL_DIVERGED || g->status == OS_TRIAL_FAILED) {
                cross(out, cx, TOP - 9, color); /* off the scale: above the frame */
                any_stopped = 1;
            }
        }
    }
    free(by_first);
    free(series);
    legend(out, s, any_stopped, NULL);
    if (best != (size_t)-1)
        fprintf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"6\" fill=\"none\" stroke=\"#000\" "
                "stroke-width=\"2\"/>\n<text x=\"%d\" y=\"%d\">recommended</text>\n",
                LEFT + PLOT_W + 27, HEIGHT - BOTTOM - 20, LEFT + PLOT_W + 44,
                HEIGHT - BOTTOM - 16);
    end(out);
    return ferror(out) ? -1 : 0;
}

/* ---- optimizer paths on a test function ------------------------------- */

/* One contour level by marching squares over a grid of log values (g, n×n,
 * cell centres at x0 + (i + 0.5) dx), written as one SVG path. */
static void contour(FILE *out, const double *g, int n, double level, const axis *ax,
                    const axis *ay, double x0, double y0, double dx, double dy)
{
    fputs("<path class=\"contour\" d=\"", out);
    for (int j = 0; j + 1 < n; j++)
        for (int i = 0; i + 1 < n; i++) {
            double v[4] = { g[j * n + i], g[j * n + i + 1], g[(j + 1) * n + i + 1],
                            g[(j + 1) * n + i] };
            double cx[4] = { 0, 1, 1, 0 }, cy[4] = { 0, 0, 1, 1 };
            double ex[4], ey[4];
            int m = 0;
            for (int e = 0; e < 4; e++) { /* where the level crosses each edge */
                int a = e, b = (e + 1) % 4;
                if ((v[a] < level) == (v[b] < level))
                    continue;
                double t = (level - v[a]) / (v[b] - v[a]);
                ex[m] = x0 + dx * (i + 0.5 + cx[a] + t * (cx[b] - cx[a]));
                ey[m] = y0 + dy * (j + 0.5 + cy[a] + t * (cy[b] - cy[a]));
                m++;
            }
            for (int k = 0; k + 1 < m; k += 2)
                fprintf(out, "M%.1f %.1fL%.1f %.1f", px(ax, ex[k]), py(ay, ey[k]),
                        px(ax, ex[k + 1]), py(ay, ey[k + 1]));
        }
    fputs("\"/>\n", out);
}

/* The test function's contours over the box: levels evenly spaced in
 * log(f - min), so that valleys get contours too.  -2: out of memory. */
static int contours(FILE *out, const os_testfn *fn, const axis *x, const axis *y)
{
    enum { N = 120 };
    double *grid = malloc(N * N * sizeof *grid), lo = INFINITY, hi = -INFINITY;
    if (!grid)
        return -2;
    double dx = (x->hi - x->lo) / N, dy = (y->hi - y->lo) / N, p[2], g[2];
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++) {
            p[0] = x->lo + dx * (i + 0.5);
            p[1] = y->lo + dy * (j + 0.5);
            double v = fn->eval(p, g);
            grid[j * N + i] = v;
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
    for (int k = 0; k < N * N; k++)
        grid[k] = log10(grid[k] - lo + 1e-6);
    double glo = log10(1e-6), ghi = log10(hi - lo + 1e-6);
    for (int level = 1; level <= 14; level++)
        contour(out, grid, N, glo + (ghi - glo) * level / 15.0, x, y, x->lo, y->lo, dx, dy);
    free(grid);
    return 0;
}

/* Trial i's path as a polyline (at most ~400 points: enough for the eye),
 * with a cross where a stopped one ended inside the plot; returns whether
 * it drew the cross. */
static int draw_path(FILE *out, const os_study *s, size_t i, int best, const axis *x,
                     const axis *y)
{
    const os_trial_result *r = &s->results[i];
    int stopped = r->status == OS_TRIAL_DIVERGED || r->status == OS_TRIAL_FAILED;
    fprintf(out, "<polyline class=\"trial%s%s\" data-trial=\"%zu\" stroke=\"%s\" "
            "points=\"", best ? " best" : "", stopped ? " stopped" : "", i,
            os_plot_color(opt_index(s, &s->search.cands[i])));
    size_t stride = r->n_path / 400 + 1;
    double lx = NAN, ly = NAN;
    for (size_t k = 0; k < r->n_path; k++) {
        if (k % stride && k + 1 != r->n_path)
            continue;
        double vx = r->path[2 * k], vy = r->path[2 * k + 1];
        if (!isfinite(vx) || !isfinite(vy) || fabs(vx) > 1e6 || fabs(vy) > 1e6)
            break;
        lx = px(x, vx);
        ly = py(y, vy);
        fprintf(out, "%.1f,%.1f ", lx, ly);
    }
    fputs("\"/>\n", out);
    if (stopped && isfinite(lx) && lx >= LEFT && lx <= LEFT + PLOT_W && ly >= TOP &&
        ly <= TOP + PLOT_H) {
        cross(out, lx, ly, NULL);
        return 1;
    }
    return 0;
}

int os_plot_paths(FILE *out, const os_study *s)
{
    if (!s->fn)
        return 0;
    const os_config *cfg = s->cfg;
    /* the box: the start and the minimum, with room around them */
    double bx0 = fmin(cfg->start[0], s->fn->minimum[0]), bx1 = fmax(cfg->start[0],
                 s->fn->minimum[0]), by0 = fmin(cfg->start[1], s->fn->minimum[1]),
           by1 = fmax(cfg->start[1], s->fn->minimum[1]);
    double w = fmax(bx1 - bx0, 0.5), h = fmax(by1 - by0, 0.5), side = fmax(w, h) * 1.6;
    double cxm = (bx0 + bx1) / 2, cym = (by0 + by1) / 2;
    axis x = { cxm - side / 2, cxm + side / 2, 0 }, y = { cym - side / 2, cym + side / 2, 0 };
    begin(out, s, "Optimizer paths");
    draw_axis(out, &x, 0, "x");
    draw_axis(out, &y, 1, "y");
    fputs("<g clip-path=\"url(#area)\">\n", out);
    if (contours(out, s->fn, &x, &y))
        return -2;

    int any_stopped = 0;
    const size_t best = s->ranking[0].status == OS_TRIAL_OK ? s->ranking[0].first : (size_t)-1;
    /* the leaders: each optimizer's best candidate (its first seed), not
     * every one of dozens of paths (the JSON report has them all) */
    unsigned char *lead = calloc(s->search.n ? s->search.n : 1, 1);
    unsigned char seen[OS_MAX_OPTS] = { 0 };
    if (!lead)
        return -2;
    for (size_t k = 0; k < s->n_groups; k++) {
        size_t o = opt_index(s, &s->search.cands[s->ranking[k].first]);
        if (!seen[o]++)
            lead[s->ranking[k].first] = 1;
    }
    for (size_t pass = 0; pass < 2; pass++) /* the recommended path last, on top */
        for (size_t i = 0; i < s->search.n; i++)
            if (lead[i] && (i == best) == (pass == 1) && s->results[i].n_path)
                any_stopped |= draw_path(out, s, i, i == best, &x, &y);
    free(lead);
    fputs("</g>\n", out);
    fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#000\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\">start</text>\n", px(&x, cfg->start[0]),
            py(&y, cfg->start[1]), px(&x, cfg->start[0]) + 8, py(&y, cfg->start[1]) - 6);
    fprintf(out, "<path d=\"M%.1f %.1fl0 -14l0 14l12 0l-12 0l0 14l0 -14l-12 0z\" "
            "stroke=\"#000\" stroke-width=\"2\" fill=\"none\"/>\n<text x=\"%.1f\" y=\"%.1f\">"
            "minimum</text>\n", px(&x, s->fn->minimum[0]), py(&y, s->fn->minimum[1]),
            px(&x, s->fn->minimum[0]) + 8, py(&y, s->fn->minimum[1]) + 16);
    legend(out, s, any_stopped, best != (size_t)-1 ? "recommended" : NULL);
    end(out);
    return ferror(out) ? -1 : 0;
}
