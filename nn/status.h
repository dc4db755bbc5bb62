/* nn/status.h: how the libraries report failures.
 *
 * Library calls never print and never exit. A call that can fail because of
 * its environment (a file, a user's string, memory) returns an enum nn_status
 * and, on failure, writes one line into a struct nn_error: the file or field
 * and what was wrong, ready for cli/ to print as it is. Programming errors are
 * assert()s. */
#ifndef LOGIQ_NN_STATUS_H
#define LOGIQ_NN_STATUS_H

#include <stdarg.h>

enum nn_status {
    NN_OK = 0,
    NN_ERR_IO,      /* a file could not be opened, read or written */
    NN_ERR_FORMAT,  /* a file's contents are malformed, truncated or inconsistent */
    NN_ERR_ARG,     /* a user-given value (option, architecture string) is invalid */
    NN_ERR_NOMEM,   /* an allocation failed */
    NN_ERR_FAIL,    /* the work itself failed (e.g. training diverged) */
    NN_ERR_WRITE,   /* an output could not be written (a full disk, a read-only folder) */
};

struct nn_error {
    char msg[512];
};

/* Formats the message into err (if err is not NULL) and returns code, so a
 * failing path reads: return nn_fail(err, NN_ERR_FORMAT, "%s: ...", path); */
enum nn_status nn_fail(struct nn_error *err, enum nn_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The CLI exit code for a status: 0 ok, 2 bad input (IO, FORMAT, ARG), 1 otherwise
 * (WRITE among them). */
int nn_status_exit_code(enum nn_status s);

#endif
