/* costmodels/adder.c: adders of the four architectures, the subtractor and
 * the comparator, as netlists (netlist.h) and their cell counts (units.h).
 *
 * Every architecture forms per bit p = a XOR b and (except ripple) g = a AND
 * b, and the sum s_i = p_i XOR c_i; they differ in how the carries c_i are
 * built:
 *   ripple       a chain of full adders (the FA cell holds p, g and the carry);
 *   cla          4-bit blocks; inside a block the group terms G[i:j], P[i:j]
 *                (j the block's first bit) are built bit by bit
 *                (G = g_i OR p_i AND G[i-1:j], P = p_i AND P[i-1:j]) and every
 *                carry is looked ahead from the block's carry-in in two levels,
 *                c_{i+1} = G[i:j] OR P[i:j] AND c_j; blocks ripple;
 *   brent-kung   the Brent-Kung prefix tree over (g, p), the carry-in folded
 *                into bit 0 (g_0' = g_0 OR p_0 AND c_in);
 *   kogge-stone  the Kogge-Stone prefix tree, likewise.
 * A prefix node (G, P) o (G', P') = (G OR P AND G', P AND P') is AND2 + OR2
 * + AND2; when its range reaches bit 0 only G is ever used, and the P AND is
 * not built (the "grey" cell). No gate is built whose output goes unused:
 * what the netlist holds is what a synthesis tool would keep. */
#include "costmodels/netlist.h"

#include <assert.h>
#include <string.h>

static const char *const arch_names[CM_N_ADDER_ARCHS] = {
    [CM_ADDER_RIPPLE] = "ripple",
    [CM_ADDER_CLA] = "cla",
    [CM_ADDER_BRENT_KUNG] = "brent-kung",
    [CM_ADDER_KOGGE_STONE] = "kogge-stone",
};

const char *cm_adder_arch_name(enum cm_adder_arch a)
{
    assert(a >= 0 && a < CM_N_ADDER_ARCHS);
    return arch_names[a];
}

int cm_adder_arch_parse(const char *name)
{
    for (int a = 0; a < CM_N_ADDER_ARCHS; a++)
        if (strcmp(name, arch_names[a]) == 0)
            return a;
    return -1;
}

int cm_bits_for(long long n)
{
    assert(n >= 0);
    int bits = 0;
    while (bits < 63 && (1LL << bits) <= n)
        bits++;
    return bits;
}

/* ---- the carries ---- */

static void add_ripple(struct cm_nl *nl, int width, const int *a, const int *b, int cin, int *s,
                       int *cout)
{
    int c = cin;
    for (int i = 0; i < width; i++) {
        if (i == width - 1 && !cout) {
            s[i] = cm_nl_xor(nl, cm_nl_xor(nl, a[i], b[i]), c);
            return;
        }
        cm_nl_fa(nl, a[i], b[i], c, &s[i], &c);
    }
    *cout = c;
}

static void add_cla(struct cm_nl *nl, int width, const int *p, const int *g, int cin, int *s,
                    int *cout)
{
    int c = cin;  /* the carry into bit i */
    for (int j = 0; j < width; j += 4) {
        int end = j + 4 < width ? j + 4 : width;
        int cj = c, G = CM_NL_0, P = CM_NL_1;
        for (int i = j; i < end; i++) {
            s[i] = cm_nl_xor(nl, p[i], c);
            if (i == width - 1 && !cout)
                return;
            G = cm_nl_ao21(nl, g[i], p[i], G);
            if (cj != CM_NL_0)  /* with a carry-in of 0 the block needs no P */
                P = cm_nl_and(nl, p[i], P);
            c = cm_nl_ao21(nl, G, P, cj);
        }
    }
    *cout = c;
}

/* The prefix node combining the range ending at hi with the adjacent lower
 * range ending at lo_node: lo[] holds each node's lowest bit. */
static void prefix_node(struct cm_nl *nl, int *G, int *P, int *lo, int hi, int lo_node)
{
    assert(lo[hi] == lo_node + 1);
    G[hi] = cm_nl_ao21(nl, G[hi], P[hi], G[lo_node]);
    if (lo[lo_node] > 0)
        P[hi] = cm_nl_and(nl, P[hi], P[lo_node]);
    lo[hi] = lo[lo_node];
}

static void add_prefix(struct cm_nl *nl, enum cm_adder_arch arch, int width, const int *p,
                       const int *g, int cin, int *s, int *cout)
{
    /* n prefixes G[i:0] are needed: the carries into bits 1..width-1, and
     * the carry out if wanted. */
    const int n = cout ? width : width - 1;
    int G[CM_NL_MAX_ADD], P[CM_NL_MAX_ADD], lo[CM_NL_MAX_ADD];
    assert(width <= CM_NL_MAX_ADD);
    for (int i = 0; i < n; i++) {
        G[i] = g[i];
        P[i] = p[i];
        lo[i] = i;
    }
    if (n > 0)
        G[0] = cm_nl_ao21(nl, g[0], p[0], cin);
    if (arch == CM_ADDER_KOGGE_STONE) {
        for (int d = 1; d < n; d *= 2)
            for (int i = n - 1; i >= d; i--)
                prefix_node(nl, G, P, lo, i, i - d);
    } else {
        int top = 1;
        for (int d = 1; d < n; d *= 2) {
            for (int i = 2 * d - 1; i < n; i += 2 * d)
                prefix_node(nl, G, P, lo, i, i - d);
            top = d;
        }
        for (int d = top; d >= 1; d /= 2)
            for (int i = 3 * d - 1; i < n; i += 2 * d)
                prefix_node(nl, G, P, lo, i, i - d);
    }
    for (int i = 0; i < width; i++) {
        assert(i == 0 || lo[i - 1] == 0);
        s[i] = cm_nl_xor(nl, p[i], i == 0 ? cin : G[i - 1]);
    }
    if (cout)
        *cout = G[n - 1];
}

