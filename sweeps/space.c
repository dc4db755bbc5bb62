/* sweeps/space.c: exploration spaces (space.h). inih reads the file line by
 * line (so every error names its line); the lists are the sweep spec's
 * (sw_list_split); the values are checked by costmodels' hw.ini setter. */
#include "sweeps/space.h"

#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweeps/spec.h"

struct parse_state {
    struct sw_space *sp;
    struct sw_ini_lines in;
};

#define perr(ps, ...) sw_ini_lines_fail(&(ps)->in, __VA_ARGS__)

/* The bytes of struct cm_hw that setting key writes: the setter run on two
 * structs filled with different bytes, compared with their fills. Every
 * key but the text ones (refused as axes) writes one whole field. */
static void field_of(const char *section, const char *key, const char *value, size_t *off,
                     size_t *len)
{
    size_t lo = sizeof(struct cm_hw), hi = 0;
    static const unsigned char fills[2] = {0xab, 0x54};
    for (int f = 0; f < 2; f++) {
        struct cm_hw h;
        memset(&h, fills[f], sizeof h);
        struct cm_error e;
        (void)cm_hw_set(&h, section, key, value, &e);  /* checked before */
        const unsigned char *b = (const unsigned char *)&h;
        for (size_t i = 0; i < sizeof h; i++)
            if (b[i] != fills[f]) {
                lo = i < lo ? i : lo;
                hi = i + 1 > hi ? i + 1 : hi;
            }
    }
    *off = hi > lo ? lo : 0;
    *len = hi > lo ? hi - lo : 0;
}

struct add_ctx {
    struct parse_state *ps;
    struct sw_space_axis *a;
};

static int add_value(void *ctx, const char *item)
{
    struct add_ctx *ac = ctx;
    struct sw_space_axis *a = ac->a;
    struct cm_hw h;
    cm_hw_defaults(&h);
    struct cm_error e;
    if (cm_hw_set(&h, a->section, a->key, item, &e) != CM_OK) {
        perr(ac->ps, "%s", e.msg);
        return -1;
    }
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->text[i], item) == 0) {
            perr(ac->ps, "[%s] %s: value \"%s\" given twice", a->section, a->key, item);
            return -1;
        }
    char **t = realloc(a->text, (size_t)(a->n + 1) * sizeof *t);
    if (!t)
        goto nomem;
    a->text = t;
    struct cm_hw *s = realloc(a->set, (size_t)(a->n + 1) * sizeof *s);
    if (!s)
        goto nomem;
    a->set = s;
    a->text[a->n] = malloc(strlen(item) + 1);
    if (!a->text[a->n])
        goto nomem;
    strcpy(a->text[a->n], item);
    a->set[a->n] = h;
    size_t off, len;
    field_of(a->section, a->key, item, &off, &len);
    if (len > 0) {
        size_t lo = a->field_len ? (off < a->field_off ? off : a->field_off) : off;
        size_t hi = a->field_len ? a->field_off + a->field_len : off + len;
        hi = off + len > hi ? off + len : hi;
        a->field_off = lo;
        a->field_len = hi - lo;
    }
    a->n++;
    return 0;
nomem:
    perr(ac->ps, "[%s] %s: out of memory", a->section, a->key);
    return -1;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
    struct parse_state *ps = user;
    struct sw_space *sp = ps->sp;
    if (ps->in.err_line)
        return 0;
    if (!section[0]) {
        perr(ps, "%s: a key before any [section] (expected [array], [merge], ...)", key);
        return 0;
    }
    /* the hw.ini key table knows the sections and keys */
    int n_keys, known_section = 0, known_key = 0;
    const struct cm_hw_key *keys = cm_hw_keys(&n_keys);
    for (int i = 0; i < n_keys; i++)
        if (strcmp(keys[i].section, section) == 0) {
            known_section = 1;
            known_key |= strcmp(keys[i].key, key) == 0;
        }
    if (!known_section) {
        perr(ps, "[%s]: unknown section (expected design, array, merge or buffers, as in a "
             "hw.ini)", section);
        return 0;
    }
    if (!known_key) {
        perr(ps, "[%s] %s: unknown key (logiq cost --help-hw lists the keys)", section, key);
        return 0;
    }
    if (strcmp(section, "design") == 0 && (strcmp(key, "name") == 0 || strcmp(key, "tech") == 0)) {
        perr(ps, "[design] %s: not an axis of a space (set it in the --hw design)", key);
        return 0;
    }
    /* a key given again, or continued on an indented line, adds values */
    struct sw_space_axis *a = NULL;
    for (int i = 0; i < sp->n_axes; i++)
        if (strcmp(sp->axes[i].section, section) == 0 && strcmp(sp->axes[i].key, key) == 0)
            a = &sp->axes[i];
    if (!a) {
        if (sp->n_axes == SW_SPACE_MAX_AXES) {
            perr(ps, "[%s] %s: too many keys (at most %d)", section, key, SW_SPACE_MAX_AXES);
            return 0;
        }
        a = &sp->axes[sp->n_axes++];
        snprintf(a->section, sizeof a->section, "%s", section);
        snprintf(a->key, sizeof a->key, "%s", key);
        a->line = ps->in.line;
    }
    struct add_ctx ac = {ps, a};
    enum sw_split_why why;
    if (sw_list_split(value, add_value, &ac, &why) != 0) {
        const char *r = sw_list_split_reason(why, value, "no value (an empty list)",
                                             "bad list (expected values separated by commas)");
        if (r)
            perr(ps, "[%s] %s: %s", section, key, r);
        return 0;
    }
    return 1;
}

