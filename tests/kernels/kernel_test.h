/* Helpers shared by the kernel test programs: output guards, a seeded float stream and
 * aligned buffers. Define KT_SEED before including: each program keeps its own sequence. */
#ifndef KERNEL_TEST_H
#define KERNEL_TEST_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A NaN with a payload no kernel produces from finite inputs: marks unwritten floats. */
static const uint32_t GUARD_BITS = 0x7fc0beefu;

static inline float guard(void) {
    float f;
    memcpy(&f, &GUARD_BITS, sizeof f);
    return f;
}

static inline int is_guard(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u == GUARD_BITS;
}

static uint64_t rng = KT_SEED;

static inline float frand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((rng >> 40) & 0xffffff) / (float)0x800000 - 1.0f; /* [-1, 1) */
}

static inline float *falloc(size_t n) {
    float *p = aligned_alloc(64, ((n ? n : 1) * sizeof(float) + 63) / 64 * 64);
    ck_assert_ptr_nonnull(p);
    return p;
}

#endif
