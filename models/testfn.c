/* testfn.c — the test functions and their gradients; see testfn.h. */
#include <math.h>
#include <string.h>
#include "testfn.h"

/* (1 - x)^2 + 100 (y - x^2)^2; minimum at (1, 1). */
static double rosenbrock(const double *p, double *g)
{
    double x = p[0], y = p[1], a = 1.0 - x, b = y - x * x;
    if (g) {
        g[0] = -2.0 * a - 400.0 * x * b;
        g[1] = 200.0 * b;
    }
    return a * a + 100.0 * b * b;
}

/* (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2; minimum at (3, 0.5). */
static double beale(const double *p, double *g)
{
    double x = p[0], y = p[1];
    double t1 = 1.5 - x + x * y, t2 = 2.25 - x + x * y * y, t3 = 2.625 - x + x * y * y * y;
    if (g) {
        g[0] = 2.0 * (t1 * (y - 1.0) + t2 * (y * y - 1.0) + t3 * (y * y * y - 1.0));
        g[1] = 2.0 * (t1 * x + t2 * 2.0 * x * y + t3 * 3.0 * x * y * y);
    }
    return t1 * t1 + t2 * t2 + t3 * t3;
}

/* 20 + sum(x_i^2 - 10 cos(2 pi x_i)); minimum at the origin, local minima
 * near every integer point. */
static double rastrigin(const double *p, double *g)
{
    double f = 20.0;
    for (int i = 0; i < 2; i++) {
        f += p[i] * p[i] - 10.0 * cos(2.0 * M_PI * p[i]);
        if (g)
            g[i] = 2.0 * p[i] + 20.0 * M_PI * sin(2.0 * M_PI * p[i]);
    }
    return f;
}

/* (x^2 + 100 y^2) / 2: condition number 100. */
static double quadratic(const double *p, double *g)
{
    if (g) {
        g[0] = p[0];
        g[1] = 100.0 * p[1];
    }
    return 0.5 * (p[0] * p[0] + 100.0 * p[1] * p[1]);
}

static const os_testfn functions[] = {
    { "rosenbrock", { -1.5, 2.0 }, { 1.0, 1.0 }, rosenbrock },
    { "beale", { 1.0, 1.5 }, { 3.0, 0.5 }, beale },
    { "rastrigin", { 2.3, -1.7 }, { 0.0, 0.0 }, rastrigin },
    { "quadratic", { 1.0, 1.0 }, { 0.0, 0.0 }, quadratic },
};

const os_testfn *os_testfn_find(const char *name)
{
    for (size_t i = 0; i < sizeof functions / sizeof *functions; i++)
        if (!strcmp(functions[i].name, name))
            return &functions[i];
    return 0;
}
