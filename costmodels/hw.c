/* costmodels/hw.c: the hw.ini key table, its defaults and the setter.
 *
 * Not here: reading files (cli/ does it with inih) and checking a design
 * against a network (design.c). */
#include "costmodels/hw.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct cm_hw_key keys[] = {
    {"design", "name", "text", "up to 63 characters", "the design's name in reports"},
    {"design", "tech", "name or path", "generic45, or a .cells file (relative to the hw.ini)",
     "cell library that prices the gates"},
    {"design", "clock_mhz", "MHz", "auto or 0.001..10000",
     "clock frequency; latency = cycles / clock; auto (default): fmax, from the critical path "
     "(a number above fmax is kept, with a warning)"},
    {"array", "pe_rows", "PEs", "1..4096", "processing elements, one output channel each"},
    {"array", "lanes", "bits", "1..4096", "input bits per PE per cycle (one popcount tree input each)"},
    {"array", "acc_bits", "bits", "4..48", "accumulator, threshold and comparator width"},
    {"array", "adder", "architecture", "ripple, cla, brent-kung, kogge-stone",
     "architecture of every adder, comparator and popcount's final adder"},
    {"array", "max_act_bits", "bits", "auto or 1..8",
     "widest activation code the threshold unit makes (2^M - 1 comparators); auto: the "
     "network's widest hidden layer"},
    {"array", "max_w_bits", "bits", "auto or 1..7",
     "weight magnitude planes the shifter supports (ternary 1, heq:5 and heq:7 2, ...); auto: "
     "the network's widest layer"},
    {"array", "pe", "PE kind", "bitplane, shift, xnor",
     "weight path: bit-planes only, or also one-pass power-of-two weights (max_w_bits exponents), "
     "or binary weights only on one popcount tree (xnor)"},
    {"array", "pow2_words", "weight words", "code, planes",
     "pow2 weights on the bit planes: code (sign and exponent code, B bits for pow2:B, "
     "decoded in the fetch unit) or planes (sign and magnitude planes, one bit more for "
     "pow2:3, no decoders)"},
    {"merge", "kind", "merge unit", "auto, none, add, or, mux",
     "the residual merge unit; auto: the network's"},
    {"merge", "mux", "variant", "auto, or, sel, both",
     "mux: y = sel ? code OR skip : code (or), y = sel ? skip : code (sel, no OR2), or a unit "
     "of both (a MUX2 more, each layer's variant bit); auto: the network's"},
    {"merge", "add_stages", "pipeline stages", "1..2",
     "add: the stages of the requantizer and stream adder (2: RQ, ADD; 1: both in one, a "
     "cycle less per layer on the stream, a longer path)"},
    {"merge", "res_bits", "bits", "2..32", "add: the residual stream's width (skip buffer bits per value)"},
    {"merge", "rq_mul_bits", "bits", "auto or 2..40",
     "requantizer and score multiplier width (the offset has acc_bits + rq_mul_bits); auto: the "
     "bits the .qnn's constants need, each unit its own (32 without a .qnn)"},
    {"merge", "requant", "requantizer", "mul, shift",
     "add: the requantizer; mul: a rq_mul_bits multiplier (any network); shift: negate and "
     "shift only (networks whose requantizer multipliers are +-2^e, e.g. trained with "
     "--res-scale pow2)"},
    {"buffers", "act_kbits", "kbit (1024 bits)", "auto or 0.001..1e6",
     "each of the two ping-pong activation banks"},
    {"buffers", "weight_kbits", "kbit (1024 bits)", "auto or 0.001..1e6",
     "weight buffer: all layers' weight planes and parameters"},
    {"buffers", "skip_kbits", "kbit (1024 bits)", "auto or 0.001..1e6",
     "skip buffer: the input of a merging layer"},
};

const struct cm_hw_key *cm_hw_keys(int *n)
{
    *n = (int)(sizeof keys / sizeof keys[0]);
    return keys;
}

void cm_hw_defaults(struct cm_hw *hw)
{
    memset(hw, 0, sizeof *hw);
    snprintf(hw->name, sizeof hw->name, "default");
    snprintf(hw->tech, sizeof hw->tech, "generic45");
    hw->clock_mhz = 0.0;  /* auto: fmax */
    hw->pe_rows = 32;
    hw->lanes = 64;
    hw->acc_bits = 20;
    hw->adder = CM_ADDER_RIPPLE;
    hw->max_act_bits = 0; /* auto */
    hw->max_w_bits = 0;   /* auto */
    hw->merge = CM_MERGE_AUTO;
    hw->mux = CM_MUX_AUTO;
    hw->add_stages = 2;
    hw->res_bits = 8;
    hw->rq_mul_bits = 0;  /* auto */
}

