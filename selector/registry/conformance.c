/*
 * conformance.c — `optselect --check-plugin FILE`: what a host relies on,
 * checked on any plugin, one line per check.
 *
 * The checks run each optimizer of the file on a small convex quadratic
 * whose layout has a matrix and a vector, at its default hyperparameters
 * and learning rate:
 *   - the descriptor passes the loader's handshake and table checks;
 *   - check() accepts the defaults;
 *   - 200 steps lower the loss;
 *   - the first step moves the parameters in proportion to the rate (a
 *     tenth of the rate, a tenth of the move, within a factor of 3): a
 *     plugin that ignores or misreads lr would rank every rate the same;
 *   - zero gradients keep every parameter finite, and so do very large
 *     (1e10) and very small (1e-30) ones;
 *   - step writes nothing past state_bytes, and reads and writes nothing
 *     past its parameters and gradients (each ends at a page the host made
 *     inaccessible);
 *   - a copied state continues exactly as the original (pause and resume);
 *   - init resets: a second run from init is the first run again;
 *   - two runs are bit-identical (no hidden globals, no randomness);
 *   - eval_params, where a plugin has it, gives finite parameters and
 *     changes neither the training parameters nor the state.
 */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "conformance.h"
#include "util.h"

#define N_MAT_ROWS 6
#define N_MAT_COLS 5
#define N_VEC 7
#define N (N_MAT_ROWS * N_MAT_COLS + N_VEC)
#define CANARY 0xA5
#define GUARD 64

typedef struct checker {
    FILE *out;
    int   checks, failed;
} checker;

static void report(checker *c, int pass, const char *label, const char *what,
                   const char *detail)
{
    c->checks++;
    c->failed += !pass;
    fprintf(c->out, "%s  %s: %s%s%s\n", pass ? "pass" : "FAIL", label, what,
            detail && *detail ? ": " : "", detail ? detail : "");
}

/* The quadratic f(p) = sum(a_i p_i^2) / 2 with a_i in [0.5, 2]. */
static double curvature(size_t i)
{
    return 0.5 + 1.5 * (double)(i % 7) / 6.0;
}

static double loss(const float *p)
{
    double f = 0;
    for (size_t i = 0; i < N; i++)
        f += 0.5 * curvature(i) * (double)p[i] * p[i];
    return f;
}

static void start(float *p)
{
    for (size_t i = 0; i < N; i++)
        p[i] = (float)(1.0 - 0.05 * (double)(i % 5));
}

typedef struct run {
    const os_optimizer *opt;
    os_env              env;
    unsigned char      *state;   /* state_bytes + GUARD canary bytes */
    size_t              bytes;
    float               p[N];
    char                msg[256];
    int                 rc;      /* first non-OK code returned        */
} run;

static const os_tensor tensors[2] = {
    { "matrix", 0, N_MAT_ROWS * N_MAT_COLS, 2, { N_MAT_ROWS, N_MAT_COLS } },
    { "vector", N_MAT_ROWS * N_MAT_COLS, N_VEC, 1, { N_VEC } },
};
static const os_layout layout = { N, 2, tensors, NULL };

static int run_open(run *r, const os_optimizer *opt, const double *hp)
{
    memset(r, 0, sizeof *r);
    r->opt = opt;
    r->env = os_plugin_env(&layout, hp, r->msg, sizeof r->msg);
    r->bytes = opt->state_bytes(&r->env);
    if (r->bytes > ((size_t)1 << 30))
        return -1;
    r->state = os_alloc_aligned(r->bytes + GUARD);
    if (!r->state)
        return -1;
    memset(r->state + r->bytes, CANARY, GUARD);
    start(r->p);
    r->rc = opt->init(&r->env, r->state, r->p);
    return 0;
}

/* Steps t = first..last with the quadratic's gradient (or zeros), at lr. */
static void run_steps_at(run *r, uint64_t first, uint64_t last, int zero_grad, double lr)
{
    float g[N];
    for (uint64_t t = first; t <= last && r->rc == OS_OK; t++) {
        for (size_t i = 0; i < N; i++)
            g[i] = zero_grad ? 0.0f : (float)(curvature(i) * r->p[i]);
        r->rc = r->opt->step(&r->env, r->state, r->p, g, lr, t);
    }
}

static void run_steps(run *r, uint64_t first, uint64_t last, int zero_grad)
{
    run_steps_at(r, first, last, zero_grad, r->opt->default_lr);
}

/* How far one step from the start moves the parameters at lr (L2). */
static double first_move(run *r, double lr)
{
    start(r->p);
    r->rc = r->opt->init(&r->env, r->state, r->p);
    float p0[N];
    memcpy(p0, r->p, sizeof p0);
    run_steps_at(r, 1, 1, 0, lr);
    double d = 0;
    for (size_t i = 0; i < N; i++)
        d += ((double)r->p[i] - p0[i]) * ((double)r->p[i] - p0[i]);
    return r->rc == OS_OK ? sqrt(d) : NAN;
}

