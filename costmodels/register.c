/* costmodels/register.c: a plain register (netlist.h, units.h). */
#include "costmodels/netlist.h"

#include <assert.h>

/* Register unit: d (bits) -> q, one DFF a bit, loaded every clock. */
void cm_nl_unit_register(struct cm_nl *nl, int bits)
{
    int d[CM_NL_MAX_BUS], q[CM_NL_MAX_BUS];
    cm_nl_input(nl, "d", bits, d);
    for (int i = 0; i < bits; i++)
        q[i] = cm_nl_dff(nl, d[i]);
    cm_nl_output(nl, "q", bits, q);
}

/* Counted without the builder: bits may be any size (a score register file
 * of thousands of bits). */
struct cm_count cm_register(int bits)
{
    assert(bits >= 0);
    struct cm_count c = {{0}};
    c.n[CM_DFF] = bits;
    return c;
}
