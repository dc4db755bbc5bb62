/* nn/rng.c: the project's one small PRNG (splitmix64) and the draws built
 * on it: uniform floats, standard normals and a Fisher-Yates shuffle.
 *
 * Every random choice in logiq (initial weights, shuffles, augmentation,
 * synthetic data) goes through these functions with an explicit uint64_t
 * state, so a run is reproducible from its seed. This is not a
 * cryptographic generator, and it holds no global state. */
#include "nn/data.h"

#include <assert.h>
#include <math.h>

uint64_t nn_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

float nn_rng_uniform(uint64_t *state)
{
    /* The top 24 bits: every value k / 2^24 is exact in a float, and 1.0
     * is never returned. */
    return (float)(nn_rng_next(state) >> 40) * (1.0f / 16777216.0f);
}

float nn_rng_normal(uint64_t *state)
{
    /* Box-Muller with one output per call (the sine branch is dropped) so
     * the draw count per normal is always two. u1 is in (0, 1] so the log
     * is finite. */
    const double two_pi = 6.283185307179586476925286766559;
    double u1 = 1.0 - (double)nn_rng_uniform(state);
    double u2 = (double)nn_rng_uniform(state);
    return (float)(sqrt(-2.0 * log(u1)) * cos(two_pi * u2));
}

/* A uniform integer in [0, bound), without modulo bias: draws whose value is
 * below 2^64 mod bound are rejected so every residue is equally likely. */
static uint64_t rng_bounded(uint64_t *state, uint64_t bound)
{
    assert(bound > 0);
    uint64_t threshold = (0 - bound) % bound; /* 2^64 mod bound */
    for (;;) {
        uint64_t r = nn_rng_next(state);
        if (r >= threshold)
            return r % bound;
    }
}

void nn_rng_shuffle(int *idx, int n, uint64_t *state)
{
    assert(n >= 0 && (n == 0 || idx));
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_bounded(state, (uint64_t)i + 1);
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}
