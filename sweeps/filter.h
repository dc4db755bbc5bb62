/* sweeps/filter.h: the [sweep] filter of a spec: which grid points to keep.
 *
 *     expr := or;  or := and ("||" and)*;  and := unary ("&&" unary)*
 *     unary := "!" unary | "(" or ")" | NAME OP VALUE
 *     OP := == != < <= > >=
 *
 * NAME is a parameter ("merge", "aq", "hw.array.pe_rows"); VALUE a bare word
 * (letters, digits, . _ : / + -) or a quoted string. == and != compare
 * numerically when both sides are numbers ("0.50" == "0.5"), as text
 * otherwise; < <= > >= need numbers.
 *
 * Bounds: parentheses and "!" nest at most SW_FILTER_MAX_DEPTH deep and a
 * filter holds at most SW_FILTER_MAX_TERMS comparisons (the parser, the
 * evaluation and the release recurse over the tree: a hostile filter must
 * not exhaust the stack); beyond, sw_filter_parse fails with a message.
 *
 * Memory: sw_filter_parse allocates the tree; sw_filter_free releases it. */
#ifndef LOGIQ_SW_FILTER_H
#define LOGIQ_SW_FILTER_H

#include <stddef.h>

struct sw_filter;

enum { SW_FILTER_MAX_DEPTH = 64, SW_FILTER_MAX_TERMS = 4096 };

/* known(ctx, name) says whether NAME is a parameter. Returns 0, or -1 with
 * a message naming the offending token. */
int sw_filter_parse(struct sw_filter **f, const char *text, int (*known)(void *, const char *),
                    void *ctx, char *msg, size_t size);
/* lookup(ctx, name) gives a point's value. Returns 1 (keep), 0 (drop), or
 * -1 with a message (an order comparison on a non-number). */
int sw_filter_eval(const struct sw_filter *f, const char *(*lookup)(void *, const char *),
                   void *ctx, char *msg, size_t size);
void sw_filter_free(struct sw_filter *f);

#endif
