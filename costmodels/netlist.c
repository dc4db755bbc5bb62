/* costmodels/netlist.c: the netlist builder of netlist.h: cell tally, constant
 * folding and, in text mode, one structural Verilog statement per cell. */
#include "costmodels/netlist.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cm_text_printf(struct cm_text *t, const char *fmt, ...)
{
    if (!t || t->failed)
        return;
    for (;;) {
        size_t room = t->cap - t->len;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? room : 0, fmt, ap);
        va_end(ap);
        assert(n >= 0);
        if (t->s && (size_t)n < room) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->failed = 1;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
}

void cm_text_free(struct cm_text *t)
{
    free(t->s);
    memset(t, 0, sizeof *t);
}

static int is_const(int w)
{
    return w == CM_NL_0 || w == CM_NL_1;
}

/* ---- timing mode ---- */

static double dmax(double a, double b)
{
    return a > b ? a : b;
}

/* The arrival of wire w (constants: 0). */
static double arr(const struct cm_nl *nl, int w)
{
    return is_const(w) || nl->tm->failed ? 0.0 : nl->tm->arr_ps[w];
}

static void set_arr(struct cm_nl *nl, int w, double t)
{
    struct cm_nl_timing *tm = nl->tm;
    if (!tm || tm->failed)
        return;
    assert(w >= 0 && w < tm->cap);
    tm->arr_ps[w] = t;
}

/* An endpoint: a flip-flop's d or an output. */
static void endpoint(struct cm_nl *nl, int w)
{
    if (nl->tm)
        nl->tm->end_ps = dmax(nl->tm->end_ps, arr(nl, w));
}

static double cell_ps(const struct cm_nl *nl, enum cm_cell c)
{
    return nl->tm->lib->cell[c].delay_ps;
}

static int new_wire(struct cm_nl *nl)
{
    struct cm_nl_timing *tm = nl->tm;
    if (tm && !tm->failed && nl->n_wires >= tm->cap) {
        int cap = tm->cap ? 2 * tm->cap : 1024;
        double *a = realloc(tm->arr_ps, (size_t)cap * sizeof *a);
        if (!a) {
            tm->failed = 1;
        } else {
            tm->arr_ps = a;
            tm->cap = cap;
        }
    }
    set_arr(nl, nl->n_wires, 0.0);
    return nl->n_wires++;
}

void cm_nl_stage_cut(struct cm_nl *nl, int bits, const int *w)
{
    struct cm_nl_timing *tm = nl->tm;
    if (!tm)
        return;
    assert(tm->n_seg < CM_NL_MAX_SEGS - 1);
    for (int i = 0; i < bits; i++)
        tm->end_ps = dmax(tm->end_ps, arr(nl, w[i]));
    tm->seg_ps[tm->n_seg++] = tm->end_ps;
    tm->end_ps = 0.0;
    if (tm->cuts)
        for (int i = 0; i < bits; i++)
            if (!is_const(w[i]))
                set_arr(nl, w[i], 0.0);
}

void cm_nl_input(struct cm_nl *nl, const char *name, int bits, int *w)
{
    assert(bits >= 1);
    cm_text_printf(nl->ports, "  input [%d:0] %s,\n", bits - 1, name);
    for (int i = 0; i < bits; i++) {
        w[i] = new_wire(nl);
        if (nl->tm)
            set_arr(nl, w[i], nl->tm->in_ps);
        cm_text_printf(nl->body, "  assign w[%d] = %s[%d];\n", w[i], name, i);
    }
}

void cm_nl_output(struct cm_nl *nl, const char *name, int bits, const int *w)
{
    assert(bits >= 1);
    cm_text_printf(nl->ports, "  output [%d:0] %s,\n", bits - 1, name);
    for (int i = 0; i < bits; i++) {
        endpoint(nl, w[i]);
        if (w[i] == CM_NL_0 || w[i] == CM_NL_1)
            cm_text_printf(nl->body, "  assign %s[%d] = 1'b%d;\n", name, i, w[i] == CM_NL_1);
        else
            cm_text_printf(nl->body, "  assign %s[%d] = w[%d];\n", name, i, w[i]);
    }
}

