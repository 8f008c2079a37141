#include <stdarg.h>
#include <stdio.h>

#include "common.h"

static _Thread_local char tls_message[INC_ERROR_MAX];

inception_status inc_error(inception_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tls_message, sizeof tls_message, fmt, ap);
    va_end(ap);
    return status;
}

void inc_error_clear(void) { tls_message[0] = '\0'; }

const char *inc_error_message(void) { return tls_message; }
