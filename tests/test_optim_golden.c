/*
 * Each shipped optimizer replays torch.optim's trajectories from
 * tests/golden/generate.py — an ill-conditioned quadratic, and a small MLP
 * whose gradients optselect's own engine computes — and the parameters
 * after every one of 50 steps must match torch's within rtol 1e-5 plus
 * atol 1e-6.
 *
 * Why the absolute term: a parameter that passes near zero on its way
 * between O(1) values carries an absolute rounding error of a few ulp of 1.0
 * (torch's own float32 result differs from float64 by 2.3e-7 at 0.009 on
 * adam.golden's step 17), which a purely relative test would call a bug.
 *
 * A case with a weight decay also runs with its biases left out of it
 * ([search] decay = weights, the flags os_plugin_decays gives), against
 * torch with the biases in a parameter group of weight_decay 0.
 */
#define RTOL 1e-5
#define ATOL 1e-6
#include <dirent.h>
#include "tap.h"
#include "model.h"
#include "registry.h"
#include "util.h"

#define MAXN 64
#define STEPS 50
#define MAX_ROWS 64
#define MAX_IN 8

typedef struct golden {
    char   problem[16], label[64], hparams[512];
    double lr;
    int    decay_weights; /* "decay weights": biases take no weight decay */
    size_t n;
    float  a[MAXN], b[MAXN], p0[MAXN], steps[STEPS][MAXN];
    /* mlp only */
    size_t in, hidden, out, batch, rows;
    float  x[MAX_ROWS * MAX_IN], y[MAX_ROWS];
} golden;

/* Counts the numbers on a line, for the x and y rows. */
static size_t count_numbers(const char *s)
{
    size_t n = 0;
    for (;;) {
        char *end;
        strtod(s, &end);
        if (end == s)
            return n;
        n++;
        s = end;
    }
}

static int read_floats(char *s, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *end;
        out[i] = strtof(s, &end);
        if (end == s)
            return -1;
        s = end;
    }
    return 0;
}

static int read_golden(const char *path, golden *g)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[16384];
    int steps = 0, bad = 0;
    memset(g, 0, sizeof *g);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        int t;
        char *sp = strchr(line, ' ');
        if (line[0] == '#' || !sp)
            continue;
        if (!strncmp(line, "problem ", 8))
            snprintf(g->problem, sizeof g->problem, "%s", line + 8);
        else if (!strncmp(line, "model ", 6))
            bad |= sscanf(line + 6, "%zu %zu %zu", &g->in, &g->hidden, &g->out) != 3 ||
                   g->in > MAX_IN;
        else if (!strcmp(line, "decay weights"))
            g->decay_weights = 1;
        else if (!strncmp(line, "batch ", 6))
            g->batch = strtoul(line + 6, NULL, 10);
        else if (!strncmp(line, "x ", 2)) {
            g->rows = g->in ? count_numbers(line + 2) / g->in : 0;
            bad |= g->rows == 0 || g->rows > MAX_ROWS ||
                   read_floats(line + 2, g->x, g->rows * g->in);
        } else if (!strncmp(line, "y ", 2))
            bad |= read_floats(line + 2, g->y, g->rows);
        else if (!strncmp(line, "optimizer ", 10))
            snprintf(g->label, sizeof g->label, "%s", line + 10);
        else if (!strncmp(line, "hparams ", 8))
            snprintf(g->hparams, sizeof g->hparams, "%s", line + 8);
        else if (!strncmp(line, "lr ", 3))
            g->lr = strtod(line + 3, NULL);
        else if (!strncmp(line, "n ", 2))
            g->n = strtoul(line + 2, NULL, 10);
        else if (!strncmp(line, "a ", 2))
            bad |= read_floats(line + 2, g->a, g->n);
        else if (!strncmp(line, "b ", 2))
            bad |= read_floats(line + 2, g->b, g->n);
        else if (!strncmp(line, "p0 ", 3))
            bad |= read_floats(line + 3, g->p0, g->n);
        else if (sscanf(line, "step %d", &t) == 1 && t >= 1 && t <= STEPS) {
            char *vals = strchr(line + 5, ' ');
            bad |= !vals || read_floats(vals, g->steps[t - 1], g->n);
            steps++;
        }
    }
    fclose(f);
    if (!strcmp(g->problem, "mlp"))
        bad |= !g->batch || g->rows % g->batch ||
               g->n != g->hidden * (g->in + 1) + g->out * (g->hidden + 1);
    else
        bad |= strcmp(g->problem, "quadratic") != 0;
    return bad || steps != STEPS || !g->n || g->n > MAXN || !g->label[0] ? -1 : 0;
}

