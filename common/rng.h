/*
 * rng.h — a small seeded generator per trial (xoshiro256**, seeded through
 * splitmix64).  A trial's stream is keyed by (study seed, trial key), so its
 * numbers never depend on which thread runs it or in what order.
 */
#ifndef OS_RNG_H
#define OS_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct os_rng {
    uint64_t s[4];
} os_rng;

/* Seeds from a study seed and a stream key (trial id, "data split", ...). */
void os_rng_seed(os_rng *r, uint64_t seed, uint64_t stream);
uint64_t os_rng_next(os_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double os_rng_uniform(os_rng *r);
/* Standard normal (Box–Muller; two uniforms per call, no cached state). */
double os_rng_normal(os_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t os_rng_below(os_rng *r, uint64_t n);
/* Fisher–Yates shuffle of idx[0..n). */
void os_rng_shuffle(os_rng *r, uint32_t *idx, size_t n);

#endif
