// tests/rtl_cosim.cpp: the RTL (logiq rtl, rtl/rtl.h) co-simulated with
// Verilator against the golden integer model and the SystemC model, on
// random networks: one design (tests/rtl_design*.ini), compiled once, every
// network loaded into it at run time (rtl/cosim.h). On a design with a merge
// unit (or; mux with both variants) a third of the networks are plain
// chains, a third chains of its merges, a third residual blocks (identity,
// pad and projection shortcuts); on one without, all are plain. On an XNOR
// PE design, every network has binary weight planes (binary, offset binary).
//
// Tolerance policy: none. Every output word the RTL writes, every class
// score and every prediction must equal nn/infer.c's; every layer's RTL
// cycles must equal the analytic count (costmodels/latency.h) and the
// SystemC model's cycles on the same images. Plus: a changed reference is
// caught (the scoreboard works).
//
// usage: test_rtl DESIGN.ini [networks] [seed]
//        test_rtl DESIGN.ini --model M.qnn [--images N] [--data KIND] [--data-dir DIR]
// (the second form runs a trained network on test images: docs/rtl.md)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rtl/cosim.h"
#include "verilated.h"

extern "C" {
#include "nn/data.h"
#include "rtl_nets.h"
#include "sim/sim.h"
#include "sweeps/costnet.h"
}

static int failures = 0;

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            failures++;                                                                   \
            std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                     \
            std::fprintf(stderr, __VA_ARGS__);                                            \
            std::fputc('\n', stderr);                                                     \
        }                                                                                 \
    } while (0)

// A trained network on the test images: the co-simulation a user runs
// (docs/rtl.md): accuracy, mismatches, each layer's cycles beside the
// analytic count and the SystemC model's on the same images. 0 when every
// output and every layer's cycles are equal.
// The activity table of --toggles (docs/rtl.md, "Activity"): each unit
// kind's toggles an image on the RTL and in the SystemC model, the bits each
// counts, and the activity-based energy of each. 0 if the whole inference's
// activity energy agrees within `bar` (a fraction) and the kinds whose
// counted registers and buses are the same on both sides (the gating's and
// lane logic's outputs, the popcount trees') within
// `same_bar` in toggles, else 1. The others differ by structure (docs/rtl.md).
static int print_activity(const nn_qnn &q, const cm_hw &hw, const uint8_t *px, int n,
                          const lrtl::stats &st, double bar, double same_bar)
{
    double sct[CM_N_UNITS], scb[CM_N_UNITS];
    cm_activity_energy esc, ertl;
    char msg[1200];
    if (rtl_test_activity(&q, &hw, px, n, st.toggles, st.toggle_bits, sct, scb, &esc, &ertl, msg,
                          sizeof msg) != 0) {
        std::printf("SystemC: %s\n", msg);
        return 1;
    }
    std::printf("\nactivity, %d images: toggles an image of each unit kind's registers and "
                "buses, the bits counted, the energy an inference they imply\n", n);
    std::printf("%-16s %13s %6s %13s %6s %10s %10s %8s\n", "unit", "RTL toggles", "bits",
                "SystemC", "bits", "RTL pJ", "SystemC pJ", "dev");
    double lr = 0, ls = 0;
    bool same_ok = true;
    for (int u = 0; u < CM_N_UNITS; u++) {
        if (u == CM_U_ARRAY || u == CM_U_POPCOUNT)
            same_ok = same_ok && st.toggle_bits[u] == scb[u] &&
                      std::fabs((double)st.toggles[u] - sct[u]) <= same_bar * sct[u];
        const double a = ertl.unit_pj[u], b = esc.unit_pj[u];
        lr += a;
        ls += b;
        char dev[16] = "-";
        if (b > 0)
            std::snprintf(dev, sizeof dev, "%+.1f%%", 100.0 * (a - b) / b);
        std::printf("%-16s %13.0f %6lld %13.0f %6.0f %10.1f %10.1f %8s\n",
                    cm_unit_kind_name((cm_unit_kind)u), (double)st.toggles[u] / n,
                    st.toggle_bits[u], sct[u] / n, scb[u], a, b, dev);
    }
    const double dl = ls > 0 ? (lr - ls) / ls : 0.0;
    const double dt = esc.total_pj > 0 ? (ertl.total_pj - esc.total_pj) / esc.total_pj : 0.0;
    std::printf("logic (the unit kinds): RTL %.3f nJ, SystemC %.3f nJ an inference (%+.2f%%)\n",
                lr / 1000, ls / 1000, 100 * dl);
    std::printf("activity energy an inference (with the SRAM accesses and leakage): RTL %.3f nJ, "
                "SystemC %.3f nJ (%+.2f%%)\n",
                ertl.total_pj / 1000, esc.total_pj / 1000, 100 * dt);
    const bool ok = std::fabs(dt) <= bar;
    std::printf("activity energy within %.0f%%: %s; the lane logic's and popcounts' toggles "
                "within %.0f%%: %s\n", 100 * bar, ok ? "yes" : "NO", 100 * same_bar,
                same_ok ? "yes" : "NO");
    return ok && same_ok ? 0 : 1;
}