/* "momentum=0.9 nesterov=1" → values in the optimizer's table order. */
static int set_hparams(const os_optimizer *opt, const char *text, double *hp)
{
    for (size_t h = 0; h < opt->n_hparams; h++)
        hp[h] = opt->hparams[h].default_value;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    char *save = NULL;
    for (char *kv = strtok_r(buf, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return -1;
        *eq = '\0';
        int h = os_hparam_index(opt, kv);
        if (h < 0)
            return -1;
        hp[h] = strtod(eq + 1, NULL);
    }
    return 0;
}

/* The problem's gradient at p for step t: a*p + b, or the MLP's on batch
 * (t - 1) mod (rows / batch) through optselect's own engine. */
typedef struct problem {
    const golden *g;
    os_model      model;
    os_workspace  ws;
} problem;

static int problem_init(problem *pr, const golden *g)
{
    pr->g = g;
    if (strcmp(g->problem, "mlp"))
        return 0;
    os_model_spec spec = { .n_hidden = 1, .hidden = { g->hidden }, .activation = OS_LAYER_TANH,
                           .init = OS_INIT_XAVIER, .loss = OS_LOSS_CROSS_ENTROPY, .pool = 1 };
    if (os_model_build(&pr->model, &spec, g->in, g->out) ||
        os_workspace_init(&pr->ws, &pr->model, g->batch))
        return -1;
    return pr->model.layout.n == g->n ? 0 : -1;
}

static void problem_grad(problem *pr, const float *p, float *grad, int t)
{
    const golden *g = pr->g;
    if (strcmp(g->problem, "mlp")) {
        for (size_t i = 0; i < g->n; i++)
            grad[i] = g->a[i] * p[i] + g->b[i];
        return;
    }
    size_t k = (size_t)(t - 1) % (g->rows / g->batch);
    memcpy(pr->ws.params, p, g->n * sizeof *p);
    os_model_forward(&pr->model, &pr->ws, g->x + k * g->batch * g->in, g->y + k * g->batch,
                     g->batch, 1, NULL);
    memcpy(grad, pr->ws.grads, g->n * sizeof *grad);
}

static void problem_free(problem *pr)
{
    if (!strcmp(pr->g->problem, "mlp")) {
        os_workspace_free(&pr->ws);
        os_model_free(&pr->model);
    }
}

static void replay(const os_registry *reg, const char *name, const golden *g)
{
    const os_registry_entry *e = os_registry_find(reg, g->label);
    if (!ok(e != NULL, "%s: optimizer '%s' is loaded", name, g->label))
        return;
    const os_optimizer *opt = e->opt;
    double hp[64];
    if (!ok(set_hparams(opt, g->hparams, hp) == 0, "%s: hyperparameters '%s' exist", name,
            g->hparams))
        return;
    if (opt->check) {
        char msg[128] = "";
        ok(opt->check(hp, msg, sizeof msg) == OS_OK, "%s: check accepts them %s", name, msg);
    }
    problem pr = { 0 };
    if (!ok(problem_init(&pr, g) == 0, "%s: the %s problem builds", name, g->problem))
        return;
    /* The quadratic comes as two tensors, to make sure element-wise methods
     * ignore the split; the MLP brings its own four. */
    os_tensor halves[2] = {
        { "w", 0, g->n / 2, 1, { g->n / 2 } },
        { "b", g->n / 2, g->n - g->n / 2, 1, { g->n - g->n / 2 } },
    };
    os_layout quad = { g->n, 2, halves, NULL };
    const os_layout *layout = strcmp(g->problem, "mlp") ? &quad : &pr.model.layout;
    char err[128] = "";
    os_env env = os_plugin_env(layout, hp, err, sizeof err);
    unsigned char decays[8];
    if (g->decay_weights) { /* [search] decay = weights, as the study sets it */
        os_plugin_decays(layout, decays);
        env.decays = decays;
    }
    void *state = os_alloc_aligned(opt->state_bytes(&env));
    float p[MAXN], grad[MAXN];
    memcpy(p, g->p0, g->n * sizeof *p);
    ok(opt->init(&env, state, p) == OS_OK, "%s: init", name);
    double worst = 0;
    int worst_step = 0, step_ok = 1;
    for (int t = 1; t <= STEPS; t++) {
        problem_grad(&pr, p, grad, t);
        step_ok &= opt->step(&env, state, p, grad, g->lr, (uint64_t)t) == OS_OK;
        for (size_t i = 0; i < g->n; i++) {
            double ref = g->steps[t - 1][i];
            double rel = fabs(p[i] - ref) / (RTOL * fabs(ref) + ATOL);
            if (getenv("GOLDEN_TRACE") && rel > 0.5)
                diag("%s step %d [%zu]: got %.9g want %.9g (%.2f of tolerance)", name, t, i,
                     p[i], ref, rel);
            if (rel > worst) {
                worst = rel;
                worst_step = t;
            }
        }
    }
    ok(step_ok, "%s: every step returns OS_OK", name);
    ok(worst <= 1.0, "%s: %d steps match the reference (worst error %.2f of tolerance, step %d)",
       name, STEPS, worst, worst_step);
    os_free_aligned(state);
    problem_free(&pr);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    os_registry reg = { 0 };
    os_error err = { 0 };
    if (!ok(os_registry_load_path(&reg, build_path("plugins/.libs"), &err) == 0,
            "plugins load (%s)", err.msg))
        return done_testing();

    DIR *d = opendir(src_path("tests/golden"));
    char *names[256];
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) && n < 256) {
        size_t len = strlen(de->d_name);
        if (len > 7 && !strcmp(de->d_name + len - 7, ".golden"))
            names[n++] = os_strdup(de->d_name);
    }
    if (d)
        closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    ok(n >= 119, "found %zu golden files", n);

    /* Every loaded optimizer must have trajectories on both problems. */
    int (*covered)[2] = calloc(reg.n, sizeof *covered);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        golden g;
        snprintf(path, sizeof path, "%s/%s", src_path("tests/golden"), names[i]);
        if (ok(read_golden(path, &g) == 0, "%s parses", names[i])) {
            replay(&reg, names[i], &g);
            const os_registry_entry *e = os_registry_find(&reg, g.label);
            if (e)
                covered[e - reg.entries][!strcmp(g.problem, "mlp")] = 1;
        }
        free(names[i]);
    }
    for (size_t k = 0; k < reg.n; k++)
        ok(covered[k][0] && covered[k][1], "%s has golden trajectories on both problems",
           reg.entries[k].opt->label);
    free(covered);
    os_registry_free(&reg);
    return done_testing();
}
