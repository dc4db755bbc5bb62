/* tests/sim_fixture.h: what the randomized tests of the SystemC model
 * (test_sim.c, test_sim_toggles.c) share to fit a design to a random .qnn
 * (static functions: include once per test). The random-network builders
 * stay in each test: they draw different layer distributions. */
#ifndef LOGIQ_SIM_FIXTURE_H
#define LOGIQ_SIM_FIXTURE_H

#include "nn/qnn.h"

/* Bits for |acc| <= 2^(A-1) - 2 over every layer, as the cost model demands. */
static int acc_bits_needed(const struct nn_qnn *m)
{
    int need = 4;
    for (int i = 0; i < m->n_layers; i++) {
        const struct nn_qnn_layer *l = &m->layers[i];
        long long x = nn_qnn_code_max_abs(l->in_code, l->in_bits);
        long long mx = (long long)nn_qnn_fan_in(l) * l->w_max * x;
        int a = 2;
        while (((1LL << (a - 1)) - 2) < mx)
            a++;
        if (a > need)
            need = a;
        if (l->res && l->res_bits + 1 > need)
            need = l->res_bits + 1;
    }
    return need;
}

#endif
