/* costmodels/popcount.c: the carry-save reduction of bit columns and the
 * popcount tree built on it (netlist.h, units.h). */
#include "costmodels/netlist.h"

#include <assert.h>
#include <string.h>

/* Wallace reduction: in each stage every column takes its bits present at the
 * stage's start three at a time into full adders (sum stays, carry goes to
 * the next column), until no column has more than two bits; then the two
 * rows are added from the lowest column holding two bits, with an adder of
 * arch and no carry out. In the top column a triple becomes a three-input
 * XOR (2 XOR2): its carry would leave the result's width. */
void cm_nl_reduce_columns(struct cm_nl *nl, enum cm_adder_arch arch, int n_cols, int *height,
                          int *col, int stride, int *result)
{
    assert(n_cols >= 1 && n_cols <= CM_NL_MAX_ADD);
    int h0[CM_NL_MAX_ADD];
    int tmp[CM_NL_MAX_BUS + 2];
    assert(stride <= CM_NL_MAX_BUS + 2);
    for (;;) {
        int tall = 0;
        for (int c = 0; c < n_cols; c++) {
            h0[c] = height[c];
            tall |= height[c] > 2;
        }
        if (!tall)
            break;
        for (int c = 0; c < n_cols; c++) {
            int *bits = col + (long)c * stride;
            const int n_fa = h0[c] / 3;
            int n = 0;
            for (int i = 3 * n_fa; i < height[c]; i++)
                tmp[n++] = bits[i];  /* the stage's leftovers and the carries just in */
            for (int k = 0; k < n_fa; k++) {
                const int *x = bits + 3 * k;
                if (c == n_cols - 1) {
                    tmp[n++] = cm_nl_xor(nl, cm_nl_xor(nl, x[0], x[1]), x[2]);
                    continue;
                }
                int carry;
                cm_nl_fa(nl, x[0], x[1], x[2], &tmp[n++], &carry);
                assert(height[c + 1] < stride);
                col[(long)(c + 1) * stride + height[c + 1]++] = carry;
            }
            memcpy(bits, tmp, (size_t)n * sizeof *tmp);
            height[c] = n;
        }
    }
    int lo = n_cols;
    for (int c = 0; c < n_cols; c++) {
        result[c] = height[c] ? col[(long)c * stride] : CM_NL_0;
        if (height[c] == 2 && lo == n_cols)
            lo = c;
    }
    if (lo == n_cols)
        return;
    int a[CM_NL_MAX_ADD], b[CM_NL_MAX_ADD];
    for (int c = lo; c < n_cols; c++) {
        a[c - lo] = height[c] > 0 ? col[(long)c * stride] : CM_NL_0;
        b[c - lo] = height[c] > 1 ? col[(long)c * stride + 1] : CM_NL_0;
    }
    cm_nl_add(nl, arch, n_cols - lo, a, b, CM_NL_0, result + lo, NULL);
}

void cm_nl_popcount(struct cm_nl *nl, enum cm_adder_arch arch, int n, const int *x, int *count)
{
    assert(n >= 1 && n <= CM_NL_MAX_BUS);
    enum { MAX_COLS = 13, STRIDE = CM_NL_MAX_BUS + 2 };
    static_assert(MAX_COLS * STRIDE < 64 * 1024, "popcount columns fit the stack");
    int col[MAX_COLS * STRIDE], height[MAX_COLS] = {0};
    const int bits = cm_bits_for(n);
    assert(bits <= MAX_COLS);
    memcpy(col, x, (size_t)n * sizeof *x);
    height[0] = n;
    cm_nl_reduce_columns(nl, arch, bits, height, col, STRIDE, count);
}

/* Popcount unit: input x (n bits), output c (cm_bits_for(n) bits). The
 * netlist: the Wallace tree of full adders of cm_nl_reduce_columns on one
 * column of n bits; a popcount of 3 is one FA, of 2 one HA, of 7 four FAs. */
void cm_nl_unit_popcount(struct cm_nl *nl, int n, enum cm_adder_arch arch)
{
    int x[CM_NL_MAX_BUS], c[16];
    cm_nl_input(nl, "x", n, x);
    cm_nl_popcount(nl, arch, n, x, c);
    cm_nl_output(nl, "c", cm_bits_for(n), c);
}

struct cm_count cm_popcount(int n, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_popcount(&nl, n, arch);
    return nl.count;
}
