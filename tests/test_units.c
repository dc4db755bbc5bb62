/* tests/test_units.c: the cell library parser and the unit counts of
 * costmodels/ (cells.c and the unit files), without Yosys.
 *
 * Tolerance policy: none; counts are whole numbers and every comparison is
 * exact, except sums of library numbers (NAND2 equivalents, areas), which
 * are held to 1e-9 relative.
 *
 * Checked: known small counts (a w-bit ripple adder is w FAs, a popcount of
 * 3 is one FA, of 2 one HA, of 7 four FAs, ...); every unit's NAND2
 * equivalents never fall as a width grows (popcounts with a non-ripple final
 * adder: over powers of two, see check_monotone); linear units scale; the
 * FA/HA decomposition; cm_bits_for; the adder names; the default library
 * (its numbers, and the compiled-in text equal to
 * costmodels/tech/generic45.cells); and the parser's errors, each naming the
 * source, the line and the field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "costmodels/cells.h"
#include "costmodels/units.h"
#include "tests/testutil.h"

static struct cm_lib lib;

static double nand2(struct cm_count c)
{
    return cm_count_nand2(&c, &lib);
}

static int only(struct cm_count c, enum cm_cell cell, double n)
{
    for (int i = 0; i < CM_N_CELLS; i++)
        if (c.n[i] != (i == (int)cell ? n : 0.0))
            return 0;
    return 1;
}

static void check_small_counts(void)
{
    for (int w = 1; w <= 64; w++)
        TU_CHECK(only(cm_adder(w, CM_ADDER_RIPPLE), CM_FA, w), "ripple adder of %d bits != %d FA",
                 w, w);
    TU_CHECK(cm_count_cells(&(struct cm_count){{0}}) == 0.0, "empty count has cells");
    struct cm_count c = cm_popcount(1, CM_ADDER_RIPPLE);
    TU_CHECK(cm_count_cells(&c) == 0.0, "popcount of 1 has %g cells", cm_count_cells(&c));
    TU_CHECK(only(cm_popcount(2, CM_ADDER_RIPPLE), CM_HA, 1), "popcount of 2 != 1 HA");
    for (int a = 0; a < CM_N_ADDER_ARCHS; a++) {
        TU_CHECK(only(cm_popcount(3, a), CM_FA, 1), "popcount of 3 (%s) != 1 FA",
                 cm_adder_arch_name(a));
        TU_CHECK(only(cm_popcount(7, a), CM_FA, 4), "popcount of 7 (%s) != 4 FA",
                 cm_adder_arch_name(a));
    }
    TU_CHECK(only(cm_register(37), CM_DFF, 37), "register of 37 bits != 37 DFF");
    TU_CHECK(only(cm_merge_or(5), CM_OR2, 5), "OR merge of 5 bits != 5 OR2");
    /* lane logic: NAND2, XOR2, INV and two NOR2 a lane */
    c = cm_lane_logic(1);
    TU_CHECK(c.n[CM_NAND2] == 1 && c.n[CM_XOR2] == 1 && c.n[CM_INV] == 1 && c.n[CM_NOR2] == 2 &&
                 cm_count_cells(&c) == 5,
             "lane logic of 1 lane: %g cells", cm_count_cells(&c));
    /* a ripple comparator of w bits: INVs on b (and on a's sign), an OR2 a
     * bit and three NAND2 a bit above bit 0 */
    for (int w = 2; w <= 64; w++) {
        c = cm_comparator(w, CM_ADDER_RIPPLE);
        TU_CHECK(c.n[CM_INV] == w && c.n[CM_OR2] == w && c.n[CM_NAND2] == 3 * (w - 1) &&
                     cm_count_cells(&c) == 5 * w - 3,
                 "ripple comparator of %d bits: %g cells", w, cm_count_cells(&c));
    }
    /* the FA/HA decomposition of cells.h */
    struct cm_count fa = {{0}};
    fa.n[CM_FA] = 2;
    fa.n[CM_HA] = 1;
    fa.n[CM_DFF] = 1;
    const struct cm_count g = cm_count_gates_only(&fa);
    TU_CHECK(g.n[CM_FA] == 0 && g.n[CM_HA] == 0 && g.n[CM_XOR2] == 5 && g.n[CM_NAND2] == 6 &&
                 g.n[CM_AND2] == 1 && g.n[CM_DFF] == 1 && cm_count_cells(&g) == 13,
             "gates_only of 2 FA + HA + DFF");
}

