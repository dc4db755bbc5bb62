/* cli/costnet.h: what `logiq cost` and `logiq sim` share: reading a hw.ini
 * (with inih) and its cell library, and describing a network for the cost
 * models, from a .qnn or from an architecture string. */
#ifndef LOGIQ_CLI_COSTNET_H
#define LOGIQ_CLI_COSTNET_H

#include "costmodels/cells.h"
#include "costmodels/hw.h"
#include "costmodels/net.h"
#include "nn/model.h"
#include "nn/qnn.h"

/* Reads path (NULL: the built-in defaults of cm_hw_defaults) into hw and its
 * [design] tech library into lib (generic45 is built in; another name is a
 * .cells path, relative to the hw.ini's folder). On error writes one line
 * naming the file, line and key into msg and returns 2. */
int cli_hw_load(const char *path, struct cm_hw *hw, struct cm_lib *lib, char *msg, size_t size);

/* Describes a .qnn for the cost models (constants known). layers must hold
 * q->n_layers entries. */
void cli_net_from_qnn(const struct nn_qnn *q, struct cm_net *net, struct cm_layer *layers);

#endif
