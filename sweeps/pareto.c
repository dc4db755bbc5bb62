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

/* The lexicographic order of the k-objective points (ties: the index). */
struct lex_ctx {
    const double *obj;
    int k;
};

static int lex_cmp(const void *a, const void *b, void *arg)
{
    const struct lex_ctx *c = arg;
    const long long i = *(const long long *)a, j = *(const long long *)b;
    const double *x = c->obj + i * c->k, *y = c->obj + j * c->k;
    for (int m = 0; m < c->k; m++)
        if (x[m] != y[m])
            return x[m] < y[m] ? -1 : 1;
    return (i > j) - (i < j);
}

/* glibc's qsort_r is not C11; a small merge sort keeps this file portable
 * and stable. */
static void lex_sort(long long *v, long long *tmp, long long n, const struct lex_ctx *c)
{
    if (n < 2)
        return;
    long long h = n / 2;
    lex_sort(v, tmp, h, c);
    lex_sort(v + h, tmp, n - h, c);
    long long i = 0, j = h, o = 0;
    while (i < h && j < n)
        tmp[o++] = lex_cmp(&v[j], &v[i], (void *)c) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[o++] = v[i++];
    while (j < n)
        tmp[o++] = v[j++];
    for (long long m = 0; m < n; m++)
        v[m] = tmp[m];
}

static int dominates_min(const double *q, const double *p, int k)
{
    int strict = 0;
    for (int m = 0; m < k; m++) {
        if (q[m] > p[m])
            return 0;
        strict |= q[m] < p[m];
    }
    return strict;
}

long long sw_pareto_front_min(const double *obj, long long n, int k, unsigned char *on_front)
{
    long long *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    long long *tmp = malloc((size_t)(n > 0 ? n : 1) * sizeof *tmp);
    if (!v || !tmp) {
        free(v);
        free(tmp);
        return -1;
    }
    long long m = 0;
    for (long long i = 0; i < n; i++) {
        on_front[i] = 0;
        int ok = 1;
        for (int j = 0; j < k; j++)
            ok &= !isnan(obj[i * k + j]);
        if (ok)
            v[m++] = i;
    }
    struct lex_ctx c = {obj, k};
    lex_sort(v, tmp, m, &c);
    long long f = 0;  /* the front so far: tmp[0..f-1] */
    for (long long a = 0; a < m; a++) {
        const double *p = obj + v[a] * k;
        int dominated = 0;
        for (long long b = f - 1; b >= 0 && !dominated; b--)
            dominated = dominates_min(obj + tmp[b] * k, p, k);
        if (!dominated) {
            tmp[f++] = v[a];
            on_front[v[a]] = 1;
        }
    }
    free(v);
    free(tmp);
    return f;
}
