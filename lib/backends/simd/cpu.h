/* Which SIMD level this CPU and OS can run, decided once per process. */
#ifndef INC_SIMD_CPU_H
#define INC_SIMD_CPU_H

enum { INC_SIMD_NONE = 0, INC_SIMD_AVX2 = 1, INC_SIMD_AVX512 = 2 };

/* The best level the CPU has and the OS saves the registers of (CPUID + XGETBV). */
int inc_simd_cpu_level(void);
/* That level capped by INCEPTION_SIMD_LEVEL=avx2|avx512 (read once): what "simd" uses. */
int inc_simd_auto_level(void);
/* The value of INCEPTION_SIMD_LEVEL when it is set to something other than avx2 or
 * avx512 (the simd backends then refuse to load a model), else NULL. */
const char *inc_simd_env_invalid(void);
/* "avx512", "avx2" or "none". */
const char *inc_simd_level_name(int level);

#endif
