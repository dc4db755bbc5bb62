/* reports/status.h: how the report library reports failures.
 *
 * The convention of nn/status.h and sweeps/status.h: a call that can fail
 * because of its environment (the result store, a file it points at, the
 * output folder, gnuplot) returns an enum rp_status and writes one line into
 * a struct rp_error naming the file and what is wrong. reports/ never prints
 * and never exits; only cli/ talks to the user. */
#ifndef LOGIQ_RP_STATUS_H
#define LOGIQ_RP_STATUS_H

enum rp_status {
    RP_OK = 0,
    RP_ERR_STORE,   /* the result store is missing or is not a logiq store of this version */
    RP_ERR_IO,      /* an output file could not be written */
    RP_ERR_GNUPLOT, /* gnuplot is missing, lacks a terminal, or failed on a script */
    RP_ERR_NOMEM,
    RP_ERR_ARG,     /* a malformed input file other than the store (a claims file) */
};

struct rp_error {
    char msg[1024];
};

/* Formats the message into err (if not NULL) and returns code. */
enum rp_status rp_fail(struct rp_error *err, enum rp_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The CLI exit code for a status: 0 ok, 2 bad input (a missing or malformed
 * store or claims file), 1 otherwise. */
int rp_status_exit_code(enum rp_status s);

#endif
