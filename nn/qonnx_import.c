/* nn/qonnx_import.c: a QONNX graph as a .qnn integer model (nn/qonnx.h).
 *
 * The nodes are walked in the graph's order (ONNX keeps them topologically
 * sorted). Every tensor gets a kind:
 *
 *   CONST  an initializer, or a Quant/BipolarQuant of one (folded here: the
 *          integer codes and their per-channel power-of-two scale);
 *   ACT    an integer activation: the output of layer `layer` (0: the image)
 *          whose values are unit x the integers of a logiq code;
 *   PRE    a layer in progress: its float pre-activation, S[c] x acc[c]
 *          followed by a chain of elementwise float ops (bias Add, Mul,
 *          BatchNormalization, Relu), all replayed here in double;
 *   SCALED a {0,1} activation times a per-channel constant (a MUX's select);
 *   SUM    Add(a, skip) of two {0,1} activations (each maybe SCALED),
 *          waiting for the quantizer that makes it logiq's OR or MUX merge;
 *   LUT    a quantizer's level index, waiting for its Cast to int64 and the
 *          Gather from a table of levels (pow2 activations);
 *   STREAM an add residual stream (docs/qnn-format.md): layer `layer`'s
 *          requantized Y, or its u after the merge; unit x an R-bit integer;
 *   SSUM   Add(Y, u_skip) of two streams, waiting for the saturating Quant
 *          that makes it logiq's add merge.
 *
 * An ACT or STREAM may be a view for a merge's skip (the pad shortcut): a
 * Slice taking every s-th row and column, a Pad of zero channels at the end.
 *
 * A quantizer on a PRE closes the layer: since every op of the chain and the
 * quantizer are monotone in acc, the code is a step function of the integer
 * accumulator, and each integer threshold is found by bisection over the
 * accumulator's range on the very float64 operations a NumPy (or QONNX)
 * evaluation of the graph performs. A channel whose chain decreases gets its
 * weights negated (every weight code is symmetric). What the hardware cannot
 * run is refused, naming the node.
 *
 * Not here: writing QONNX (nn/qonnx_export.c), the .qnn format (nn/qnn.c). */
#include "nn/qonnx.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/binfile.h"
#include "nn/layers.h"
#include "onnx.pb-c.h"

#define MAX_NODES 10000 /* logiq's 256 layers take a few thousand */
#define MAX_ELEMS (1 << 26) /* elements of one initializer */

enum tkind { T_CONST = 1, T_ACT, T_PRE, T_SCALED, T_SUM, T_LUT, T_STREAM, T_SSUM };

struct tensor {
    const char *name;
    enum tkind kind;
    int n_consumers;
    /* CONST */
    double *val;        /* [n] values (int64 tensors: also in ival) */
    int64_t *ival;      /* [n] for INT64 tensors, else NULL */
    size_t n;
    int64_t dims[8];
    int ndim;
    int wq;             /* 1: the output of a weight quantizer */
    int used;           /* wq: a layer's weights already */
    int wbinary;        /* BipolarQuant */
    int wmax;           /* the quantizer's largest |code| */
    double *wscale;     /* [n_wscale] per output channel (1: per tensor) */
    int n_wscale;
    /* ACT, PRE, SUM */
    int layer;          /* 1-based; ACT 0 = the image */
    int code, bits;     /* ACT */
    double unit;        /* ACT: the value of one integer step */
    int h, w, c;        /* ACT: the map (flat: the map it flattens) */
    int flat;           /* ACT: flattened CHW */
    int final;          /* ACT: the layer's output (after merge and pool) */
    int int64_mode;     /* PRE: Cast to int64; LUT: after the Cast */
    int sub;            /* ACT, STREAM view: every sub-th row and column (0: no Slice) */
    int pad_from;       /* ACT, STREAM view: the channels before a Pad (0: no Pad) */
    double *ka, *ks;    /* SCALED: the factor [c] in ka; SUM: the factors of a and the
                           skip [c] (NULL: 1) */
    const char *base;   /* SCALED: the activation multiplied */
    const char *lut;    /* LUT: the Gather's table */
    int skip_layer;     /* SUM, SSUM */
    int skip_stride;    /* SUM, SSUM: the skip view's sub, or 1 */
};

enum opkind { OP_ADD, OP_MUL, OP_BN, OP_RELU };
struct op {
    enum opkind kind;
    double *a, *b, *c, *d; /* [out_c]: ADD/MUL a; BN mean, var, gamma, beta */
    double eps;
    int64_t *ia;           /* int64 mode: [out_c] */
};

struct lbuild {
    double *S;             /* [out_c] the value of one accumulator step */
    int *neg;              /* [out_c] weights negated */
    struct op ops[32];
    int n_ops;
};

struct imp {
    const char *file;
    struct nn_error *err;
    Onnx__ModelProto *model;
    struct tensor *t;
    size_t n_t, cap_t;
    struct nn_qnn *m;
    struct lbuild *lb;      /* [NN_QNN_MAX_LAYERS] */
    int n_layers;
    const char *node;       /* the node being converted, for messages */
    const char *op;
    int had_meta;           /* logiq.meta was in the file */
};

static enum nn_status fail(struct imp *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum nn_status fail(struct imp *im, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (im->node)
        return nn_fail(im->err, NN_ERR_FORMAT, "%s: node '%s' (%s): %s", im->file, im->node,
                       im->op, what);
    return nn_fail(im->err, NN_ERR_FORMAT, "%s: %s", im->file, what);
}

/* ---- tensors ---- */

static struct tensor *find(struct imp *im, const char *name)
{
    for (size_t i = im->n_t; i-- > 0;)
        if (strcmp(im->t[i].name, name) == 0)
            return &im->t[i];
    return NULL;
}

static struct tensor *add_tensor(struct imp *im, const char *name, enum tkind kind)
{
    if (im->n_t == im->cap_t) {
        size_t cap = im->cap_t ? 2 * im->cap_t : 64;
        struct tensor *t = realloc(im->t, cap * sizeof *t);
        if (!t)
            return NULL;
        im->t = t;
        im->cap_t = cap;
    }
    struct tensor *t = &im->t[im->n_t++];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->kind = kind;
    return t;
}

static void free_tensor(struct tensor *t)
{
    free(t->val);
    free(t->ival);
    free(t->wscale);
    free(t->ka);
    free(t->ks);
}

/* How many node inputs and graph outputs name tensor `name`. */
static int consumers(const struct imp *im, const char *name)
{
    const Onnx__GraphProto *g = im->model->graph;
    int nc = 0;
    for (size_t j = 0; j < g->n_node; j++)
        for (size_t k = 0; k < g->node[j]->n_input; k++)
            nc += strcmp(g->node[j]->input[k], name) == 0;
    for (size_t k = 0; k < g->n_output; k++)
        nc += g->output[k]->name && strcmp(g->output[k]->name, name) == 0;
    return nc;
}

/* The node of op type op that is the one consumer of tensor name (as its
 * input k), or NULL. */
static const Onnx__NodeProto *only_consumer(const struct imp *im, const char *name,
                                            const char *op, size_t k)
{
    if (consumers(im, name) != 1)
        return NULL;
    const Onnx__GraphProto *g = im->model->graph;
    for (size_t j = 0; j < g->n_node; j++) {
        const Onnx__NodeProto *n = g->node[j];
        if (n->n_input > k && strcmp(n->input[k], name) == 0)
            return n->op_type && strcmp(n->op_type, op) == 0 && n->n_output == 1 ? n : NULL;
    }
    return NULL;
}

/* An input of the current node: NULL (after a message) if unknown. */
static struct tensor *input(struct imp *im, const Onnx__NodeProto *n, size_t i)
{
    if (i >= n->n_input || !n->input[i][0]) {
        fail(im, "missing input %zu", i + 1);
        return NULL;
    }
    struct tensor *t = find(im, n->input[i]);
    if (!t)
        fail(im, "input '%s' is neither an initializer nor the output of an earlier node",
             n->input[i]);
    return t;
}

/* 1 if t is a view of a skip (subsampled or padded), after a message
 * naming what it cannot be used as. */
static int refuse_view(struct imp *im, const struct tensor *t, const char *as)
{
    if (!t->sub && !t->pad_from)
        return 0;
    fail(im, "'%s' is a subsampled or channel-padded skip (the pad shortcut), which only a "
         "merge takes, not %s", t->name, as);
    return 1;
}

static int is_pow2(double v)
{
    int e;
    return v > 0 && isfinite(v) && frexp(v, &e) == 0.5;
}

/* A tensor's values as doubles (FLOAT, DOUBLE, INT64, INT32). */
static enum nn_status load_initializer(struct imp *im, const Onnx__TensorProto *tp)
{
    if (!tp->name || !tp->name[0])
        return fail(im, "an initializer without a name");
    if (tp->n_dims > 8)
        return fail(im, "initializer '%s' has %zu dimensions (at most 8)", tp->name, tp->n_dims);
    size_t n = 1;
    for (size_t d = 0; d < tp->n_dims; d++) {
        if (tp->dims[d] < 0 || tp->dims[d] > MAX_ELEMS || n * (size_t)tp->dims[d] > MAX_ELEMS)
            return fail(im, "initializer '%s' is too large or has a negative dimension",
                        tp->name);
        n *= (size_t)tp->dims[d];
    }
    if (tp->segment || (tp->has_data_location && tp->data_location != 0))
        return fail(im, "initializer '%s' is segmented or stored outside the file", tp->name);
    const int dt = tp->has_data_type ? tp->data_type : 0;
    const uint8_t *raw = tp->has_raw_data ? tp->raw_data.data : NULL;
    size_t raw_len = tp->has_raw_data ? tp->raw_data.len : 0;
    size_t esz = dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT   ? 4
                 : dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ? 8
                 : dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64  ? 8
                 : dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT32  ? 4
                                                               : 0;
    if (!esz)
        return fail(im, "initializer '%s' has data type %d (expected float, double, int64 or "
                    "int32)", tp->name, dt);
    size_t have = raw ? raw_len / esz
                  : dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT  ? tp->n_float_data
                  : dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ? tp->n_double_data
                  : dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64  ? tp->n_int64_data
                                                                : tp->n_int32_data;
    if (have != n || (raw && raw_len != n * esz))
        return fail(im, "initializer '%s' holds %zu values for its %zu elements", tp->name,
                    have, n);
    struct tensor *t = add_tensor(im, tp->name, T_CONST);
    if (!t)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    t->ndim = (int)tp->n_dims;
    for (size_t d = 0; d < tp->n_dims; d++)
        t->dims[d] = tp->dims[d];
    t->n = n;
    t->val = calloc(n ? n : 1, sizeof *t->val);
    if (!t->val)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        t->ival = calloc(n ? n : 1, sizeof *t->ival);
        if (!t->ival)
            return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        double v;
        if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
            float f;
            if (raw)
                memcpy(&f, raw + 4 * i, 4);
            else
                f = tp->float_data[i];
            v = f;
        } else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
            if (raw)
                memcpy(&v, raw + 8 * i, 8);
            else
                v = tp->double_data[i];
        } else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
            int64_t x;
            if (raw)
                memcpy(&x, raw + 8 * i, 8);
            else
                x = tp->int64_data[i];
            t->ival[i] = x;
            v = (double)x;
        } else {
            int32_t x;
            if (raw)
                memcpy(&x, raw + 4 * i, 4);
            else
                x = tp->int32_data[i];
            v = x;
        }
        if (!isfinite(v))
            return fail(im, "initializer '%s' holds a non-finite value", tp->name);
        t->val[i] = v;
    }
    return NN_OK;
}

/* ---- attributes ---- */

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0)
            return n->attribute[i];
    return NULL;
}

static int64_t attr_int(const Onnx__NodeProto *n, const char *name, int64_t dflt)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_i ? a->i : dflt;
}

static double attr_float(const Onnx__NodeProto *n, const char *name, double dflt)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_f ? (double)a->f : dflt;
}

