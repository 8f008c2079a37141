/* lib/backends: the backend registry and the built-in backends (ref/, simd/). May include
 * lib/common and include/ only. Backends export descriptors (backends/builtin.h) and never
 * include this header.
 *
 * The process-wide backend registry. Built-in backends are registered once, lazily and
 * thread-safely, on first use of any registry function. */
#ifndef INC_REGISTRY_H
#define INC_REGISTRY_H

#include "inception/backend.h"

/* Pick a backend for a model: NULL or "auto" means the INCEPTION_BACKEND environment
 * variable if set, else the usable backend with the highest probe score. Returns the
 * registry's complete table (NULL members already filled from ref). Errors: BACKEND/NOT_FOUND
 * naming the backend. */
inception_status inc_backend_select(const char *name, const inception_backend **out);

/* The instruction set a registry table runs ("c", "avx2", "avx512"): its built-in's
 * answer, "unknown" for plug-ins (kept out of the plug-in table so its ABI is unchanged). */
const char *inc_backend_isa(const inception_backend *table);

/* The complete training table of a registry table (NULL members already filled from ref's;
 * ref's own table for a backend without training ops or a pointer the registry does not
 * know); never NULL. Call its members with its own `user` (ref's kernels ignore theirs,
 * so members filled from ref work with a plug-in's `user`). */
const inception_backend_train *inc_backend_train_ops(const inception_backend *table);

#endif