enum sw_status sw_space_parse(struct sw_space *sp, const char *text, const char *path,
                              struct sw_error *err)
{
    memset(sp, 0, sizeof *sp);
    snprintf(sp->path, sizeof sp->path, "%s", path);
    int line = sw_ini_long_line(text);
    if (line)
        return sw_fail(err, SW_ERR_SPEC, "%s:%d: line longer than %d characters "
                       "(continue a list on an indented next line)", path, line,
                       SW_INI_LINE_MAX);
    struct parse_state ps = {.sp = sp, .in = {.text = text}};
    int rc = ini_parse_stream(sw_ini_lines_read, &ps.in, on_key, &ps);
    if (rc != 0 && (!ps.in.err_line || rc < ps.in.err_line)) {
        sw_space_free(sp);
        if (rc < 0)
            return sw_fail(err, SW_ERR_NOMEM, "%s: out of memory", path);
        return sw_fail(err, SW_ERR_SPEC, "%s:%d: not a `key = value` line or a [section]", path,
                       rc);
    }
    if (ps.in.err_line) {
        sw_space_free(sp);
        return sw_fail(err, SW_ERR_SPEC, "%s:%d: %s", path, ps.in.err_line, ps.in.msg);
    }
    if (sp->n_axes == 0) {
        sw_space_free(sp);
        return sw_fail(err, SW_ERR_SPEC, "%s: no keys (expected lists of hw.ini values, e.g. "
                       "[array] lanes = 16, 32, 64)", path);
    }
    sp->size = 1;
    for (int i = 0; i < sp->n_axes; i++) {
        if (sp->size > SW_SPACE_MAX_SIZE / sp->axes[i].n) {
            sw_fail(err, SW_ERR_SPEC, "%s:%d: [%s] %s: the grid exceeds 2^62 designs", path,
                    sp->axes[i].line, sp->axes[i].section, sp->axes[i].key);
            sw_space_free(sp);
            return SW_ERR_SPEC;
        }
        sp->size *= sp->axes[i].n;
    }
    return SW_OK;
}

void sw_space_free(struct sw_space *sp)
{
    for (int i = 0; i < sp->n_axes; i++) {
        for (int k = 0; k < sp->axes[i].n; k++)
            free(sp->axes[i].text[k]);
        free(sp->axes[i].text);
        free(sp->axes[i].set);
    }
    sp->n_axes = 0;
}

void sw_space_decode(const struct sw_space *sp, long long i, int *idx)
{
    for (int a = sp->n_axes - 1; a >= 0; a--) {
        idx[a] = (int)(i % sp->axes[a].n);
        i /= sp->axes[a].n;
    }
}

long long sw_space_encode(const struct sw_space *sp, const int *idx)
{
    long long i = 0;
    for (int a = 0; a < sp->n_axes; a++)
        i = i * sp->axes[a].n + idx[a];
    return i;
}

void sw_space_apply(const struct sw_space *sp, const int *idx, struct cm_hw *hw)
{
    for (int a = 0; a < sp->n_axes; a++) {
        const struct sw_space_axis *x = &sp->axes[a];
        memcpy((char *)hw + x->field_off, (const char *)&x->set[idx[a]] + x->field_off,
               x->field_len);
    }
}

int sw_space_label(const struct sw_space *sp, const int *idx, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    for (int a = 0; a < sp->n_axes; a++) {
        const struct sw_space_axis *x = &sp->axes[a];
        int shared = 0;
        for (int b = 0; b < sp->n_axes; b++)
            shared |= b != a && strcmp(sp->axes[b].key, x->key) == 0;
        int n = snprintf(buf + len, size - len, "%s%s%s%s=%s", a ? " " : "",
                         shared ? x->section : "", shared ? "." : "", x->key, x->text[idx[a]]);
        if (n < 0 || (size_t)n >= size - len)
            return -1;
        len += (size_t)n;
    }
    return (int)len;
}
