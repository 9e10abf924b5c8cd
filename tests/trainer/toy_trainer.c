/*
 * toy_trainer.c — a training program for the tests of [trainer] command
 * studies: it speaks the protocol (docs/trainers.md) and trains a noisy
 * ill-conditioned quadratic with sgd (momentum, nesterov), adam or rmsprop
 * in plain C, so that rankings mean something, and it misbehaves on
 * request so that every edge case of the protocol has a test.
 *
 *   toy_trainer --optimizer NAME --lr X --steps N [--seed S] [--every K]
 *               [--checkpoint FILE] [--momentum M] [--fault F] [--delay MS]
 *
 * An optimizer named after a fault (crash, hang, nan, garbage, silent,
 * exit3, badline, short, badckpt, past, backwards, explode, json) trains
 * as sgd and misbehaves that way; so does --fault F.
 */
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define D 8

typedef struct state {
    unsigned long long step;
    uint64_t rng;         /* the noise goes on where it stopped */
    double w[D], m[D], v[D];
} state;

static double urand(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static double curvature(int i) { return pow(100.0, (double)i / (D - 1)); }

static double loss(const double *w)
{
    double f = 0;
    for (int i = 0; i < D; i++)
        f += 0.5 * curvature(i) * w[i] * w[i];
    return f;
}

/* The line of step t's measurement, and the faults that garble it. */
static void report(const state *s, unsigned long long t, unsigned long long steps,
                   const char *fault)
{
    double f = loss(s->w);
    if (!strcmp(fault, "nan") && t >= steps / 2)
        f = NAN;
    if (!strcmp(fault, "explode") && t >= steps / 2)
        f *= 1e6;
    if (!strcmp(fault, "json"))
        printf("{\"step\": %llu, \"val_loss\": %.10g, \"epoch\": 1}\n", t, f);
    else
        printf("optselect: step=%llu val_loss=%.10g\n", t, f);
    if (!strcmp(fault, "garbage"))
        printf("epoch %llu \x01\x02 loss?? {not json\n\n", t);
    if (!strcmp(fault, "badline") && t >= steps / 2)
        printf("optselect: step=%llu val_loss=abc\n", t);
    if (!strcmp(fault, "past") && t == steps)
        printf("optselect: step=%llu val_loss=1\n", steps + 5);
    if (!strcmp(fault, "backwards") && t == steps)
        printf("optselect: step=%llu val_loss=1\n", steps / 2);
    fflush(stdout);
}

/* One step of the optimizer opt on a noisy gradient. */
static void update(state *s, const char *opt, double lr, double momentum)
{
    for (int i = 0; i < D; i++) {
        double g = curvature(i) * s->w[i] + 0.3 * (2 * urand(&s->rng) - 1);
        if (!strcmp(opt, "adam")) {
            s->m[i] = 0.9 * s->m[i] + 0.1 * g;
            s->v[i] = 0.999 * s->v[i] + 0.001 * g * g;
            double mh = s->m[i] / (1 - pow(0.9, (double)s->step));
            double vh = s->v[i] / (1 - pow(0.999, (double)s->step));
            s->w[i] -= lr * mh / (sqrt(vh) + 1e-8);
        } else if (!strcmp(opt, "rmsprop")) {
            s->v[i] = 0.99 * s->v[i] + 0.01 * g * g;
            s->w[i] -= lr * g / (sqrt(s->v[i]) + 1e-8);
        } else {
            s->m[i] = momentum * s->m[i] + g;
            s->w[i] -= lr * s->m[i];
        }
    }
}

int main(int argc, char **argv)
{
    const char *opt = "sgd", *ckpt = NULL, *fault = "";
    double lr = 0.01, momentum = 0.0;
    unsigned long long steps = 100, seed = 1, every = 10, delay = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--optimizer")) opt = v;
        else if (!strcmp(k, "--lr")) lr = atof(v);
        else if (!strcmp(k, "--steps")) steps = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--every")) every = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--checkpoint")) ckpt = v;
        else if (!strcmp(k, "--momentum")) momentum = atof(v);
        else if (!strcmp(k, "--fault")) fault = v;
        else if (!strcmp(k, "--delay")) delay = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--hparams")) continue; /* NAME=VALUE,...: all known above */
        else {
            fprintf(stderr, "toy_trainer: unknown option %s\n", k);
            return 2;
        }
    }
    static const char *const faults[] = { "crash", "hang", "nan", "garbage", "silent", "exit3",
                                          "badline", "short", "badckpt", "past", "backwards",
                                          "explode", "json" };
    for (size_t i = 0; i < sizeof faults / sizeof *faults; i++)
        if (!strcmp(opt, faults[i]))
            fault = opt;
    state s = { .rng = seed * 0x9E3779B97F4A7C15ull + 1 };
    for (int i = 0; i < D; i++)
        s.w[i] = 2 * urand(&s.rng) - 1;
    if (ckpt) {
        FILE *f = fopen(ckpt, "rb");
        if (f) {
            int ok = fread(&s, sizeof s, 1, f) == 1 && strcmp(fault, "badckpt");
            fclose(f);
            if (!ok) {
                fprintf(stderr, "toy_trainer: cannot read checkpoint %s\n", ckpt);
                return 1;
            }
        }
    }
    if (!strcmp(fault, "silent"))
        return 0;
    printf("toy_trainer: %s lr=%g from step %llu to %llu\n", opt, lr, s.step, steps);
    for (;;) {
        unsigned long long t = s.step;
        if (t % every == 0 || t == steps) {
            report(&s, t, steps, fault);
        }
        if (t == steps)
            break;
        if (t == steps / 2 && t) {
            if (!strcmp(fault, "crash"))
                raise(SIGSEGV);
            if (!strcmp(fault, "hang"))
                for (;;)
                    pause();
            if (!strcmp(fault, "exit3")) {
                fprintf(stderr, "toy_trainer: giving up halfway\n");
                return 3;
            }
            if (!strcmp(fault, "short"))
                return 0;
        }
        s.step = t + 1;
        if (delay)
            usleep((useconds_t)(delay * 1000));
        update(&s, opt, lr, momentum);
    }
    if (ckpt) {
        FILE *f = fopen(ckpt, "wb");
        if (!f || fwrite(&s, sizeof s, 1, f) != 1 || fclose(f)) {
            fprintf(stderr, "toy_trainer: cannot write checkpoint %s\n", ckpt);
            return 1;
        }
    }
    return 0;
}