/* One two-input gate: tally it and write "assign w[o] = expr;". */
static int gate2(struct cm_nl *nl, enum cm_cell cell, const char *fmt, int a, int b)
{
    assert(!is_const(a) && !is_const(b));
    int o = new_wire(nl);
    nl->count.n[cell] += 1;
    if (nl->tm)
        set_arr(nl, o, dmax(arr(nl, a), arr(nl, b)) + cell_ps(nl, cell));
    if (nl->body) {
        char expr[96];
        snprintf(expr, sizeof expr, fmt, a, b);
        cm_text_printf(nl->body, "  assign w[%d] = %s;\n", o, expr);
    }
    return o;
}

int cm_nl_inv(struct cm_nl *nl, int a)
{
    if (a == CM_NL_0)
        return CM_NL_1;
    if (a == CM_NL_1)
        return CM_NL_0;
    int o = new_wire(nl);
    nl->count.n[CM_INV] += 1;
    if (nl->tm)
        set_arr(nl, o, arr(nl, a) + cell_ps(nl, CM_INV));
    cm_text_printf(nl->body, "  assign w[%d] = ~w[%d];\n", o, a);
    return o;
}

int cm_nl_and(struct cm_nl *nl, int a, int b)
{
    if (a == CM_NL_0 || b == CM_NL_0)
        return CM_NL_0;
    if (a == CM_NL_1 || a == b)
        return b;
    if (b == CM_NL_1)
        return a;
    return gate2(nl, CM_AND2, "w[%d] & w[%d]", a, b);
}

int cm_nl_or(struct cm_nl *nl, int a, int b)
{
    if (a == CM_NL_1 || b == CM_NL_1)
        return CM_NL_1;
    if (a == CM_NL_0 || a == b)
        return b;
    if (b == CM_NL_0)
        return a;
    return gate2(nl, CM_OR2, "w[%d] | w[%d]", a, b);
}

int cm_nl_nand(struct cm_nl *nl, int a, int b)
{
    if (is_const(a) || is_const(b) || a == b)
        return cm_nl_inv(nl, cm_nl_and(nl, a, b));
    return gate2(nl, CM_NAND2, "~(w[%d] & w[%d])", a, b);
}

int cm_nl_nor(struct cm_nl *nl, int a, int b)
{
    if (is_const(a) || is_const(b) || a == b)
        return cm_nl_inv(nl, cm_nl_or(nl, a, b));
    return gate2(nl, CM_NOR2, "~(w[%d] | w[%d])", a, b);
}

int cm_nl_xor(struct cm_nl *nl, int a, int b)
{
    if (a == b)
        return CM_NL_0;
    if (a == CM_NL_0)
        return b;
    if (b == CM_NL_0)
        return a;
    if (a == CM_NL_1)
        return cm_nl_inv(nl, b);
    if (b == CM_NL_1)
        return cm_nl_inv(nl, a);
    return gate2(nl, CM_XOR2, "w[%d] ^ w[%d]", a, b);
}

int cm_nl_xnor(struct cm_nl *nl, int a, int b)
{
    if (is_const(a) || is_const(b) || a == b)
        return cm_nl_inv(nl, cm_nl_xor(nl, a, b));
    return gate2(nl, CM_XNOR2, "~(w[%d] ^ w[%d])", a, b);
}

