/* costmodels/status.c: the error message helper of costmodels/status.h. */
#include "costmodels/status.h"

#include <stdarg.h>
#include <stdio.h>

enum cm_status cm_fail(struct cm_error *err, enum cm_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
