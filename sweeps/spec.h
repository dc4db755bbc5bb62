/* sweeps/spec.h: sweep specs: parsing, grid expansion, filters, point keys.
 *
 * A spec (INI, docs/sweeps.md) gives each parameter of a design point one
 * value (a fixed setting) or a comma-separated list (an axis). The points are
 * the grid of every axis, less those the [sweep] filter rejects, or exactly
 * the [points] list. A point's key is a 64-bit FNV-1a hash, in hex, of its
 * canonical parameters ("name=value" lines sorted by name, every parameter
 * with its effective value, empty optional ones left out), so adding values
 * to an axis adds points and leaves the keys of the old ones alone.
 *
 *     struct sw_spec s;
 *     if (sw_spec_parse(&s, text, "sweeps/quick.ini", check, ctx, &err) != SW_OK) ... err.msg
 *     struct sw_point *p; int n;
 *     if (sw_spec_expand(&s, SW_MAX_POINTS_DEFAULT, &p, &n, &err) != SW_OK) ...
 *     sw_point_value(&s, &p[i], "wq")   -> "heq:3"
 *     sw_points_free(p, n); sw_spec_free(&s);
 *
 * The library knows the parameters' names, types and ranges (sw_param_defs)
 * but not what a quantizer, an architecture or a hw.ini key means: those
 * values go to the caller's check callback (cli/ asks nn/ and costmodels/),
 * which may also give their canonical form. It does no file I/O: cli/ reads
 * the spec and hands over its text.
 *
 * Memory: sw_spec_parse allocates the spec's values (sw_spec_free), and
 * sw_spec_expand the points (sw_points_free). */
#ifndef LOGIQ_SW_SPEC_H
#define LOGIQ_SW_SPEC_H

#include <ini.h>
#include <stddef.h>
#include <stdint.h>

#include "sweeps/status.h"

#define SW_KEY_LEN 16
#define SW_MAX_AXES 96
#define SW_NAME_MAX 96

enum sw_ptype {
    SW_P_STR,    /* free text (checked by the callback when `checked`) */
    SW_P_INT,    /* integer in [lo, hi] */
    SW_P_FLOAT,  /* real in [lo, hi] */
    SW_P_ENUM,   /* one of `choices` ("a|b|c") */
    SW_P_PATH,   /* a path, relative to the spec's folder */
};

/* One point parameter of the [network] or [train] section. */
struct sw_param_def {
    const char *section;
    const char *name;
    enum sw_ptype type;
    const char *def;      /* default text; "" = not given (its option is not passed) */
    double lo, hi;        /* INT, FLOAT */
    const char *choices;  /* ENUM */
    const char *option;   /* the `logiq train` option it becomes; NULL for arch and merge */
    int checked;          /* values go to the check callback */
    const char *doc;
};

/* The table of [network], [train] and [sim] parameters, n entries. */
const struct sw_param_def *sw_param_defs(int *n);

/* The caller's judgement of a value the library cannot check itself: name is
 * a checked parameter ("wq"), "arch" (value: the effective architecture, see
 * sw_point_arch), "hw.base" (value: the resolved path) or a hardware
 * override "hw.SECTION.KEY". Returns 0 if valid, optionally writing a
 * canonical form into canon (left empty: the value itself); else non-zero
 * with a message (no file or line: the library adds them). */
typedef int (*sw_check_fn)(void *ctx, const char *name, const char *value, char *canon,
                           size_t canon_size, char *msg, size_t msg_size);

/* A parameter and its values: one value is a fixed setting, more an axis. */
struct sw_axis {
    char name[SW_NAME_MAX]; /* "wq", "hw.base", "hw.array.pe_rows" */
    int line;               /* the line that gave it; 0 = the default */
    int n;
    char **text;            /* as given, paths resolved against the spec's folder */
    char **canon;           /* canonical form (hashed into the key); "" = left out */
};

struct sw_list_point;

struct sw_spec {
    char path[4096];        /* the spec file, as named by the caller */
    char name[128];         /* [sweep] name, default the file's stem */
    double timeout_s;       /* [sweep] timeout_s, 0 = none */
    char *filter;           /* [sweep] filter, NULL = none */
    int filter_line;
    struct sw_filter *filter_expr;
    int n_axes;
    struct sw_axis axes[SW_MAX_AXES];
    int n_list;             /* [points]: explicit points (0 = the grid) */
    struct sw_list_point *list;
};

/* One design point: a value index into each axis of its spec. */
struct sw_point {
    char key[SW_KEY_LEN + 1];
    int vi[SW_MAX_AXES];
};

enum sw_status sw_spec_parse(struct sw_spec *s, const char *text, const char *path,
                             sw_check_fn check, void *ctx, struct sw_error *err);
void sw_spec_free(struct sw_spec *s);