/* NAND2 equivalents never fall as the width grows. */
static void check_monotone(void)
{
    double worst = 0.0;  /* the largest drop found */
    for (int a = 0; a < CM_N_ADDER_ARCHS; a++) {
        const char *an = cm_adder_arch_name(a);
        for (int w = 2; w <= 64; w++) {
            const double d[] = {
                nand2(cm_adder(w, a)) - nand2(cm_adder(w - 1, a)),
                nand2(cm_subtractor(w, a)) - nand2(cm_subtractor(w - 1, a)),
                nand2(cm_comparator(w, a)) - nand2(cm_comparator(w - 1, a)),
                nand2(cm_pool(w, a)) - nand2(cm_pool(w - 1, a)),
                nand2(cm_threshold_unit(3, w, a)) - nand2(cm_threshold_unit(3, w - 1, a)),
            };
            static const char *const names[] = {"adder", "subtractor", "comparator", "pool",
                                                "threshold"};
            for (int k = 0; k < 5; k++) {
                TU_CHECK(d[k] >= 0.0, "%s %s falls from %d to %d bits by %g", names[k], an,
                         w - 1, w, -d[k]);
                worst = d[k] < worst ? d[k] : worst;
            }
        }
        /* With a ripple final adder the popcount grows with every input. With
         * the others it need not: the width of the final adder (from the
         * lowest column the tree leaves two bits in) jumps with n, and 7
         * inputs make a perfect FA tree with no final adder at all while 6
         * need one. So for them only the powers of two, the lane counts. */
        for (int n = 2; n <= 1024; n = a == CM_ADDER_RIPPLE ? n + 1 : 2 * n) {
            const int prev = a == CM_ADDER_RIPPLE ? n - 1 : n / 2;
            const double d = nand2(cm_popcount(n, a)) - nand2(cm_popcount(prev, a));
            TU_CHECK(d >= 0.0, "popcount %s falls from %d to %d inputs by %g", an, prev, n, -d);
            worst = d < worst ? d : worst;
        }
        for (int n = 3; n <= 32; n++) {
            const double d = nand2(cm_multiplier(n, n, a)) - nand2(cm_multiplier(n - 1, n - 1, a));
            TU_CHECK(d >= 0.0, "multiplier %s falls from %d to %d bits by %g", an, n - 1, n, -d);
            worst = d < worst ? d : worst;
        }
        for (int acc = 8; acc <= 32; acc++) {
            const double d =
                nand2(cm_accumulator(5, 7, acc, a)) - nand2(cm_accumulator(5, 7, acc - 1, a));
            TU_CHECK(d >= 0.0, "accumulator %s falls from %d to %d bits by %g", an, acc - 1, acc,
                     -d);
            worst = d < worst ? d : worst;
        }
    }
    for (int w = 2; w <= 64; w++) {
        const double d = nand2(cm_shifter(w, 7, 64)) - nand2(cm_shifter(w - 1, 7, 64));
        TU_CHECK(d >= 0.0, "shifter falls from %d to %d bits by %g", w - 1, w, -d);
        worst = d < worst ? d : worst;
    }
    /* linear units scale exactly */
    for (int n = 1; n <= 1024; n *= 2) {
        TU_CHECK(fabs(nand2(cm_lane_logic(n)) - n * nand2(cm_lane_logic(1))) < 1e-9 * n,
                 "lane logic of %d lanes is not linear", n);
        const double per_lane = nand2(cm_fetch_gating(2)) - nand2(cm_fetch_gating(1));
        TU_CHECK(fabs(nand2(cm_fetch_gating(n)) - nand2(cm_fetch_gating(1)) - (n - 1) * per_lane) <
                     1e-9 * n,
                 "fetch gating of %d lanes is not linear", n);
    }
    printf("monotone in width: largest drop %g NAND2 eq (must be 0)\n",
           worst < 0.0 ? -worst : 0.0);
}

static void check_names(void)
{
    TU_CHECK(cm_bits_for(0) == 0 && cm_bits_for(1) == 1 && cm_bits_for(2) == 2 &&
                 cm_bits_for(3) == 2 && cm_bits_for(4) == 3 && cm_bits_for(1023) == 10 &&
                 cm_bits_for(1024) == 11,
             "cm_bits_for");
    for (int a = 0; a < CM_N_ADDER_ARCHS; a++)
        TU_CHECK(cm_adder_arch_parse(cm_adder_arch_name(a)) == a, "arch %d round trip", a);
    TU_CHECK(cm_adder_arch_parse("carry-save") == -1, "unknown arch parsed");
    TU_CHECK(strcmp(cm_cell_name(CM_MUX2), "MUX2") == 0, "cell name");
}