/* The string attribute into buf (dflt if absent). */
static void attr_str(const Onnx__NodeProto *n, const char *name, const char *dflt, char *buf,
                     size_t size)
{
    const Onnx__AttributeProto *a = attr(n, name);
    if (a && a->has_s) {
        size_t len = a->s.len < size - 1 ? a->s.len : size - 1;
        memcpy(buf, a->s.data, len);
        buf[len] = '\0';
    } else
        snprintf(buf, size, "%s", dflt);
}

/* ints attribute: count into *n (at most max), values into v; -1 if absent. */
static int attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *v, int max)
{
    const Onnx__AttributeProto *a = attr(n, name);
    if (!a)
        return -1;
    int k = (int)(a->n_ints < (size_t)max ? a->n_ints : (size_t)max);
    for (int i = 0; i < k; i++)
        v[i] = a->ints[i];
    return (int)a->n_ints;
}

static int scalar_const(const struct tensor *t, double *v)
{
    if (!t || t->kind != T_CONST || t->n != 1)
        return 0;
    *v = t->val[0];
    return 1;
}

/* ---- weights: Quant / BipolarQuant of an initializer, folded ---- */

static enum nn_status fold_weight_quant(struct imp *im, const Onnx__NodeProto *n, int bipolar)
{
    struct tensor *x = input(im, n, 0), *s = x ? input(im, n, 1) : NULL;
    if (!s)
        return NN_ERR_FORMAT;
    if (s->kind != T_CONST || s->n < 1 || (s->n != 1 && (x->ndim < 1 || s->n != (size_t)x->dims[0])))
        return fail(im, "the scale must be a constant scalar or one per output channel");
    int signed_q = 1, narrow = 0, bw = 1, zp_zero = 1;
    char mode[32] = "ROUND";
    if (!bipolar) {
        struct tensor *zp = input(im, n, 2), *b = zp ? input(im, n, 3) : NULL;
        double bwd;
        if (!b)
            return NN_ERR_FORMAT;
        if (zp->kind != T_CONST || b->kind != T_CONST || !scalar_const(b, &bwd))
            return fail(im, "zero point and bit width must be constants");
        for (size_t i = 0; i < zp->n; i++)
            zp_zero &= zp->val[i] == 0.0;
        if (!zp_zero)
            return fail(im, "a weight quantizer with a non-zero zero point (logiq's weights are "
                        "symmetric integers)");
        signed_q = (int)attr_int(n, "signed", 1);
        narrow = (int)attr_int(n, "narrow", 0);
        attr_str(n, "rounding_mode", "ROUND", mode, sizeof mode);
        if (!signed_q)
            return fail(im, "an unsigned weight quantizer (logiq's weights are symmetric "
                        "integers)");
        if (bwd != floor(bwd) || bwd < 2 || bwd > 8 || (bwd == 8 && !narrow))
            return fail(im, "weight bit width %g (expected 2..8 signed, 8 only narrow)", bwd);
        bw = (int)bwd;
        if (strcmp(mode, "ROUND") && strcmp(mode, "FLOOR") && strcmp(mode, "CEIL") &&
            strcmp(mode, "ROUND_TO_ZERO"))
            return fail(im, "rounding_mode %s (expected ROUND, FLOOR, CEIL or ROUND_TO_ZERO)",
                        mode);
    }
    for (size_t i = 0; i < s->n; i++)
        if (!is_pow2(s->val[i]))
            return fail(im, "weight scale %g is not a positive power of two (the layer's float "
                        "sums would not be exact)", s->val[i]);
    if (x->kind != T_CONST || x->wq)
        return fail(im, "quantizes '%s', which is not an initializer", x->name);
    if (n->n_output != 1)
        return fail(im, "expected one output");
    struct tensor *o = add_tensor(im, n->output[0], T_CONST);
    if (!o)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    x = find(im, n->input[0]); /* add_tensor may have moved the array */
    s = find(im, n->input[1]);
    o->n = x->n;
    o->ndim = x->ndim;
    memcpy(o->dims, x->dims, sizeof o->dims);
    o->wq = 1;
    o->wbinary = bipolar;
    o->val = calloc(x->n ? x->n : 1, sizeof *o->val);
    o->n_wscale = (int)s->n;
    o->wscale = malloc(s->n * sizeof *o->wscale);
    if (!o->val || !o->wscale)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    memcpy(o->wscale, s->val, s->n * sizeof *o->wscale);
    int lo = bipolar ? -1 : narrow ? -(1 << (bw - 1)) + 1 : -(1 << (bw - 1));
    int hi = bipolar ? 1 : (1 << (bw - 1)) - 1;
    o->wmax = -lo;
    size_t per = s->n > 1 ? x->n / s->n : x->n;
    for (size_t i = 0; i < x->n; i++) {
        double sc = s->n > 1 ? s->val[i / per] : s->val[0];
        double q;
        if (bipolar)
            q = x->val[i] >= 0 ? 1 : -1;
        else {
            q = x->val[i] / sc; /* as QONNX: scale, clamp, round */
            q = q < lo ? lo : q > hi ? hi : q;
            q = strcmp(mode, "ROUND") == 0   ? nearbyint(q)
                : strcmp(mode, "FLOOR") == 0 ? floor(q)
                : strcmp(mode, "CEIL") == 0  ? ceil(q)
                                             : trunc(q);
        }
        o->val[i] = q; /* the integer code; the value is q x scale */
    }
    return NN_OK;
}

/* ---- layers ---- */

static int bits_of(int v)
{
    int b = 0;
    while (v > 0) {
        b++;
        v >>= 1;
    }
    return b;
}

/* Conv / Gemm / MatMul: a new layer reading activation x with weights w. */
static enum nn_status new_layer(struct imp *im, const Onnx__NodeProto *n, int dense)
{
    struct tensor *x = input(im, n, 0), *w = x ? input(im, n, 1) : NULL;
    if (!w)
        return NN_ERR_FORMAT;
    if (x->kind == T_PRE)
        return fail(im, "its input '%s' is a float activation: layer %d has no quantizer "
                    "(Quant, BipolarQuant, Sign or MultiThreshold) before this node", x->name,
                    x->layer);
    if (x->kind != T_ACT)
        return fail(im, "its input '%s' is not an activation of the network", x->name);
    if (refuse_view(im, x, "a layer's input"))
        return NN_ERR_FORMAT;
    if (!x->final)
        return fail(im, "its input '%s' is layer %d's output before its merge or pooling",
                    x->name, x->layer);
    if (w->kind != T_CONST || !w->wq)
        return fail(im, "its weights '%s' are not quantized (expected the output of a Quant or "
                    "BipolarQuant of an initializer)", w->name);
    if (w->used)
        return fail(im, "its weights '%s' are shared with another layer", w->name);
    w->used = 1;
    if (im->n_layers >= NN_QNN_MAX_LAYERS)
        return fail(im, "more than %d layers", NN_QNN_MAX_LAYERS);
    struct nn_qnn_layer *L = &im->m->layers[im->n_layers];
    memset(L, 0, sizeof *L);
    int oc, fan;
    L->src = x->layer;
    L->in_code = x->code;
    L->in_bits = x->bits;
    if (!dense) {
        if (x->flat)
            return fail(im, "a convolution of a flattened tensor");
        if (w->ndim != 4 || w->dims[1] != x->c || w->dims[2] != w->dims[3])
            return fail(im, "weights of shape other than [out_c, %d, k, k]", x->c);
        int64_t ks[2] = {w->dims[2], w->dims[3]}, st[2] = {1, 1}, pd[4] = {0, 0, 0, 0},
                dl[2] = {1, 1};
        int nk = attr_ints(n, "kernel_shape", ks, 2), ns = attr_ints(n, "strides", st, 2),
            np_ = attr_ints(n, "pads", pd, 4), nd = attr_ints(n, "dilations", dl, 2);
        char ap[32];
        attr_str(n, "auto_pad", "NOTSET", ap, sizeof ap);
        if ((nk != -1 && (nk != 2 || ks[0] != w->dims[2] || ks[1] != w->dims[3])) ||
            (ns != -1 && ns != 2) || (np_ != -1 && np_ != 4) || (nd != -1 && nd != 2))
            return fail(im, "kernel_shape, strides, pads or dilations of the wrong length");
        if (attr_int(n, "group", 1) != 1 || dl[0] != 1 || dl[1] != 1 || strcmp(ap, "NOTSET"))
            return fail(im, "grouped, dilated or auto-padded convolutions are not logiq layers");
        if (st[0] != st[1] || st[0] < 1 || pd[0] != pd[1] || pd[0] != pd[2] || pd[0] != pd[3] ||
            pd[0] < 0 || pd[0] >= ks[0] || ks[0] < 1 || ks[0] > 4096 || st[0] > 4096)
            return fail(im, "strides and pads must be equal on both axes, with 0 <= pad < k");
        L->op = NN_QNN_CONV;
        L->in_h = x->h;
        L->in_w = x->w;
        L->in_c = x->c;
        L->k = (int)ks[0];
        L->stride = (int)st[0];
        L->pad = (int)pd[0];
        if (x->h + 2 * L->pad < L->k || x->w + 2 * L->pad < L->k)
            return fail(im, "the kernel is larger than the padded input");
        L->out_h = (x->h + 2 * L->pad - L->k) / L->stride + 1;
        L->out_w = (x->w + 2 * L->pad - L->k) / L->stride + 1;
        oc = (int)w->dims[0];
        fan = L->k * L->k * L->in_c;
    } else {
        if (!x->flat && (x->h != 1 || x->w != 1))
            return fail(im, "its input '%s' is a %dx%dx%d map (Flatten it first)", x->name,
                        x->c, x->h, x->w);
        int64_t in_n = (int64_t)x->h * x->w * x->c;
        int trans = 0;
        if (strcmp(n->op_type, "Gemm") == 0) {
            if (attr_int(n, "transA", 0) != 0 || attr_float(n, "alpha", 1.0) != 1.0 ||
                attr_float(n, "beta", 1.0) != 1.0)
                return fail(im, "transA, alpha or beta other than 0, 1, 1");
            trans = (int)attr_int(n, "transB", 0);
        }
        if (w->ndim != 2 || w->dims[trans ? 1 : 0] != in_n)
            return fail(im, "weights of shape other than [%lld, out] (transB 0) or [out, %lld] "
                        "(transB 1)", (long long)in_n, (long long)in_n);
        L->op = NN_QNN_DENSE;
        L->in_h = x->h;
        L->in_w = x->w;
        L->in_c = x->c;
        L->out_h = L->out_w = 1;
        L->k = L->stride = 1;
        oc = (int)w->dims[trans ? 0 : 1];
        fan = (int)in_n;
        /* weight [in, out] (transB 0): the scale is per output = per column */
        if (w->n_wscale > 1 && !trans)
            return fail(im, "a per-channel weight scale needs transB = 1 ([out, in] weights)");
        if (!trans) {
            /* transpose into [out][in] in place of a copy */
            double *t = malloc(w->n * sizeof *t);
            if (!t)
                return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
            for (int o = 0; o < oc; o++)
                for (int i = 0; i < fan; i++)
                    t[(size_t)o * fan + i] = w->val[(size_t)i * oc + o];
            memcpy(w->val, t, w->n * sizeof *t);
            free(t);
            w->dims[0] = oc;
            w->dims[1] = fan;
        }
    }
    if (oc < 1 || oc > 4096)
        return fail(im, "%d output channels (expected 1..4096)", oc);
    if (w->n_wscale > 1 && w->n_wscale != oc)
        return fail(im, "the weight scale has %d values for %d output channels", w->n_wscale, oc);
    L->out_c = oc;
    L->w_max = w->wmax;
    L->w_code = w->wbinary ? NN_WCODE_BINARY : NN_WCODE_SIGNMAG;
    L->w_mag_bits = w->wbinary ? 0 : bits_of(w->wmax);
    L->skip_stride = 0;
    struct lbuild *b = &im->lb[im->n_layers];
    b->S = calloc((size_t)oc, sizeof *b->S);
    b->neg = calloc((size_t)oc, sizeof *b->neg);
    L->w = malloc((size_t)oc * fan);
    if (!b->S || !b->neg || !L->w)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    for (int o = 0; o < oc; o++) {
        b->S[o] = (w->n_wscale > 1 ? w->wscale[o] : w->wscale[0]) * x->unit;
        if (!is_pow2(b->S[o]))
            return fail(im, "the weight scale times the input's scale is no power of two");
        for (int j = 0; j < fan; j++) {
            /* logiq order: conv [o][ky][kx][ci], dense NHWC; ONNX conv [o][ci][ky][kx],
             * a flattened map CHW */
            size_t src;
            if (!dense) {
                int ci = j % L->in_c, kx = (j / L->in_c) % L->k, ky = j / L->in_c / L->k;
                src = (((size_t)o * L->in_c + ci) * L->k + ky) * L->k + kx;
            } else {
                int ci = j % L->in_c, xx = (j / L->in_c) % L->in_w, yy = j / L->in_c / L->in_w;
                src = (size_t)o * fan + ((size_t)ci * L->in_h + yy) * L->in_w + xx;
            }
            L->w[(size_t)o * fan + j] = (int8_t)w->val[src];
        }
    }
    im->n_layers++;
    im->m->n_layers = im->n_layers;
    if (n->n_output != 1)
        return fail(im, "expected one output");
    struct tensor *p = add_tensor(im, n->output[0], T_PRE);
    if (!p)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    p->layer = im->n_layers;
    return NN_OK; /* a bias (Conv's 3rd input, Gemm's C): the caller's first Add */
}