static int canary_intact(const run *r)
{
    for (size_t i = 0; i < GUARD; i++)
        if (r->state[r->bytes + i] != CANARY)
            return 0;
    return 1;
}

static void run_close(run *r)
{
    os_free_aligned(r->state);
    r->state = NULL;
}

static int all_finite(const float *p)
{
    for (size_t i = 0; i < N; i++)
        if (!isfinite(p[i]))
            return 0;
    return 1;
}

/* The rate: a tenth of it, a tenth of the first move (r is re-initialised). */
static void check_rate(checker *c, const os_optimizer *opt, run *r)
{
    char detail[320];
    double big = first_move(r, opt->default_lr), small = first_move(r, opt->default_lr / 10);
    double ratio = big / small;
    snprintf(detail, sizeof detail, "the first step moves %.3g at lr %g and %.3g at lr %g "
             "(ratio %.3g; 10 expected)", big, opt->default_lr, small, opt->default_lr / 10,
             ratio);
    report(c, r->rc == OS_OK && ratio > 10.0 / 3 && ratio < 30, opt->label,
           "the first step scales with the rate", detail);
}

/* 20 steps from the start with every gradient `size` in magnitude, the
 * sign of the quadratic's: a finite update keeps the parameters finite
 * (squaring a square, or dividing by g^2 without an epsilon, does not). */
static int finite_at(run *r, float size)
{
    float g[N];
    start(r->p);
    r->rc = r->opt->init(&r->env, r->state, r->p);
    for (uint64_t t = 1; t <= 20 && r->rc == OS_OK; t++) {
        for (size_t i = 0; i < N; i++)
            g[i] = r->p[i] >= 0 ? size : -size;
        r->rc = r->opt->step(&r->env, r->state, r->p, g, r->opt->default_lr, t);
    }
    return r->rc == OS_OK && all_finite(r->p);
}

static void check_extremes(checker *c, const os_optimizer *opt, run *r)
{
    int large = finite_at(r, 1e10f), tiny = finite_at(r, 1e-30f);
    report(c, large && tiny, opt->label, "very large and very small gradients keep every "
           "parameter finite", !large ? "not with gradients of 1e10" : !tiny ?
           "not with gradients of 1e-30" : NULL);
}

/* The parameters and the gradients each end where an inaccessible page
 * begins, so a step that reads or writes past its n floats faults; the
 * fault is caught and reported (the checks run in a child process of
 * their own, so a handler that jumps out of it harms nothing else). */
static sigjmp_buf fault_jump;
static void on_fault(int sig)
{
    (void)sig;
    siglongjmp(fault_jump, 1);
}

static void check_bounds(checker *c, const os_optimizer *opt, run *r)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE), bytes = N * sizeof(float);
    const size_t span = (bytes + page - 1) / page * page + page; /* data, then a guard */
    unsigned char *m = mmap(NULL, 2 * span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                            -1, 0);
    if (m == MAP_FAILED || mprotect(m + span - page, page, PROT_NONE) ||
        mprotect(m + 2 * span - page, page, PROT_NONE)) {
        report(c, 0, opt->label, "step stays inside its parameters and gradients",
               "the host could not map guard pages");
        if (m != MAP_FAILED)
            munmap(m, 2 * span);
        return;
    }
    float *p = (float *)(m + span - page - bytes), *g = (float *)(m + 2 * span - page - bytes);
    start(p);
    for (size_t i = 0; i < N; i++)
        g[i] = (float)(curvature(i) * p[i]);
    struct sigaction fault = { .sa_handler = on_fault }, old_segv, old_bus;
    sigemptyset(&fault.sa_mask);
    sigaction(SIGSEGV, &fault, &old_segv);
    sigaction(SIGBUS, &fault, &old_bus);
    volatile int faulted = 0, rc = OS_OK;
    if (sigsetjmp(fault_jump, 1) == 0) {
        rc = opt->init(&r->env, r->state, p);
        for (uint64_t t = 1; t <= 3 && rc == OS_OK; t++)
            rc = opt->step(&r->env, r->state, p, g, opt->default_lr, t);
    } else {
        faulted = 1;
    }
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    munmap(m, 2 * span);
    char detail[96];
    snprintf(detail, sizeof detail, "it touched memory past its %d parameters or gradients", N);
    report(c, !faulted && rc == OS_OK, opt->label,
           "step reads and writes only its parameters and gradients",
           faulted ? detail : rc != OS_OK ? r->msg : NULL);
}

