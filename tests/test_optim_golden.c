/*
 * Each shipped optimizer replays torch.optim's trajectory on the quadratic
 * of tests/golden/generate.py: the parameters after every one of 20 steps
 * must match torch's within rtol 1e-5 plus atol 1e-6.
 *
 * Why the absolute term: a parameter that passes near zero on its way
 * between O(1) values carries an absolute rounding error of a few ulp of 1.0
 * (torch's own float32 result differs from float64 by 2.3e-7 at 0.009 on
 * adam.golden's step 17), which a purely relative test would call a bug.
 */
#define RTOL 1e-5
#define ATOL 1e-6
#include <dirent.h>
#include "tap.h"
#include "registry.h"
#include "util.h"

#define MAXN 64
#define STEPS 20

typedef struct golden {
    char   label[64], hparams[512];
    double lr;
    size_t n;
    float  a[MAXN], b[MAXN], p0[MAXN], steps[STEPS][MAXN];
} golden;

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
    char line[8192];
    int steps = 0, bad = 0;
    memset(g, 0, sizeof *g);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        int t;
        char *sp = strchr(line, ' ');
        if (line[0] == '#' || !sp)
            continue;
        if (!strncmp(line, "optimizer ", 10))
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
    /* Two tensors, to make sure element-wise methods ignore the split. */
    os_tensor tensors[2] = {
        { "w", 0, g->n / 2, 1, { g->n / 2 } },
        { "b", g->n / 2, g->n - g->n / 2, 1, { g->n - g->n / 2 } },
    };
    os_layout layout = { g->n, 2, tensors };
    char err[128] = "";
    os_env env = { &layout, hp, err, sizeof err };
    void *state = os_alloc_aligned(opt->state_bytes(&env));
    float p[MAXN], grad[MAXN];
    memcpy(p, g->p0, g->n * sizeof *p);
    ok(opt->init(&env, state, p) == OS_OK, "%s: init", name);
    double worst = 0;
    int worst_step = 0, step_ok = 1;
    for (int t = 1; t <= STEPS; t++) {
        for (size_t i = 0; i < g->n; i++)
            grad[i] = g->a[i] * p[i] + g->b[i];
        step_ok &= opt->step(&env, state, p, grad, g->lr, (uint64_t)t) == OS_OK;
        for (size_t i = 0; i < g->n; i++) {
            double ref = g->steps[t - 1][i];
            double rel = fabs(p[i] - ref) / (RTOL * fabs(ref) + ATOL);
            if (rel > worst) {
                worst = rel;
                worst_step = t;
            }
        }
    }
    ok(step_ok, "%s: every step returns OS_OK", name);
    ok(worst <= 1.0, "%s: 20 steps match torch.optim (worst error %.2f of tolerance, step %d)",
       name, worst, worst_step);
    os_free_aligned(state);
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
    ok(n >= 15, "found %zu golden files", n);

    int covered[4] = { 0 };
    static const char *labels[4] = { "sgd", "adam", "rmsprop", "adagrad" };
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        golden g;
        snprintf(path, sizeof path, "%s/%s", src_path("tests/golden"), names[i]);
        if (ok(read_golden(path, &g) == 0, "%s parses", names[i])) {
            replay(&reg, names[i], &g);
            for (int k = 0; k < 4; k++)
                covered[k] |= !strcmp(g.label, labels[k]);
        }
        free(names[i]);
    }
    for (int k = 0; k < 4; k++)
        ok(covered[k], "%s has golden trajectories", labels[k]);
    os_registry_free(&reg);
    return done_testing();
}
