/*
 * synthetic.c — seeded synthetic datasets for demos and tests:
 *
 *   spirals  K interleaved arms in the plane (2 features, K classes)
 *   moons    two interleaved half circles (2 features, 2 classes)
 *   blobs    K Gaussian clusters with centres in [-5, 5]^d (d features)
 *   linear   y = w.x + b + noise with w, b drawn once (d features, regression)
 *
 * Every number comes from the study seed through its own stream, so the
 * same config gives the same data on any machine.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dataset.h"

static int alloc(os_dataset *ds, size_t n, size_t d)
{
    *ds = (os_dataset){ .n = n, .d = d };
    ds->x = malloc(n * d * sizeof *ds->x);
    ds->y = malloc(n * sizeof *ds->y);
    return ds->x && ds->y ? 0 : -1;
}

static void spirals(os_dataset *ds, size_t k, double noise, os_rng *r)
{
    for (size_t i = 0; i < ds->n; i++) {
        size_t c = i % k;
        double t = os_rng_uniform(r);                  /* position along the arm */
        double angle = 4.0 * t + 2.0 * M_PI * (double)c / (double)k;
        double radius = t;
        ds->x[2 * i] = (float)(radius * cos(angle) + noise * os_rng_normal(r));
        ds->x[2 * i + 1] = (float)(radius * sin(angle) + noise * os_rng_normal(r));
        ds->y[i] = (float)c;
    }
}

static void moons(os_dataset *ds, double noise, os_rng *r)
{
    for (size_t i = 0; i < ds->n; i++) {
        size_t c = i % 2;
        double a = M_PI * os_rng_uniform(r);
        double x = c ? 1.0 - cos(a) : cos(a), y = c ? 0.5 - sin(a) : sin(a);
        ds->x[2 * i] = (float)(x + noise * os_rng_normal(r));
        ds->x[2 * i + 1] = (float)(y + noise * os_rng_normal(r));
        ds->y[i] = (float)c;
    }
}

static int blobs(os_dataset *ds, size_t k, double noise, os_rng *r)
{
    double *centres = malloc(k * ds->d * sizeof *centres);
    if (!centres)
        return -1;
    for (size_t j = 0; j < k * ds->d; j++)
        centres[j] = 10.0 * os_rng_uniform(r) - 5.0;
    for (size_t i = 0; i < ds->n; i++) {
        size_t c = i % k;
        for (size_t j = 0; j < ds->d; j++)
            ds->x[i * ds->d + j] = (float)(centres[c * ds->d + j] + noise * os_rng_normal(r));
        ds->y[i] = (float)c;
    }
    free(centres);
    return 0;
}

static int linear(os_dataset *ds, double noise, os_rng *r)
{
    double *w = malloc((ds->d + 1) * sizeof *w);
    if (!w)
        return -1;
    for (size_t j = 0; j <= ds->d; j++)
        w[j] = os_rng_normal(r);
    for (size_t i = 0; i < ds->n; i++) {
        double y = w[ds->d];
        for (size_t j = 0; j < ds->d; j++) {
            double x = os_rng_normal(r);
            ds->x[i * ds->d + j] = (float)x;
            y += w[j] * x;
        }
        ds->y[i] = (float)(y + noise * os_rng_normal(r));
    }
    free(w);
    return 0;
}

int os_synthetic_make(const os_synthetic_spec *spec, uint64_t seed, os_dataset *out,
                      os_error *err)
{
    const char *g = spec->generator;
    int is_spirals = !strcmp(g, "spirals"), is_moons = !strcmp(g, "moons");
    int is_blobs = !strcmp(g, "blobs"), is_linear = !strcmp(g, "linear");
    if (!is_spirals && !is_moons && !is_blobs && !is_linear)
        return os_error_set(err, OS_ERR_CONFIG, "unknown generator '%s'", g);
    size_t d = is_spirals || is_moons ? 2 : spec->features;
    size_t k = is_moons ? 2 : is_linear ? 0 : spec->classes;
    if (alloc(out, spec->samples, d)) {
        os_dataset_free(out);
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for %zu synthetic rows",
                            spec->samples);
    }
    os_rng r;
    os_rng_seed(&r, seed, OS_STREAM_DATA);
    int rc = 0;
    if (is_spirals)
        spirals(out, k, spec->noise, &r);
    else if (is_moons)
        moons(out, spec->noise, &r);
    else if (is_blobs)
        rc = blobs(out, k, spec->noise, &r);
    else
        rc = linear(out, spec->noise, &r);
    if (rc) {
        os_dataset_free(out);
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for synthetic data");
    }
    out->n_classes = k;
    return 0;
}
