/* sweeps/costnet.h: the one bridge from a network to the cost models:
 * reading a hw.ini (with inih) and its cell library, and describing a
 * network for the cost models, from a .qnn or from an architecture string.
 * `logiq cost`, `logiq sim`, `logiq explore`, the sweep and the tests use it;
 * sim/ takes the design and network it makes (sim_open). */
#ifndef LOGIQ_SW_COSTNET_H
#define LOGIQ_SW_COSTNET_H

#include "costmodels/cells.h"
#include "costmodels/hw.h"
#include "costmodels/net.h"
#include "nn/model.h"
#include "nn/qnn.h"

/* Reads path (NULL: the built-in defaults of cm_hw_defaults) into hw and its
 * [design] tech library into lib (generic45 is built in; another name is a
 * .cells path, relative to the hw.ini's folder). On error writes one line
 * naming the file, line and key into msg and returns 2. */
int sw_hw_load(const char *path, struct cm_hw *hw, struct cm_lib *lib, char *msg, size_t size);

/* Describes a .qnn for the cost models (constants known). layers must hold
 * q->n_layers entries. */
void sw_net_from_qnn(const struct nn_qnn *q, struct cm_net *net, struct cm_layer *layers);

/* How the reports name the model q read from path: "model.qnn (res11-or)",
 * the path and its architecture, or the path alone. */
void sw_model_name(const struct nn_qnn *q, const char *path, char *name, size_t size);

/* The network a command prices: a .qnn (model_path; constants known) or an
 * untrained --arch (arch_text with width and cfg: shapes and bit widths are
 * all the cost models need). On success returns 0 with net describing it,
 * *layers allocated (free it) and name naming it ("model.qnn (res11-or)" or
 * the architecture); else one line in msg and 2 (bad input) or 1 (out of
 * memory). */
int sw_net_load(const char *model_path, const char *arch_text, float width,
                 const struct nn_model_config *cfg, struct cm_net *net, struct cm_layer **layers,
                 char *name, size_t name_size, char *msg, size_t size);

/* The design of hw (with lib) for the network of q: describes q
 * (sw_net_from_qnn: net, *layers allocated, free it) and evaluates the
 * design (cm_design_eval), what `logiq sim` and the tests hand to sim_open.
 * Returns 0; 2 with one line in msg when the design cannot run q
 * ("infeasible: ..." and the layer and key) or a description is wrong; 1 when
 * out of memory. */
struct cm_design;
int sw_design_for_qnn(const struct nn_qnn *q, const struct cm_hw *hw, const struct cm_lib *lib,
                      struct cm_design *d, struct cm_net *net, struct cm_layer **layers,
                      char *msg, size_t size);

#endif
