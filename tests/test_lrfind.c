/* The learning-rate range test on a quadratic whose best learning rate is
 * known: for f(x) = h x^2 / 2, gradient descent multiplies x by (1 - lr h)
 * each step, so lr = 1/h converges in one step and any lr > 2/h diverges. */
#include "tap.h"
#include "lrfind.h"

typedef struct quad {
    double h, x[8];
    int    t;
} quad;

/* SGD on eight copies from different starts; the loss is their mean.  A
 * small zero-mean disturbance each step (alternating in sign) stands for
 * the noise of new batches, so the loss settles at a floor instead of 0. */
static double sgd_step(void *ctx, double lr)
{
    quad *q = ctx;
    double loss = 0;
    for (int i = 0; i < 8; i++) {
        loss += q->h * q->x[i] * q->x[i] / 2 / 8;
        q->x[i] -= lr * q->h * q->x[i];
        q->x[i] += (q->t % 2 ? 0.01 : -0.01) * (i + 1);
    }
    q->t++;
    return loss;
}

int main(void)
{
    const double hs[] = { 0.5, 4.0, 50.0 };
    for (int k = 0; k < 3; k++) {
        double h = hs[k];
        quad q = { .h = h };
        for (int i = 0; i < 8; i++)
            q.x[i] = 1.0 + i;
        os_lrfind r = os_lrfind_run(sgd_step, &q, 1e-5, 1e3, 300, 0.9);
        ok(r.ok, "h = %g: the loss fell during the sweep", h);
        ok(r.diverge_lr > 1.0 / h && r.diverge_lr < 4.0 / h,
           "h = %g: divergence found at lr %.3g, between 1/h and 4/h (it starts at 2/h = %g)",
           h, r.diverge_lr, 2 / h);
        ok(r.best_lr > 0.5 / h && r.best_lr < 2.0 / h && r.hi == r.best_lr,
           "h = %g: the band's top, the lowest-loss rate %.3g, is the best rate 1/h = %g "
           "within a factor 2", h, r.best_lr, 1 / h);
        ok(r.lo < r.hi && r.hi / r.lo > 29 && r.hi / r.lo < 31, "h = %g: the band spans 30x",
           h);
    }
    quad flat = { .h = 0 };
    os_lrfind r = os_lrfind_run(sgd_step, &flat, 1e-5, 1e3, 100, 0.9);
    ok(!r.ok && r.steps == 100, "a loss that never falls: not ok, and the sweep runs out");
    return done_testing();
}