static int run_model(Vlogiq_accel &top, const cm_hw &hw, const rtl_config &cfg, const char *path,
                     int images, const char *kind, const char *data_dir, bool toggles)
{
    nn_qnn q;
    nn_error err{};
    if (nn_qnn_read(&q, path, &err) != NN_OK) {
        std::fprintf(stderr, "rtl cosim: %s\n", err.msg);
        return 2;
    }
    nn_data_source data;
    nn_data_source_default(&data);
    data.kind = kind;
    data.dir = data_dir;
    data.limit_test = images;
    nn_dataset test{};
    if (nn_data_source_load(&data, nullptr, &test, &err) != NN_OK) {
        std::fprintf(stderr, "rtl cosim: %s\n", err.msg);
        nn_qnn_free(&q);
        return 2;
    }
    lrtl::cosim cs(top, hw, cfg);
    std::string m;
    int rc = 0;
    if (!cs.load(q, m)) {
        std::fprintf(stderr, "rtl cosim: %s: %s\n", path, m.c_str());
        rc = 2;
    } else if (toggles && !cs.count_toggles(m)) {
        std::fprintf(stderr, "rtl cosim: %s\n", m.c_str());
        rc = 2;
    } else if (!cs.run(test.x, test.n, test.y, m)) {
        std::fprintf(stderr, "rtl cosim: %s\n", m.c_str());
        rc = 1;
    } else {
        const lrtl::stats &st = cs.result();
        std::printf("%s on the RTL of design \"%s\" (Verilator %s): %lld images, accuracy %.2f%% "
                    "(%lld/%lld)\n", path, hw.name, Verilated::productVersion(), st.images,
                    st.images ? 100.0 * st.correct / st.images : 0.0, st.correct, st.images);
        if (st.mismatched_images)
            std::printf("%lld images differ from the integer model; the first: %s\n",
                        st.mismatched_images, st.first_mismatch.c_str());
        else
            std::printf("all outputs matched the integer model (%lld output words, %lld scores)\n",
                        st.words_checked, st.scores_checked);
        // the SystemC model on the same images: its cycles, and its own
        // scoreboard against the integer model
        std::vector<long long> sysc(st.layer_cycles.size(), 0);
        char sm[1200];
        const bool sc_ok = rtl_test_systemc(&q, &hw, test.x, test.n, sysc.data(), sm, sizeof sm) == 0;
        if (!sc_ok)
            std::printf("SystemC: %s\n", sm);
        std::printf("%5s %14s %14s %14s %6s\n", "layer", "cycles/image", "analytic", "SystemC",
                    "equal");
        bool all = sc_ok;
        long long sc_total = 0;
        for (size_t l = 0; l < st.layer_cycles.size(); l++) {
            const bool eq = st.layer_cycles[l] == st.analytic[l] * st.images &&
                            st.layer_cycles[l] == sysc[l];
            all = all && eq;
            sc_total += sysc[l];
            std::printf("%5zu %14.0f %14lld %14.0f %6s\n", l + 1,
                        st.images ? (double)st.layer_cycles[l] / st.images : 0.0, st.analytic[l],
                        st.images ? (double)sysc[l] / st.images : 0.0, eq ? "yes" : "NO");
        }
        std::printf("%5s %14.0f %14lld %14.0f %6s\n", "total",
                    st.images ? (double)st.cycles / st.images : 0.0, st.analytic_image,
                    st.images ? (double)sc_total / st.images : 0.0, all ? "yes" : "NO");
        rc = st.mismatched_images || !all ? 1 : 0;
        if (toggles && print_activity(q, hw, test.x, test.n, st, 0.05, 0.01) != 0)
            rc = 1;
    }
    nn_data_free(&test);
    nn_qnn_free(&q);
    return rc;
}

