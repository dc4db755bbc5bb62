/* costmodels/cells.h: cell libraries (technology files) and cell counts.
 *
 * A cell library is a plain-text file, one cell a line:
 *
 *     # comment
 *     library generic45                    (optional: the library's name)
 *     NAME  area_um2  nand2_eq  energy_fj_per_toggle  leakage_nw  delay_ps
 *     DFF   area_um2  nand2_eq  energy_fj_per_toggle  leakage_nw  delay_ps  setup_ps
 *
 * NAME is one of the cells of enum cm_cell (INV NAND2 NOR2 AND2 OR2 XOR2
 * XNOR2 MUX2 HA FA DFF); every one must appear exactly once. Numbers are
 * finite and non-negative, areas and delays positive. For DFF the energy is
 * per clock edge with its output toggling, delay_ps is its clock-to-q delay
 * and the DFF line alone carries a seventh field, the setup time. delay_ps
 * of a logic cell is its worst input-to-output delay (one number a cell:
 * costmodels/timing.h). A library written before cells had delays (five
 * fields) is an error naming the file, the line and the missing delay_ps:
 * there is no default delay, because a made-up one would silently set the
 * design's clock. The default library, generic45, is
 * costmodels/tech/generic45.cells; its text is also compiled in
 * (cm_lib_default_text) so that logiq needs no installed data file, and a
 * test holds the two equal.
 *
 * Usage:
 *     struct cm_lib lib;
 *     struct cm_error err;
 *     if (cm_lib_parse(&lib, text, "my.cells", &err) != CM_OK) ... err.msg
 *     struct cm_count c = cm_adder(16, CM_ADDER_RIPPLE);
 *     double nand2 = cm_count_nand2(&c, &lib);
 *
 * Memory: everything here is plain values; nothing allocates. No I/O: the
 * caller reads the file and passes its text. */
#ifndef LOGIQ_CM_CELLS_H
#define LOGIQ_CM_CELLS_H

#include "costmodels/status.h"

enum cm_cell {
    CM_INV,
    CM_NAND2,
    CM_NOR2,
    CM_AND2,
    CM_OR2,
    CM_XOR2,
    CM_XNOR2,
    CM_MUX2,
    CM_HA,   /* half adder: sum and carry */
    CM_FA,   /* full adder: sum and carry */
    CM_DFF,  /* D flip-flop */
    CM_N_CELLS
};

struct cm_cell_info {
    double area_um2;
    double nand2_eq;     /* area in NAND2 equivalents */
    double energy_fj;    /* energy per output toggle (DFF: per clock with a toggle) */
    double leakage_nw;
    double delay_ps;     /* worst input-to-output delay (DFF: clock to q) */
};

struct cm_lib {
    char name[64];
    struct cm_cell_info cell[CM_N_CELLS];
    double setup_ps;     /* the DFF's setup time */
};

/* A count of each cell. Counts are whole numbers; they are held as double so
 * that a unit's count times a multiplicity (PEs, lanes) sums without care. */
struct cm_count {
    double n[CM_N_CELLS];
};

/* "INV", "NAND2", ... */
const char *cm_cell_name(enum cm_cell c);

/* Parses a library's text; source names it in error messages
 * ("generic45.cells:12: ..."). Strict: unknown cells, missing or duplicate
 * cells, missing or extra fields, non-numbers and negative values are
 * errors naming the line and the field. */
enum cm_status cm_lib_parse(struct cm_lib *lib, const char *text, const char *source,
                            struct cm_error *err);
/* The text of costmodels/tech/generic45.cells, compiled in. */
const char *cm_lib_default_text(void);
/* Parses the compiled-in default library (cannot fail). */
void cm_lib_default(struct cm_lib *lib);

/* acc += c * times */
void cm_count_add(struct cm_count *acc, const struct cm_count *c, double times);
/* The same count with HA and FA replaced by their gate-level decomposition
 * (HA = XOR2 + AND2; FA = 2 XOR2 + 3 NAND2: x = a XOR b, sum = x XOR c,
 * carry = NAND(NAND(a, b), NAND(x, c))), the form that the Yosys validation
 * compares. The NAND form of the carry is the one logic synthesis maps a
 * full adder to (2 XOR2 + 2 AND2 + OR2 would be 14% larger in NAND2
 * equivalents); costmodels/verilog.c writes FAs in this form. */
struct cm_count cm_count_gates_only(const struct cm_count *c);
double cm_count_cells(const struct cm_count *c);  /* number of cells */
double cm_count_nand2(const struct cm_count *c, const struct cm_lib *lib);
double cm_count_area_um2(const struct cm_count *c, const struct cm_lib *lib);
double cm_count_leakage_nw(const struct cm_count *c, const struct cm_lib *lib);

#endif