/* eval_params, where the plugin has it, on b's trained state. */
static void check_eval_params(checker *c, const os_optimizer *opt, const run *a, run *b)
{
    os_eval_params_fn eval = os_optimizer_eval_params(opt);
    if (!eval)
        return;
    float before_p[N], out[N];
    unsigned char *before_s = os_alloc_aligned(a->bytes);
    memcpy(before_p, b->p, sizeof before_p);
    if (before_s && a->bytes)
        memcpy(before_s, b->state, b->bytes);
    int rc = eval(&b->env, b->state, b->p, out);
    int untouched = !memcmp(before_p, b->p, sizeof before_p) &&
                    (!b->bytes || (before_s && !memcmp(before_s, b->state, b->bytes)));
    report(c, rc == OS_OK && all_finite(out) && untouched, opt->label,
           "eval_params gives finite parameters and changes nothing", rc != OS_OK ? b->msg
           : !untouched ? "it modified the parameters or the state" : NULL);
    os_free_aligned(before_s);
}

static void check_optimizer(checker *c, const os_optimizer *opt)
{
    const char *label = opt->label;
    double hp[64];
    char detail[320] = "";
    for (size_t h = 0; h < opt->n_hparams; h++)
        hp[h] = opt->hparams[h].default_value;

    if (opt->check) {
        int rc = opt->check(hp, detail, sizeof detail);
        report(c, rc == OS_OK, label, "check() accepts the default hyperparameters", detail);
    }

    run a, b;
    if (run_open(&a, opt, hp) || run_open(&b, opt, hp)) {
        report(c, 0, label, "state_bytes", "allocation failed or over 1 GiB");
        run_close(&a);
        return;
    }
    report(c, a.rc == OS_OK, label, "init succeeds", a.msg);

    /* Descent, and no writes past the state. */
    double before = loss(a.p);
    run_steps(&a, 1, 200, 0);
    double after = loss(a.p);
    snprintf(detail, sizeof detail, "loss %.4g -> %.4g in 200 steps at lr %g%s%s", before,
             after, opt->default_lr, a.rc ? "; step failed: " : "", a.rc ? a.msg : "");
    report(c, a.rc == OS_OK && after < before, label, "steps lower a convex quadratic", detail);
    report(c, canary_intact(&a), label, "step writes only inside state_bytes", NULL);

    /* Determinism and reset: b runs the same 200 steps; then a is reset
     * with init and run again. */
    run_steps(&b, 1, 200, 0);
    report(c, b.rc == a.rc && !memcmp(a.p, b.p, sizeof a.p), label,
           "two runs are bit-identical", NULL);
    float first[N];
    memcpy(first, a.p, sizeof first);
    start(a.p);
    a.rc = opt->init(&a.env, a.state, a.p);
    run_steps(&a, 1, 200, 0);
    report(c, a.rc == OS_OK && !memcmp(first, a.p, sizeof first), label,
           "init resets the state (a second run repeats the first)", NULL);

    /* Pause and resume: copy (params, state) after 50 steps, run both on. */
    start(a.p);
    a.rc = opt->init(&a.env, a.state, a.p);
    run_steps(&a, 1, 50, 0);
    memcpy(b.p, a.p, sizeof a.p);
    if (a.bytes)
        memcpy(b.state, a.state, a.bytes);
    b.rc = a.rc;
    run_steps(&a, 51, 100, 0);
    run_steps(&b, 51, 100, 0);
    report(c, a.rc == OS_OK && b.rc == OS_OK && !memcmp(a.p, b.p, sizeof a.p), label,
           "a copied state continues exactly as the original", NULL);

    check_rate(c, opt, &a);
    /* Zero gradients from the start and after training. */
    start(a.p);
    a.rc = opt->init(&a.env, a.state, a.p);
    run_steps(&a, 1, 20, 1);
    int finite_fresh = a.rc == OS_OK && all_finite(a.p);
    run_steps(&b, 101, 120, 1);
    int finite_trained = b.rc == OS_OK && all_finite(b.p);
    report(c, finite_fresh && finite_trained, label, "zero gradients keep every parameter "
           "finite", !finite_fresh ? "not from the first step" : !finite_trained ?
           "not after 100 steps of training" : NULL);
    check_extremes(c, opt, &a);
    check_bounds(c, opt, &a);
    check_eval_params(c, opt, &a, &b);
    run_close(&a);
    run_close(&b);
}

int os_conformance_run(const char *path, FILE *out)
{
    checker c = { out, 0, 0 };
    os_registry reg = { 0 };
    os_error err = { 0 };
    int rc = os_registry_load_file(&reg, path, &err);
    report(&c, rc == 0, path, "loads, passes the ABI handshake and the descriptor checks",
           rc ? err.msg : NULL);
    for (size_t i = 0; i < reg.n; i++)
        check_optimizer(&c, reg.entries[i].opt);
    fprintf(out, "%d checks, %d failed\n", c.checks, c.failed);
    os_registry_free(&reg);
    return c.failed;
}
