/* sweeps/status.c: the error-message helper of the sweep library. */
#include "sweeps/status.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

enum sw_status sw_fail(struct sw_error *err, enum sw_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int sw_fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int sw_status_exit_code(enum sw_status s)
{
    switch (s) {
    case SW_OK:         return 0;
    case SW_ERR_SPEC:
    case SW_ERR_FORMAT: return 2;
    default:            return 1;
    }
}
