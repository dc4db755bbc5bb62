/* tests/rtl_nets.h: random networks for the RTL co-simulation and the
 * SystemC model's cycles on them (tests/rtl_nets.c). */
#ifndef LOGIQ_TEST_RTL_NETS_H
#define LOGIQ_TEST_RTL_NETS_H

#include <stddef.h>
#include <stdint.h>

#include "costmodels/design.h"
#include "costmodels/hw.h"
#include "nn/qnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A random plain chain network (conv layers with optional pooling, then a
 * dense scores layer); binary 1: binary weights and 1-bit activations only;
 * 2: binary weight planes (binary, offset binary: the XNOR PE's), any
 * activations; 3: half the layers pow2 weights (1, 2 or 3 magnitudes). */
void rtl_test_random_net(struct nn_qnn *m, uint64_t *rng, int binary);
/* A random network whose layers merge (merge: NN_MERGE_OR or NN_MERGE_MUX,
 * both MUX variants): a chain merging each predecessor, or (blocks) residual
 * blocks with identity, pad and projection shortcuts. */
void rtl_test_random_merge_net(struct nn_qnn *m, uint64_t *rng, int merge, int blocks);
/* A random network of the add family on a res_bits stream: a chain adding
 * each predecessor's stream, or (blocks) residual blocks with identity, pad
 * and projection shortcuts; pow2_rq: every requantizer multiplier +-2^e (a
 * [merge] requant = shift design's). */
void rtl_test_random_add_net(struct nn_qnn *m, uint64_t *rng, int res_bits, int blocks,
                             int pow2_rq);
/* n random pixels: all dark (0..40) or anywhere (0..255), one draw deciding. */
void rtl_test_random_pixels(uint8_t *px, size_t n, uint64_t *rng);
/* The accumulator bits the network needs (tests/sim_fixture.h). */
int rtl_test_acc_bits_needed(const struct nn_qnn *m);
/* Runs the SystemC model on n images: each layer's cycles summed into
 * layer_cycles; 0, or -1 with a message (a mismatch included). */
int rtl_test_systemc(const struct nn_qnn *m, const struct cm_hw *hw, const uint8_t *px, int n,
                     long long *layer_cycles, char *msg, size_t size);
/* The activity of n images (docs/rtl.md, "Activity"): the SystemC model's
 * toggles and counted bits per unit kind (sc_toggles, sc_bits), and the
 * activity-based energy per inference (cm_energy_activity on the built-in
 * cell library) with the SystemC model's toggles (e_sc) and with the RTL's
 * (rtl_toggles, rtl_bits: the cosim's count over the same n images; e_rtl),
 * each kind's toggles scaled to the cost model's register bits as
 * sim_activity scales them; the SRAM accesses, cycles and leakage are the
 * SystemC model's in both. 0, or -1 with a message. */
int rtl_test_activity(const struct nn_qnn *m, const struct cm_hw *hw, const uint8_t *px, int n,
                      const long long *rtl_toggles, const long long *rtl_bits,
                      double *sc_toggles, double *sc_bits, struct cm_activity_energy *e_sc,
                      struct cm_activity_energy *e_rtl, char *msg, size_t size);

#ifdef __cplusplus
}
#endif
#endif
