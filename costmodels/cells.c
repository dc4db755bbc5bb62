/* costmodels/cells.c: the cell library parser, the compiled-in default
 * library, and sums over cell counts (cells.h). */
#include "costmodels/cells.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The bytes of costmodels/tech/generic45.cells, NUL-terminated; generated at
 * build time by costmodels/CMakeLists.txt. */
extern const char cm_lib_generic45_text[];

static const char *const cell_names[CM_N_CELLS] = {
    [CM_INV] = "INV", [CM_NAND2] = "NAND2", [CM_NOR2] = "NOR2", [CM_AND2] = "AND2",
    [CM_OR2] = "OR2", [CM_XOR2] = "XOR2",   [CM_XNOR2] = "XNOR2", [CM_MUX2] = "MUX2",
    [CM_HA] = "HA",   [CM_FA] = "FA",       [CM_DFF] = "DFF",
};

enum { N_FIELDS = 5, N_FIELDS_DFF = 6 };  /* numbers after the name */
static const char *const field_names[N_FIELDS_DFF] = {"area_um2",   "nand2_eq", "energy_fj",
                                                      "leakage_nw", "delay_ps", "setup_ps"};
static const char expected_fields[] = "NAME area_um2 nand2_eq energy_fj leakage_nw delay_ps";
static const char expected_dff[] =
    "DFF area_um2 nand2_eq energy_fj leakage_nw delay_ps setup_ps";
/* The range of each field: beyond any real cell (a 1 mm^2 cell, 1 nJ a
 * toggle, 1 W of leakage, a 1 us delay), so that a design's totals stay
 * finite (1e308 gave inf) and the ratios to NAND2 stay bounded. */
static const double field_min[N_FIELDS_DFF] = {1e-6, 1e-6, 0.0, 0.0, 1e-3, 0.0};
static const double field_max[N_FIELDS_DFF] = {1e6, 1e6, 1e6, 1e9, 1e6, 1e6};

const char *cm_cell_name(enum cm_cell c)
{
    assert(c >= 0 && c < CM_N_CELLS);
    return cell_names[c];
}

/* Splits one line (its comment removed) into at most max_tok
 * whitespace-separated tokens in place; returns the count, max_tok + 1 if
 * there are more. */
static int split(char *line, char **tok, int max_tok)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            return n;
        if (n == max_tok)
            return max_tok + 1;
        tok[n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = '\0';
    }
}

static int parse_number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && errno == 0 && isfinite(*v);
}

