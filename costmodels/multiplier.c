/* costmodels/multiplier.c: the signed Baugh-Wooley multiplier (netlist.h,
 * units.h). */
#include "costmodels/netlist.h"

#include <assert.h>

/* Baugh-Wooley: for a (m bits) times b (n bits), two's complement, the
 * partial products a_i b_j at column i + j are AND2s, except the m + n - 2
 * products with exactly one sign bit (a_{m-1} b_j, a_i b_{n-1}), which are
 * NAND2s; the correction 2^(m-1) + 2^(n-1) + 2^(m+n-1) (mod 2^(m+n)) enters
 * as constant one bits, which the full adders they meet fold (netlist.h).
 * The columns are reduced by the Wallace tree of cm_nl_reduce_columns and
 * added by a final adder of arch; the product has m + n bits. */
void cm_nl_multiply(struct cm_nl *nl, enum cm_adder_arch arch, int a_bits, const int *a,
                    int b_bits, const int *b, int *p)
{
    const int m = a_bits, n = b_bits, cols = m + n;
    assert(m >= 2 && n >= 2 && cols <= CM_NL_MAX_ADD);
    enum { STRIDE = 2 * 64 + 8 };
    int col[CM_NL_MAX_ADD * STRIDE], height[CM_NL_MAX_ADD] = {0};
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            const int one_sign = (i == m - 1) != (j == n - 1);
            const int c = i + j;
            col[c * STRIDE + height[c]++] =
                one_sign ? cm_nl_nand(nl, a[i], b[j]) : cm_nl_and(nl, a[i], b[j]);
        }
    /* the correction as a binary number (the two low terms coincide when
     * m == n), one constant bit per column */
    const int kbits[3] = {m - 1, n - 1, cols - 1};
    int ones[CM_NL_MAX_ADD] = {0};
    for (int t = 0; t < 3; t++) {
        int c = kbits[t];
        while (c < cols && ones[c]) {  /* binary addition of a single bit */
            ones[c] = 0;
            c++;
        }
        if (c < cols)
            ones[c] = 1;
    }
    for (int c = 0; c < cols; c++)
        if (ones[c])
            col[c * STRIDE + height[c]++] = CM_NL_1;
    cm_nl_reduce_columns(nl, arch, cols, height, col, STRIDE, p);
}

/* Multiplier unit: inputs a (a_bits), b (b_bits); output p (a_bits + b_bits). */
void cm_nl_unit_multiplier(struct cm_nl *nl, int a_bits, int b_bits, enum cm_adder_arch arch)
{
    int a[64], b[64], p[128];
    cm_nl_input(nl, "a", a_bits, a);
    cm_nl_input(nl, "b", b_bits, b);
    cm_nl_multiply(nl, arch, a_bits, a, b_bits, b, p);
    cm_nl_output(nl, "p", a_bits + b_bits, p);
}

struct cm_count cm_multiplier(int a_bits, int b_bits, enum cm_adder_arch arch)
{
    assert(a_bits >= 2 && a_bits <= 64 && b_bits >= 2 && b_bits <= 64);
    struct cm_nl nl = {0};
    cm_nl_unit_multiplier(&nl, a_bits, b_bits, arch);
    return nl.count;
}
