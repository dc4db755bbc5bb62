/* costmodels/status.h: how the cost models report failures.
 *
 * Like nn/status.h, but costmodels/ depends on nothing but libc and libm, so
 * it has its own copy of the convention: a call that can fail because of its
 * input (a cell library's text, a hw.ini value, a design that cannot hold a
 * network) returns an enum cm_status and writes one line into a struct
 * cm_error naming the file, key or layer and what is wrong. The cost models
 * never print, never exit and do no I/O: cli/ reads the files. */
#ifndef LOGIQ_CM_STATUS_H
#define LOGIQ_CM_STATUS_H

enum cm_status {
    CM_OK = 0,
    CM_ERR_FORMAT,      /* a text (cell library, hw.ini) is malformed */
    CM_ERR_ARG,         /* a value is out of range or of the wrong type */
    CM_ERR_INFEASIBLE,  /* the design cannot run the network (the reason says why) */
    CM_ERR_NOMEM,
};

struct cm_error {
    char msg[512];
};

/* Formats the message into err (if not NULL) and returns code. */
enum cm_status cm_fail(struct cm_error *err, enum cm_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