static void check_default_library(void)
{
    TU_CHECK(strcmp(lib.name, "generic45") == 0, "default library named '%s'", lib.name);
    TU_CHECK(lib.cell[CM_NAND2].nand2_eq == 1.0 && lib.cell[CM_NAND2].area_um2 == 0.798,
             "NAND2 of the default library");
    double worst = 0.0;
    for (int c = 0; c < CM_N_CELLS; c++) {
        const double rel = fabs(lib.cell[c].area_um2 / 0.798 - lib.cell[c].nand2_eq) /
                           lib.cell[c].nand2_eq;
        worst = rel > worst ? rel : worst;
        TU_CHECK(rel < 1e-3, "%s: nand2_eq %g vs area/0.798 %g", cm_cell_name(c),
                 lib.cell[c].nand2_eq, lib.cell[c].area_um2 / 0.798);
    }
    printf("default library: nand2_eq vs area / 0.798, largest relative difference %.2g\n",
           worst);
    struct cm_count c = cm_adder(8, CM_ADDER_RIPPLE);
    TU_CHECK(fabs(cm_count_area_um2(&c, &lib) - 8 * 4.256) < 1e-9, "area of 8 FA");
    TU_CHECK(fabs(cm_count_leakage_nw(&c, &lib) - 8 * lib.cell[CM_FA].leakage_nw) < 1e-9,
             "leakage of 8 FA");

    /* the compiled-in text is the file */
    const char *src = getenv("LOGIQ_TEST_SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/../costmodels/tech/generic45.cells", src ? src : "tests");
    FILE *f = fopen(path, "rb");
    TU_CHECK(f != NULL, "cannot open %s (LOGIQ_TEST_SRC)", path);
    if (f) {
        static char text[1 << 16];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        TU_CHECK(strcmp(text, cm_lib_default_text()) == 0,
                 "compiled-in library text differs from %s (%zu vs %zu bytes)", path, n,
                 strlen(cm_lib_default_text()));
    }
}

/* A valid library text; line k + 2 holds cell k (line 1 is the library line). */
static void valid_text(char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "library test\n");
    for (int c = 0; c < CM_N_CELLS; c++)
        len += (size_t)snprintf(buf + len, size - len, "%s 1.0 1.25 0.5 20 30%s\n",
                                cm_cell_name(c), c == CM_DFF ? " 12" : "");
}

/* Parses text and checks the error and every expected fragment of its
 * message. */
static void expect_error(const char *what, const char *text, const char *const *fragments)
{
    struct cm_lib l;
    struct cm_error err = {{0}};
    const enum cm_status st = cm_lib_parse(&l, text, "t.cells", &err);
    TU_CHECK(st == CM_ERR_FORMAT, "%s: status %d, expected CM_ERR_FORMAT", what, st);
    for (int i = 0; fragments[i]; i++)
        TU_CHECK(strstr(err.msg, fragments[i]) != NULL, "%s: message '%s' lacks '%s'", what,
                 err.msg, fragments[i]);
    TU_CHECK(l.cell[CM_FA].area_um2 == 0.0 && l.name[0] == '\0', "%s: library not zeroed", what);
    printf("  %-14s %s\n", what, err.msg);
}