/* The per-channel values of a constant broadcast over the channel axis of
 * an oc-channel tensor of layer li (a scalar, [C], [1, C], [C, 1, 1] or
 * [1, C, 1, 1] as the rank, 4 if conv else 2, allows; vec: a [C] vector of
 * the channels, as BatchNormalization's and Conv's bias are) into a fresh
 * array. */
static enum nn_status chan_vec_of(struct imp *im, const struct tensor *t, int li, int oc,
                                  int conv, double **out, int64_t **iout, int vec)
{
    if (!t || t->kind != T_CONST || t->wq)
        return fail(im, "expected a constant operand");
    int ok = t->n == 1 || (vec && t->ndim == 1 && t->n == (size_t)oc);
    if (!ok && t->n == (size_t)oc) {
        if (conv)
            ok = t->ndim >= 3 && t->dims[t->ndim - 1] == 1 && t->dims[t->ndim - 2] == 1 &&
                 t->dims[t->ndim - 3] == oc && (t->ndim == 3 || (t->ndim == 4 && t->dims[0] == 1));
        else
            ok = t->dims[t->ndim - 1] == oc && (t->ndim == 1 || (t->ndim == 2 && t->dims[0] == 1));
    }
    if (!ok)
        return fail(im, "constant '%s' is not a scalar or one value per channel of layer %d",
                    t->name, li);
    *out = malloc((size_t)oc * sizeof **out);
    if (!*out)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    for (int c = 0; c < oc; c++)
        (*out)[c] = t->val[t->n == 1 ? 0 : c];
    if (iout) {
        *iout = NULL;
        if (t->ival) {
            *iout = malloc((size_t)oc * sizeof **iout);
            if (!*iout)
                return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
            for (int c = 0; c < oc; c++)
                (*iout)[c] = t->ival[t->n == 1 ? 0 : c];
        }
    }
    return NN_OK;
}

/* chan_vec_of over layer li's output channels. */
static enum nn_status chan_vec(struct imp *im, const struct tensor *t, int li, double **out,
                               int64_t **iout, int vec)
{
    const struct nn_qnn_layer *L = &im->m->layers[li - 1];
    return chan_vec_of(im, t, li, L->out_c, L->op == NN_QNN_CONV, out, iout, vec);
}

static struct op *new_op(struct imp *im, int li, enum opkind k)
{
    struct lbuild *b = &im->lb[li - 1];
    if (b->n_ops >= (int)(sizeof b->ops / sizeof b->ops[0])) {
        fail(im, "more than %d elementwise ops in layer %d", (int)(sizeof b->ops /
             sizeof b->ops[0]), li);
        return NULL;
    }
    struct op *o = &b->ops[b->n_ops++];
    memset(o, 0, sizeof *o);
    o->kind = k;
    return o;
}

/* The float pre-activation of channel c at accumulator acc, as the graph
 * computes it (float64, in its order). */
static double chain_eval_f(const struct lbuild *b, int c, int64_t acc, int *finite)
{
    double x = (double)(b->neg[c] ? -acc : acc) * b->S[c];
    *finite = isfinite(x);
    for (int i = 0; i < b->n_ops; i++) {
        const struct op *o = &b->ops[i];
        switch (o->kind) {
        case OP_ADD: x = x + o->a[c]; break;
        case OP_MUL: x = x * o->a[c]; break;
        case OP_BN: x = (x - o->a[c]) / sqrt(o->b[c] + o->eps) * o->c[c] + o->d[c]; break;
        case OP_RELU: x = x < 0 ? 0.0 : x; break;
        }
        *finite &= isfinite(x);
    }
    return x;
}

static double chain_eval(const struct lbuild *b, int c, int64_t acc)
{
    int finite;
    return chain_eval_f(b, c, acc, &finite);
}

/* The sign of the chain's slope in channel c: +1, -1 or 0 (constant). */
static int chain_dir(const struct lbuild *b, int c)
{
    int d = 1;
    for (int i = 0; i < b->n_ops; i++) {
        const struct op *o = &b->ops[i];
        double k = o->kind == OP_MUL ? o->a[c] : o->kind == OP_BN ? o->c[c] : 1.0;
        d *= k > 0 ? 1 : k < 0 ? -1 : 0;
    }
    return d;
}

/* ---- quantizers ---- */

enum qkind { Q_QUANT, Q_BIPOLAR, Q_SIGN, Q_MT };
struct quant {
    enum qkind kind;
    double scale;            /* Q_QUANT, Q_BIPOLAR */
    int lo, hi;              /* Q_QUANT: the integer range */
    char mode[32];           /* Q_QUANT rounding */
    const double *thr;       /* Q_MT: [rows][n] */
    int rows, n;
    double out_scale, out_bias;
    const double *lut;       /* the levels are lut[level] (a Cast and Gather after it) */
    const char *lut_name;    /* the Gather's table */
};

/* The level index (0 = the lowest level) of value x in channel c. */
static int quant_index(const struct quant *q, int c, double x)
{
    switch (q->kind) {
    case Q_QUANT: {
        double y = x / q->scale;
        y = y < q->lo ? q->lo : y > q->hi ? q->hi : y;
        y = strcmp(q->mode, "ROUND") == 0   ? nearbyint(y)
            : strcmp(q->mode, "FLOOR") == 0 ? floor(y)
            : strcmp(q->mode, "CEIL") == 0  ? ceil(y)
                                            : trunc(y);
        return (int)y - q->lo;
    }
    case Q_BIPOLAR: return x >= 0;
    case Q_SIGN: return x > 0 ? 2 : x == 0 ? 1 : 0;
    case Q_MT: {
        const double *t = q->thr + (size_t)(q->rows > 1 ? c : 0) * q->n;
        int k = 0;
        for (int j = 0; j < q->n; j++)
            k += x >= t[j];
        return k;
    }
    }
    return 0;
}

static int quant_levels(const struct quant *q)
{
    return q->kind == Q_QUANT ? q->hi - q->lo + 1 : q->kind == Q_BIPOLAR ? 2
           : q->kind == Q_SIGN ? 3 : q->n + 1;
}

/* The quantizer's own output at level index k. */
static double quant_out(const struct quant *q, int k)
{
    switch (q->kind) {
    case Q_QUANT: return (k + q->lo) * q->scale;
    case Q_BIPOLAR: return k ? q->scale : -q->scale;
    case Q_SIGN: return k - 1;
    case Q_MT: return q->out_bias + q->out_scale * k;
    }
    return 0;
}

/* The value at level index k: the quantizer's output, or the table's entry
 * it indexes (checked by lut_after). */
static double quant_level(const struct quant *q, int k)
{
    return q->lut ? q->lut[(int)quant_out(q, k)] : quant_out(q, k);
}

/* The quantizer of node n (its input 0 is the pre-activation). */
static enum nn_status parse_quant(struct imp *im, const Onnx__NodeProto *n, int rows,
                                  struct quant *q)
{
    memset(q, 0, sizeof *q);
    const char *op = n->op_type;
    if (strcmp(op, "Sign") == 0) {
        q->kind = Q_SIGN;
        return NN_OK;
    }
    struct tensor *s = input(im, n, 1);
    if (!s)
        return NN_ERR_FORMAT;
    if (strcmp(op, "MultiThreshold") == 0) {
        char layout[16];
        attr_str(n, "data_layout", "NCHW", layout, sizeof layout);
        if (strcmp(layout, "NCHW") && strcmp(layout, "NC"))
            return fail(im, "data_layout %s (expected NCHW)", layout);
        if (s->kind != T_CONST || s->wq || s->ndim != 2 || s->dims[1] < 1 ||
            (s->dims[0] != 1 && s->dims[0] != rows))
            return fail(im, "thresholds must be a constant [%d, N] or [1, N]", rows);
        q->kind = Q_MT;
        q->thr = s->val;
        q->rows = (int)s->dims[0];
        q->n = (int)s->dims[1];
        if (q->n > 255)
            return fail(im, "%d thresholds per channel (at most 255: 8 bits)", q->n);
        q->out_scale = attr_float(n, "out_scale", 1.0);
        q->out_bias = attr_float(n, "out_bias", 0.0);
        return NN_OK;
    }
    if (!scalar_const(s, &q->scale))
        return fail(im, "the scale must be a constant scalar (one scale per activation tensor)");
    if (q->scale <= 0 || !isfinite(q->scale))
        return fail(im, "scale %g (expected > 0)", q->scale);
    if (strcmp(op, "BipolarQuant") == 0) {
        q->kind = Q_BIPOLAR;
        return NN_OK;
    }
    struct tensor *zp = input(im, n, 2), *b = zp ? input(im, n, 3) : NULL;
    double zpv, bw;
    if (!b)
        return NN_ERR_FORMAT;
    if (!scalar_const(zp, &zpv) || !scalar_const(b, &bw))
        return fail(im, "zero point and bit width must be constant scalars");
    if (zpv != 0)
        return fail(im, "zero point %g (expected 0: logiq's codes start at 0 or are "
                    "symmetric)", zpv);
    int sgn = (int)attr_int(n, "signed", 1), narrow = (int)attr_int(n, "narrow", 0);
    attr_str(n, "rounding_mode", "ROUND", q->mode, sizeof q->mode);
    if (strcmp(q->mode, "ROUND") && strcmp(q->mode, "FLOOR") && strcmp(q->mode, "CEIL") &&
        strcmp(q->mode, "ROUND_TO_ZERO"))
        return fail(im, "rounding_mode %s (expected ROUND, FLOOR, CEIL or ROUND_TO_ZERO)",
                    q->mode);
    if (bw != floor(bw) || bw < 1 || bw > 8)
        return fail(im, "bit width %g (expected 1..8)", bw);
    int B = (int)bw;
    q->kind = Q_QUANT;
    q->lo = sgn ? (narrow ? -(1 << (B - 1)) + 1 : -(1 << (B - 1))) : 0;
    q->hi = sgn ? (1 << (B - 1)) - 1 : (1 << B) - 1 - narrow;
    if (q->hi < q->lo + 1)
        return fail(im, "a quantizer with fewer than two levels");
    return NN_OK;
}

