/* sweeps/status.h: how the sweep library reports failures.
 *
 * The convention of nn/status.h and costmodels/status.h: a call that can
 * fail because of its environment (a spec's text, the result store, a child
 * process) returns an enum sw_status and writes one line into a struct
 * sw_error naming the file, line and key and what was expected. sweeps/
 * never prints and never exits; only cli/ talks to the user. */
#ifndef LOGIQ_SW_STATUS_H
#define LOGIQ_SW_STATUS_H

#include <stddef.h>

enum sw_status {
    SW_OK = 0,
    SW_ERR_SPEC,   /* a sweep spec is malformed: unknown key, empty axis, bad value */
    SW_ERR_IO,     /* a file or the result store could not be read or written */
    SW_ERR_FORMAT, /* a store or shard is not a logiq result store of this version */
    SW_ERR_NOMEM,
    SW_ERR_PROC,   /* a child process could not be started */
};

struct sw_error {
    char msg[1024];
};

/* Formats the message into err (if not NULL) and returns code. */
enum sw_status sw_fail(struct sw_error *err, enum sw_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf, without GCC's truncation warnings on paths: a path or message
 * that does not fit is cut, which every caller accepts. */
int sw_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The CLI exit code for a status: 0 ok, 2 bad input (SPEC, FORMAT), 1 otherwise. */
int sw_status_exit_code(enum sw_status s);

#endif
