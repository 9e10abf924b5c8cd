/*
 * conv_ref.h — a convolution from its definition, in double, for the
 * tests that check the kernels against it (test_conv_paths.c,
 * test_conv_winograd.c).  Header-only: each test is one program.
 */
#ifndef OS_TEST_CONV_REF_H
#define OS_TEST_CONV_REF_H

#include <math.h>
#include <string.h>
#include "layer.h"

/* The input under tap (c, ky, kx) of output pixel (oy, ox), 0 over padding. */
static inline double conv_ref_in(const os_layer *l, const float *xn, size_t c, size_t oy,
                                 size_t ox, size_t ky, size_t kx)
{
    long i = (long)(oy * l->stride + ky) - (long)l->pad;
    long j = (long)(ox * l->stride + kx) - (long)l->pad;
    if (i < 0 || j < 0 || i >= (long)l->h_in || j >= (long)l->w_in)
        return 0.0;
    return xn[(c * l->h_in + (size_t)i) * l->w_in + (size_t)j];
}

/* Y, and dX and dW (weights, then bias) for dy, from the definition: each
 * of y, dx and dw may be NULL (not wanted), dy too when dx and dw are. */
static inline void conv_reference(const os_layer *l, const float *p, const float *x,
                                  const float *dy, size_t batch, double *y, double *dx,
                                  double *dw)
{
    const size_t k = l->kernel, nt = l->c_in * k * k, hw = l->h_out * l->w_out;
    if (dx)
        memset(dx, 0, batch * l->in * sizeof *dx);
    if (dw)
        memset(dw, 0, l->n_params * sizeof *dw);
    for (size_t n = 0; n < batch; n++)
        for (size_t o = 0; o < l->c_out; o++)
            for (size_t oy = 0; oy < l->h_out; oy++)
                for (size_t ox = 0; ox < l->w_out; ox++) {
                    const size_t at = n * l->out + o * hw + oy * l->w_out + ox;
                    double s = p[l->c_out * nt + o];
                    for (size_t c = 0; c < l->c_in; c++)
                        for (size_t ky = 0; ky < k; ky++)
                            for (size_t kx = 0; kx < k; kx++) {
                                const size_t t = (c * k + ky) * k + kx;
                                const double v = conv_ref_in(l, x + n * l->in, c, oy, ox, ky, kx);
                                s += p[o * nt + t] * v;
                                if (dw)
                                    dw[o * nt + t] += dy[at] * v;
                                long i = (long)(oy * l->stride + ky) - (long)l->pad;
                                long j = (long)(ox * l->stride + kx) - (long)l->pad;
                                if (dx && i >= 0 && j >= 0 && i < (long)l->h_in &&
                                    j < (long)l->w_in)
                                    dx[n * l->in + (c * l->h_in + (size_t)i) * l->w_in +
                                       (size_t)j] += p[o * nt + t] * dy[at];
                            }
                    if (y)
                        y[at] = s;
                    if (dw)
                        dw[l->c_out * nt + o] += dy[at];
                }
}

/* The largest gap between a and the reference r, over r's largest value. */
static inline double conv_ref_gap(const float *a, const double *r, size_t n)
{
    double worst = 0, scale = 1e-30;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs(a[i] - r[i]));
        scale = fmax(scale, fabs(r[i]));
    }
    return worst / scale;
}

#endif
