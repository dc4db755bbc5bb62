/* costmodels/controller.c: the controller's loop counters, the pipeline's
 * valid bits and the address generator's address adders (netlist.h,
 * units.h). */
#include "costmodels/netlist.h"

#include <assert.h>
#include <stdio.h>

/* Controller: one counter per loop, outermost first (counter_bits[0]);
 * the innermost counts when run is set, each outer one when the next inner
 * one wraps. A b-bit counter: q (b DFFs), the incrementer q + en (a chain of
 * b - 1 HAs and a top XOR2), the terminal-count compare q == last (last, a
 * b-bit input from the layer's descriptor: an XNOR2 a bit and an AND2 tree),
 * wrap = en AND tc (AND2), and next = wrap ? 0 : q + en (an AND2 a bit with
 * NAND(en, tc)). The outermost wrap is the done output. Then stages valid
 * bits: a DFF chain from run. */
void cm_nl_unit_controller(struct cm_nl *nl, const int *counter_bits, int n_counters, int stages)
{
    assert(n_counters >= 1 && n_counters <= 16 && stages >= 0 && stages <= 64);
    int run, en, last[16][32], valid[64];
    cm_nl_input(nl, "run", 1, &run);
    for (int k = 0; k < n_counters; k++) {
        char name[16];
        assert(counter_bits[k] >= 1 && counter_bits[k] <= 32);
        snprintf(name, sizeof name, "last%d", k);
        cm_nl_input(nl, name, counter_bits[k], last[k]);
    }
    en = run;
    for (int k = n_counters - 1; k >= 0; k--) {
        const int b = counter_bits[k];
        int q[32], inc[32], eq[32], c = en;
        for (int i = 0; i < b; i++) {
            q[i] = cm_nl_reg_q(nl);
            if (i < b - 1)
                cm_nl_ha(nl, q[i], c, &inc[i], &c);
            else
                inc[i] = cm_nl_xor(nl, q[i], c);
            eq[i] = cm_nl_xnor(nl, q[i], last[k][i]);
        }
        const int tc = cm_nl_and_n(nl, b, eq);  /* the terminal count: q == last */
        const int nwrap = cm_nl_nand(nl, en, tc);
        for (int i = 0; i < b; i++)
            cm_nl_reg_d(nl, q[i], cm_nl_and(nl, inc[i], nwrap));
        en = cm_nl_and(nl, en, tc);
    }
    cm_nl_output(nl, "done", 1, &en);
    int v = run;
    for (int i = 0; i < stages; i++)
        valid[i] = v = cm_nl_dff(nl, v);
    if (stages > 0)
        cm_nl_output(nl, "valid", stages, valid);
}

struct cm_count cm_controller(const int *counter_bits, int n_counters, int stages)
{
    struct cm_nl nl = {0};
    cm_nl_unit_controller(&nl, counter_bits, n_counters, stages);
    return nl.count;
}

/* An address adder of the address generator: s = a + b modulo 2^width, no
 * carry in or out (an address wraps modulo its memory's power-of-two
 * size). The width - 1 low bits through cm_nl_add with a carry in of 0
 * (bit 0 a half adder), the top bit a XOR b XOR the carry into it. The
 * gather adds the base address to each lane's offset with one
 * (docs/rtl.md, "Structure"). */
void cm_nl_unit_addr_add(struct cm_nl *nl, int width, enum cm_adder_arch arch)
{
    assert(width >= 1 && width <= 64);
    int a[64], b[64], s[64], c = CM_NL_0;
    cm_nl_input(nl, "a", width, a);
    cm_nl_input(nl, "b", width, b);
    if (width > 1)
        cm_nl_add(nl, arch, width - 1, a, b, CM_NL_0, s, &c);
    s[width - 1] = cm_nl_xor(nl, cm_nl_xor(nl, a[width - 1], b[width - 1]), c);
    cm_nl_output(nl, "s", width, s);
}

struct cm_count cm_addr_add(int width, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_addr_add(&nl, width, arch);
    return nl.count;
}
