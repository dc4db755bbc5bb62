/* costmodels/score.c: the score unit, the last layer's requantized scores
 * and their argmax (netlist.h, units.h). */
#include "costmodels/netlist.h"

#include <assert.h>

/* Score unit: score = acc * mul + off (the signed mul_bits x acc_bits
 * Baugh-Wooley multiplier and the adder of arch over W = mul_bits +
 * acc_bits bits; mul and off come with each class from the parameters), and
 * the argmax: the best score (W DFFs) and best class (class_bits DFFs)
 * registers, loaded when first OR score > best: a signed comparator best >=
 * score of arch, an INV, an OR2, and an enable MUX2 per register bit. */
void cm_nl_unit_score(struct cm_nl *nl, int acc_bits, int mul_bits, int class_bits,
                      enum cm_adder_arch arch)
{
    const int W = mul_bits + acc_bits;
    assert(acc_bits >= 2 && mul_bits >= 2 && W <= CM_NL_MAX_ADD);
    assert(class_bits >= 1 && class_bits <= 16);
    int acc[64], mul[64], off[CM_NL_MAX_ADD], cls[16], first;
    cm_nl_input(nl, "acc", acc_bits, acc);
    cm_nl_input(nl, "mul", mul_bits, mul);
    cm_nl_input(nl, "off", W, off);
    cm_nl_input(nl, "cls", class_bits, cls);
    cm_nl_input(nl, "first", 1, &first);
    int p[CM_NL_MAX_ADD], score[CM_NL_MAX_ADD], best[CM_NL_MAX_ADD], best_cls[16];
    cm_nl_multiply(nl, arch, mul_bits, mul, acc_bits, acc, p);
    cm_nl_stage_cut(nl, W, p);  /* the MUL stage register (timing.h) */
    cm_nl_add(nl, arch, W, p, off, CM_NL_0, score, NULL);
    cm_nl_stage_cut(nl, W, score);  /* the ADD stage register */
    for (int i = 0; i < W; i++)
        best[i] = cm_nl_reg_q(nl);
    for (int i = 0; i < class_bits; i++)
        best_cls[i] = cm_nl_reg_q(nl);
    const int better = cm_nl_inv(nl, cm_nl_compare_ge(nl, arch, W, best, score, 1));
    const int load = cm_nl_or(nl, first, better);
    for (int i = 0; i < W; i++)
        cm_nl_reg_d(nl, best[i], cm_nl_mux(nl, load, best[i], score[i]));
    for (int i = 0; i < class_bits; i++)
        cm_nl_reg_d(nl, best_cls[i], cm_nl_mux(nl, load, best_cls[i], cls[i]));
    cm_nl_output(nl, "best_cls", class_bits, best_cls);
}

struct cm_count cm_score_unit(int acc_bits, int mul_bits, int class_bits, enum cm_adder_arch arch)
{
    struct cm_nl nl = {0};
    cm_nl_unit_score(&nl, acc_bits, mul_bits, class_bits, arch);
    return nl.count;
}