const char *cm_mux_variant_name(enum cm_mux_variant v)
{
    return v == CM_MUX_OR ? "or" : v == CM_MUX_SEL ? "sel" : v == CM_MUX_BOTH ? "both" : "auto";
}

const char *cm_pe_kind_name(enum cm_pe_kind k)
{
    return k == CM_PE_SHIFT ? "shift" : k == CM_PE_XNOR ? "xnor" : "bitplane";
}

int cm_hw_exponents(const struct cm_hw *hw)
{
    return hw->pe == CM_PE_SHIFT ? hw->max_w_bits : 1;
}

int cm_hw_exp_bits(const struct cm_hw *hw)
{
    return hw->pe == CM_PE_SHIFT ? cm_bits_for(hw->max_w_bits) - 1 : 0;
}

const char *cm_requant_name(enum cm_requant r)
{
    return r == CM_RQ_SHIFT ? "shift" : "mul";
}

int cm_hw_rq_param_bits(const struct cm_hw *hw)
{
    if (hw->requant == CM_RQ_SHIFT)
        return 1 + cm_bits_for(hw->rq_lshift_max) + hw->rq_rshift_bits + hw->acc_bits +
               hw->rq_lshift_max;
    return 2 * hw->rq_mul_bits + hw->acc_bits;
}

const char *cm_merge_name(enum cm_merge m)
{
    switch (m) {
    case CM_MERGE_NONE: return "none";
    case CM_MERGE_ADD: return "add";
    case CM_MERGE_OR: return "or";
    case CM_MERGE_MUX: return "mux";
    case CM_MERGE_AUTO: return "auto";
    }
    return "?";
}

static enum cm_status set_int(int *out, const struct cm_hw_key *k, const char *v, long lo,
                              long hi, struct cm_error *err)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '\0' || errno != 0 || x < lo || x > hi)
        return cm_fail(err, CM_ERR_ARG, "[%s] %s: expected an integer in %s (%s), got \"%s\"",
                       k->section, k->key, k->range, k->unit, v);
    *out = (int)x;
    return CM_OK;
}

/* An integer key that also takes "auto", stored as 0. */
static enum cm_status set_int_auto(int *out, const struct cm_hw_key *k, const char *v, long lo,
                                   long hi, struct cm_error *err)
{
    if (strcasecmp(v, "auto") == 0) {
        *out = 0;
        return CM_OK;
    }
    return set_int(out, k, v, lo, hi, err);
}

static enum cm_status set_double(double *out, const struct cm_hw_key *k, const char *v,
                                 double lo, double hi, int allow_auto, struct cm_error *err)
{
    if (allow_auto && strcasecmp(v, "auto") == 0) {
        *out = 0.0;
        return CM_OK;
    }
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end != '\0' || errno != 0 || !isfinite(x) || x < lo || x > hi)
        return cm_fail(err, CM_ERR_ARG, "[%s] %s: expected %s in %s, got \"%s\"", k->section,
                       k->key, allow_auto ? "auto or a number" : "a number", k->range, v);
    *out = x;
    return CM_OK;
}

