/* tests/test_sim_golden.c: the SystemC model's golden regression file.
 *
 * Builds a fixed small network (tests/qnn_fixture.h, fixed seed: a pixel
 * conv, an OR-merging conv with pooling, another OR-merging conv, dense scores),
 * a fixed design and 4 fixed images, simulates them, and writes what a
 * change in the model would change: per layer the cycles, the buffer reads
 * and writes and the toggles of every unit kind; per image the prediction
 * and a hash (FNV-1a) of every layer's output and the class scores. Then
 * compares that text, line by line, with tests/golden/sim_small.txt and
 * prints every differing line (expected, then got).
 *
 *     test_sim_golden                 compare (the CTest test)
 *     test_sim_golden --write FILE    write the file anew (tests/golden/regen.sh)
 *
 * When a change is intended (a new register counted, a changed pipeline),
 * regenerate the file and say in the commit why its numbers moved. The file
 * also changes if qnn_fixture.h's builder or random generator changes.
 * Tolerance policy: none; every number must be equal. */
#include <stdio.h>
#include <string.h>

#include "costmodels/design.h"
#include "nn/infer.h"
#include "qnn_fixture.h"
#include "sim/sim.h"
#include "testutil.h"
#include "sim_open.h"

#define N_IMAGES 4

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static void golden_net(struct nn_qnn *m)
{
    uint64_t rng = 0x601de2u;
    model_init(m, 8, 8, 1, 5);
    struct lspec a = {.op = NN_QNN_CONV, .k = 3, .stride = 1, .pad = 1, .out_c = 6,
                      .w_code = NN_WCODE_SIGNMAG, .w_max = 1, .out_kind = NN_OUT_THRESH,
                      .out_code = NN_CODE_BIN01, .out_bits = 1};
    add_layer(m, a, &rng);
    struct lspec b = a;
    b.w_code = NN_WCODE_BINARY;
    b.merge = NN_MERGE_OR;
    b.pool = 2;
    add_layer(m, b, &rng);
    struct lspec c = a;
    c.w_max = 3;
    c.merge = NN_MERGE_OR;
    add_layer(m, c, &rng);
    struct lspec sc = {.op = NN_QNN_DENSE, .out_c = 5, .out_kind = NN_OUT_SCORES,
                       .w_code = NN_WCODE_SIGNMAG, .w_max = 2};
    add_layer(m, sc, &rng);
}

static void golden_hw(struct cm_hw *hw)
{
    cm_hw_defaults(hw);
    hw->pe_rows = 4;
    hw->lanes = 32;
    hw->acc_bits = 14;
    hw->max_act_bits = 1;
    hw->max_w_bits = 2;
}