int cm_nl_mux(struct cm_nl *nl, int s, int a0, int a1)
{
    if (s == CM_NL_0 || a0 == a1)
        return a0;
    if (s == CM_NL_1)
        return a1;
    if (a0 == CM_NL_0 && a1 == CM_NL_1)
        return s;
    if (a0 == CM_NL_1 && a1 == CM_NL_0)
        return cm_nl_inv(nl, s);
    if (a0 == CM_NL_0)
        return cm_nl_and(nl, s, a1);
    if (a1 == CM_NL_1)
        return cm_nl_or(nl, s, a0);
    if (a1 == CM_NL_0)
        return cm_nl_and(nl, cm_nl_inv(nl, s), a0);
    if (a0 == CM_NL_1)
        return cm_nl_or(nl, cm_nl_inv(nl, s), a1);
    int o = new_wire(nl);
    nl->count.n[CM_MUX2] += 1;
    if (nl->tm)
        set_arr(nl, o, dmax(arr(nl, s), dmax(arr(nl, a0), arr(nl, a1))) + cell_ps(nl, CM_MUX2));
    cm_text_printf(nl->body, "  assign w[%d] = w[%d] ? w[%d] : w[%d];\n", o, s, a1, a0);
    return o;
}

int cm_nl_and_n(struct cm_nl *nl, int n, const int *w)
{
    assert(n >= 1);
    if (n == 1)
        return w[0];
    const int h = n / 2;
    return cm_nl_and(nl, cm_nl_and_n(nl, h, w), cm_nl_and_n(nl, n - h, w + h));
}

int cm_nl_or_n(struct cm_nl *nl, int n, const int *w)
{
    assert(n >= 1);
    if (n == 1)
        return w[0];
    const int h = n / 2;
    return cm_nl_or(nl, cm_nl_or_n(nl, h, w), cm_nl_or_n(nl, n - h, w + h));
}

int cm_nl_ao21(struct cm_nl *nl, int g, int p, int c)
{
    if (g == CM_NL_1)
        return CM_NL_1;
    if (g == CM_NL_0 || p == CM_NL_0 || c == CM_NL_0 || is_const(p) || is_const(c) || p == c)
        return cm_nl_or(nl, g, cm_nl_and(nl, p, c));
    return cm_nl_nand(nl, cm_nl_nand(nl, p, c), cm_nl_inv(nl, g));
}

void cm_nl_ha(struct cm_nl *nl, int a, int b, int *sum, int *carry)
{
    if (is_const(a) || is_const(b) || a == b) {
        *sum = cm_nl_xor(nl, a, b);
        *carry = cm_nl_and(nl, a, b);
        return;
    }
    *sum = new_wire(nl);
    *carry = new_wire(nl);
    nl->count.n[CM_HA] += 1;
    if (nl->tm) {
        const struct cm_nl_timing *tm = nl->tm;
        const double t = dmax(arr(nl, a), arr(nl, b));
        set_arr(nl, *sum, t + cell_ps(nl, tm->gates_only ? CM_XOR2 : CM_HA));
        set_arr(nl, *carry, t + cell_ps(nl, tm->gates_only ? CM_AND2 : CM_HA));
    }
    cm_text_printf(nl->body, "  assign w[%d] = w[%d] ^ w[%d];\n  assign w[%d] = w[%d] & w[%d];\n",
                   *sum, a, b, *carry, a, b);
}