/* The logiq code of a quantizer's levels; 0 (after a message) if none. */
static int match_code(struct imp *im, const struct quant *q, int *bits, double *unit)
{
    int nl = quant_levels(q);
    double L0 = quant_level(q, 0), L1 = quant_level(q, 1);
    if (L0 == 0 && L1 > 0) {
        int ok = 1;
        for (int k = 2; k < nl; k++)
            ok &= quant_level(q, k) == k * L1;
        int B = bits_of(nl - 1);
        if (ok && nl == (1 << B) && B <= 8) {
            *bits = B;
            *unit = L1;
            return B == 1 ? NN_CODE_BIN01 : NN_CODE_UINT;
        }
    }
    if (nl == 2 && L1 > 0 && L0 == -L1) {
        *bits = 1;
        *unit = L1;
        return NN_CODE_SIGN;
    }
    if (nl == 3 && L1 == 0 && quant_level(q, 2) > 0 && L0 == -quant_level(q, 2)) {
        *bits = 2;
        *unit = quant_level(q, 2);
        return NN_CODE_TERN;
    }
    for (int B = 3; B <= 4; B++) {
        /* pow2: 2q + 1 levels, unit x {0, +-1, +-2, .., +-2^(q-1)} */
        const int qq = nn_qnn_code_n_thr(NN_CODE_POW2, B) / 2;
        double u = nl == 2 * qq + 1 ? quant_level(q, qq + 1) : 0;
        int ok = u > 0;
        for (int k = 0; ok && k < nl; k++)
            ok = quant_level(q, k) == u * nn_qnn_code_value(NN_CODE_POW2, B, k);
        if (ok) {
            *bits = B;
            *unit = u;
            return NN_CODE_POW2;
        }
    }
    char lv[160] = "";
    for (int k = 0; k < nl && k < 8; k++)
        snprintf(lv + strlen(lv), sizeof lv - strlen(lv), "%s%g", k ? ", " : "",
                 quant_level(q, k));
    fail(im, "its levels {%s%s} are no logiq activation code (uniform {0..2^B-1}, {-1,+1}, "
         "{-1,0,+1}, or pow2 {0, +-1, .., +-2^(q-1)} through a Gather, times a scale)", lv,
         nl > 8 ? ", ..." : "");
    return 0;
}

static int32_t clamp_i32(double v)
{
    return v <= (double)INT32_MIN ? INT32_MIN : v >= (double)INT32_MAX ? INT32_MAX : (int32_t)v;
}

/* A quantizer whose output's one consumer is a Cast to int64 whose one
 * consumer is a Gather (axis 0) of a constant 1-D table: its levels are the
 * table's entries at its integer outputs (pow2 activations, docs/qonnx.md).
 * q->lut is set then; every level must index the table. */
static enum nn_status lut_after(struct imp *im, const Onnx__NodeProto *n, struct quant *q)
{
    const Onnx__NodeProto *cast = only_consumer(im, n->output[0], "Cast", 0);
    const Onnx__NodeProto *gather = cast ? only_consumer(im, cast->output[0], "Gather", 1) : NULL;
    if (!gather || attr_int(cast, "to", 0) != ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
        return NN_OK;
    const struct tensor *t = find(im, gather->input[0]);
    if (!t || t->kind != T_CONST || t->wq || t->ndim != 1 || attr_int(gather, "axis", 0) != 0)
        return fail(im, "its levels go through Gather '%s', which is no lookup in a constant "
                    "1-D table", gather->name ? gather->name : "?");
    for (int k = 0; k < quant_levels(q); k++) {
        double v = quant_out(q, k);
        if (v != floor(v) || v < 0 || v >= (double)t->n)
            return fail(im, "its output %g is no index of the Gather's table '%s' (%zu "
                        "entries)", v, t->name, t->n);
        if (k && t->val[(int)v] <= t->val[(int)quant_out(q, k - 1)])
            return fail(im, "the table '%s' of its Gather does not rise with its levels",
                        t->name);
    }
    q->lut = t->val;
    q->lut_name = t->name;
    return NN_OK;
}

/* The start of a quantizer node n that thresholds layer L: parses it, maps
 * its levels to L's output code (Sign first to ternary: the caller narrows
 * it to sign when no value reaches 0), checks the output scale (*unit) is a
 * power of two, and allocates L's thresholds. */
static enum nn_status begin_thresholds(struct imp *im, const Onnx__NodeProto *n,
                                       struct nn_qnn_layer *L, struct quant *q, double *unit)
{
    enum nn_status s = parse_quant(im, n, L->out_c, q);
    if (s == NN_OK)
        s = lut_after(im, n, q);
    if (s != NN_OK)
        return s;
    int bits;
    int code = match_code(im, q, &bits, unit);
    if (!code)
        return NN_ERR_FORMAT;
    if (q->kind == Q_SIGN) {
        code = NN_CODE_TERN;
        bits = 2;
    }
    if (!is_pow2(*unit))
        return fail(im, "output scale %g is not a power of two (the next layer's float sums "
                    "would not be exact)", *unit);
    L->out_kind = NN_OUT_THRESH;
    L->out_code = code;
    L->out_bits = bits;
    L->n_thr = nn_qnn_code_n_thr(code, bits);
    L->thr = malloc((size_t)L->out_c * L->n_thr * sizeof *L->thr);
    if (!L->thr)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    return NN_OK;
}

/* A MultiThreshold on integers: channel c's thresholds as they are
 * (v >= t <=> v >= ceil(t)), sorted (the count is the same), so that an
 * exported model reads back bit for bit. */
static void copy_thresholds(int32_t *t, const struct quant *q, int c, int nt)
{
    const double *row = q->thr + (size_t)(q->rows > 1 ? c : 0) * q->n;
    for (int j = 0; j < nt; j++)
        t[j] = clamp_i32(ceil(row[j]));
    for (int j = 1; j < nt; j++)
        for (int k = j; k > 0 && t[k - 1] > t[k]; k--) {
            int32_t tmp = t[k];
            t[k] = t[k - 1];
            t[k - 1] = tmp;
        }
}

/* What an integer v of channel c is before the quantizer. */
typedef double (*int_value_fn)(const void *ctx, int c, int64_t v);

/* t[j - 1], j = 1..nt: the smallest integer v in [lo0, hi0] whose level
 * index under q is >= j (INT32_MIN if lo0's is, INT32_MAX if none is), by
 * bisection on the monotone value(v). */
static void bisect_thresholds(int32_t *t, const struct quant *q, int c, int nt, int64_t lo0,
                              int64_t hi0, int_value_fn value, const void *ctx)
{
    for (int j = 1; j <= nt; j++) {
        int64_t lo = lo0, hi = hi0;
        if (quant_index(q, c, value(ctx, c, lo)) >= j) {
            t[j - 1] = INT32_MIN;
            continue;
        }
        if (quant_index(q, c, value(ctx, c, hi)) < j) {
            t[j - 1] = INT32_MAX;
            continue;
        }
        while (hi - lo > 1) { /* index(lo) < j <= index(hi) */
            int64_t mid = lo + (hi - lo) / 2;
            if (quant_index(q, c, value(ctx, c, mid)) >= j)
                hi = mid;
            else
                lo = mid;
        }
        t[j - 1] = (int32_t)hi;
    }
}

/* Layer li's output tensor named name (quantizer q's output): its code, bits
 * and unit; a LUT until its Gather when q's levels are looked up. */
static enum nn_status emit_act(struct imp *im, const char *name, int li,
                               const struct nn_qnn_layer *L, const struct quant *q, double unit)
{
    struct tensor *o = add_tensor(im, name, q->lut ? T_LUT : T_ACT);
    if (!o)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    o->lut = q->lut_name;
    o->layer = li;
    o->code = L->out_code;
    o->bits = L->out_bits;
    o->unit = unit;
    o->h = L->out_h;
    o->w = L->out_w;
    o->c = L->out_c;
    o->final = 1;
    return NN_OK;
}

static double chain_value(const void *ctx, int c, int64_t acc)
{
    return chain_eval(ctx, c, acc);
}

/* A stream's integer u times its unit (*ctx). */
static double stream_value(const void *ctx, int c, int64_t u)
{
    (void)c;
    return (double)u * *(const double *)ctx;
}

/* A quantizer on layer li's pre-activation: its thresholds. */
static enum nn_status close_layer(struct imp *im, const Onnx__NodeProto *n, struct tensor *pre)
{
    const int li = pre->layer;
    struct nn_qnn_layer *L = &im->m->layers[li - 1];
    struct lbuild *b = &im->lb[li - 1];
    if (pre->int64_mode)
        return fail(im, "a quantizer after a Cast to integers");
    if (L->out_kind || L->res)
        return fail(im, "layer %d is quantized twice", li);
    struct quant q;
    double unit;
    /* Sign: {-1, 0, +1}, sign if no accumulator value reaches 0 exactly (below) */
    enum nn_status s = begin_thresholds(im, n, L, &q, &unit);
    if (s != NN_OK)
        return s;
    const int nt = L->n_thr;
    const int64_t bound = nn_qnn_acc_bound(L);
    if (bound <= 0 || bound >= INT32_MAX)
        return fail(im, "layer %d's accumulator range (%lld) does not fit 31 bits", li,
                    (long long)bound);
    /* A MultiThreshold right on the integer accumulator: its thresholds as
     * they are (acc >= t <=> acc >= ceil(t)), so that an exported model reads
     * back bit for bit. */
    int direct = q.kind == Q_MT && b->n_ops == 0;
    for (int c = 0; direct && c < L->out_c; c++)
        direct = b->S[c] == 1.0;
    int zero_hit = 0;
    for (int c = 0; c < L->out_c; c++) {
        int32_t *t = L->thr + (size_t)c * nt;
        if (direct) {
            copy_thresholds(t, &q, c, nt);
            continue;
        }
        if (chain_dir(b, c) < 0) {
            b->neg[c] = 1;
            int fan = nn_qnn_fan_in(L);
            for (int j = 0; j < fan; j++)
                L->w[(size_t)c * fan + j] = (int8_t)-L->w[(size_t)c * fan + j];
        }
        /* every step is monotone, so finite at both ends is finite between */
        int fin_lo, fin_hi;
        chain_eval_f(b, c, -bound, &fin_lo);
        chain_eval_f(b, c, bound, &fin_hi);
        if (!fin_lo || !fin_hi)
            return fail(im, "layer %d's pre-activation overflows to infinity or NaN in channel "
                        "%d", li, c);
        bisect_thresholds(t, &q, c, nt, -bound, bound, chain_value, b);
        if (q.kind == Q_SIGN && t[0] != t[1])
            zero_hit = 1;
    }
    if (q.kind == Q_SIGN && !zero_hit) {
        /* no accumulator value gives exactly 0: Sign is {-1, +1} */
        for (int c = 0; c < L->out_c; c++)
            L->thr[c] = L->thr[(size_t)c * 2];
        L->out_code = NN_CODE_SIGN;
        L->out_bits = 1;
        L->n_thr = 1;
        unit = 1.0;
    }
    return emit_act(im, n->output[0], li, L, &q, unit);
}

/* ---- the graph ---- */

static enum nn_status graph_input(struct imp *im, const Onnx__GraphProto *g)
{
    const Onnx__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < g->n_input; i++)
        if (g->input[i]->name && !find(im, g->input[i]->name)) {
            if (in)
                return fail(im, "more than one graph input that is not an initializer");
            in = g->input[i];
        }
    if (!in)
        return fail(im, "no graph input");
    const Onnx__TypeProto *tp = in->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type->shape ||
        tp->tensor_type->shape->n_dim != 4)
        return fail(im, "graph input '%s' is not a [N, C, H, W] tensor", in->name);
    int64_t d[4];
    for (int i = 0; i < 4; i++) {
        const Onnx__TensorShapeProto__Dimension *dm = tp->tensor_type->shape->dim[i];
        d[i] = dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                   ? dm->dim_value : (i == 0 ? 1 : -1);
        if (d[i] < 1 || d[i] > 4096)
            return fail(im, "graph input '%s': dimension %d is not a size in 1..4096", in->name,
                        i + 1);
    }
    struct tensor *t = add_tensor(im, in->name, T_ACT);
    if (!t)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    t->layer = 0;
    t->code = NN_CODE_PIXEL8;
    t->bits = 8;
    t->unit = 1.0;
    t->c = (int)d[1];
    t->h = (int)d[2];
    t->w = (int)d[3];
    t->final = 1;
    im->m->in_c = t->c;
    im->m->in_h = t->h;
    im->m->in_w = t->w;
    return NN_OK;
}

