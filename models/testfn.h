/*
 * testfn.h — classic two-dimensional optimisation test functions, used as
 * models: the parameters are the point (x, y), the loss is the function's
 * value, and the gradient is exact.  They show how an optimizer moves
 * through a narrow valley (rosenbrock), over a plateau with a sharp minimum
 * (beale), among many local minima (rastrigin), or down a badly scaled bowl
 * (quadratic).
 */
#ifndef OS_TESTFN_H
#define OS_TESTFN_H

typedef struct os_testfn {
    const char *name;
    double      start[2];    /* a standard starting point                  */
    double      minimum[2];  /* where the global minimum (value 0) lies     */
    /* f(p) and, when grad is not NULL, its gradient */
    double (*eval)(const double *p, double *grad);
} os_testfn;

/* The function called name, or NULL. */
const os_testfn *os_testfn_find(const char *name);

/* Names, '|'-separated, for messages and the config parser. */
#define OS_TESTFN_NAMES "rosenbrock|beale|rastrigin|quadratic"

#endif
