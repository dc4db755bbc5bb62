/* nn/status.c: the error-message helper shared by every library call. */
#include "nn/status.h"

#include <stdio.h>

enum nn_status nn_fail(struct nn_error *err, enum nn_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int nn_status_exit_code(enum nn_status s)
{
    switch (s) {
    case NN_OK:         return 0;
    case NN_ERR_IO:
    case NN_ERR_FORMAT:
    case NN_ERR_ARG:    return 2;
    default:            return 1;
    }
}
