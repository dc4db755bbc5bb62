/* costmodels/pool.c: a PE's pooling unit, the running maximum over a pool
 * window (netlist.h, units.h). */
#include "costmodels/netlist.h"

#include <assert.h>

/* Pool unit on bits-wide unsigned codes: the pool register (bits DFFs)
 * holds the running maximum; at a window's first position (first = 1) it
 * is masked to 0 (an AND2 a bit with the shared NOT first). For 1-bit codes
 * the maximum is an OR2; otherwise an unsigned comparator code >= held of
 * arch picks code or held with a MUX2 a bit. */
void cm_nl_unit_pool(struct cm_nl *nl, int bits, enum cm_adder_arch arch)
{
    assert(bits >= 1 && bits <= 64);
    int code[64], first, q[64], held[64], next[64];
    cm_nl_input(nl, "code", bits, code);
    cm_nl_input(nl, "first", 1, &first);
    const int nfirst = cm_nl_inv(nl, first);
    for (int i = 0; i < bits; i++) {
        q[i] = cm_nl_reg_q(nl);
        held[i] = cm_nl_and(nl, q[i], nfirst);
    }
    if (bits == 1) {
        next[0] = cm_nl_or(nl, code[0], held[0]);
    } else {
        const int ge = cm_nl_compare_ge(nl, arch, bits, code, held, 0);
        for (int i = 0; i < bits; i++)
            next[i] = cm_nl_mux(nl, ge, held[i], code[i]);
    }
    for (int i = 0; i < bits; i++)
        cm_nl_reg_d(nl, q[i], next[i]);
    cm_nl_output(nl, "max", bits, q);
}

struct cm_count cm_pool(int bits, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_pool(&nl, bits, arch);
    return nl.count;
}