void cm_nl_add(struct cm_nl *nl, enum cm_adder_arch arch, int width, const int *a, const int *b,
               int cin, int *s, int *cout)
{
    assert(width >= 1 && width <= CM_NL_MAX_ADD);
    if (arch == CM_ADDER_RIPPLE) {
        add_ripple(nl, width, a, b, cin, s, cout);
        return;
    }
    /* g of the top bit only feeds the carry out. */
    int p[CM_NL_MAX_ADD], g[CM_NL_MAX_ADD];
    for (int i = 0; i < width; i++) {
        p[i] = cm_nl_xor(nl, a[i], b[i]);
        g[i] = i < width - 1 || cout ? cm_nl_and(nl, a[i], b[i]) : CM_NL_0;
    }
    if (arch == CM_ADDER_CLA)
        add_cla(nl, width, p, g, cin, s, cout);
    else
        add_prefix(nl, arch, width, p, g, cin, s, cout);
}

/* a - b = a + NOT b + 1, with the carry-in 1 folded into bit 0: s_0 =
 * a_0 XOR b_0 and c_1 = a_0 OR NOT b_0 (the adder's g_0 OR p_0); the other
 * bits are the adder of arch on a and NOT b from bit 1 with carry-in c_1,
 * their p_i formed as XNOR(a_i, b_i) (the INV of b only feeds g_i and the
 * ripple FAs). */
void cm_nl_sub(struct cm_nl *nl, enum cm_adder_arch arch, int width, const int *a, const int *b,
               int *s, int *cout)
{
    assert(width >= 1 && width <= CM_NL_MAX_ADD);
    s[0] = cm_nl_xor(nl, a[0], b[0]);
    if (width == 1 && !cout)
        return;
    const int c1 = cm_nl_or(nl, a[0], cm_nl_inv(nl, b[0]));
    if (width == 1) {
        *cout = c1;
        return;
    }
    const int n = width - 1;
    int nb[CM_NL_MAX_ADD], p[CM_NL_MAX_ADD], g[CM_NL_MAX_ADD];
    if (arch == CM_ADDER_RIPPLE) {
        for (int i = 0; i < n; i++)
            nb[i] = cm_nl_inv(nl, b[i + 1]);
        add_ripple(nl, n, a + 1, nb, c1, s + 1, cout);
        return;
    }
    for (int i = 0; i < n; i++) {
        p[i] = cm_nl_xnor(nl, a[i + 1], b[i + 1]);
        g[i] = i < n - 1 || cout ? cm_nl_and(nl, a[i + 1], cm_nl_inv(nl, b[i + 1])) : CM_NL_0;
    }
    if (arch == CM_ADDER_CLA)
        add_cla(nl, n, p, g, c1, s + 1, cout);
    else
        add_prefix(nl, arch, n, p, g, c1, s + 1, cout);
}

/* ---- the comparator ----
 *
 * a >= b is the carry out of a + NOT b + 1 (unsigned); for two's complement
 * the MSBs are swapped first (a >= b signed iff a ^ msb >= b ^ msb unsigned),
 * so the top bit takes NOT a and b. Only that one carry is built, from
 * per-bit generate x AND y and propagate x OR y (x = a_i, y = NOT b_i; the OR
 * propagate suffices for a carry): ripple, a chain of c = g OR t AND c built
 * as NAND(NAND(x, y), NAND(t, c)) (INV, OR2 and three NAND2 a bit); cla,
 * 4-bit blocks from bit 1 whose group generate is built the same way and
 * whose carry is c = G OR P AND c (cm_nl_ao21); brent-kung and kogge-stone, a balanced
 * tree of prefix nodes over the bits (both trees reduce to the same one when
 * only the top carry is wanted), a node over a single bit in the NAND form.
 * The carry-in 1 makes bit 0's carry out simply t_0. */

/* The operands of the comparator's carry: x_i, y_i (see above) and the
 * propagates t_i = x_i OR y_i. */
struct cmp_bits {
    int x[CM_NL_MAX_ADD], y[CM_NL_MAX_ADD], t[CM_NL_MAX_ADD];
};

/* The generate of bit i, x AND y; bit 0's, with the carry-in 1, is t_0. */
static int cmp_g(struct cm_nl *nl, const struct cmp_bits *b, int i)
{
    return i == 0 ? b->t[0] : cm_nl_and(nl, b->x[i], b->y[i]);
}

