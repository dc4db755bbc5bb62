/* sweeps/space.h: a space of hardware designs (`logiq explore --space`):
 * per hw.ini key a list of values, the grid of every combination.
 *
 * The file is an INI of hw.ini's own sections and keys (docs/explore.md),
 * each key a list in the sweep spec's syntax (sw_list_split):
 *
 *     [array]
 *     lanes = 16, 32, 64, 128
 *     adder = ripple, cla, brent-kung, kogge-stone
 *     [merge]
 *     requant = mul, shift
 *
 * Every value is checked up front by the hw.ini setter (cm_hw_set), so an
 * unknown key or a bad value is an error naming the file, the line and the
 * key, and applying a design's values to a hw never fails. A design is an
 * index vector (one value index an axis), or its number in the grid (the
 * first axis varies slowest).
 *
 *     struct sw_space sp;
 *     if (sw_space_parse(&sp, text, "space.ini", &err) != SW_OK) ... err.msg
 *     int idx[SW_SPACE_MAX_AXES];
 *     sw_space_decode(&sp, 17, idx);
 *     struct cm_hw hw = base;
 *     sw_space_apply(&sp, idx, &hw);
 *     sw_space_free(&sp);
 *
 * Memory: sw_space_parse allocates the values (sw_space_free). */
#ifndef LOGIQ_SW_SPACE_H
#define LOGIQ_SW_SPACE_H

#include <stddef.h>

#include "costmodels/hw.h"
#include "sweeps/status.h"

#define SW_SPACE_MAX_AXES 32
/* The largest grid a space may name (its size must fit a long long). */
#define SW_SPACE_MAX_SIZE (1LL << 62)

struct sw_space_axis {
    char section[16], key[32];  /* a hw.ini key */
    int line;                   /* the line that gave it first */
    int n;                      /* values */
    char **text;                /* as given */
    /* Each value as the hw it makes from the defaults: applying a value
     * copies this axis' field from it (sw_space_apply), a memcpy instead of
     * a parse per design. */
    struct cm_hw *set;
    size_t field_off, field_len;
};

struct sw_space {
    char path[4096];
    int n_axes;
    struct sw_space_axis axes[SW_SPACE_MAX_AXES];
    long long size;             /* designs in the grid */
};

/* Parses a space file's text (path names it in errors). Errors: one line,
 * "PATH:LINE: [section] key: ...", SW_ERR_SPEC. */
enum sw_status sw_space_parse(struct sw_space *sp, const char *text, const char *path,
                              struct sw_error *err);
void sw_space_free(struct sw_space *sp);

/* The index vector of grid number i (0 <= i < size), and back. */
void sw_space_decode(const struct sw_space *sp, long long i, int *idx);
long long sw_space_encode(const struct sw_space *sp, const int *idx);
/* Sets hw's keys to the design's values. */
void sw_space_apply(const struct sw_space *sp, const int *idx, struct cm_hw *hw);
/* "lanes=64 pe_rows=16 adder=cla" (the keys without their section unless
 * two axes share a key name). Returns -1 if buf is too small. */
int sw_space_label(const struct sw_space *sp, const int *idx, char *buf, size_t size);

#endif
