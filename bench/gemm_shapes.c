/*
 * gemm_shapes.c — the GEMMs of one training step of an MLP, alone: for
 * every dense layer the forward product Y = X W^T and the backward products
 * dW = dY^T X and (except the first layer) dX = dY W, with the shapes and
 * transposes optselect's dense layer uses.  Prints the seconds per step and
 * the GFLOP/s of these products on one thread: the ceiling for a training
 * step that did nothing but its matrix products.
 *
 *   cc -O2 gemm_shapes.c $(pkg-config --cflags --libs openblas) -o gemm_shapes
 *   ./gemm_shapes BATCH WIDTH0 WIDTH1 ... WIDTHn
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s BATCH WIDTH0 WIDTH1 ...\n", argv[0]);
        return 2;
    }
    openblas_set_num_threads(1);
    int b = atoi(argv[1]), layers = argc - 3;
    int *w = malloc((size_t)(layers + 1) * sizeof *w);
    for (int i = 0; i <= layers; i++)
        w[i] = atoi(argv[2 + i]);
    int widest = 0;
    for (int i = 0; i <= layers; i++)
        widest = w[i] > widest ? w[i] : widest;
    size_t big = (size_t)widest * (size_t)(widest > b ? widest : b);
    float *x = calloc(big, sizeof *x), *y = calloc(big, sizeof *y);
    float *m = calloc(big, sizeof *m), *d = calloc(big, sizeof *d);
    for (size_t i = 0; i < big; i++)
        x[i] = y[i] = m[i] = d[i] = 0.001f * (float)(i % 97);
    double flops = 0;
    for (int l = 0; l < layers; l++)
        flops += 2.0 * b * w[l] * w[l + 1] * (l ? 3 : 2);

    int reps = 0;
    double t0 = now(), t;
    do {
        for (int l = 0; l < layers; l++) {
            int in = w[l], out = w[l + 1];
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, out, in, 1.0f, x, in, m,
                        in, 1.0f, y, out);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, b, 1.0f, d, out, x,
                        in, 0.0f, m, in);
            if (l)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, in, out, 1.0f, d,
                            out, m, in, 0.0f, y, in);
        }
        reps++;
        t = now() - t0;
    } while (t < 2.0);
    printf("%.6f %.1f\n", t / reps, flops * reps / t / 1e9);
    return 0;
}