static int is_op(const Onnx__NodeProto *n, const char *op)
{
    return strcmp(n->op_type, op) == 0;
}

/* A fresh copy of n values (NULL for NULL or out of memory). */
static double *dup_vec(const double *v, int n)
{
    double *d = v ? malloc((size_t)n * sizeof *d) : NULL;
    if (d)
        memcpy(d, v, (size_t)n * sizeof *d);
    return d;
}

/* The output of node n: a copy of x (its arrays too) under the new name. */
static enum nn_status alias(struct imp *im, const Onnx__NodeProto *n, const struct tensor *x)
{
    struct tensor copy = *x;
    if (n->n_output != 1)
        return fail(im, "expected one output");
    struct tensor *o = add_tensor(im, n->output[0], x->kind);
    if (!o)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    *o = copy;
    o->name = n->output[0];
    o->val = NULL;
    o->ival = NULL;
    o->wscale = NULL;
    o->n_consumers = 0;
    o->ka = dup_vec(copy.ka, copy.c);
    o->ks = dup_vec(copy.ks, copy.c);
    if ((copy.ka && !o->ka) || (copy.ks && !o->ks))
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    return NN_OK;
}

/* Add / Mul / BatchNormalization / Relu / Cast on a layer's pre-activation. */
static enum nn_status chain_op(struct imp *im, const Onnx__NodeProto *n, struct tensor *pre,
                               int k_input)
{
    const int li = pre->layer;
    struct tensor pcopy = *pre;
    if (pre->n_consumers != 1)
        return fail(im, "the float pre-activation '%s' of layer %d has %d consumers (expected "
                    "one chain)", pre->name, li, pre->n_consumers);
    if (is_op(n, "Relu") || is_op(n, "BatchNormalization")) {
        if (pre->int64_mode)
            return fail(im, "a float op after a Cast to integers");
        struct op *o = new_op(im, li, is_op(n, "Relu") ? OP_RELU : OP_BN);
        if (!o)
            return NN_ERR_FORMAT;
        if (o->kind == OP_BN) {
            if (n->n_input != 5 || n->n_output < 1)
                return fail(im, "expected 5 inputs");
            if (attr_int(n, "training_mode", 0) != 0)
                return fail(im, "training_mode batch normalization");
            /* the stored float32 epsilon, as NumPy would use it */
            o->eps = attr_float(n, "epsilon", (double)1e-5f);
            double **dst[4] = {&o->c, &o->d, &o->a, &o->b}; /* scale, B, mean, var */
            for (int i = 0; i < 4; i++) {
                enum nn_status s = chan_vec(im, find(im, n->input[i + 1]), li, dst[i], NULL, 1);
                if (s != NN_OK)
                    return s;
            }
            for (int c = 0; c < im->m->layers[li - 1].out_c; c++)
                if (!(o->b[c] + o->eps > 0))
                    return fail(im, "variance + epsilon <= 0 in channel %d", c);
        }
    } else if (is_op(n, "Cast")) {
        if (attr_int(n, "to", 0) != ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
            return fail(im, "a Cast to other than int64");
        for (int c = 0; c < im->m->layers[li - 1].out_c; c++)
            if (im->lb[li - 1].S[c] != 1.0 || im->lb[li - 1].n_ops)
                return fail(im, "a Cast to int64 of other than the integer accumulator");
        pcopy.int64_mode = 1;
    } else { /* Add, Mul */
        struct tensor *k = input(im, n, (size_t)k_input);
        if (!k)
            return NN_ERR_FORMAT;
        if (pre->int64_mode && !k->ival)
            return fail(im, "a float operand after a Cast to integers");
        if (!pre->int64_mode && k->ival)
            return fail(im, "an int64 operand on a float tensor");
        struct op *o = new_op(im, li, is_op(n, "Add") ? OP_ADD : OP_MUL);
        if (!o)
            return NN_ERR_FORMAT;
        enum nn_status s = chan_vec(im, k, li, &o->a, &o->ia, 0);
        if (s != NN_OK)
            return s;
    }
    if (n->n_output < 1)
        return fail(im, "expected an output");
    struct tensor *t = add_tensor(im, n->output[0], T_PRE);
    if (!t)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    t->layer = li;
    t->int64_mode = pcopy.int64_mode;
    return NN_OK;
}

/* The rank of an activation or stream tensor: 2 for a dense layer's output or
 * a flattened map, 4 otherwise. */
static int act_rank(const struct imp *im, const struct tensor *t)
{
    return t->flat || (t->layer && im->m->layers[t->layer - 1].op == NN_QNN_DENSE) ? 2 : 4;
}

/* Slice of a layer's output or stream: every s-th row and column from 0 to
 * the end (axes 2 and 3, equal steps s = 1..8), the skip of the pad shortcut. */
static enum nn_status slice_view(struct imp *im, const Onnx__NodeProto *n, struct tensor *x)
{
    if ((x->kind != T_ACT && x->kind != T_STREAM) || x->layer == 0 || !x->final || x->flat ||
        x->sub || x->pad_from || act_rank(im, x) != 4)
        return fail(im, "a Slice of other than a layer's output map (the pad shortcut's skip)");
    const double dim[4] = {1, x->c, x->h, x->w};
    double st[4] = {0, 0, 0, 0}, en[4], sp[4] = {1, 1, 1, 1};
    memcpy(en, dim, sizeof en);
    const struct tensor *in[4] = {NULL, NULL, NULL, NULL};
    for (size_t i = 1; i < n->n_input && i < 5; i++)
        if (n->input[i][0] && !(in[i - 1] = input(im, n, i)))
            return NN_ERR_FORMAT;
    const size_t k = in[0] ? in[0]->n : 0;
    for (int i = 0; i < 4; i++)
        if (i < 2 && (!in[i] || in[i]->kind != T_CONST || in[i]->n != k || k > 4))
            return fail(im, "starts and ends must be constants of equal length");
        else if (i >= 2 && in[i] && (in[i]->kind != T_CONST || in[i]->n != k))
            return fail(im, "axes and steps must be constants of the starts' length");
    for (size_t j = 0; j < k; j++) {
        double ax = in[2] ? in[2]->val[j] : (double)j;
        ax = ax < 0 ? ax + 4 : ax;
        if (ax < 0 || ax > 3 || ax != floor(ax))
            return fail(im, "axis %g of a 4-D tensor", ax);
        st[(int)ax] = in[0]->val[j];
        en[(int)ax] = in[1]->val[j];
        sp[(int)ax] = in[3] ? in[3]->val[j] : 1;
    }
    for (int a = 0; a < 4; a++)
        if (st[a] != 0 || en[a] < dim[a] || (a < 2 && sp[a] != 1))
            return fail(im, "not every s-th row and column of the whole map (logiq's pad "
                        "shortcut subsamples from 0, all channels)");
    if (sp[2] != sp[3] || sp[2] < 1 || sp[2] > 8 || sp[2] != floor(sp[2]))
        return fail(im, "steps %g, %g (expected equal steps 1..8 on both axes)", sp[2], sp[3]);
    enum nn_status s = alias(im, n, x);
    if (s != NN_OK)
        return s;
    struct tensor *o = &im->t[im->n_t - 1];
    o->sub = (int)sp[2];
    o->h = (o->h + o->sub - 1) / o->sub;
    o->w = (o->w + o->sub - 1) / o->sub;
    return NN_OK;
}

/* Pad of a layer's output or stream with zero channels at the end (constant
 * mode, value 0), the skip of the pad shortcut. */
static enum nn_status pad_view(struct imp *im, const Onnx__NodeProto *n, struct tensor *x)
{
    if ((x->kind != T_ACT && x->kind != T_STREAM) || x->layer == 0 || !x->final || x->pad_from)
        return fail(im, "a Pad of other than a layer's output (the pad shortcut's skip)");
    const int rank = act_rank(im, x);
    char mode[16];
    attr_str(n, "mode", "constant", mode, sizeof mode);
    struct tensor *p = input(im, n, 1);
    if (!p)
        return NN_ERR_FORMAT;
    double cv = 0;
    if (n->n_input > 2 && n->input[2][0]) {
        struct tensor *v = input(im, n, 2);
        if (!v)
            return NN_ERR_FORMAT;
        if (!scalar_const(v, &cv))
            return fail(im, "the pad value must be a constant scalar");
    }
    if (strcmp(mode, "constant") || cv != 0 || n->n_input > 3)
        return fail(im, "a Pad other than with zeros (mode constant, value 0)");
    if (p->kind != T_CONST || p->n != (size_t)(2 * rank))
        return fail(im, "pads must be a constant of %d values", 2 * rank);
    for (int i = 0; i < 2 * rank; i++)
        if (i != rank + 1 && p->val[i] != 0)
            return fail(im, "pads other than zero channels at the end (logiq's pad shortcut)");
    const double extra = p->val[rank + 1];
    const int c = x->c;
    if (extra < 0 || extra != floor(extra) || c + extra > 4096)
        return fail(im, "%g channels of padding (expected 0..%d)", extra, 4096 - c);
    enum nn_status s = alias(im, n, x); /* x may move */
    if (s != NN_OK)
        return s;
    struct tensor *o = &im->t[im->n_t - 1];
    o->pad_from = c;
    o->c = c + (int)extra;
    return NN_OK;
}

/* Mul(x, k) of a {0,1} activation by per-channel constants (a MUX's
 * select). */
static enum nn_status scale_act(struct imp *im, const Onnx__NodeProto *n, struct tensor *x,
                                const struct tensor *k)
{
    if (x->code != NN_CODE_BIN01 || x->layer == 0 || !x->final || x->flat)
        return fail(im, "a Mul of the integer activation '%s' that is no {0,1} layer output "
                    "(only a MUX merge's select multiplies activations)", x->name);
    double *f = NULL;
    const char *base = x->name;
    enum nn_status s = chan_vec_of(im, k, x->layer, x->c, act_rank(im, x) == 4, &f, NULL, 0);
    if (s == NN_OK)
        s = alias(im, n, x); /* x may move */
    if (s != NN_OK) {
        free(f);
        return s;
    }
    struct tensor *o = &im->t[im->n_t - 1];
    o->kind = T_SCALED;
    o->ka = f;
    o->base = base;
    return NN_OK;
}

/* Add(a, skip) of two {0,1} activations, each maybe SCALED: a is layer la's
 * fresh output, the skip (maybe a view) an earlier layer's. */
static enum nn_status residual_add(struct imp *im, const Onnx__NodeProto *n, struct tensor *x,
                                   struct tensor *y)
{
    /* a is the newer layer's fresh output */
    struct tensor *a = x->layer >= y->layer ? x : y, *s = a == x ? y : x;
    if (a->code != NN_CODE_BIN01 || s->code != NN_CODE_BIN01)
        return fail(im, "a residual Add of '%s' and '%s' that are not both {0,1} tensors: "
                    "logiq's OR merge needs binary {0,1} activations (a sum of sign or multi-bit "
                    "codes is no logiq merge; the add merge sums streams of signed Quants)", x->name, y->name);
    if (refuse_view(im, a, "a merge's fresh output"))
        return NN_ERR_FORMAT;
    const struct nn_qnn_layer *L = &im->m->layers[a->layer - 1];
    if (a->layer == s->layer || s->layer == 0 || !s->final || s->flat || a->flat ||
        L->merge != NN_MERGE_NONE || L->pool)
        return fail(im, "not a residual merge of layer %d's output with an earlier layer's", a->layer);
    if (a->n_consumers != 1 || (a->kind == T_SCALED && consumers(im, a->base) != 1))
        return fail(im, "layer %d's output before the merge '%s' has other consumers",
                    a->layer, a->kind == T_SCALED ? a->base : a->name);
    if (a->unit != s->unit)
        return fail(im, "the two tensors have different scales (%g, %g)", a->unit, s->unit);
    if (s->h != a->h || s->w != a->w || s->c != a->c)
        return fail(im, "the skip '%s' (%dx%dx%d) has another shape than the output "
                    "(%dx%dx%d)", s->name, s->c, s->h, s->w, a->c, a->h, a->w);
    double unit = a->unit;
    int la = a->layer, ls = s->layer, st = s->sub ? s->sub : 1;
    const int a_scaled = a->kind == T_SCALED, s_scaled = s->kind == T_SCALED;
    double *ka = a_scaled ? dup_vec(a->ka, a->c) : NULL;
    double *ks = s_scaled ? dup_vec(s->ka, s->c) : NULL;
    if (n->n_output != 1) {
        free(ka);
        free(ks);
        return fail(im, "expected one output");
    }
    struct tensor *t = add_tensor(im, n->output[0], T_SUM); /* a, s, x, y may move */
    if (!t) {
        free(ka);
        free(ks);
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    }
    t->layer = la;
    t->skip_layer = ls;
    t->skip_stride = st;
    t->unit = unit;
    t->c = L->out_c;
    t->ka = ka;
    t->ks = ks;
    if ((a_scaled && !ka) || (s_scaled && !ks))
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    return NN_OK;
}

/* What a merge's channel does with (a, skip) in {0,1}^2. */
enum merge_fn { MF_A, MF_OR, MF_SKIP, MF_OTHER };

/* Channel c's truth table f[2 a + skip] under quantizer q of the SUM, and
 * what it is. */
static enum merge_fn merge_table(const struct quant *q, const struct tensor *sum, int c,
                                 int f[4])
{
    const double ka = sum->ka ? sum->ka[c] : 1.0, ks = sum->ks ? sum->ks[c] : 1.0;
    for (int i = 0; i < 4; i++) /* i = 2 a + skip */
        f[i] = quant_index(q, c, ka * (i >> 1) * sum->unit + ks * (i & 1) * sum->unit);
    const int v = f[0] | f[1] << 1 | f[2] << 2 | f[3] << 3; /* the truth table, 0..15 */
    return v == 0xC ? MF_A : v == 0xE ? MF_OR : v == 0xA ? MF_SKIP : MF_OTHER;
}

/* The quantizer on a SUM: OR if a plain sum of a and skip maps 0, 1, 2 (x
 * unit) to 0, 1, 1; MUX if the skip is SCALED and each channel gives a (not
 * selected) or a OR skip (selected, the or variant) or skip (selected, the
 * sel variant; the a SCALED, 1 - select). */
static enum nn_status close_merge(struct imp *im, const Onnx__NodeProto *n, struct tensor *sum)
{
    struct nn_qnn_layer *L = &im->m->layers[sum->layer - 1];
    struct quant q;
    enum nn_status s = parse_quant(im, n, L->out_c, &q);
    if (s != NN_OK)
        return s;
    int bits;
    double unit;
    int code = match_code(im, &q, &bits, &unit);
    if (!code)
        return NN_ERR_FORMAT;
    if (code != NN_CODE_BIN01)
        return fail(im, "the merged sum is quantized to other than {0,1}: no logiq merge");
    const int mux = sum->ks != NULL;
    int n_or = 0, n_skip = 0;
    uint8_t *sel = mux ? calloc((size_t)L->out_c, 1) : NULL;
    if (mux && !sel)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    for (int c = 0; c < L->out_c; c++) {
        int f[4];
        enum merge_fn fn = merge_table(&q, sum, c, f);
        if (!mux && fn != MF_OR) {
            return fail(im, "channel %d maps the sums 0, 1, 2 to %d, %d, %d: only 0, 1, 1 "
                        "(OR) is a logiq merge", c, f[0], f[1], f[3]);
        }
        if (fn == MF_OTHER) {
            free(sel);
            return fail(im, "channel %d maps (a, skip) = (0,0), (0,1), (1,0), (1,1) to %d, %d, "
                        "%d, %d: only a, a OR skip and skip are logiq merges (OR, MUX)", c,
                        f[0], f[1], f[2], f[3]);
        }
        n_or += fn == MF_OR;
        n_skip += fn == MF_SKIP;
        if (sel)
            sel[c] = fn != MF_A;
    }
    if (n_or && n_skip) {
        free(sel);
        return fail(im, "%d channels select a OR skip and %d skip: a logiq MUX merge has one "
                    "variant per layer", n_or, n_skip);
    }
    if (!is_pow2(unit)) {
        free(sel);
        return fail(im, "output scale %g is not a power of two", unit);
    }
    L->merge = mux ? NN_MERGE_MUX : NN_MERGE_OR;
    /* all channels a: the sel variant's form multiplies a too */
    L->mux_variant = n_skip || (!n_or && sum->ka) ? NN_MUX_SEL : NN_MUX_OR;
    L->mux_sel = sel;
    L->skip = sum->skip_layer;
    L->skip_stride = sum->skip_stride;
    return emit_act(im, n->output[0], sum->layer, L, &q, unit);
}

static enum nn_status max_pool(struct imp *im, const Onnx__NodeProto *n, struct tensor *x)
{
    if (x->kind != T_ACT || x->layer == 0 || x->flat)
        return fail(im, "max pooling of other than a layer's integer output");
    if (refuse_view(im, x, "a MaxPool's input"))
        return NN_ERR_FORMAT;
    struct nn_qnn_layer *L = &im->m->layers[x->layer - 1];
    if (L->pool || x->n_consumers != 1 || x->h != L->out_h || L->op != NN_QNN_CONV)
        return fail(im, "layer %d's output is pooled twice or used unpooled elsewhere",
                    x->layer);
    int64_t ks[2] = {0, 0}, st[2] = {1, 1}, pd[4] = {0, 0, 0, 0}, dl[2] = {1, 1};
    int nk = attr_ints(n, "kernel_shape", ks, 2);
    attr_ints(n, "strides", st, 2);
    attr_ints(n, "pads", pd, 4);
    attr_ints(n, "dilations", dl, 2);
    char ap[32];
    attr_str(n, "auto_pad", "NOTSET", ap, sizeof ap);
    if (nk != 2 || ks[0] != ks[1] || st[0] != ks[0] || st[1] != ks[1] || ks[0] < 2 ||
        pd[0] || pd[1] || pd[2] || pd[3] || dl[0] != 1 || dl[1] != 1 ||
        attr_int(n, "ceil_mode", 0) || strcmp(ap, "NOTSET") || n->n_output != 1)
        return fail(im, "logiq pools p x p windows with stride p, no padding, floor");
    if (ks[0] > L->out_h || ks[0] > L->out_w)
        return fail(im, "a window larger than the map");
    L->pool = (int)ks[0];
    struct tensor copy = *x;
    struct tensor *o = add_tensor(im, n->output[0], T_ACT);
    if (!o)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    *o = copy;
    o->name = n->output[0];
    o->n_consumers = 0;
    nn_qnn_out_shape(L, &o->h, &o->w, &o->c);
    return NN_OK;
}

static enum nn_status flatten(struct imp *im, const Onnx__NodeProto *n, struct tensor *x)
{
    if (x->kind == T_PRE) {
        const struct nn_qnn_layer *L = &im->m->layers[x->layer - 1];
        if (L->out_h != 1 || L->out_w != 1 || x->n_consumers != 1)
            return fail(im, "flattens a float pre-activation");
        return alias(im, n, x);
    }
    if (x->kind != T_ACT)
        return fail(im, "flattens other than an activation");
    if (refuse_view(im, x, "a Flatten's input"))
        return NN_ERR_FORMAT;
    if (is_op(n, "Flatten")) {
        if (attr_int(n, "axis", 1) != 1)
            return fail(im, "axis other than 1");
    } else {
        struct tensor *sh = input(im, n, 1);
        if (!sh)
            return NN_ERR_FORMAT;
        int64_t total = (int64_t)x->c * x->h * x->w;
        if (sh->kind != T_CONST || sh->n != 2 || sh->val[0] != 1 ||
            (sh->val[1] != -1 && sh->val[1] != (double)total))
            return fail(im, "a Reshape to other than [1, %lld]", (long long)total);
    }
    enum nn_status s = alias(im, n, x);
    if (s == NN_OK)
        im->t[im->n_t - 1].flat = 1;
    return s;
}

/* The exponent of the lowest set bit of v (v = odd x 2^e): e; INT_MAX for 0. */
static int lsb_exp(double v)
{
    if (v == 0)
        return INT_MAX;
    int e;
    double f = frexp(fabs(v), &e); /* v = f 2^e, f in [0.5, 1): f 2^53 is an integer */
    uint64_t mant = (uint64_t)ldexp(f, 53);
    return e - 53 + __builtin_ctzll(mant);
}

/* Layer li's float chain (S[c] acc, then bias Adds and Muls) divided by
 * div (a power of two) as integers: (mul[c] acc + add[c]) / 2^shift,
 * exactly, for every acc in the layer's range, at every step of the
 * graph's float64 evaluation (checked; BatchNormalization and Relu are not
 * affine maps and are refused). shift is the smallest that makes every
 * constant an integer (0 if shift is NULL: then the constants are scaled up
 * by a power of two only, as an argmax allows). what names it in messages. */
static enum nn_status affine_int(struct imp *im, int li, double div, const char *what,
                                 int64_t *mul, int64_t *add, int *shift)
{
    const struct nn_qnn_layer *L = &im->m->layers[li - 1];
    const struct lbuild *b = &im->lb[li - 1];
    const int oc = L->out_c;
    const double bound = (double)nn_qnn_acc_bound(L);
    double *m = calloc((size_t)oc, sizeof *m), *a = calloc((size_t)oc, sizeof *a);
    if (!m || !a) {
        free(m);
        free(a);
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    }
    enum nn_status st = NN_OK;
    int lsb_min = 0;
    for (int c = 0; c < oc && st == NN_OK; c++) {
        m[c] = b->S[c];
        a[c] = 0.0;
        for (int i = 0; i <= b->n_ops && st == NN_OK; i++) {
            if (i < b->n_ops) {
                const struct op *o = &b->ops[i];
                if (o->kind == OP_BN || o->kind == OP_RELU) {
                    st = fail(im, "%s: %s is not an exact affine map of the accumulator",
                              what, o->kind == OP_BN ? "BatchNormalization" : "Relu");
                    break;
                }
                if (o->kind == OP_MUL) {
                    double pm = m[c] * o->a[c], pa = a[c] * o->a[c];
                    if (fma(m[c], o->a[c], -pm) != 0 || fma(a[c], o->a[c], -pa) != 0)
                        st = fail(im, "%s: a Mul is not exact in channel %d", what, c);
                    m[c] = pm;
                    a[c] = pa;
                } else {
                    double s2 = a[c] + o->a[c], bb = s2 - a[c];
                    if ((a[c] - (s2 - bb)) + (o->a[c] - bb) != 0)
                        st = fail(im, "%s: an Add is not exact in channel %d", what, c);
                    a[c] = s2;
                }
            }
            if (i == b->n_ops) { /* the quantizer's x / scale: exact for a power of two */
                m[c] /= div;
                a[c] /= div;
            }
            /* every value m acc + a for |acc| <= bound is a double */
            int lsb = lsb_exp(m[c]) < lsb_exp(a[c]) ? lsb_exp(m[c]) : lsb_exp(a[c]);
            if (lsb == INT_MAX)
                lsb = 0;
            double top = fabs(m[c]) * bound + fabs(a[c]);
            if (st == NN_OK && top >= ldexp(1.0, lsb + 53))
                st = fail(im, "%s: channel %d is not exact in float64 over the "
                          "accumulator's range", what, c);
            if (lsb < lsb_min)
                lsb_min = lsb;
        }
    }
    for (int c = 0; c < oc && st == NN_OK; c++) {
        double mm = ldexp(m[c], -lsb_min), aa = ldexp(a[c], -lsb_min);
        if (fabs(mm) >= 0x1p62 || fabs(aa) >= 0x1p62)
            st = fail(im, "%s: channel %d needs integers over 62 bits", what, c);
        else {
            mul[c] = (int64_t)mm;
            add[c] = (int64_t)aa;
        }
    }
    if (shift)
        *shift = -lsb_min;
    free(m);
    free(a);
    return st;
}


/* The last layer: its graph output is an exact affine map of the integer
 * accumulator; that map becomes the score multiplier and offset. */
static enum nn_status scores(struct imp *im, const struct tensor *out)
{
    if (out->kind != T_PRE || out->layer != im->n_layers)
        return fail(im, "the graph output '%s' is not the last layer's scores (the float "
                    "pre-activation of the last Conv/Gemm/MatMul)", out->name);
    struct nn_qnn_layer *L = &im->m->layers[out->layer - 1];
    struct lbuild *b = &im->lb[out->layer - 1];
    const int oc = L->out_c;
    if (L->out_kind || L->res)
        return fail(im, "the last layer's pre-activation '%s' is also quantized", out->name);
    L->out_kind = NN_OUT_SCORES;
    L->rq_mul = calloc((size_t)oc, sizeof *L->rq_mul);
    L->rq_add = calloc((size_t)oc, sizeof *L->rq_add);
    if (!L->rq_mul || !L->rq_add)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    if (out->int64_mode) {
        for (int c = 0; c < oc; c++) {
            __int128 mul = 1, add = 0;
            for (int i = 0; i < b->n_ops; i++) {
                const struct op *o = &b->ops[i];
                if (o->kind == OP_MUL) {
                    mul *= o->ia[c];
                    add *= o->ia[c];
                } else
                    add += o->ia[c];
                if (mul > INT64_MAX || mul < -INT64_MAX || add > INT64_MAX || add < -INT64_MAX)
                    return fail(im, "the integer scores of channel %d overflow int64", c);
            }
            L->rq_mul[c] = (int64_t)mul;
            L->rq_add[c] = (int64_t)add;
        }
        return NN_OK;
    }
    return affine_int(im, out->layer, 1.0, "the scores", L->rq_mul, L->rq_add, NULL);
}

/* ---- add residual streams ---- */

/* A stream's Quant: signed, not narrow, R = 2..32 bits, zero point 0, one
 * power-of-two scale. */
static enum nn_status stream_quant(struct imp *im, const Onnx__NodeProto *n, double *scale,
                                   int *bits, char *mode, size_t mode_size)
{
    struct tensor *s = input(im, n, 1), *zp = s ? input(im, n, 2) : NULL,
                  *b = zp ? input(im, n, 3) : NULL;
    double zpv = 0, bw = 0;
    *scale = 0;
    *bits = 0;
    if (!b)
        return NN_ERR_FORMAT;
    if (!scalar_const(s, scale) || !scalar_const(zp, &zpv) || !scalar_const(b, &bw))
        return fail(im, "scale, zero point and bit width must be constant scalars");
    if (!is_pow2(*scale) || zpv != 0)
        return fail(im, "a residual stream's Quant needs a power-of-two scale and zero point 0");
    if (bw != floor(bw) || bw < 2 || bw > 32)
        return fail(im, "a residual stream of %g bits (expected 2..32)", bw);
    *bits = (int)bw;
    attr_str(n, "rounding_mode", "ROUND", mode, mode_size);
    return NN_OK;
}

static int is_stream_quant(const Onnx__NodeProto *n)
{
    return is_op(n, "Quant") && attr_int(n, "signed", 1) && !attr_int(n, "narrow", 0);
}

static enum nn_status new_stream(struct imp *im, const char *name, int li, double unit)
{
    const struct nn_qnn_layer *L = &im->m->layers[li - 1];
    struct tensor *o = add_tensor(im, name, T_STREAM);
    if (!o)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    o->layer = li;
    o->unit = unit;
    o->bits = L->res_bits;
    o->h = L->out_h;
    o->w = L->out_w;
    o->c = L->out_c;
    o->final = 1;
    return NN_OK;
}

/* A signed R-bit Quant (FLOOR) on a pre-activation: the requantizer
 * Y = sat_R(floor((rq_mul acc + rq_add) / 2^rq_shift)), when the chain is an
 * exact affine map. */
static enum nn_status close_stream(struct imp *im, const Onnx__NodeProto *n, struct tensor *pre)
{
    const int li = pre->layer;
    struct nn_qnn_layer *L = &im->m->layers[li - 1];
    double scale = 0;
    int bits = 0, sh = 0;
    char mode[32];
    enum nn_status s = stream_quant(im, n, &scale, &bits, mode, sizeof mode);
    if (s != NN_OK)
        return s;
    if (strcmp(mode, "FLOOR") != 0)
        return fail(im, "a residual stream's requantizer rounds FLOOR in logiq (this one %s)",
                    mode);
    if (L->out_kind || L->res)
        return fail(im, "layer %d is quantized twice", li);
    L->rq_mul = calloc((size_t)L->out_c, sizeof *L->rq_mul);
    L->rq_add = calloc((size_t)L->out_c, sizeof *L->rq_add);
    if (!L->rq_mul || !L->rq_add)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    s = affine_int(im, li, scale, "the residual stream's requantizer", L->rq_mul, L->rq_add, &sh);
    if (s != NN_OK)
        return s;
    if (sh > 62)
        return fail(im, "the requantizer needs a shift of %d (at most 62)", sh);
    L->res = 1;
    L->res_bits = bits;
    L->res_frac = 0;
    L->rq_shift = sh;
    return new_stream(im, n->output[0], li, scale);
}

/* Add(Y, u_skip) of two streams on the same fixed point. */
static enum nn_status stream_add(struct imp *im, const Onnx__NodeProto *n, struct tensor *x,
                                 struct tensor *y)
{
    struct tensor *a = x->layer >= y->layer ? x : y, *k = a == x ? y : x;
    const struct nn_qnn_layer *L = &im->m->layers[a->layer - 1];
    if (refuse_view(im, a, "a merge's fresh stream"))
        return NN_ERR_FORMAT;
    if (a->layer == k->layer || L->merge != NN_MERGE_NONE || a->n_consumers != 1)
        return fail(im, "not the add merge of layer %d's fresh stream with an earlier layer's",
                    a->layer);
    if (a->unit != k->unit || a->bits != k->bits)
        return fail(im, "the two streams are on different fixed points (scale %g, %d bits; "
                    "scale %g, %d bits)", a->unit, a->bits, k->unit, k->bits);
    if (a->h != k->h || a->w != k->w || a->c != k->c)
        return fail(im, "the skip stream '%s' has another shape than the output", k->name);
    double unit = a->unit;
    int la = a->layer, lk = k->layer, st = k->sub ? k->sub : 1;
    struct tensor *t = add_tensor(im, n->output[0], T_SSUM);
    if (!t)
        return nn_fail(im->err, NN_ERR_NOMEM, "out of memory");
    t->layer = la;
    t->skip_layer = lk;
    t->skip_stride = st;
    t->unit = unit;
    return NN_OK;
}

/* The saturating Quant after a stream Add: logiq's add merge. */
static enum nn_status close_stream_merge(struct imp *im, const Onnx__NodeProto *n,
                                         struct tensor *sum)
{
    struct nn_qnn_layer *L = &im->m->layers[sum->layer - 1];
    double scale = 0;
    int bits = 0;
    char mode[32];
    if (!is_stream_quant(n))
        return fail(im, "the sum of two streams needs a signed, not narrow Quant (the add "
                    "merge's saturation)");
    enum nn_status s = stream_quant(im, n, &scale, &bits, mode, sizeof mode);
    if (s != NN_OK)
        return s;
    if (scale != sum->unit || bits != L->res_bits)
        return fail(im, "saturates to another fixed point than the stream's (scale %g, %d bits)",
                    sum->unit, L->res_bits);
    L->merge = NN_MERGE_ADD;
    L->skip = sum->skip_layer;
    L->skip_stride = sum->skip_stride;
    return new_stream(im, n->output[0], sum->layer, scale);
}

/* The activation quantizer on a stream u: thresholds on the integer u. */
static enum nn_status close_stream_act(struct imp *im, const Onnx__NodeProto *n,
                                       struct tensor *st)
{
    const int li = st->layer;
    struct nn_qnn_layer *L = &im->m->layers[li - 1];
    if (L->out_kind)
        return fail(im, "layer %d's stream is thresholded twice", li);
    if (refuse_view(im, st, "a quantizer"))
        return NN_ERR_FORMAT;
    struct quant q;
    double unit;
    enum nn_status s = begin_thresholds(im, n, L, &q, &unit);
    if (s != NN_OK)
        return s;
    const int nt = L->n_thr;
    const int64_t lo0 = -((int64_t)1 << (L->res_bits - 1)), hi0 = -lo0 - 1;
    for (int c = 0; c < L->out_c; c++) {
        int32_t *t = L->thr + (size_t)c * nt;
        if (q.kind == Q_MT && st->unit == 1.0) /* as they are, on the integer u */
            copy_thresholds(t, &q, c, nt);
        else
            bisect_thresholds(t, &q, c, nt, lo0, hi0, stream_value, &st->unit);
    }
    return emit_act(im, n->output[0], li, L, &q, unit);
}

/* logiq's own hints (model metadata logiq.layer.N): fields the graph does
 * not hold: the weight code, and fields unused by the layer's semantics. */
static enum nn_status apply_hints(struct imp *im)
{
    const Onnx__ModelProto *mp = im->model;
    for (size_t i = 0; i < mp->n_metadata_props; i++) {
        const char *k = mp->metadata_props[i]->key, *v = mp->metadata_props[i]->value;
        if (!k || !v)
            continue;
        if (strcmp(k, "logiq.meta") == 0) {
            if (strlen(v) >= NN_QNN_META_MAX)
                return fail(im, "metadata logiq.meta longer than %d bytes", NN_QNN_META_MAX - 1);
            snprintf(im->m->meta, sizeof im->m->meta, "%s", v);
            im->had_meta = 1;
            continue;
        }
        int li;
        char rest[8];
        if (sscanf(k, "logiq.layer.%d%1s", &li, rest) != 1)
            continue;
        if (li < 1 || li > im->n_layers)
            return fail(im, "metadata %s: no layer %d", k, li);
        struct nn_qnn_layer *L = &im->m->layers[li - 1];
        int wc, wb, wm, mv, rs, rb, rf, used;
        if (sscanf(v, "w_code=%d w_mag_bits=%d w_max=%d mux_variant=%d rq_shift=%d "
                   "res_bits=%d res_frac=%d%n", &wc, &wb, &wm, &mv, &rs, &rb, &rf, &used) != 7 ||
            v[used] != '\0')
            return fail(im, "metadata %s = '%s' (expected w_code=C w_mag_bits=B w_max=K "
                        "mux_variant=V rq_shift=S res_bits=R res_frac=F)", k, v);
        if (L->w_code == NN_WCODE_BINARY ? wc != NN_WCODE_BINARY : wc == NN_WCODE_BINARY)
            return fail(im, "metadata %s: weight code %d against the graph's quantizer", k, wc);
        if (wm > L->w_max)
            return fail(im, "metadata %s: w_max %d beyond the quantizer's %d", k, wm, L->w_max);
        if (L->merge == NN_MERGE_MUX && mv != L->mux_variant)
            return fail(im, "metadata %s: mux_variant %d against the graph's %d", k, mv,
                        L->mux_variant);
        L->w_code = wc;
        L->w_mag_bits = wb;
        L->w_max = wm;
        L->mux_variant = mv;
        if (L->res) {
            /* the same requantizer with the file's (possibly wider) shift */
            if (rb != L->res_bits || rs < L->rq_shift || rs > 62)
                return fail(im, "metadata %s: res_bits %d, rq_shift %d against the graph's %d, "
                            "%d", k, rb, rs, L->res_bits, L->rq_shift);
            for (int c = 0; c < L->out_c; c++) {
                int up = rs - L->rq_shift;
                if (up && (llabs(L->rq_mul[c]) >= (INT64_C(1) << (62 - up)) ||
                           llabs(L->rq_add[c]) >= (INT64_C(1) << (62 - up))))
                    return fail(im, "metadata %s: rq_shift %d overflows the constants", k, rs);
                L->rq_mul[c] *= INT64_C(1) << up;
                L->rq_add[c] *= INT64_C(1) << up;
            }
        } else
            L->res_bits = rb;
        L->rq_shift = rs;
        L->res_frac = rf;
    }
    return NN_OK;
}

/* One node. */
static enum nn_status node(struct imp *im, const Onnx__NodeProto *n)
{
    const char *dom = n->domain ? n->domain : "";
    int qdom = strcmp(dom, NN_QONNX_DOMAIN) == 0 || strcmp(dom, "finn.custom_op.general") == 0;
    if (dom[0] && !qdom && strcmp(dom, "ai.onnx") != 0)
        return fail(im, "domain '%s' is not ONNX or %s", dom, NN_QONNX_DOMAIN);
    int quant = is_op(n, "Quant") || is_op(n, "BipolarQuant");
    if ((quant || is_op(n, "MultiThreshold")) != qdom)
        return fail(im, "unsupported op (logiq imports the ONNX ops Conv, Gemm, MatMul, "
                    "BatchNormalization, Add, Mul, Relu, Sign, MaxPool, Flatten, Reshape, "
                    "Identity, Cast, Slice, Pad, Gather and %s's Quant, BipolarQuant, "
                    "MultiThreshold)",
                    NN_QONNX_DOMAIN);
    for (size_t k = 0; k < n->n_output; k++)
        if (!n->output[k][0] || find(im, n->output[k]))
            return fail(im, "output '%s' is empty or defined twice", n->output[k]);
    struct tensor *x = input(im, n, 0);
    if (!x)
        return NN_ERR_FORMAT;
    x->n_consumers = consumers(im, x->name);
    struct tensor *y = n->n_input > 1 && n->input[1][0] ? find(im, n->input[1]) : NULL;
    if (y)
        y->n_consumers = consumers(im, y->name);
    const int arith = is_op(n, "Add") || is_op(n, "Mul");

    if (quant && x->kind == T_CONST)
        return fold_weight_quant(im, n, is_op(n, "BipolarQuant"));
    if (is_op(n, "Conv") || is_op(n, "Gemm") || is_op(n, "MatMul")) {
        enum nn_status st = new_layer(im, n, !is_op(n, "Conv"));
        if (st != NN_OK || n->n_input < 3 || !n->input[2][0])
            return st;
        if (is_op(n, "MatMul"))
            return fail(im, "MatMul takes two inputs");
        int li = im->n_layers;
        struct tensor *bias = input(im, n, 2);
        struct op *o = bias ? new_op(im, li, OP_ADD) : NULL;
        return o ? chan_vec(im, bias, li, &o->a, NULL, 1) : NN_ERR_FORMAT;
    }
    if (x->kind == T_PRE && (arith || is_op(n, "BatchNormalization") || is_op(n, "Relu") ||
                             is_op(n, "Cast")))
        return chain_op(im, n, x, 1);
    if (arith && n->n_input == 2 && y && y->kind == T_PRE && x->kind == T_CONST)
        return chain_op(im, n, y, 0);
    if (x->kind == T_PRE && is_stream_quant(n) && x->n_consumers == 1)
        return close_stream(im, n, x);
    if (x->kind == T_PRE && (quant || is_op(n, "Sign") || is_op(n, "MultiThreshold")))
        return close_layer(im, n, x);
    if (x->kind == T_SSUM && quant)
        return close_stream_merge(im, n, x);
    if (x->kind == T_STREAM && (quant || is_op(n, "Sign") || is_op(n, "MultiThreshold")))
        return close_stream_act(im, n, x);
    if (is_op(n, "Add") && x->kind == T_STREAM && n->n_input == 2) {
        if (!y || y->kind != T_STREAM)
            return fail(im, "adds the residual stream '%s' to '%s', which is no stream",
                        x->name, n->input[1]);
        return stream_add(im, n, x, y);
    }
    if (x->kind == T_SUM && (quant || is_op(n, "MultiThreshold")))
        return close_merge(im, n, x);
    if (is_op(n, "Add") && (x->kind == T_ACT || x->kind == T_SCALED) && n->n_input == 2) {
        if (!input(im, n, 1))
            return NN_ERR_FORMAT;
        if (!y || (y->kind != T_ACT && y->kind != T_SCALED))
            return fail(im, "adds '%s', which is not an integer activation", n->input[1]);
        return residual_add(im, n, x, y);
    }
    if (is_op(n, "Mul") && n->n_input == 2 && y && (x->kind == T_ACT || y->kind == T_ACT) &&
        (x->kind == T_CONST || y->kind == T_CONST))
        return x->kind == T_ACT ? scale_act(im, n, x, y) : scale_act(im, n, y, x);
    if (is_op(n, "Slice"))
        return slice_view(im, n, x);
    if (is_op(n, "Pad"))
        return pad_view(im, n, x);
    if (x->kind == T_LUT && is_op(n, "Cast") && !x->int64_mode &&
        attr_int(n, "to", 0) == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        enum nn_status st = alias(im, n, x);
        if (st == NN_OK)
            im->t[im->n_t - 1].int64_mode = 1;
        return st;
    }
    if (is_op(n, "Gather") && y && y->kind == T_LUT && y->int64_mode &&
        strcmp(x->name, y->lut) == 0) {
        enum nn_status st = alias(im, n, y);
        if (st == NN_OK) {
            im->t[im->n_t - 1].kind = T_ACT;
            im->t[im->n_t - 1].int64_mode = 0;
        }
        return st;
    }
    if (is_op(n, "MaxPool"))
        return max_pool(im, n, x);
    if (is_op(n, "Flatten") || is_op(n, "Reshape"))
        return flatten(im, n, x);
    if (is_op(n, "Identity"))
        return x->kind == T_CONST ? fail(im, "an Identity of a constant") : alias(im, n, x);
    if (x->kind == T_ACT && x->layer == 0 && quant) {
        /* an input quantizer that is the identity on the pixels 0..255 */
        struct quant q;
        enum nn_status st = parse_quant(im, n, 1, &q);
        if (st == NN_OK && !(q.kind == Q_QUANT && q.lo == 0 && q.hi >= 255 && q.scale == 1.0))
            st = fail(im, "an input quantizer other than unsigned 8 bits, scale 1 (logiq's "
                      "input is the raw pixels 0..255)");
        return st == NN_OK ? alias(im, n, x) : st;
    }
    if (x->kind == T_PRE)
        return fail(im, "unsupported op on a pre-activation: logiq cannot fold it into layer %d's "
                    "integer thresholds", x->layer);
    if (x->kind == T_ACT && (is_op(n, "Relu") || is_op(n, "Sign") || arith ||
                             is_op(n, "BatchNormalization")))
        return fail(im, "a float op on the integer activation '%s' outside a layer (no exact "
                    "logiq form)", x->name);
    return fail(im, "unsupported op here (input '%s')", x->name);
}

static enum nn_status convert(struct imp *im)
{
    const Onnx__GraphProto *g = im->model->graph;
    if (!g)
        return fail(im, "no graph");
    if (g->n_node > MAX_NODES)
        return fail(im, "%zu nodes (at most %d)", g->n_node, MAX_NODES);
    for (size_t i = 0; i < g->n_initializer; i++) {
        enum nn_status s = load_initializer(im, g->initializer[i]);
        if (s != NN_OK)
            return s;
    }
    enum nn_status s = graph_input(im, g);
    if (s != NN_OK)
        return s;
    if (g->n_output != 1 || !g->output[0]->name)
        return fail(im, "expected one graph output (the scores), found %zu", g->n_output);
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        char dflt[24];
        snprintf(dflt, sizeof dflt, "#%zu", i + 1);
        im->node = n->name && n->name[0] ? n->name : dflt;
        im->op = n->op_type ? n->op_type : "?";
        if (!n->op_type || n->n_output < 1)
            return fail(im, "no op type or no output");
        s = node(im, n);
        if (s != NN_OK)
            return s;
    }
    im->node = NULL;
    struct tensor *out = find(im, g->output[0]->name);
    if (!out)
        return fail(im, "the graph output '%s' is computed by no node", g->output[0]->name);
    if (im->n_layers < 1)
        return fail(im, "no layers");
    for (int li = 0; li < im->n_layers - 1; li++)
        if (im->m->layers[li].out_kind != NN_OUT_THRESH)
            return fail(im, "layer %d has no quantizer", li + 1);
    s = scores(im, out);
    if (s != NN_OK)
        return s;
    im->m->n_class = im->m->layers[im->n_layers - 1].out_c;
    return apply_hints(im);
}

