/* costmodels/liberty.h: a cell library as a Liberty file, for synthesis tools.
 *
 * Writes the simple gates of a struct cm_lib (INV NAND2 NOR2 AND2 OR2 XOR2
 * XNOR2 MUX2) as Liberty cells whose area is the cell's NAND2 equivalents
 * and whose every input-to-output arc is the cell's delay_ps (scalar tables:
 * no load or slew dependence, as costmodels/timing.h models it), so that a
 * mapper (Yosys' abc -liberty) minimizes and reports the measures logiq
 * reports, in the same units. The adder cells (HA, FA) are not written: a
 * mapper builds them from gates, as logiq's Verilog writes them. A buffer
 * (BUF, Y = A) is added because ABC's standard-cell mapper (&nf) refuses a
 * library without one; it is priced as two INVs in series (twice INV's
 * NAND2 equivalents and delay). Flip-flops are not cells of the file: a
 * synthesis flow keeps them as its own flip-flop cells and prices them as
 * the library's DFF (nand2_eq; delay_ps is its clock-to-q).
 *
 *     char *text = cm_liberty_text(&lib, "g45");   // NULL: out of memory
 *     ... write it to g45.lib; free(text);
 *
 * Memory: the text is malloc'd; the caller frees it. No I/O. */
#ifndef LOGIQ_CM_LIBERTY_H
#define LOGIQ_CM_LIBERTY_H

#include "costmodels/cells.h"

/* The Liberty text of lib's simple gates and BUF, as library `name`. */
char *cm_liberty_text(const struct cm_lib *lib, const char *name);

/* The Liberty cells, in the file's order: the cell of lib each prices
 * (CM_N_CELLS for BUF, priced as two INVs), its name, its NAND2 eq and its
 * delay; n is set to their number. */
struct cm_liberty_cell {
    enum cm_cell cell;   /* CM_N_CELLS: BUF */
    const char *name;
    double nand2_eq;
    double delay_ps;
};
int cm_liberty_cells(const struct cm_lib *lib, struct cm_liberty_cell *out, int max);

#endif