void cm_nl_fa(struct cm_nl *nl, int a, int b, int c, int *sum, int *carry)
{
    /* Constants: with one, c = 0 is a half adder and c = 1 gives
     * sum = XNOR(a, b), carry = OR(a, b); with more, the sum of the
     * constants k decides (sum = x, NOT x, x; carry = 0, x, 1 for k = 0..2). */
    int in[3] = {a, b, c}, var[3], n_var = 0, k = 0;
    for (int i = 0; i < 3; i++) {
        if (is_const(in[i]))
            k += in[i] == CM_NL_1;
        else
            var[n_var++] = in[i];
    }
    if (n_var == 2) {
        a = var[0];
        b = var[1];
        c = k ? CM_NL_1 : CM_NL_0;
    } else if (n_var == 1) {
        *sum = k == 1 ? cm_nl_inv(nl, var[0]) : var[0];
        *carry = k == 0 ? CM_NL_0 : (k == 1 ? var[0] : CM_NL_1);
        return;
    } else if (n_var == 0) {
        *sum = k & 1 ? CM_NL_1 : CM_NL_0;
        *carry = k >= 2 ? CM_NL_1 : CM_NL_0;
        return;
    }
    if (c == CM_NL_0) {
        cm_nl_ha(nl, a, b, sum, carry);
        return;
    }
    if (c == CM_NL_1) {
        *sum = cm_nl_xnor(nl, a, b);
        *carry = cm_nl_or(nl, a, b);
        return;
    }
    if (a == b || a == c || b == c) {
        int pair = a == b ? a : c, third = a == b ? c : (a == c ? b : a);
        *sum = third;
        *carry = pair;
        return;
    }
    /* The gate-level form that cm_count_gates_only decomposes an FA into:
     * x = a ^ b, sum = x ^ c, carry = NAND(NAND(a, b), NAND(x, c)). */
    int x = new_wire(nl);
    *sum = new_wire(nl);
    *carry = new_wire(nl);
    nl->count.n[CM_FA] += 1;
    if (nl->tm) {
        const double tab = dmax(arr(nl, a), arr(nl, b)), tc = arr(nl, c);
        if (nl->tm->gates_only) {
            const double xor_ps = cell_ps(nl, CM_XOR2), nand_ps = cell_ps(nl, CM_NAND2);
            const double tx = tab + xor_ps;
            set_arr(nl, x, tx);
            set_arr(nl, *sum, dmax(tx, tc) + xor_ps);
            set_arr(nl, *carry, dmax(tab + nand_ps, dmax(tx, tc) + nand_ps) + nand_ps);
        } else {
            const double t = dmax(tab, tc) + cell_ps(nl, CM_FA);
            set_arr(nl, *sum, t);
            set_arr(nl, *carry, t);
        }
    }
    cm_text_printf(nl->body,
                   "  assign w[%d] = w[%d] ^ w[%d];\n  assign w[%d] = w[%d] ^ w[%d];\n"
                   "  assign w[%d] = ~(~(w[%d] & w[%d]) & ~(w[%d] & w[%d]));\n",
                   x, a, b, *sum, x, c, *carry, a, b, x, c);
}

int cm_nl_dff(struct cm_nl *nl, int d)
{
    if (is_const(d))
        return d;  /* a flip-flop loaded with a constant is that constant */
    endpoint(nl, d);
    int q = new_wire(nl);
    nl->count.n[CM_DFF] += 1;
    nl->has_clock = 1;
    cm_text_printf(nl->body, "  logiq_dff r%d (.clk(clk), .d(w[%d]), .q(w[%d]));\n", q, d, q);
    return q;
}

int cm_nl_dff_en(struct cm_nl *nl, int d, int en)
{
    /* q <= en ? d : q: the MUX2's input is the flip-flop's own output, so the
     * DFF's wire is allocated first and the mux written after it. */
    assert(!is_const(d) && !is_const(en));
    int q = new_wire(nl);
    int m = new_wire(nl);
    nl->count.n[CM_DFF] += 1;
    nl->count.n[CM_MUX2] += 1;
    nl->has_clock = 1;
    if (nl->tm) {
        /* the enable mux from d and en (q starts at 0) into the DFF */
        set_arr(nl, m, dmax(arr(nl, en), arr(nl, d)) + cell_ps(nl, CM_MUX2));
        endpoint(nl, m);
    }
    cm_text_printf(nl->body,
                   "  assign w[%d] = w[%d] ? w[%d] : w[%d];\n"
                   "  logiq_dff r%d (.clk(clk), .d(w[%d]), .q(w[%d]));\n",
                   m, en, d, q, q, m, q);
    return q;
}

int cm_nl_reg_q(struct cm_nl *nl)
{
    nl->count.n[CM_DFF] += 1;
    nl->has_clock = 1;
    return new_wire(nl);
}

void cm_nl_reg_d(struct cm_nl *nl, int q, int d)
{
    assert(!is_const(d));
    endpoint(nl, d);
    cm_text_printf(nl->body, "  logiq_dff r%d (.clk(clk), .d(w[%d]), .q(w[%d]));\n", q, d, q);
}
