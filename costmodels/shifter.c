/* costmodels/shifter.c: the logarithmic barrel shifter (netlist.h, units.h). */
#include "costmodels/netlist.h"

#include <assert.h>
#include <string.h>

/* Stage k shifts by 2^k when sh[k] is set: one MUX2 per result bit. Bits
 * shifted in from outside the value are 0 on the left (an AND2 with the
 * stage's shared NOT sh[k]) and the sign on the right; sign-extension bits
 * are the same wire, so a MUX2 between two of them is no gate. A stage only
 * builds the bits that the later stages and the result read: bits below
 * out_width for a left shift, below out_width plus the later stages' largest
 * shift for a right shift. */
void cm_nl_shift(struct cm_nl *nl, enum cm_shift_dir dir, int width, const int *x, int sh_bits,
                 const int *sh, int out_width, int *y)
{
    assert(width >= 1 && out_width >= 1 && sh_bits >= 0 && sh_bits <= 6);
    assert(width <= CM_NL_MAX_ADD && out_width <= CM_NL_MAX_ADD);
    const int sign = x[width - 1];
    const int n = dir == CM_SHIFT_LEFT ? out_width : width;  /* bits carried through */
    int v[CM_NL_MAX_ADD], next[CM_NL_MAX_ADD];
    for (int i = 0; i < n; i++)
        v[i] = i < width ? x[i] : sign;
    for (int k = 0; k < sh_bits; k++) {
        const int d = 1 << k;
        const int later = (1 << sh_bits) - (1 << (k + 1));  /* the later stages' largest shift */
        int live = n;
        if (dir == CM_SHIFT_RIGHT_ARITH && out_width + later < n)
            live = out_width + later;
        int nsh = 0, have_nsh = 0;  /* NOT sh[k], built on first use */
        for (int i = 0; i < live; i++) {
            if (dir == CM_SHIFT_LEFT && i < d) {
                if (v[i] == CM_NL_0) {
                    next[i] = CM_NL_0;
                    continue;
                }
                if (!have_nsh) {
                    nsh = cm_nl_inv(nl, sh[k]);
                    have_nsh = 1;
                }
                next[i] = cm_nl_and(nl, v[i], nsh);
                continue;
            }
            int from = dir == CM_SHIFT_LEFT ? v[i - d] : (i + d < n ? v[i + d] : sign);
            next[i] = cm_nl_mux(nl, sh[k], v[i], from);
        }
        for (int i = live; i < n; i++)
            next[i] = CM_NL_0;  /* never read */
        memcpy(v, next, (size_t)n * sizeof *v);
    }
    for (int i = 0; i < out_width; i++)
        y[i] = i < n ? v[i] : sign;
}

/* Shifter unit: inputs x (width), sh (cm_bits_for(max_shift)); output y
 * (out_width) = x << sh, x sign-extended. */
void cm_nl_unit_shifter(struct cm_nl *nl, int width, int max_shift, int out_width)
{
    const int sh_bits = cm_bits_for(max_shift);
    int x[64], sh[8], y[64];
    cm_nl_input(nl, "x", width, x);
    if (sh_bits > 0)
        cm_nl_input(nl, "sh", sh_bits, sh);
    cm_nl_shift(nl, CM_SHIFT_LEFT, width, x, sh_bits, sh, out_width, y);
    cm_nl_output(nl, "y", out_width, y);
}

struct cm_count cm_shifter(int width, int max_shift, int out_width)
{
    assert(width >= 1 && width <= 64 && out_width >= 1 && out_width <= 64);
    assert(max_shift >= 0 && max_shift <= 63);
    struct cm_nl nl = {0};
    cm_nl_unit_shifter(&nl, width, max_shift, out_width);
    return nl.count;
}
