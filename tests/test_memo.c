/* tests/test_memo.c: the unit memo (costmodels/memo.h) changes no number:
 * over the presets with every merge kind and a grid of hardware variants
 * (lanes, PE rows, adders, PE kinds, requantizers, add stages, activation
 * widths), cm_design_eval_memo with one shared memo gives the very struct
 * cm_design_eval gives (byte for byte), and the same status and message for
 * an infeasible design. Tolerance: none (exact). */
#include <string.h>

#include "sweeps/costnet.h"
#include "costmodels/design.h"
#include "costmodels/memo.h"
#include "nn/model.h"
#include "testutil.h"

static int load_net(const char *arch, struct cm_net *net, struct cm_layer **layers)
{
    struct nn_model_config cfg;
    nn_model_config_default(&cfg);
    cfg.max_batch = 2;
    char name[256], msg[1024];
    int rc = sw_net_load(NULL, arch, 0.25f, &cfg, net, layers, name, sizeof name, msg,
                          sizeof msg);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", arch, msg);
    return rc;
}

int main(void)
{
    static const char *const archs[] = {"res11-or", "res11-add", "res11-mux", "vgg11"};
    static const int lanes[] = {16, 64, 100};
    static const int rows[] = {8, 32};
    static const char *const pes[] = {"bitplane", "shift", "xnor"};
    static const char *const rqs[] = {"mul", "shift"};
    struct cm_lib lib;
    cm_lib_default(&lib);
    struct cm_memo *memo = cm_memo_new();
    struct cm_design *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    TU_CHECK(memo && a && b, "out of memory");
    if (!memo || !a || !b)
        return tu_exit("test_memo");
    long long n = 0, infeasible = 0;
    for (size_t k = 0; k < sizeof archs / sizeof archs[0]; k++) {
        struct cm_net net;
        struct cm_layer *layers;
        if (load_net(archs[k], &net, &layers) != 0) {
            TU_CHECK(0, "cannot build %s", archs[k]);
            continue;
        }
        for (size_t l = 0; l < 3; l++)
            for (size_t r = 0; r < 2; r++)
                for (int ad = 0; ad < 4; ad++)
                    for (size_t p = 0; p < 3; p++)
                        for (size_t q = 0; q < 2; q++)
                            for (int st = 1; st <= 2; st++)
                                for (int act = 0; act <= 2; act++) {
                                    struct cm_hw hw;
                                    cm_hw_defaults(&hw);
                                    hw.lanes = lanes[l];
                                    hw.pe_rows = rows[r];
                                    hw.adder = (enum cm_adder_arch)ad;
                                    hw.max_act_bits = act;
                                    hw.add_stages = st;
                                    struct cm_error e;
                                    cm_hw_set(&hw, "array", "pe", pes[p], &e);
                                    cm_hw_set(&hw, "merge", "requant", rqs[q], &e);
                                    struct cm_error ea = {{0}}, eb = {{0}};
                                    memset(a, 0, sizeof *a);
                                    memset(b, 0, sizeof *b);
                                    enum cm_status sa = cm_design_eval(a, &hw, &lib, &net, &ea);
                                    enum cm_status sb =
                                        cm_design_eval_memo(b, &hw, &lib, &net, memo, &eb);
                                    n++;
                                    TU_CHECK(sa == sb, "%s: status %d vs %d with the memo",
                                             archs[k], sa, sb);
                                    if (sa != CM_OK) {
                                        infeasible++;
                                        TU_CHECK(strcmp(ea.msg, eb.msg) == 0,
                                                 "%s: \"%s\" vs \"%s\"", archs[k], ea.msg,
                                                 eb.msg);
                                        continue;
                                    }
                                    TU_CHECK(memcmp(a, b, sizeof *a) == 0,
                                             "%s lanes %d rows %d adder %d pe %s rq %s stages "
                                             "%d act %d: the design differs with the memo "
                                             "(gates %.17g vs %.17g, fmax %.17g vs %.17g)",
                                             archs[k], lanes[l], rows[r], ad, pes[p], rqs[q],
                                             st, act, a->logic_nand2, b->logic_nand2,
                                             a->timing.fmax_mhz, b->timing.fmax_mhz);
                                }
        free(layers);
    }
    long long lookups, builds;
    cm_memo_stats(memo, &lookups, &builds);
    printf("%lld designs (%lld infeasible) equal with and without the memo; memo: %lld "
           "lookups, %lld builds\n", n, infeasible, lookups, builds);
    TU_CHECK(builds < lookups, "the memo never hit");
    cm_memo_free(memo);
    free(a);
    free(b);
    return tu_exit("test_memo");
}