/* G = g_i OR t_i AND G_lo for a single bit i: NAND(NAND(x, y), NAND(t, G_lo)),
 * three NAND2s instead of AND2 + AND2 + OR2. */
static int cmp_bit_over(struct cm_nl *nl, const struct cmp_bits *b, int i, int G_lo)
{
    return cm_nl_nand(nl, cm_nl_nand(nl, b->x[i], b->y[i]), cm_nl_nand(nl, b->t[i], G_lo));
}

/* The balanced tree over bits lo..hi: its group generate *G and, when lo > 0,
 * its group propagate *T. */
static void cmp_tree(struct cm_nl *nl, const struct cmp_bits *b, int lo, int hi, int *G, int *T)
{
    if (lo == hi) {
        *G = cmp_g(nl, b, lo);
        *T = b->t[lo];
        return;
    }
    int mid = (lo + hi + 1) / 2, gl, tl, gh, th;
    cmp_tree(nl, b, lo, mid - 1, &gl, &tl);
    if (mid == hi) {
        *G = cmp_bit_over(nl, b, hi, gl);
        th = b->t[hi];
    } else {
        cmp_tree(nl, b, mid, hi, &gh, &th);
        *G = cm_nl_ao21(nl, gh, th, gl);
    }
    *T = lo > 0 ? cm_nl_and(nl, th, tl) : CM_NL_0;
}

int cm_nl_compare_ge(struct cm_nl *nl, enum cm_adder_arch arch, int width, const int *a,
                     const int *b, int is_signed)
{
    assert(width >= 1 && width <= CM_NL_MAX_ADD);
    struct cmp_bits bits = {{0}, {0}, {0}};
    for (int i = 0; i < width; i++) {
        const int msb = is_signed && i == width - 1;
        bits.x[i] = msb ? cm_nl_inv(nl, a[i]) : a[i];
        bits.y[i] = msb ? b[i] : cm_nl_inv(nl, b[i]);
        bits.t[i] = cm_nl_or(nl, bits.x[i], bits.y[i]);
    }
    if (arch == CM_ADDER_BRENT_KUNG || arch == CM_ADDER_KOGGE_STONE) {
        int G, T;
        cmp_tree(nl, &bits, 0, width - 1, &G, &T);
        return G;
    }
    int c = bits.t[0];
    if (arch == CM_ADDER_RIPPLE) {
        for (int i = 1; i < width; i++)
            c = cmp_bit_over(nl, &bits, i, c);
        return c;
    }
    for (int j = 1; j < width; j += 4) {
        const int end = j + 4 < width ? j + 4 : width;
        if (end - j == 1) {  /* a one-bit block is a ripple stage */
            c = cmp_bit_over(nl, &bits, j, c);
            break;
        }
        int G = cmp_g(nl, &bits, j), P = bits.t[j];
        for (int i = j + 1; i < end; i++) {
            G = cmp_bit_over(nl, &bits, i, G);
            P = cm_nl_and(nl, bits.t[i], P);
        }
        c = cm_nl_ao21(nl, G, P, c);
    }
    return c;
}

/* ---- the units ---- */

/* Adder unit: inputs a, b (width), ci; outputs s (width), co. */
void cm_nl_unit_adder(struct cm_nl *nl, int width, enum cm_adder_arch arch)
{
    int a[64], b[64], ci, s[64], co;
    cm_nl_input(nl, "a", width, a);
    cm_nl_input(nl, "b", width, b);
    cm_nl_input(nl, "ci", 1, &ci);
    cm_nl_add(nl, arch, width, a, b, ci, s, &co);
    cm_nl_output(nl, "s", width, s);
    cm_nl_output(nl, "co", 1, &co);
}

/* Subtractor unit: d = a - b = a + NOT b + 1 (width bits) and the carry out
 * (1 = no borrow), as cm_nl_sub builds it. */
void cm_nl_unit_subtractor(struct cm_nl *nl, int width, enum cm_adder_arch arch)
{
    int a[64], b[64], d[64], co;
    cm_nl_input(nl, "a", width, a);
    cm_nl_input(nl, "b", width, b);
    cm_nl_sub(nl, arch, width, a, b, d, &co);
    cm_nl_output(nl, "d", width, d);
    cm_nl_output(nl, "co", 1, &co);
}

/* Comparator unit: ge = (a >= b), two's complement. */
void cm_nl_unit_comparator(struct cm_nl *nl, int width, enum cm_adder_arch arch)
{
    int a[64], b[64];
    cm_nl_input(nl, "a", width, a);
    cm_nl_input(nl, "b", width, b);
    int ge = cm_nl_compare_ge(nl, arch, width, a, b, 1);
    cm_nl_output(nl, "ge", 1, &ge);
}

struct cm_count cm_adder(int width, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_adder(&nl, width, arch);
    return nl.count;
}

struct cm_count cm_subtractor(int width, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_subtractor(&nl, width, arch);
    return nl.count;
}

struct cm_count cm_comparator(int width, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_comparator(&nl, width, arch);
    return nl.count;
}