/* The most points a spec may name, by default and at all (logiq sweep
 * --max-points): a grid or [points] list beyond max_points is refused
 * before any point is made. */
#define SW_MAX_POINTS_DEFAULT 100000L
#define SW_MAX_POINTS_LIMIT 10000000L

/* The points, in grid order (the spec's first axis varies slowest), with
 * their keys. A point whose key repeats an earlier one (two spellings of the
 * same parameters) is left out. A grid or list of more than max_points
 * points is SW_ERR_SPEC. *pts is NULL when n is 0. */
enum sw_status sw_spec_expand(const struct sw_spec *s, long max_points, struct sw_point **pts,
                              int *n, struct sw_error *err);
void sw_points_free(struct sw_point *pts, int n);
/* The point of the grid index vi (a value index per axis), with its key,
 * for a search that visits a grid too large to expand: 1, or 0 when the
 * filter drops it, or -1 with err set. */
int sw_spec_point(const struct sw_spec *s, const int *vi, struct sw_point *p,
                  struct sw_error *err);

/* The axis of a name, or -1. */
int sw_spec_axis(const struct sw_spec *s, const char *name);
/* A point's value of a parameter (as given), or NULL for an unknown name. */
const char *sw_point_value(const struct sw_spec *s, const struct sw_point *p, const char *name);
/* The architecture the point trains: arch with "{merge}" replaced by merge,
 * else arch + "-" + merge when merge is given (res11 + or = res11-or), else
 * arch. Returns -1 if buf is too small. */
int sw_point_arch(const struct sw_spec *s, const struct sw_point *p, char *buf, size_t size);
/* The canonical parameters the key hashes: "name=value\n" sorted by name.
 * Returns the length, or -1 if buf is too small. */
int sw_point_canonical(const struct sw_spec *s, const struct sw_point *p, char *buf,
                       size_t size);
/* The list syntax of a spec value (docs/sweeps.md), shared with the
 * exploration spaces (space.h): splits a comma-separated list ("a, b,
 * \"c,d\"") into items and calls fn on each trimmed item. Returns -1 at the
 * first fn failure, empty item, unterminated quote or item of 1024
 * characters or more (*why says which). */
enum sw_split_why { SW_SPLIT_FN, SW_SPLIT_EMPTY, SW_SPLIT_BAD, SW_SPLIT_QUOTE, SW_SPLIT_LONG };
int sw_list_split(const char *value, int (*fn)(void *, const char *), void *ctx,
                  enum sw_split_why *why);
/* Why value did not split, for a "[section] key: REASON" message: empty_list
 * names a value with nothing in it, bad_list a list that is malformed; NULL
 * for SW_SPLIT_FN (the callback said why). */
const char *sw_list_split_reason(enum sw_split_why why, const char *value,
                                 const char *empty_list, const char *bad_list);

/* 64-bit FNV-1a of n bytes. */
uint64_t sw_fnv1a64(const void *data, size_t n);

/* inih reads a line into a buffer of INI_MAX_LINE bytes and splits a longer
 * one silently (its error then names the next line): the first line of text
 * longer than SW_INI_LINE_MAX characters, or 0. Every INI reader checks it. */
#define SW_INI_LINE_MAX (INI_MAX_LINE - 2)
int sw_ini_long_line(const char *text);

/* The largest text input (a spec, hw.ini, a cell library, a claims file). */
#define SW_TEXT_FILE_MAX (64L << 20)
/* Reads a text input whole (NUL-terminated; free it). NULL with msg set
 * ("PATH: a folder, not a regular file ...", "PATH: larger than 64 MiB")
 * for what cannot be read, is not a regular file (a folder, /dev/zero, a
 * FIFO) or exceeds SW_TEXT_FILE_MAX bytes. */
char *sw_read_text(const char *path, char *msg, size_t size);
/* sw_read_text of an INI file, also refusing a line longer than
 * SW_INI_LINE_MAX ("PATH:LINE: line longer than 198 characters"); parse
 * the text with ini_parse_string. */
char *sw_ini_read(const char *path, char *msg, size_t size);

/* Text read line by line by inih's ini_parse_stream, for the spec and
 * space parsers: the reader keeps the line number its handler is on, and the
 * first error (its line and message) wins.
 *
 *     struct sw_ini_lines in = {.text = text};
 *     ini_parse_stream(sw_ini_lines_read, &in, handler, ctx);
 *     ... sw_ini_lines_fail(&in, "[%s] %s: ...", ...) in the handler
 *     if (in.err_line) ... "%s:%d: %s", path, in.err_line, in.msg */
struct sw_ini_lines {
    const char *text;   /* the reader's position */
    int line;           /* the line last read, 1-based */
    int err_line;       /* the first error's line, 0 = none */
    char msg[900];      /* its message */
};
char *sw_ini_lines_read(char *str, int num, void *stream);
void sw_ini_lines_fail(struct sw_ini_lines *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
