/*
 * gemm_shapes.c — the GEMMs of one training step, alone: prints the seconds
 * per step and the GFLOP/s of these products on one thread, the ceiling for
 * a training step that did nothing but its matrix products.
 *
 *   cc -O2 gemm_shapes.c $(pkg-config --cflags --libs openblas) -o gemm_shapes
 *   ./gemm_shapes BATCH WIDTH0 WIDTH1 ... WIDTHn
 *   ./gemm_shapes -g OPS M N K [OPS M N K ...]
 *
 * The first form is an MLP's step: for every dense layer the forward
 * product Y = X W^T and the backward products dW = dY^T X and (except the
 * first layer) dX = dY W, with the shapes and transposes optselect's dense
 * layer uses.  The second lists the products: OPS is two letters, N or T,
 * for A and B (row-major C[M x N] = op(A)[M x K] op(B)[K x N]).
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct gemm {
    int ta, tb, m, n, k;
} gemm;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* An MLP's products for batch b through widths w[0..layers]. */
static size_t mlp(int b, const int *w, int layers, gemm *g)
{
    size_t n = 0;
    for (int l = 0; l < layers; l++) {
        int in = w[l], out = w[l + 1];
        g[n++] = (gemm){ 0, 1, b, out, in };
        g[n++] = (gemm){ 1, 0, out, in, b };
        if (l)
            g[n++] = (gemm){ 0, 0, b, in, out };
    }
    return n;
}

int main(int argc, char **argv)
{
    gemm g[256];
    size_t n = 0;
    if (argc >= 6 && !strcmp(argv[1], "-g") && (argc - 2) % 4 == 0) {
        for (int i = 2; i + 3 < argc && n < 256; i += 4)
            g[n++] = (gemm){ argv[i][0] == 'T', argv[i][1] == 'T', atoi(argv[i + 1]),
                             atoi(argv[i + 2]), atoi(argv[i + 3]) };
    } else if (argc >= 4 && argc < 80) {
        int w[80];
        for (int i = 2; i < argc; i++)
            w[i - 2] = atoi(argv[i]);
        n = mlp(atoi(argv[1]), w, argc - 3, g);
    } else {
        fprintf(stderr, "usage: %s BATCH WIDTH0 WIDTH1 ... | -g OPS M N K ...\n", argv[0]);
        return 2;
    }
    openblas_set_num_threads(1);
    size_t big = 1;
    double flops = 0;
    for (size_t i = 0; i < n; i++) {
        size_t mk = (size_t)g[i].m * g[i].k, kn = (size_t)g[i].k * g[i].n,
               mn = (size_t)g[i].m * g[i].n;
        big = mk > big ? mk : big;
        big = kn > big ? kn : big;
        big = mn > big ? mn : big;
        flops += 2.0 * g[i].m * g[i].n * g[i].k;
    }
    float *a = calloc(big, sizeof *a), *b = calloc(big, sizeof *b), *c = calloc(big, sizeof *c);
    if (!a || !b || !c)
        return 1;
    for (size_t i = 0; i < big; i++)
        a[i] = b[i] = 0.001f * (float)(i % 97);
    int reps = 0;
    double t0 = now(), t;
    do {
        for (size_t i = 0; i < n; i++) {
            const gemm *x = &g[i];
            cblas_sgemm(CblasRowMajor, x->ta ? CblasTrans : CblasNoTrans,
                        x->tb ? CblasTrans : CblasNoTrans, x->m, x->n, x->k, 1.0f, a,
                        x->ta ? x->m : x->k, b, x->tb ? x->k : x->n, 0.0f, c, x->n);
        }
        reps++;
        t = now() - t0;
    } while (t < 2.0);
    printf("%.6f %.1f\n", t / reps, flops * reps / t / 1e9);
    return 0;
}
