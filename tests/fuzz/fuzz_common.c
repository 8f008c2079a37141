/* Helpers shared by every fuzz target; see fuzz.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

void fuzz_fail(const char *what, inception_status status) {
    fprintf(stderr, "fuzz: contract broken in %s: status %d (%s): %s\n", what, (int)status,
            inception_status_string(status), inception_last_error());
    abort();
}

inception_status fuzz_check(const char *what, inception_status status, int out_sentinel_kept) {
    if ((int)status < 0 || status > INCEPTION_ERR_INTERNAL) fuzz_fail(what, status);
    if (status == INCEPTION_ERR_INTERNAL) fuzz_fail(what, status);
    if (status != INCEPTION_OK) {
        const char *msg = inception_last_error();
        if (!msg || !msg[0]) fuzz_fail("(empty error message)", status);
        if (!out_sentinel_kept) fuzz_fail("(out-parameter written on failure)", status);
    }
    return status;
}

int fuzz_status_in(inception_status status, const inception_status *allowed, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (allowed[i] == status) return 1;
    return 0;
}
