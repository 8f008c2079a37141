/* CPU feature detection. A feature counts only if CPUID reports it *and* XGETBV says the
 * OS saves the matching register state: a kernel that enables AVX-512 in a VM that does not
 * context-switch ZMM would otherwise corrupt other threads' registers. */
#include "backends/simd/cpu.h"

#include <cpuid.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int hw_level, auto_level;
static char bad_env[32]; /* an INCEPTION_SIMD_LEVEL value we do not know, or "" */

/* XCR0 through the raw opcode's mnemonic so this file needs no -mxsave. */
static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static int detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return INC_SIMD_NONE;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!fma || !osxsave || !avx) return INC_SIMD_NONE;
    uint64_t xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return INC_SIMD_NONE; /* XMM and YMM state */
    if (__get_cpuid_max(0, NULL) < 7) return INC_SIMD_NONE;
    __cpuid_count(7, 0, a, b, c, d);
    if (!((b >> 5) & 1)) return INC_SIMD_NONE; /* AVX2 */
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    /* opmask, upper ZMM0-15 and ZMM16-31 state */
    if (f && dq && bw && vl && (xcr0 & 0xe6) == 0xe6) return INC_SIMD_AVX512;
    return INC_SIMD_AVX2;
}

static void init(void) {
    hw_level = detect();
    auto_level = hw_level;
    const char *cap = getenv("INCEPTION_SIMD_LEVEL");
    if (!cap || !cap[0] || strcmp(cap, "avx512") == 0) return; /* avx512: no cap */
    if (strcmp(cap, "avx2") == 0) {
        if (auto_level > INC_SIMD_AVX2) auto_level = INC_SIMD_AVX2;
        return;
    }
    size_t n = strlen(cap) < sizeof bad_env - 1 ? strlen(cap) : sizeof bad_env - 1;
    memcpy(bad_env, cap, n);
    bad_env[n] = '\0';
}

const char *inc_simd_env_invalid(void) {
    pthread_once(&once, init);
    return bad_env[0] ? bad_env : NULL;
}

int inc_simd_cpu_level(void) {
    pthread_once(&once, init);
    return hw_level;
}

int inc_simd_auto_level(void) {
    pthread_once(&once, init);
    return auto_level;
}

const char *inc_simd_level_name(int level) {
    switch (level) {
    case INC_SIMD_AVX512: return "avx512";
    case INC_SIMD_AVX2: return "avx2";
    default: return "none";
    }
}
