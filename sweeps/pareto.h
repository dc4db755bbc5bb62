/* sweeps/pareto.h: Pareto fronts: of two objectives, the gain (accuracy) to
 * maximize and a cost (gates, energy, latency) to minimize; and of k costs
 * (hardware exploration, one network, so no gain).
 *
 * Point q dominates p when cost_q <= cost_p and gain_q >= gain_p with one of
 * them strict. A point is on the front when nothing dominates it; two points
 * with equal cost and gain are both on it. A point with a NaN objective (a
 * failed point, a figure not measured) is neither on the front nor
 * dominates anything.
 *
 *     unsigned char on[n];
 *     int k = sw_pareto_front(gates, acc, n, on);   // O(n log n)
 *
 * Memory: one temporary array of n entries (returns -1 if it cannot be had). */
#ifndef LOGIQ_SW_PARETO_H
#define LOGIQ_SW_PARETO_H

/* Sets on_front[i] to 1 or 0 and returns how many are on the front, or -1
 * when out of memory. */
int sw_pareto_front(const double *cost, const double *gain, int n, unsigned char *on_front);

/* The front of n points of k objectives, all minimized (obj: n x k,
 * row-major; a design's gates, energy, latency, area): q dominates p when
 * q <= p in every objective and < in one. Equal points are both on it; a
 * point with a NaN objective is on no front. Sorted lexicographically, a
 * point can only be dominated by one before it, and if by any then by one
 * already on the front: O(n log n + n f k) for a front of f points. Same
 * returns and memory as sw_pareto_front (n entries). */
long long sw_pareto_front_min(const double *obj, long long n, int k, unsigned char *on_front);

#endif
