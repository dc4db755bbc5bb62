/* reports/status.c: the error-message helper of the report library. */
#include "reports/status.h"

#include <stdarg.h>
#include <stdio.h>

enum rp_status rp_fail(struct rp_error *err, enum rp_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int rp_status_exit_code(enum rp_status s)
{
    switch (s) {
    case RP_OK:        return 0;
    case RP_ERR_STORE:
    case RP_ERR_ARG:   return 2;
    default:           return 1;
    }
}