static void check_parser(void)
{
    char text[1024], bad[4096];
    valid_text(text, sizeof text);
    struct cm_lib l;
    struct cm_error err = {{0}};
    TU_CHECK(cm_lib_parse(&l, text, "t.cells", &err) == CM_OK, "valid text: %s", err.msg);
    TU_CHECK(l.cell[CM_HA].nand2_eq == 1.25 && strcmp(l.name, "test") == 0, "valid text values");
    TU_CHECK(l.cell[CM_HA].delay_ps == 30.0 && l.cell[CM_DFF].delay_ps == 30.0 &&
                 l.setup_ps == 12.0,
             "valid text delays: HA %g, DFF %g, setup %g", l.cell[CM_HA].delay_ps,
             l.cell[CM_DFF].delay_ps, l.setup_ps);
    printf("parser errors:\n");

    /* FA (cell 9, line 11) missing: the message names the end of the text */
    const char *fa = strstr(text, "FA ");
    snprintf(bad, sizeof bad, "%.*s%s", (int)(fa - text), text, strchr(fa, '\n') + 1);
    expect_error("missing cell", bad, (const char *[]){"t.cells:11:", "FA", "missing", NULL});

    snprintf(bad, sizeof bad, "%s# comment\nINV 1 1 1 1 1\n", text);
    expect_error("duplicate", bad,
                 (const char *[]){"t.cells:14:", "INV", "duplicate", "line 2", NULL});

    snprintf(bad, sizeof bad, "%s", text);
    memcpy(strstr(bad, "NOR2 1.0 1.25") + 9, "x.xx", 4);  /* line 4: nand2_eq */
    expect_error("bad number", bad, (const char *[]){"t.cells:4:", "nand2_eq", "x.xx", NULL});

    snprintf(bad, sizeof bad, "%sNAND3 1 1 1 1 1\n", text);
    expect_error("unknown cell", bad,
                 (const char *[]){"t.cells:13:", "unknown cell 'NAND3'", NULL});

    snprintf(bad, sizeof bad, "%s", text);
    memcpy(strstr(bad, "XOR2 1.0 1.25 0.5 20"), "XOR2 1.0 1.25 0.5 -2", 20);  /* line 7 */
    expect_error("negative", bad, (const char *[]){"t.cells:7:", "leakage_nw", "-2", NULL});

    snprintf(bad, sizeof bad, "%s", text);
    memcpy(strstr(bad, "MUX2 1.0 1.25 0.5 20 30"), "MUX2 1.0 1.25          ", 23);  /* line 9 */
    expect_error("missing field", bad, (const char *[]){"t.cells:9:", "energy_fj", NULL});

    snprintf(bad, sizeof bad, "%s", text);
    memcpy(strstr(bad, "DFF 1.0 1.25 0.5 20 30 12"), "DFF 1 1.25 0.5 20 30 12 7", 25);
    expect_error("extra field", bad, (const char *[]){"t.cells:12:", "extra", "setup_ps", NULL});

    /* a library from before cells had delays: five fields */
    snprintf(bad, sizeof bad, "%s", text);
    memcpy(strstr(bad, "\nOR2 1.0 1.25 0.5 20 30") + 1, "OR2 1.0 1.25 0.5 20   ", 22);  /* line 6 */
    expect_error("no delay", bad,
                 (const char *[]){"t.cells:6:", "OR2", "missing delay_ps", "without delays", NULL});
    snprintf(bad, sizeof bad, "%s", text);
    memcpy(strstr(bad, "DFF 1.0 1.25 0.5 20 30 12"), "DFF 1.0 1.25 0.5 20 30   ", 25);
    expect_error("no setup", bad, (const char *[]){"t.cells:12:", "DFF", "setup_ps", NULL});
    snprintf(bad, sizeof bad, "%s", text);
    memcpy(strstr(bad, "INV 1.0 1.25 0.5 20 30"), "INV 1.0 1.25 0.5 20 0 ", 22);  /* line 2 */
    expect_error("zero delay", bad, (const char *[]){"t.cells:2:", "delay_ps", "positive", NULL});
    snprintf(bad, sizeof bad, "%s", text);
    memcpy(strstr(bad, "FA 1.0 1.25 0.5 20 30"), "FA 1.0 1.25 0.5 20 ps", 21);  /* line 11 */
    expect_error("bad delay", bad, (const char *[]){"t.cells:11:", "delay_ps", "'ps'", NULL});

    snprintf(bad, sizeof bad, "%s", text);
    memcpy(strstr(bad, "\nAND2 1.0") + 1, "AND2 0.0", 8);  /* line 5 */
    expect_error("zero area", bad, (const char *[]){"t.cells:5:", "area_um2", "positive", NULL});

    snprintf(bad, sizeof bad, "%s", text);
    memcpy(strstr(bad, "\nAND2 1.0") + 1, "AND2 1e308 1 0.5 20 ", 20);  /* line 5 */
    expect_error("huge area", bad, (const char *[]){"t.cells:5:", "area_um2", "1e308",
                                                    "from 1e-06 to 1e+06", NULL});

    snprintf(bad, sizeof bad, "%s", text);
    memcpy(strstr(bad, "\nOR2 1.0 1.25 0.5 20") + 1, "OR2 1.0 1.25 .5 2e9", 19);  /* line 6 */
    expect_error("huge leakage", bad, (const char *[]){"t.cells:6:", "leakage_nw", NULL});

    snprintf(bad, sizeof bad, "%slibrary again\n", text);
    expect_error("second library", bad, (const char *[]){"t.cells:13:", "library", NULL});

    expect_error("empty", "", (const char *[]){"t.cells", "INV", "missing", NULL});
}

int main(void)
{
    cm_lib_default(&lib);
    check_small_counts();
    check_monotone();
    check_names();
    check_default_library();
    check_parser();
    return tu_exit("test_units");
}
