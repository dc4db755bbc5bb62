/* costmodels/liberty.c: a cell library as a Liberty file (liberty.h). */
#include "costmodels/liberty.h"

#include <stdlib.h>

#include "costmodels/netlist.h"

static const struct {
    enum cm_cell cell;
    const char *function;
    const char *pins; /* its inputs, one letter each */
} gates[] = {
    {CM_INV, "!A", "A"},          {CM_NAND2, "!(A*B)", "AB"}, {CM_NOR2, "!(A+B)", "AB"},
    {CM_AND2, "(A*B)", "AB"},     {CM_OR2, "(A+B)", "AB"},    {CM_XOR2, "(A^B)", "AB"},
    {CM_XNOR2, "!(A^B)", "AB"},   {CM_MUX2, "((S*B)+(!S*A))", "ABS"},
    {CM_N_CELLS, "A", "A"}, /* BUF: two INVs */
};
enum { N_GATES = sizeof gates / sizeof gates[0] };

int cm_liberty_cells(const struct cm_lib *lib, struct cm_liberty_cell *out, int max)
{
    int n = 0;
    for (int k = 0; k < N_GATES && n < max; k++, n++) {
        const enum cm_cell c = gates[k].cell;
        out[n].cell = c;
        if (c == CM_N_CELLS) {
            out[n].name = "BUF";
            out[n].nand2_eq = 2.0 * lib->cell[CM_INV].nand2_eq;
            out[n].delay_ps = 2.0 * lib->cell[CM_INV].delay_ps;
        } else {
            out[n].name = cm_cell_name(c);
            out[n].nand2_eq = lib->cell[c].nand2_eq;
            out[n].delay_ps = lib->cell[c].delay_ps;
        }
    }
    return n;
}

char *cm_liberty_text(const struct cm_lib *lib, const char *name)
{
    struct cm_liberty_cell cells[N_GATES];
    const int n = cm_liberty_cells(lib, cells, N_GATES);
    struct cm_text t = {0};
    cm_text_printf(&t,
                   "/* Written by logiq from cell library %s: area = NAND2 equivalents,\n"
                   "   every arc the cell's delay_ps (costmodels/liberty.h). */\n"
                   "library(%s) {\n  delay_model: table_lookup;\n  time_unit: \"1ps\";\n"
                   "  capacitive_load_unit(1, ff);\n",
                   lib->name, name);
    for (int k = 0; k < n; k++) {
        cm_text_printf(&t, "  cell(%s) {\n    area: %.6g;\n", cells[k].name, cells[k].nand2_eq);
        for (const char *p = gates[k].pins; *p; p++)
            cm_text_printf(&t, "    pin(%c) { direction: input; capacitance: 1; }\n", *p);
        cm_text_printf(&t, "    pin(Y) {\n      direction: output; function: \"%s\";\n",
                       gates[k].function);
        for (const char *p = gates[k].pins; *p; p++)
            cm_text_printf(&t,
                           "      timing() { related_pin: \"%c\"; "
                           "cell_rise(scalar) { values(\"%.6g\"); } "
                           "cell_fall(scalar) { values(\"%.6g\"); } "
                           "rise_transition(scalar) { values(\"0\"); } "
                           "fall_transition(scalar) { values(\"0\"); } }\n",
                           *p, cells[k].delay_ps, cells[k].delay_ps);
        cm_text_printf(&t, "    }\n  }\n");
    }
    cm_text_printf(&t, "}\n");
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}
