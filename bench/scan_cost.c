/*
 * bench/scan_cost.c — what the trials' scan for non-finite parameters
 * costs (os_first_nonfinite, once at every evaluation) against a training
 * step, on the Fashion-MNIST models' shapes: the MLP 784-256-128-10 at
 * batch 128 and the LeNet-style CNN (16 and 32 channels) at batch 64, one BLAS thread.
 *
 *   bench/scan_cost
 *
 * prints, for each, a step's and a scan's time and the scan's share of a
 * step and of eval_every steps (the configs' 50 and 100).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blas.h"
#include "model.h"
#include "rng.h"
#include "util.h"

static void measure(const char *name, const os_model_spec *spec, size_t in, size_t batch,
                    int every)
{
    os_model m;
    os_workspace ws;
    if (os_model_build(&m, spec, in, 10) || os_workspace_init(&ws, &m, batch)) {
        fprintf(stderr, "scan_cost: out of memory\n");
        exit(1);
    }
    os_rng rng;
    os_rng_seed(&rng, 1, 0);
    os_model_init_params(&m, ws.params, &rng);
    float *target = malloc(batch * sizeof *target);
    for (size_t i = 0; i < batch * in; i++)
        ws.act[0][i] = (float)os_rng_uniform(&rng);
    for (size_t i = 0; i < batch; i++)
        target[i] = (float)(i % 10);
    const int steps = 40, scans = 4000;
    os_model_train_split(&m, &ws, NULL, 1, target, batch, 1); /* warm */
    double t0 = os_seconds();
    for (int k = 0; k < steps; k++)
        os_model_train_split(&m, &ws, NULL, 1, target, batch, 1);
    double step = (os_seconds() - t0) / steps;
    size_t found = 0;
    t0 = os_seconds();
    for (int k = 0; k < scans; k++)
        found += os_first_nonfinite(ws.params, m.layout.n);
    double scan = (os_seconds() - t0) / scans;
    printf("%-24s %8zu params  step %9.1f us  scan %7.2f us  %6.3f%% of a step, %7.4f%% of "
           "%d steps%s\n", name, m.layout.n, 1e6 * step, 1e6 * scan, 100 * scan / step,
           100 * scan / (step * every), every, found == (size_t)scans * m.layout.n ? "" : " (!)");
    free(target);
    os_workspace_free(&ws);
    os_model_free(&m);
}

int main(void)
{
    os_blas_set_threads(1);
    os_model_spec mlp = { .n_hidden = 2, .hidden = { 256, 128 }, .activation = OS_LAYER_RELU,
                          .init = OS_INIT_AUTO, .loss = OS_LOSS_CROSS_ENTROPY, .pool = 1 };
    measure("mlp 784-256-128-10", &mlp, 784, 128, 50);
    os_model_spec cnn = { .n_hidden = 2, .hidden = { 120, 84 }, .activation = OS_LAYER_RELU,
                          .init = OS_INIT_AUTO, .loss = OS_LOSS_CROSS_ENTROPY, .n_conv = 2,
                          .conv = { { 16, 5, 2, 1 }, { 32, 5, 0, 1 } }, .pool = 2,
                          .image = { 1, 28, 28 } };
    measure("cnn 16c5-32c5-120-84", &cnn, 784, 64, 100);
    return 0;
}
