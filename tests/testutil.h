/* tests/testutil.h: the few helpers every C test shares.
 *
 * TU_CHECK records a failure with its file and line and goes on (no hidden
 * return), so one run reports every failing comparison; tu_exit prints the
 * summary and gives the process exit code: non-zero on any failure. */
#ifndef LOGIQ_TESTUTIL_H
#define LOGIQ_TESTUTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int tu_failures;
static int tu_checks;

#define TU_CHECK(cond, ...)                                                  \
    do {                                                                     \
        tu_checks++;                                                         \
        if (!(cond)) {                                                       \
            tu_failures++;                                                   \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

static inline int tu_exit(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, tu_checks, tu_failures);
    return tu_failures ? 1 : 0;
}

/* A scratch directory for files a test writes: $TMPDIR or /tmp, plus a
 * per-process suffix. Writes the path into buf. */
static inline void tu_scratch_path(char *buf, size_t size, const char *name)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, size, "%s/logiq-test-%ld-%s", tmp ? tmp : "/tmp", (long)getpid(), name);
}

#endif