enum cm_status cm_lib_parse(struct cm_lib *lib, const char *text, const char *source,
                            struct cm_error *err)
{
    memset(lib, 0, sizeof *lib);
    int seen_line[CM_N_CELLS] = {0};
    int library_line = 0, line_no = 0;
    enum cm_status st = CM_OK;
    const char *p = text;
    while (*p && st == CM_OK) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[512];
        line_no++;
        if (len >= sizeof line) {
            st = cm_fail(err, CM_ERR_FORMAT,
                         "%s:%d: line too long (%zu bytes), expected at most %zu", source,
                         line_no, len, sizeof line - 1);
            break;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p = eol ? eol + 1 : p + len;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';

        char *tok[N_FIELDS_DFF + 2];
        const int n = split(line, tok, N_FIELDS_DFF + 1);
        if (n == 0)
            continue;
        if (strcmp(tok[0], "library") == 0) {
            if (library_line)
                st = cm_fail(err, CM_ERR_FORMAT,
                             "%s:%d: library: a second library line (the first is line %d), "
                             "expected one",
                             source, line_no, library_line);
            else if (n != 2 || strlen(tok[1]) >= sizeof lib->name)
                st = cm_fail(err, CM_ERR_FORMAT,
                             "%s:%d: library: expected 'library NAME' with one name of at most "
                             "%zu characters",
                             source, line_no, sizeof lib->name - 1);
            else {
                strcpy(lib->name, tok[1]);
                library_line = line_no;
            }
            continue;
        }
        int c = 0;
        while (c < CM_N_CELLS && strcmp(tok[0], cell_names[c]) != 0)
            c++;
        if (c == CM_N_CELLS) {
            st = cm_fail(err, CM_ERR_FORMAT,
                         "%s:%d: cell: unknown cell '%s', expected one of INV NAND2 NOR2 AND2 OR2 "
                         "XOR2 XNOR2 MUX2 HA FA DFF (or 'library NAME')",
                         source, line_no, tok[0]);
            break;
        }
        if (seen_line[c]) {
            st = cm_fail(err, CM_ERR_FORMAT,
                         "%s:%d: %s: duplicate cell (first on line %d), expected each cell once",
                         source, line_no, tok[0], seen_line[c]);
            break;
        }
        const int nf = c == CM_DFF ? N_FIELDS_DFF : N_FIELDS;
        const char *expected = c == CM_DFF ? expected_dff : expected_fields;
        if (n < nf + 1) {
            st = cm_fail(err, CM_ERR_FORMAT, "%s:%d: %s: missing %s%s, expected %s", source,
                         line_no, tok[0], field_names[n - 1],
                         n - 1 == 4 ? " (a library without delays: add each cell's delay)" : "",
                         expected);
            break;
        }
        if (n > nf + 1) {
            st = cm_fail(err, CM_ERR_FORMAT, "%s:%d: %s: extra fields after %s, expected %s",
                         source, line_no, tok[0], field_names[nf - 1], expected);
            break;
        }
        double v[N_FIELDS_DFF];
        for (int f = 0; f < nf && st == CM_OK; f++) {
            /* areas and delays must be positive; energy and leakage may be 0 */
            const int positive = f < 2 || f == 4;
            if (!parse_number(tok[f + 1], &v[f]))
                st = cm_fail(err, CM_ERR_FORMAT, "%s:%d: %s %s: '%s' is not a number, expected a "
                             "finite decimal number", source, line_no, tok[0], field_names[f],
                             tok[f + 1]);
            else if (v[f] < field_min[f] || v[f] > field_max[f] || (positive && v[f] == 0.0))
                st = cm_fail(err, CM_ERR_FORMAT, "%s:%d: %s %s: %s, expected a %s number "
                             "from %g to %g", source, line_no, tok[0], field_names[f], tok[f + 1],
                             positive ? "positive" : "non-negative", field_min[f], field_max[f]);
        }
        if (st != CM_OK)
            break;
        lib->cell[c] = (struct cm_cell_info){
            .area_um2 = v[0], .nand2_eq = v[1], .energy_fj = v[2], .leakage_nw = v[3],
            .delay_ps = v[4]};
        if (c == CM_DFF)
            lib->setup_ps = v[5];
        seen_line[c] = line_no;
    }
    for (int c = 0; c < CM_N_CELLS && st == CM_OK; c++)
        if (!seen_line[c])
            st = cm_fail(err, CM_ERR_FORMAT,
                         "%s:%d: %s: missing cell at the end of the file, expected every one of "
                         "INV NAND2 NOR2 AND2 OR2 XOR2 XNOR2 MUX2 HA FA DFF once",
                         source, line_no, cell_names[c]);
    if (st != CM_OK) {
        memset(lib, 0, sizeof *lib);
        return st;
    }
    if (!library_line)
        strcpy(lib->name, "unnamed");
    return CM_OK;
}

const char *cm_lib_default_text(void)
{
    return cm_lib_generic45_text;
}

void cm_lib_default(struct cm_lib *lib)
{
    enum cm_status st = cm_lib_parse(lib, cm_lib_generic45_text, "generic45.cells", NULL);
    assert(st == CM_OK);
    (void)st;
}

void cm_count_add(struct cm_count *acc, const struct cm_count *c, double times)
{
    for (int i = 0; i < CM_N_CELLS; i++)
        acc->n[i] += c->n[i] * times;
}

struct cm_count cm_count_gates_only(const struct cm_count *c)
{
    struct cm_count g = *c;
    g.n[CM_HA] = 0.0;
    g.n[CM_FA] = 0.0;
    g.n[CM_XOR2] += c->n[CM_HA] + 2.0 * c->n[CM_FA];
    g.n[CM_AND2] += c->n[CM_HA];
    g.n[CM_NAND2] += 3.0 * c->n[CM_FA];
    return g;
}

double cm_count_cells(const struct cm_count *c)
{
    double s = 0.0;
    for (int i = 0; i < CM_N_CELLS; i++)
        s += c->n[i];
    return s;
}

double cm_count_nand2(const struct cm_count *c, const struct cm_lib *lib)
{
    double s = 0.0;
    for (int i = 0; i < CM_N_CELLS; i++)
        s += c->n[i] * lib->cell[i].nand2_eq;
    return s;
}

double cm_count_area_um2(const struct cm_count *c, const struct cm_lib *lib)
{
    double s = 0.0;
    for (int i = 0; i < CM_N_CELLS; i++)
        s += c->n[i] * lib->cell[i].area_um2;
    return s;
}

double cm_count_leakage_nw(const struct cm_count *c, const struct cm_lib *lib)
{
    double s = 0.0;
    for (int i = 0; i < CM_N_CELLS; i++)
        s += c->n[i] * lib->cell[i].leakage_nw;
    return s;
}
