/* What each built-in backend exports: a descriptor the registry lists in its static table
 * (backends/registry.c). Backends include this header, never registry.h, so the calls go
 * one way: the registry reads the backends, no backend calls the registry. */
#ifndef INC_BUILTIN_H
#define INC_BUILTIN_H

#include <stddef.h>

#include "inception/backend.h"

typedef struct inc_backend_desc {
    const inception_backend *tables; /* complete tables, registered in this order */
    size_t count;
    /* The instruction set a table of this backend runs, given its `user`. */
    const char *(*isa)(void *user);
    /* Training tables attached to tables[i] at registration (complete, or NULL members
     * filled from ref's); NULL when the backend has none. */
    const inception_backend_train *train;
} inc_backend_desc;

/* The reference backend (backends/ref): every member set. The registry fills a table's
 * missing members from it; simd falls back to its pools for shapes it does not vectorise. */
extern const inception_backend inc_ref_table;
extern const inc_backend_desc inc_backend_ref;
/* ref's backward kernels: every member set; the registry fills other tables from it. */
extern const inception_backend_train inc_ref_train;

#if defined(INC_HAVE_SIMD)
/* "simd", "simd-avx2", "simd-avx512" (backends/simd). */
extern const inc_backend_desc inc_backend_simd;
#endif

#endif
