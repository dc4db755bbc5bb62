/* tests/fuzz/fuzz.h: what the libFuzzer harnesses share. Each harness is
 * one reader of logiq given arbitrary bytes (docs/security.md, "Fuzzing");
 * the readers that take a path get the bytes as a file, rewritten at each
 * input (the same path, in $TMPDIR). A harness fails only by a crash, a
 * sanitizer report, a leak or a timeout: a reader's error is a result. */
#ifndef LOGIQ_FUZZ_H
#define LOGIQ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bytes as a file; returns its path (static storage, one per tag). */
static inline const char *fuzz_file(const char *tag, const uint8_t *data, size_t n)
{
    static char paths[4][256];
    static const char *tags[4];
    int slot = 0;
    while (slot < 3 && tags[slot] && strcmp(tags[slot], tag) != 0)
        slot++;
    if (!tags[slot]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(paths[slot], sizeof paths[slot], "%s/logiq-fuzz-%ld-%s", tmp ? tmp : "/tmp",
                 (long)getpid(), tag);
        tags[slot] = tag;
    }
    FILE *f = fopen(paths[slot], "wb");
    if (!f)
        abort();
    if (n && fwrite(data, 1, n, f) != n)
        abort();
    fclose(f);
    return paths[slot];
}

/* The bytes as a NUL-terminated string (malloc'd; free it). */
static inline char *fuzz_text(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, data, n);
    s[n] = 0;
    return s;
}

/* Splits data at a point its first byte chooses: two inputs in one. */
static inline size_t fuzz_split(const uint8_t *data, size_t n)
{
    return n ? 1 + (size_t)data[0] * (n - 1) / 255 : 0;
}

#endif
