/* Which SIMD level this CPU and OS can run, decided once per process. */
#ifndef INC_SIMD_CPU_H
#define INC_SIMD_CPU_H

enum { INC_SIMD_NONE = 0, INC_SIMD_AVX2 = 1, INC_SIMD_AVX512 = 2 };

/* The best level the CPU has and the OS saves the registers of (CPUID + XGETBV). */
int inc_simd_cpu_level(void);
/* That level capped by INCEPTION_SIMD_LEVEL=avx2|avx512 (read once): what "simd" uses. */
int inc_simd_auto_level(void);

#endif
