/* The process-wide backend registry. Built-in backends are registered once, lazily and
 * thread-safely, on first use of any registry function. */
#ifndef INC_REGISTRY_H
#define INC_REGISTRY_H

#include "inception/backend.h"

/* The reference backend's table (every member set). */
const inception_backend *inc_backend_ref(void);

/* Pick a backend for a model: NULL or "auto" means the INCEPTION_BACKEND environment
 * variable if set, else the usable backend with the highest probe score. Returns the
 * registry's complete table (NULL members already filled from ref). Errors: BACKEND/NOT_FOUND
 * naming the backend. */
inception_status inc_backend_select(const char *name, const inception_backend **out);

/* Called by built-in backends from inc_backends_register_builtin(); same checks as the
 * public call. */
inception_status inc_backend_register(const inception_backend *backend);

/* The same, for built-ins that can say which instruction set they run ("c", "avx2",
 * "avx512"): kept out of the plug-in table so its ABI does not change. */
inception_status inc_backend_register_builtin(const inception_backend *backend,
                                              const char *(*isa)(void *user));
/* The ISA level a registry table runs: its built-in's answer, "unknown" for plug-ins. */
const char *inc_backend_isa(const inception_backend *table);

/* Built-in registration hooks (each defined by its backend's folder). */
void inc_ref_register(void);
#if defined(INC_HAVE_SIMD)
void inc_simd_register(void);
#endif

#endif
