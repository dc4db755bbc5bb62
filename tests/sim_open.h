/* tests/sim_open.h: sim_open on a hardware description as `logiq sim` does
 * it: the network through the one bridge and the design evaluated on the
 * built-in cell library (sw_design_for_qnn), then the model configured with
 * both (static: include once per test). A design that cannot hold the
 * network is SIM_ERR_INFEASIBLE with "infeasible: ..." as before. */
#ifndef LOGIQ_TEST_SIM_OPEN_H
#define LOGIQ_TEST_SIM_OPEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "costmodels/design.h"
#include "sim/sim.h"
#include "sweeps/costnet.h"

static enum sim_status test_sim_open(struct sim **s, const struct nn_qnn *m,
                                     const struct cm_hw *hw, const struct sim_options *o,
                                     struct sim_error *err)
{
    *s = NULL;
    struct cm_lib lib;
    cm_lib_default(&lib);
    struct cm_design *d = malloc(sizeof *d);
    struct cm_net net;
    struct cm_layer *layers = NULL;
    char msg[sizeof err->msg];
    int rc = d ? sw_design_for_qnn(m, hw, &lib, d, &net, &layers, msg, sizeof msg) : 1;
    if (rc != 0) {
        free(d);
        snprintf(err->msg, sizeof err->msg, "%s", d ? msg : "out of memory");
        return rc == 1                                  ? SIM_ERR_NOMEM
               : strncmp(msg, "infeasible: ", 12) == 0 ? SIM_ERR_INFEASIBLE
                                                        : SIM_ERR_ARG;
    }
    enum sim_status st = sim_open_opts(s, m, d, &net, o, err);
    free(layers);
    free(d);
    return st;
}

#endif
