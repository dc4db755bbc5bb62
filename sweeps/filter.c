/* sweeps/filter.c: parsing and evaluating spec filters (filter.h): a small
 * recursive-descent parser into a tree, evaluated once per grid point. */
#include "sweeps/filter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum node_kind { N_OR, N_AND, N_NOT, N_CMP };
enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct sw_filter {
    enum node_kind kind;
    struct sw_filter *a, *b;  /* OR, AND: both; NOT: a */
    enum cmp_op op;           /* CMP */
    char name[96];
    char value[256];
};

struct parser {
    const char *p;
    int (*known)(void *, const char *);
    void *ctx;
    char *msg;
    size_t size;
    int failed;
    int depth;    /* "(" and "!" open around the current position */
    int n_terms;  /* comparisons so far */
};

static void skip_space(struct parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static int fail(struct parser *ps, const char *what)
{
    if (!ps->failed) {
        if (*ps->p)
            snprintf(ps->msg, ps->size, "%s at '%.20s'", what, ps->p);
        else
            snprintf(ps->msg, ps->size, "%s at the end", what);
    }
    ps->failed = 1;
    return -1;
}

static int is_word_char(int c)
{
    return isalnum(c) || c == '.' || c == '_' || c == ':' || c == '/' || c == '+' || c == '-';
}

/* A bare word or a quoted string into buf. */
static int word(struct parser *ps, char *buf, size_t size, int quoted_ok)
{
    skip_space(ps);
    size_t n = 0;
    if (quoted_ok && (*ps->p == '"' || *ps->p == '\'')) {
        char q = *ps->p++;
        while (*ps->p && *ps->p != q) {
            if (n + 1 >= size)
                return fail(ps, "value too long");
            buf[n++] = *ps->p++;
        }
        if (*ps->p != q)
            return fail(ps, "unterminated quote");
        ps->p++;
    } else {
        while (is_word_char((unsigned char)*ps->p)) {
            if (n + 1 >= size)
                return fail(ps, "word too long");
            buf[n++] = *ps->p++;
        }
        if (n == 0)
            return fail(ps, quoted_ok ? "expected a value" : "expected a parameter name");
    }
    buf[n] = 0;
    return 0;
}

static struct sw_filter *node(enum node_kind k, struct sw_filter *a, struct sw_filter *b)
{
    struct sw_filter *f = calloc(1, sizeof *f);
    if (!f) {
        sw_filter_free(a);
        sw_filter_free(b);
        return NULL;
    }
    f->kind = k;
    f->a = a;
    f->b = b;
    return f;
}

static struct sw_filter *parse_or(struct parser *ps);

static struct sw_filter *parse_unary(struct parser *ps);

/* "!" unary or "(" or ")": one level deeper (at most SW_FILTER_MAX_DEPTH). */
static struct sw_filter *parse_nested(struct parser *ps)
{
    if (ps->depth >= SW_FILTER_MAX_DEPTH) {
        char what[64];
        snprintf(what, sizeof what, "nested deeper than %d levels of ( and !",
                 SW_FILTER_MAX_DEPTH);
        fail(ps, what);
        return NULL;
    }
    ps->depth++;
    struct sw_filter *a;
    if (*ps->p++ == '!') {
        a = parse_unary(ps);
        a = a ? node(N_NOT, a, NULL) : NULL;
    } else {
        a = parse_or(ps);
        skip_space(ps);
        if (a && *ps->p != ')') {
            sw_filter_free(a);
            fail(ps, "expected ')'");
            a = NULL;
        } else if (a) {
            ps->p++;
        }
    }
    ps->depth--;
    return a;
}

static struct sw_filter *parse_unary(struct parser *ps)
{
    skip_space(ps);
    if ((*ps->p == '!' && ps->p[1] != '=') || *ps->p == '(')
        return parse_nested(ps);
    if (ps->n_terms >= SW_FILTER_MAX_TERMS) {
        char what[64];
        snprintf(what, sizeof what, "more than %d comparisons", SW_FILTER_MAX_TERMS);
        fail(ps, what);
        return NULL;
    }
    ps->n_terms++;
    struct sw_filter *f = node(N_CMP, NULL, NULL);
    if (!f) {
        fail(ps, "out of memory");
        return NULL;
    }
    const char *start = ps->p;
    if (word(ps, f->name, sizeof f->name, 0) != 0) {
        free(f);
        return NULL;
    }
    if (!ps->known(ps->ctx, f->name)) {
        ps->p = start;
        free(f);
        fail(ps, "unknown parameter");
        return NULL;
    }
    skip_space(ps);
    static const struct { const char *s; enum cmp_op op; } ops[] = {
        {"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE}, {"<", OP_LT}, {">", OP_GT},
    };
    size_t i;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strncmp(ps->p, ops[i].s, strlen(ops[i].s)) == 0)
            break;
    if (i == sizeof ops / sizeof ops[0]) {
        free(f);
        fail(ps, "expected == != < <= > >=");
        return NULL;
    }
    f->op = ops[i].op;
    ps->p += strlen(ops[i].s);
    if (word(ps, f->value, sizeof f->value, 1) != 0) {
        free(f);
        return NULL;
    }
    return f;
}

static struct sw_filter *parse_and(struct parser *ps)
{
    struct sw_filter *a = parse_unary(ps);
    while (a) {
        skip_space(ps);
        if (strncmp(ps->p, "&&", 2) != 0)
            break;
        ps->p += 2;
        struct sw_filter *b = parse_unary(ps);
        if (!b) {
            sw_filter_free(a);
            return NULL;
        }
        a = node(N_AND, a, b);
    }
    return a;
}

static struct sw_filter *parse_or(struct parser *ps)
{
    struct sw_filter *a = parse_and(ps);
    while (a) {
        skip_space(ps);
        if (strncmp(ps->p, "||", 2) != 0)
            break;
        ps->p += 2;
        struct sw_filter *b = parse_and(ps);
        if (!b) {
            sw_filter_free(a);
            return NULL;
        }
        a = node(N_OR, a, b);
    }
    return a;
}

int sw_filter_parse(struct sw_filter **f, const char *text, int (*known)(void *, const char *),
                    void *ctx, char *msg, size_t size)
{
    struct parser ps = {.p = text, .known = known, .ctx = ctx, .msg = msg, .size = size};
    *f = parse_or(&ps);
    if (*f) {
        skip_space(&ps);
        if (*ps.p) {
            sw_filter_free(*f);
            *f = NULL;
            fail(&ps, "expected && or ||");
        }
    }
    if (!*f && !ps.failed)
        snprintf(msg, size, "out of memory");
    return *f ? 0 : -1;
}

static int number(const char *s, double *v)
{
    char *end;
    if (!*s)
        return 0;
    *v = strtod(s, &end);
    return *end == 0;
}

int sw_filter_eval(const struct sw_filter *f, const char *(*lookup)(void *, const char *),
                   void *ctx, char *msg, size_t size)
{
    int a, b;
    switch (f->kind) {
    case N_OR:
    case N_AND:
        a = sw_filter_eval(f->a, lookup, ctx, msg, size);
        if (a < 0)
            return a;
        b = sw_filter_eval(f->b, lookup, ctx, msg, size);
        if (b < 0)
            return b;
        return f->kind == N_OR ? (a || b) : (a && b);
    case N_NOT:
        a = sw_filter_eval(f->a, lookup, ctx, msg, size);
        return a < 0 ? a : !a;
    case N_CMP:
        break;
    }
    const char *v = lookup(ctx, f->name);
    if (!v)
        v = "";
    double x, y;
    int numeric = number(v, &x) && number(f->value, &y);
    if (f->op == OP_EQ || f->op == OP_NE) {
        int eq = numeric ? x == y : strcmp(v, f->value) == 0;
        return f->op == OP_EQ ? eq : !eq;
    }
    if (!numeric) {
        snprintf(msg, size, "'%s %s %s': < <= > >= compare numbers", f->name,
                 f->op == OP_LT ? "<" : f->op == OP_LE ? "<=" : f->op == OP_GT ? ">" : ">=",
                 f->value);
        return -1;
    }
    switch (f->op) {
    case OP_LT: return x < y;
    case OP_LE: return x <= y;
    case OP_GT: return x > y;
    default:    return x >= y;
    }
}

void sw_filter_free(struct sw_filter *f)
{
    if (!f)
        return;
    sw_filter_free(f->a);
    sw_filter_free(f->b);
    free(f);
}