/* Writes the report into buf; returns its length, or -1. */
static int report(char *buf, size_t size)
{
    struct nn_qnn m;
    golden_net(&m);
    struct cm_hw hw;
    golden_hw(&hw);
    uint64_t rng = 0x1a6e5u;
    size_t img = (size_t)m.in_h * m.in_w * m.in_c;
    uint8_t px[N_IMAGES * 64];
    for (size_t i = 0; i < N_IMAGES * img; i++)
        px[i] = (uint8_t)rng_int(&rng, 0, 255);
    struct sim *s;
    struct sim_error err;
    if (test_sim_open(&s, &m, &hw, NULL, &err) != SIM_OK) {
        fprintf(stderr, "sim_open: %s\n", err.msg);
        nn_qnn_free(&m);
        return -1;
    }
    int pred[N_IMAGES], matched[N_IMAGES];
    enum sim_status st = sim_run(s, px, N_IMAGES, pred, matched, &err);
    const struct sim_stats *ss = sim_stats(s);
    size_t n = 0;
#define OUT(...) n += (size_t)snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__)
    OUT("# logiq sim golden v1: tests/test_sim_golden.c (regenerate: tests/golden/regen.sh)\n");
    OUT("# network: 8x8x1 pixels, conv3 6 ternary, conv3 6 binary +or +pool2, conv3 6 heq:7"
        " +or, dense 5 scores\n");
    OUT("# design: %d PEs x %d lanes, acc %d bits; %d images\n", hw.pe_rows, hw.lanes,
        hw.acc_bits, N_IMAGES);
    OUT("status %d mismatches %lld cycles %lld\n", (int)st, ss->mismatched_images, ss->cycles);
    for (int l = 0; l < ss->n_layers; l++) {
        const struct sim_layer_stats *ls = &ss->layer[l];
        OUT("layer %d cycles %lld analytic %lld\n", l + 1, ls->cycles, ls->analytic);
        for (int b = 0; b < CM_N_BUFS; b++)
            OUT("layer %d %s reads %lld writes %lld\n", l + 1,
                cm_buffer_name((enum cm_buffer)b), ls->reads[b], ls->writes[b]);
        for (int u = 0; u < CM_N_UNITS; u++)
            OUT("layer %d toggles %s %.0f\n", l + 1, cm_unit_kind_name((enum cm_unit_kind)u),
                ls->toggles[u]);
    }
    struct nn_infer_ws ws;
    struct nn_error nerr;
    if (nn_infer_ws_init(&ws, &m, &nerr) == NN_OK) {
        for (int i = 0; i < N_IMAGES; i++) {
            nn_infer_image(&m, &ws, px + img * i);
            uint64_t h = 0xcbf29ce484222325ull;
            for (int l = 0; l + 1 < m.n_layers; l++) {
                int oh, ow, oc;
                nn_qnn_out_shape(&m.layers[l], &oh, &ow, &oc);
                h = fnv(h, ws.act[l], sizeof(int32_t) * (size_t)oh * ow * oc);
            }
            h = fnv(h, ws.scores, sizeof(int64_t) * (size_t)m.n_class);
            OUT("image %d prediction %d matched %d outputs_fnv %016llx\n", i, pred[i], matched[i],
                (unsigned long long)h);
        }
        nn_infer_ws_free(&ws);
    }
#undef OUT
    sim_close(s);
    nn_qnn_free(&m);
    return n < size ? (int)n : -1;
}

/* The next line of text at *p (without its newline); advances *p. */
static int next_line(const char **p, char *line, size_t size)
{
    if (!**p)
        return 0;
    size_t n = 0;
    while (**p && **p != '\n') {
        if (n + 1 < size)
            line[n++] = **p;
        (*p)++;
    }
    if (**p == '\n')
        (*p)++;
    line[n] = '\0';
    return 1;
}

int main(int argc, char **argv)
{
    static char got[1 << 16], want[1 << 16];
    printf("SystemC %s\n", sim_systemc_version());
    int n = report(got, sizeof got);
    TU_CHECK(n > 0, "the report could not be made");
    if (n <= 0)
        return tu_exit("test_sim_golden");
    if (argc == 3 && strcmp(argv[1], "--write") == 0) {
        FILE *f = fopen(argv[2], "w");
        if (!f || fwrite(got, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0) {
            fprintf(stderr, "cannot write %s\n", argv[2]);
            return 1;
        }
        printf("wrote %s\n", argv[2]);
        return 0;
    }
    const char *src = getenv("LOGIQ_TEST_SRC");
    char path[4096];
    snprintf(path, sizeof path, "%s/golden/sim_small.txt", src ? src : "tests");
    FILE *f = fopen(path, "r");
    size_t w = f ? fread(want, 1, sizeof want - 1, f) : 0;
    if (f)
        fclose(f);
    want[w] = '\0';
    TU_CHECK(f != NULL, "%s: cannot be read", path);
    const char *pg = got, *pw = want;
    char lg[512], lw[512];
    int line = 0, diffs = 0;
    for (;;) {
        int hg = next_line(&pg, lg, sizeof lg), hw = next_line(&pw, lw, sizeof lw);
        if (!hg && !hw)
            break;
        line++;
        if (!hg || !hw || strcmp(lg, lw) != 0) {
            diffs++;
            fprintf(stderr, "%s:%d:\n  - %s\n  + %s\n", path, line, hw ? lw : "(end of file)",
                    hg ? lg : "(end of output)");
        }
    }
    TU_CHECK(diffs == 0, "%d lines differ from %s (- expected, + got; if the change is intended, "
             "run tests/golden/regen.sh and explain it in the commit)", diffs, path);
    printf("compared %d lines with %s\n", line, path);
    return tu_exit("test_sim_golden");
}