enum nn_status nn_qonnx_import_mem(struct nn_qnn *m, const uint8_t *buf, size_t len,
                                   const char *name, struct nn_error *err)
{
    memset(m, 0, sizeof *m);
    struct imp im = {.file = name, .err = err, .m = m};
    im.model = onnx__model_proto__unpack(NULL, len, buf);
    if (!im.model)
        return nn_fail(err, NN_ERR_FORMAT, "%s: not an ONNX model (the protobuf does not "
                       "parse as onnx.ModelProto)", name);
    m->layers = calloc(NN_QNN_MAX_LAYERS, sizeof *m->layers);
    im.lb = calloc(NN_QNN_MAX_LAYERS, sizeof *im.lb);
    enum nn_status s = m->layers && im.lb ? convert(&im)
                                          : nn_fail(err, NN_ERR_NOMEM, "out of memory");
    if (s == NN_OK) {
        if (!im.had_meta && nn_qnn_meta_set(m, "qonnx_from", name) != 0)
            s = nn_fail(err, NN_ERR_FORMAT, "%s: the file name is too long for the metadata",
                        name);
        s = nn_qnn_validate(m, err);
        if (s != NN_OK) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            s = nn_fail(err, NN_ERR_FORMAT, "%s: the converted model is not valid: %s", name, msg);
        }
    }
    for (int li = 0; im.lb && li < NN_QNN_MAX_LAYERS; li++) {
        struct lbuild *b = &im.lb[li];
        free(b->S);
        free(b->neg);
        for (int i = 0; i < b->n_ops; i++) {
            free(b->ops[i].a);
            free(b->ops[i].b);
            free(b->ops[i].c);
            free(b->ops[i].d);
            free(b->ops[i].ia);
        }
    }
    free(im.lb);
    for (size_t i = 0; i < im.n_t; i++)
        free_tensor(&im.t[i]);
    free(im.t);
    onnx__model_proto__free_unpacked(im.model, NULL);
    if (s != NN_OK) {
        m->n_layers = m->layers ? NN_QNN_MAX_LAYERS : 0;
        nn_qnn_free(m);
        memset(m, 0, sizeof *m);
    }
    return s;
}

enum nn_status nn_qonnx_import(struct nn_qnn *m, const char *path, struct nn_error *err)
{
    memset(m, 0, sizeof *m);
    uint8_t *buf = NULL;
    uint64_t size = 0;
    enum nn_status s = nn_file_read_all(path, &buf, &size, err);
    if (s != NN_OK)
        return s;
    s = nn_qonnx_import_mem(m, buf, (size_t)size, path, err);
    free(buf);
    return s;
}