// The design of a design file, its auto keys fixed as `logiq rtl` fixes
// them without a model, and its RTL configuration; false with a message.
static bool load_design(const char *path, cm_hw &hw, rtl_config &cfg, const char *who)
{
    cm_lib lib;
    char msg[1200];
    if (sw_hw_load(path, &hw, &lib, msg, sizeof msg) != 0) {
        std::fprintf(stderr, "%s: %s\n", who, msg);
        return false;
    }
    rtl_hw_without_model(&hw);
    rtl_config_defaults(&cfg, &hw);
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: test_rtl DESIGN.ini [networks] [seed]\n"
                             "       test_rtl DESIGN.ini --model M.qnn [--images N] [--data KIND]"
                             " [--data-dir DIR] [--toggles]\n");
        return 2;
    }
    if (argc > 3 && std::string(argv[2]) == "--model") {
        const char *kind = "fashion", *dir = nullptr;
        int images = 100;
        bool toggles = false;
        for (int i = 4; i < argc; i += 2) {
            const std::string o = argv[i];
            if (o == "--toggles") {
                toggles = true;
                i--;
            } else if (i + 1 >= argc) {
                std::fprintf(stderr, "rtl cosim: %s needs a value\n", o.c_str());
                return 2;
            } else if (o == "--images")
                images = std::atoi(argv[i + 1]);
            else if (o == "--data")
                kind = argv[i + 1];
            else if (o == "--data-dir")
                dir = argv[i + 1];
            else {
                std::fprintf(stderr, "rtl cosim: unknown option %s\n", o.c_str());
                return 2;
            }
        }
        cm_hw mh;
        rtl_config mc;
        if (!load_design(argv[1], mh, mc, "rtl cosim"))
            return 2;
        VerilatedContext mctx;
        Vlogiq_accel mtop{&mctx};
        return run_model(mtop, mh, mc, argv[3], images > 0 ? images : 100, kind, dir, toggles);
    }
    const int n_nets = argc > 2 ? std::atoi(argv[2]) : 120;
    uint64_t rng = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 18;
    cm_hw hw;
    rtl_config cfg;
    if (!load_design(argv[1], hw, cfg, "test_rtl"))
        return 2;
    char msg[1200];

    VerilatedContext ctx;
    Vlogiq_accel top{&ctx};
    const int n_img = 2;
    long long nets = 0, images = 0, cycles = 0, words = 0, scores = 0, max_cycles = 0;
    for (int k = 0; k < n_nets; k++) {
        nn_qnn q;
        // on a design with a merge unit: a third plain networks, a third
        // chains of its merges, a third residual blocks
        const int merge = hw.merge == CM_MERGE_OR ? NN_MERGE_OR : NN_MERGE_MUX;
        const int kind = hw.merge == CM_MERGE_NONE ? 0 : k % 3;
        do {
            if (kind == 0)  // an XNOR PE runs binary weight planes only; a pow2 code
                            // design gets many pow2 layers
                rtl_test_random_net(&q, &rng,
                                    hw.pe == CM_PE_XNOR               ? (k % 2 == 0 ? 1 : 2)
                                    : hw.pow2_words == CM_POW2_CODE ? 3
                                    : k % 2 == 0                      ? 1
                                                                      : 0);
            else if (hw.merge == CM_MERGE_ADD)
                rtl_test_random_add_net(&q, &rng, hw.res_bits, kind == 2,
                                        hw.requant == CM_RQ_SHIFT);
            else
                rtl_test_random_merge_net(&q, &rng, merge, kind == 2);
            if (rtl_test_acc_bits_needed(&q) <= hw.acc_bits)
                break;
            nn_qnn_free(&q);
        } while (true);
        char what[64];
        std::snprintf(what, sizeof what, "network %d (%s, %d layers)", k,
                      kind == 0 ? "plain" : kind == 1 ? "merge chain" : "residual blocks",
                      q.n_layers);
        lrtl::cosim cs(top, hw, cfg);
        std::string m;
        if (!cs.load(q, m)) {
            CHECK(false, "%s: load: %s", what, m.c_str());
            nn_qnn_free(&q);
            continue;
        }
        const size_t img = (size_t)q.in_h * q.in_w * q.in_c;
        std::vector<uint8_t> px(img * n_img);
        rtl_test_random_pixels(px.data(), px.size(), &rng);
        const bool ran = cs.run(px.data(), n_img, nullptr, m);
        CHECK(ran, "%s: %s", what, m.c_str());
        const lrtl::stats &st = cs.result();
        CHECK(st.mismatched_images == 0, "%s: %lld images differ; the first: %s", what,
              st.mismatched_images, st.first_mismatch.c_str());
        CHECK(st.scores_checked == (long long)n_img * q.n_class, "%s: %lld scores checked", what,
              st.scores_checked);
        std::vector<long long> sysc((size_t)q.n_layers, 0);
        const int src = rtl_test_systemc(&q, &hw, px.data(), n_img, sysc.data(), msg, sizeof msg);
        CHECK(src == 0, "%s: SystemC: %s", what, msg);
        for (int l = 0; l < q.n_layers; l++) {
            const long long rtl = st.layer_cycles[(size_t)l], an = st.analytic[(size_t)l] * n_img;
            CHECK(rtl == an, "%s: layer %d: RTL %lld cycles, analytic %lld", what, l + 1, rtl, an);
            CHECK(src != 0 || rtl == sysc[(size_t)l], "%s: layer %d: RTL %lld cycles, SystemC %lld",
                  what, l + 1, rtl, sysc[(size_t)l]);
        }
        CHECK(st.cycles == st.analytic_image * n_img, "%s: RTL %lld cycles, analytic %lld", what,
              st.cycles, st.analytic_image * n_img);
        nets++;
        images += st.images;
        cycles += st.cycles;
        words += st.words_checked;
        scores += st.scores_checked;
        if (st.analytic_image > max_cycles)
            max_cycles = st.analytic_image;

        // the scoreboard catches a difference: the golden model's class-0
        // offset changed after the RTL was loaded
        if (k == 0) {
            nn_qnn_layer &last = q.layers[q.n_layers - 1];
            lrtl::cosim bad(top, hw, cfg);
            CHECK(bad.load(q, m), "scoreboard: load: %s", m.c_str());
            last.rq_add[0] += 1000;
            bad.run(px.data(), 1, nullptr, m);
            CHECK(bad.result().mismatched_images == 1 &&
                      bad.result().first_mismatch.find("class 0 score") != std::string::npos,
                  "scoreboard: a changed class-0 offset not caught (%s)",
                  bad.result().first_mismatch.c_str());
            last.rq_add[0] -= 1000;
        }
        nn_qnn_free(&q);
    }
    std::printf("Verilator %s, SystemC %s\n", Verilated::productVersion(), sim_systemc_version());
    std::printf("RTL (%d PEs x %d lanes, %s PE, acc %d bits, merge %s) vs integer model, SystemC and analytic:\n"
                "%lld networks, %lld images, %lld cycles (largest network %lld cycles an image), "
                "%lld output words and %lld scores checked: %s\n",
                hw.pe_rows, hw.lanes, cm_pe_kind_name(hw.pe), hw.acc_bits, cm_merge_name(hw.merge),
                nets, images, cycles, max_cycles, words, scores,
                failures ? "FAILED" : "all equal");
    return failures ? 1 : 0;
}
