/* sim/: the cycle-accurate SystemC model of the reference accelerator
 * (docs/accelerator.md), reached from C through these extern "C" functions
 * (cli/ stays C11; the modules are C++17 in sim/accel.{h,cpp}).
 *
 *     sw_net_from_qnn(&model, &net, layers);           // the one bridge (sweeps/costnet.h)
 *     cm_design_eval(&d, &hw, &lib, &net, &cerr);      // infeasible: cerr.msg says why
 *     struct sim *s;
 *     struct sim_error err;
 *     if (sim_open(&s, &model, &d, &net, &err) != SIM_OK) ... err.msg
 *     sim_run(s, pixels, n, pred, matched, &err);      // may be called again
 *     const struct sim_stats *st = sim_stats(s);       // summed over every run
 *     sim_close(s);
 *
 * Each image runs through the clocked model, and nn_infer_image runs the
 * golden integer model on the same image: every activation word the model
 * writes, every class score and the prediction are compared (the
 * scoreboard); cycles are counted by the clocked process, layer by layer,
 * and kept beside the analytic count of costmodels/latency.h.
 *
 * SystemC elaborates once per process: the first sim_open builds the
 * module; later ones reconfigure it at run time. One sim may be open at a
 * time; not thread-safe. The library never prints and never exits.
 * Memory: sim_open allocates the handle and its buffers; sim_close frees
 * them (the SystemC module lives until the process ends). */
#ifndef LOGIQ_SIM_H
#define LOGIQ_SIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "costmodels/design.h"
#include "costmodels/hw.h"
#include "nn/qnn.h"

struct sim;

/* The SystemC kernel's version string, e.g. "2.3.4". Never NULL. */
const char *sim_systemc_version(void);

enum sim_status {
    SIM_OK = 0,
    SIM_ERR_ARG,         /* inconsistent model or hardware description */
    SIM_ERR_INFEASIBLE,  /* the design cannot hold the network (the message says why) */
    SIM_ERR_BUSY,        /* another sim is open in this process */
    SIM_ERR_NOMEM,
    SIM_ERR_INTERNAL,    /* the model broke an invariant (a bug: please report) */
    SIM_ERR_IO,          /* the VCD file cannot be written */
    SIM_ERR_LIMIT,       /* the model's golden workspace is over max_mem_gib */
};

struct sim_error {
    char msg[512];
};

/* The first difference between the model and the golden integer model. */
enum sim_mismatch_kind { SIM_MM_OUTPUT = 1, SIM_MM_SCORE, SIM_MM_PREDICTION };

struct sim_mismatch {
    enum sim_mismatch_kind kind;
    long long image;            /* 0-based, counted over every sim_run */
    int layer;                  /* 1-based */
    int channel;                /* output channel or class; -1 for the prediction */
    int y, x;                   /* output position (after pooling); 0 for scores */
    long long sim_value, ref_value;
};

struct sim_layer_stats {
    long long cycles;                          /* simulated, summed over the images */
    long long analytic;                        /* cm_layer_cycles, one image */
    long long reads[CM_N_BUFS], writes[CM_N_BUFS];   /* summed over the images */
    double read_bits[CM_N_BUFS], write_bits[CM_N_BUFS]; /* word widths (accelerator.md) */
    double toggles[CM_N_UNITS];                /* summed over the images */
};

struct sim_stats {
    long long images;
    long long cycles;               /* simulated, all images */
    long long min_image_cycles, max_image_cycles;
    long long mismatched_images;
    int has_mismatch;
    struct sim_mismatch first;      /* valid if has_mismatch */
    int n_layers;
    struct sim_layer_stats layer[CM_MAX_LAYERS];
    double toggles[CM_N_UNITS];     /* register and bus bit toggles per unit kind, all
                                       images: the Hamming distance between successive
                                       values, in the unit kind the cost model prices
                                       the register or bus in */
    double toggle_bits[CM_N_UNITS]; /* the bits whose toggles are counted, per unit
                                       kind (toggles / toggle_bits / cycles is the
                                       average activity factor) */
    double sim_seconds;             /* wall time of sim_run, all of it (model, golden
                                       model, scoreboard) */
    double model_seconds;           /* of which inside sc_start: the clocked model */
    double ref_seconds;             /* the golden model's time (it runs one image ahead
                                       on a second thread, beside the clocked model) */
};

/* Options of sim_open_opts; zero-initialize for the defaults. */
struct sim_options {
    const char *vcd_path;  /* write a waveform (VCD) of the first images here */
    int vcd_images;        /* how many images it covers (0: 1) */
    double max_mem_gib;    /* the golden model's workspace limit (<= 0: the default
                              NN_INFER_MAX_MEM_GIB); over it is SIM_ERR_LIMIT */
};

/* Configures the model to run q on the design d, which cm_design_eval
 * evaluated for net, q as the cost models see it (sw_net_from_qnn): the
 * caller's hardware, cell library and network, copied (the design's cycles,
 * energy and clock are the ones the simulation is checked against and
 * prices its toggles with). SIM_ERR_ARG when they are not q's. */
enum sim_status sim_open(struct sim **out, const struct nn_qnn *q, const struct cm_design *d,
                         const struct cm_net *net, struct sim_error *err);
/* sim_open with options. Any simulation of a process may write a VCD (its
 * time stamps continue from the previous simulations' simulated time);
 * SIM_ERR_IO if the file cannot be created. */
enum sim_status sim_open_opts(struct sim **out, const struct nn_qnn *q, const struct cm_design *d,
                              const struct cm_net *net, const struct sim_options *opts,
                              struct sim_error *err);
/* Simulates n images, pixels [n][in_h][in_w][in_c]. pred [n] and matched [n]
 * (1: every output equal to the golden model's) may be NULL. Mismatches are
 * results, not errors: see sim_stats. */
enum sim_status sim_run(struct sim *s, const uint8_t *pixels, int n, int *pred, int *matched,
                        struct sim_error *err);
const struct sim_stats *sim_stats(const struct sim *s);
/* The design as the cost models resolved it (buffer sizes, merge kind). */
const struct cm_design *sim_design(const struct sim *s);
/* The activity per inference (averaged over the images run), for
 * cm_energy_activity. That function prices a toggle of unit kind u at u's
 * switched energy divided by its register (DFF) bits, so the toggles given
 * to it are each kind's counted toggles scaled to those bits: toggles x
 * max(DFF bits, 1) / toggle_bits, the activity factor times the register
 * bits, which makes the energy activity factor x switched energy also for
 * the kinds whose counted bits are buses (the lane logic, the popcount
 * trees) or differ in width from the DFFs the cost model counts. */
void sim_activity(const struct sim *s, struct cm_activity *a);
/* Compares against the golden model of ref instead of the simulated model
 * (same shapes); for testing that the scoreboard catches a difference. NULL
 * restores the simulated model. */
void sim_set_reference(struct sim *s, const struct nn_qnn *ref);
/* Closes the waveform (if one is still being written: fewer images were
 * run than it covers) and checks that it is whole: it is written to
 * PATH.tmp.PID.vcd and renamed to PATH only then. SIM_ERR_IO (the file
 * removed, an earlier PATH left as it was) when it is not, e.g. on a full
 * disk. sim_run does the same when the images it covers are done. */
enum sim_status sim_vcd_close(struct sim *s, struct sim_error *err);
void sim_close(struct sim *s);

#ifdef __cplusplus
}
#endif
#endif