enum cm_status cm_hw_set(struct cm_hw *hw, const char *section, const char *key,
                         const char *value, struct cm_error *err)
{
    const struct cm_hw_key *k = NULL;
    int known_section = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(keys[i].section, section) != 0)
            continue;
        known_section = 1;
        if (strcmp(keys[i].key, key) == 0)
            k = &keys[i];
    }
    if (!known_section)
        return cm_fail(err, CM_ERR_ARG,
                       "[%s]: unknown section (expected design, array, merge or buffers)", section);
    if (!k)
        return cm_fail(err, CM_ERR_ARG, "[%s] %s: unknown key", section, key);

    if (strcmp(key, "name") == 0) {
        if (strlen(value) >= sizeof hw->name)
            return cm_fail(err, CM_ERR_ARG, "[design] name: longer than 63 characters");
        snprintf(hw->name, sizeof hw->name, "%s", value);
        return CM_OK;
    }
    if (strcmp(key, "tech") == 0) {
        if (!value[0] || strlen(value) >= sizeof hw->tech)
            return cm_fail(err, CM_ERR_ARG, "[design] tech: expected a library name or path");
        snprintf(hw->tech, sizeof hw->tech, "%s", value);
        return CM_OK;
    }
    if (strcmp(key, "clock_mhz") == 0)
        return set_double(&hw->clock_mhz, k, value, 0.001, 10000.0, 1, err);
    if (strcmp(key, "pe_rows") == 0)
        return set_int(&hw->pe_rows, k, value, 1, 4096, err);
    if (strcmp(key, "lanes") == 0)
        return set_int(&hw->lanes, k, value, 1, CM_MAX_LANES, err);
    if (strcmp(key, "acc_bits") == 0)
        return set_int(&hw->acc_bits, k, value, 4, 48, err);
    if (strcmp(key, "max_act_bits") == 0)
        return set_int_auto(&hw->max_act_bits, k, value, 1, 8, err);
    if (strcmp(key, "max_w_bits") == 0)
        return set_int_auto(&hw->max_w_bits, k, value, 1, 7, err);
    if (strcmp(key, "res_bits") == 0)
        return set_int(&hw->res_bits, k, value, 2, 32, err);
    if (strcmp(key, "rq_mul_bits") == 0)
        return set_int_auto(&hw->rq_mul_bits, k, value, 2, 40, err);
    if (strcmp(key, "adder") == 0) {
        int a = cm_adder_arch_parse(value);
        if (a < 0)
            return cm_fail(err, CM_ERR_ARG, "[array] adder: expected %s, got \"%s\"", k->range,
                           value);
        hw->adder = (enum cm_adder_arch)a;
        return CM_OK;
    }
    if (strcmp(key, "pe") == 0) {
        if (strcasecmp(value, "bitplane") == 0)
            hw->pe = CM_PE_BITPLANE;
        else if (strcasecmp(value, "shift") == 0)
            hw->pe = CM_PE_SHIFT;
        else if (strcasecmp(value, "xnor") == 0)
            hw->pe = CM_PE_XNOR;
        else
            return cm_fail(err, CM_ERR_ARG, "[array] pe: expected %s, got \"%s\"", k->range,
                           value);
        return CM_OK;
    }
    if (strcmp(key, "pow2_words") == 0) {
        if (strcasecmp(value, "code") == 0)
            hw->pow2_words = CM_POW2_CODE;
        else if (strcasecmp(value, "planes") == 0)
            hw->pow2_words = CM_POW2_PLANES;
        else
            return cm_fail(err, CM_ERR_ARG, "[array] pow2_words: expected %s, got \"%s\"",
                           k->range, value);
        return CM_OK;
    }
    if (strcmp(key, "requant") == 0) {
        if (strcasecmp(value, "mul") == 0)
            hw->requant = CM_RQ_MUL;
        else if (strcasecmp(value, "shift") == 0)
            hw->requant = CM_RQ_SHIFT;
        else
            return cm_fail(err, CM_ERR_ARG, "[merge] requant: expected %s, got \"%s\"", k->range,
                           value);
        return CM_OK;
    }
    if (strcmp(key, "add_stages") == 0)
        return set_int(&hw->add_stages, k, value, 1, 2, err);
    if (strcmp(key, "kind") == 0) {
        static const enum cm_merge kinds[] = {CM_MERGE_AUTO, CM_MERGE_NONE, CM_MERGE_ADD,
                                              CM_MERGE_OR, CM_MERGE_MUX};
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            if (strcasecmp(value, cm_merge_name(kinds[i])) == 0) {
                hw->merge = kinds[i];
                return CM_OK;
            }
        return cm_fail(err, CM_ERR_ARG, "[merge] kind: expected %s, got \"%s\"", k->range, value);
    }
    if (strcmp(key, "mux") == 0) {
        static const enum cm_mux_variant vs[] = {CM_MUX_AUTO, CM_MUX_OR, CM_MUX_SEL,
                                                 CM_MUX_BOTH};
        for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
            if (strcasecmp(value, cm_mux_variant_name(vs[i])) == 0) {
                hw->mux = vs[i];
                return CM_OK;
            }
        return cm_fail(err, CM_ERR_ARG, "[merge] mux: expected %s, got \"%s\"", k->range, value);
    }
    if (strcmp(key, "act_kbits") == 0)
        return set_double(&hw->act_kbits, k, value, 0.001, 1e6, 1, err);
    if (strcmp(key, "weight_kbits") == 0)
        return set_double(&hw->weight_kbits, k, value, 0.001, 1e6, 1, err);
    if (strcmp(key, "skip_kbits") == 0)
        return set_double(&hw->skip_kbits, k, value, 0.001, 1e6, 1, err);
    return cm_fail(err, CM_ERR_ARG, "[%s] %s: unknown key", section, key);
}
