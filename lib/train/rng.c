/* Counter-based random numbers: every draw is a pure function of (seed, stream, index),
 * so results do not depend on the order or the thread that asks, and a resumed run
 * draws exactly what the uninterrupted one would. Documented in docs/training.md. */
#include <math.h>
#include <string.h>

#include "train/train.h"

static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t inc_fnv1a64(const void *data, size_t size, uint64_t h) {
    const uint8_t *p = data;
    for (size_t i = 0; i < size; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t inc_rng_key(uint64_t seed, const char *name, uint64_t a, uint64_t b) {
    uint64_t h = inc_fnv1a64(name, strlen(name), INC_FNV_OFFSET);
    return mix(mix(mix(h ^ seed) ^ a) + b);
}

uint64_t inc_rng_u64(uint64_t key, uint64_t index) {
    return mix(key + (index + 1) * 0x9e3779b97f4a7c15ull);
}

double inc_rng_uniform(uint64_t key, uint64_t index) {
    return (double)(inc_rng_u64(key, index) >> 11) * 0x1.0p-53;
}

double inc_rng_normal(uint64_t key, uint64_t index) {
    double u1 = inc_rng_uniform(key, 2 * index), u2 = inc_rng_uniform(key, 2 * index + 1);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}
