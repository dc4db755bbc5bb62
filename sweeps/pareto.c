/* sweeps/pareto.c: the two-objective Pareto front (pareto.h): sort by cost
 * (ties: best gain first), then one pass keeping the best gain seen at a
 * strictly smaller cost. */
#include "sweeps/pareto.h"

#include <math.h>
#include <stdlib.h>

struct item {
    double cost, gain;
    int i;
};

static int by_cost_then_gain(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? -1 : 1;
    if (x->gain != y->gain)
        return x->gain > y->gain ? -1 : 1;
    return x->i - y->i;
}

int sw_pareto_front(const double *cost, const double *gain, int n, unsigned char *on_front)
{
    struct item *it = malloc((size_t)(n > 0 ? n : 1) * sizeof *it);
    if (!it)
        return -1;
    int m = 0;
    for (int i = 0; i < n; i++) {
        on_front[i] = 0;
        if (!isnan(cost[i]) && !isnan(gain[i]))
            it[m++] = (struct item){cost[i], gain[i], i};
    }
    qsort(it, (size_t)m, sizeof *it, by_cost_then_gain);
    int count = 0;
    double best_prev = -INFINITY;  /* best gain at a strictly smaller cost */
    for (int a = 0; a < m;) {
        int b = a;
        while (b < m && it[b].cost == it[a].cost)
            b++;
        double g_max = it[a].gain;  /* the group's first is its best */
        if (g_max > best_prev)
            for (int k = a; k < b && it[k].gain == g_max; k++) {
                on_front[it[k].i] = 1;
                count++;
            }
        if (g_max > best_prev)
            best_prev = g_max;
        a = b;
    }
    free(it);
    return count;
}
