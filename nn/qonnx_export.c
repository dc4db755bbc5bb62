/* nn/qonnx_export.c: a .qnn integer model written as a QONNX graph
 * (nn/qonnx.h, docs/qonnx.md).
 *
 * Every value in the graph is the integer the hardware holds, so any float
 * evaluation of it is exact while |acc| < 2^24 in float32 (2^53 in float64):
 *
 *   image [1, C, H, W]  the raw pixels 0..255
 *   layer N:  weights lN_w (the integer codes; ONNX's [out, in, ky, kx], a
 *             Gemm's [out, in] over the CHW-flattened map) through
 *             BipolarQuant (binary) or Quant (scale 1, signed, narrow,
 *             bits(w_max) + 1 bits), Conv or Gemm (no bias) -> lN_acc,
 *             MultiThreshold with the integer thresholds (out_scale and
 *             out_bias give the code's values: bin01 and uint 1, 0; sign 2,
 *             -1; tern 1, -1; pow2: the code 0..2q, then Cast to int64 and
 *             Gather from lN_levels), the OR merge as Add + MultiThreshold
 *             at 1, the MUX merge the same after Mul of the skip by the
 *             selects (sel variant: and of the output by 1 - select), the
 *             pad shortcut's skip as a strided Slice and a Pad of zero
 *             channels, MaxPool p x p stride p;
 *   a layer on an add stream: Mul by rq_mul, Add rq_add, Mul by 2^-rq_shift,
 *             Quant (signed, R bits, scale 1, FLOOR) -> Y; the add merge:
 *             Add(Y, u_skip), Quant again (saturation) -> u; MultiThreshold on u;
 *   the last: Cast to int64, Mul by rq_mul, Add rq_add -> scores (int64).
 *
 * What the graph does not hold (the weight code: pow2 and offset weights
 * are sign-magnitude to QONNX; fields no layer semantics reads) goes into
 * the model's metadata_props (logiq.layer.N, logiq.meta), which the importer
 * reads back, so import(export(m)) is m bit for bit. Refused, naming the
 * layer: requantizers whose products exceed 2^53.
 *
 * Memory: the message is built in an arena freed before returning. */
#include "nn/qonnx.h"

#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/binfile.h"
#include "nn/layers.h"
#include "onnx.pb-c.h"

/* Every allocation of one export, freed together. */
struct arena {
    void **p;
    size_t n, cap;
    int oom;
};

static void *aalloc(struct arena *a, size_t size)
{
    if (a->oom)
        return NULL;
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 256;
        void **p = realloc(a->p, cap * sizeof *p);
        if (!p) {
            a->oom = 1;
            return NULL;
        }
        a->p = p;
        a->cap = cap;
    }
    void *m = calloc(1, size ? size : 1);
    if (!m) {
        a->oom = 1;
        return NULL;
    }
    a->p[a->n++] = m;
    return m;
}

static char *astr(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *astr(struct arena *a, const char *fmt, ...)
{
    char buf[NN_QNN_META_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = aalloc(a, strlen(buf) + 1);
    if (s)
        strcpy(s, buf);
    return s;
}

static void arena_free(struct arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->p[i]);
    free(a->p);
}

struct gb {
    struct arena *a;
    Onnx__GraphProto *g;
    size_t cap_node, cap_init;
};

/* Appends p to a growing array of pointers (capacity doubles, arena-owned). */
static int push(struct arena *a, void ***arr, size_t *n, size_t *cap, void *p)
{
    if (!p)
        return -1;
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        void **q = aalloc(a, c * sizeof *q);
        if (!q)
            return -1;
        if (*n)
            memcpy(q, *arr, *n * sizeof *q);
        *arr = q;
        *cap = c;
    }
    (*arr)[(*n)++] = p;
    return 0;
}

/* A FLOAT (or, where a value is no float32, DOUBLE) or INT64 initializer. */
static int init_tensor(struct gb *b, const char *name, const int64_t *dims, int nd,
                       const double *v, const int64_t *iv, size_t n)
{
    Onnx__TensorProto *t = aalloc(b->a, sizeof *t);
    if (!t)
        return -1;
    onnx__tensor_proto__init(t);
    t->name = astr(b->a, "%s", name);
    t->n_dims = (size_t)nd;
    t->dims = aalloc(b->a, (size_t)(nd ? nd : 1) * sizeof *t->dims);
    if (!t->dims)
        return -1;
    if (nd)
        memcpy(t->dims, dims, (size_t)nd * sizeof *dims);
    t->has_data_type = 1;
    if (iv) {
        t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
        t->n_int64_data = n;
        t->int64_data = aalloc(b->a, (n ? n : 1) * sizeof *t->int64_data);
        if (!t->int64_data)
            return -1;
        memcpy(t->int64_data, iv, n * sizeof *iv);
    } else if (v) {
        int exact = 1;
        for (size_t i = 0; i < n; i++)
            exact &= (double)(float)v[i] == v[i];
        if (exact) {
            t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
            t->n_float_data = n;
            t->float_data = aalloc(b->a, (n ? n : 1) * sizeof *t->float_data);
            if (!t->float_data)
                return -1;
            for (size_t i = 0; i < n; i++)
                t->float_data[i] = (float)v[i];
        } else {
            t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
            t->n_double_data = n;
            t->double_data = aalloc(b->a, (n ? n : 1) * sizeof *t->double_data);
            if (!t->double_data)
                return -1;
            memcpy(t->double_data, v, n * sizeof *v);
        }
    }
    return push(b->a, (void ***)&b->g->initializer, &b->g->n_initializer, &b->cap_init, t);
}

static int scalar(struct gb *b, const char *name, double v)
{
    return init_tensor(b, name, NULL, 0, &v, NULL, 1);
}

static Onnx__AttributeProto *attr_new(struct gb *b, const char *name,
                                      Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = aalloc(b->a, sizeof *a);
    if (!a)
        return NULL;
    onnx__attribute_proto__init(a);
    a->name = astr(b->a, "%s", name);
    a->has_type = 1;
    a->type = type;
    return a;
}

/* A node; attributes follow as add_* calls on the returned node. */
static Onnx__NodeProto *node(struct gb *b, const char *op, const char *domain,
                             const char *name, const char *out, int n_in, ...)
{
    Onnx__NodeProto *n = aalloc(b->a, sizeof *n);
    if (!n)
        return NULL;
    onnx__node_proto__init(n);
    n->op_type = astr(b->a, "%s", op);
    n->name = astr(b->a, "%s", name);
    if (domain)
        n->domain = astr(b->a, "%s", domain);
    n->n_input = (size_t)n_in;
    n->input = aalloc(b->a, (size_t)n_in * sizeof *n->input);
    n->n_output = 1;
    n->output = aalloc(b->a, sizeof *n->output);
    if (!n->input || !n->output)
        return NULL;
    n->output[0] = astr(b->a, "%s", out);
    va_list ap;
    va_start(ap, n_in);
    for (int i = 0; i < n_in; i++)
        n->input[i] = astr(b->a, "%s", va_arg(ap, const char *));
    va_end(ap);
    size_t cap = b->cap_node;
    if (push(b->a, (void ***)&b->g->node, &b->g->n_node, &cap, n))
        return NULL;
    b->cap_node = cap;
    return n;
}

static int add_attr(struct gb *b, Onnx__NodeProto *n, Onnx__AttributeProto *a)
{
    if (!n || !a)
        return -1;
    Onnx__AttributeProto **p = aalloc(b->a, (n->n_attribute + 1) * sizeof *p);
    if (!p)
        return -1;
    if (n->n_attribute)
        memcpy(p, n->attribute, n->n_attribute * sizeof *p);
    p[n->n_attribute++] = a;
    n->attribute = p;
    return 0;
}

static int attr_i(struct gb *b, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr_new(b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (!a)
        return -1;
    a->has_i = 1;
    a->i = v;
    return add_attr(b, n, a);
}

static int attr_f(struct gb *b, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr_new(b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (!a)
        return -1;
    a->has_f = 1;
    a->f = v;
    return add_attr(b, n, a);
}

static int attr_s(struct gb *b, Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr_new(b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    if (!a)
        return -1;
    a->has_s = 1;
    a->s.data = (uint8_t *)astr(b->a, "%s", v);
    a->s.len = strlen(v);
    return a->s.data ? add_attr(b, n, a) : -1;
}

static int attr_ints(struct gb *b, Onnx__NodeProto *n, const char *name, int k, int64_t v)
{
    Onnx__AttributeProto *a = attr_new(b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    if (!a)
        return -1;
    a->n_ints = (size_t)k;
    a->ints = aalloc(b->a, (size_t)k * sizeof *a->ints);
    if (!a->ints)
        return -1;
    for (int i = 0; i < k; i++)
        a->ints[i] = v;
    return add_attr(b, n, a);
}

static Onnx__ValueInfoProto *value_info(struct gb *b, const char *name, int elem,
                                        const int64_t *dims, int nd)
{
    Onnx__ValueInfoProto *v = aalloc(b->a, sizeof *v);
    Onnx__TypeProto *t = aalloc(b->a, sizeof *t);
    Onnx__TypeProto__Tensor *tt = aalloc(b->a, sizeof *tt);
    Onnx__TensorShapeProto *sh = aalloc(b->a, sizeof *sh);
    Onnx__TensorShapeProto__Dimension **d = aalloc(b->a, (size_t)nd * sizeof *d);
    if (!v || !t || !tt || !sh || !d)
        return NULL;
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(t);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sh);
    for (int i = 0; i < nd; i++) {
        d[i] = aalloc(b->a, sizeof *d[i]);
        if (!d[i])
            return NULL;
        onnx__tensor_shape_proto__dimension__init(d[i]);
        d[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d[i]->dim_value = dims[i];
    }
    sh->n_dim = (size_t)nd;
    sh->dim = d;
    tt->has_elem_type = 1;
    tt->elem_type = elem;
    tt->shape = sh;
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->tensor_type = tt;
    v->name = astr(b->a, "%s", name);
    v->type = t;
    return v;
}

/* What QONNX cannot hold exactly here: NULL if layer l can be exported. */
static const char *refusal(const struct nn_qnn_layer *l)
{
    if (l->res) {
        /* the requantizer in float64: m acc + a must be exact */
        double top = 0;
        for (int c = 0; c < l->out_c; c++) {
            double v = fabs((double)l->rq_mul[c]) * (double)nn_qnn_acc_bound(l) +
                       fabs((double)l->rq_add[c]);
            top = v > top ? v : top;
        }
        if (top >= 0x1p53)
            return "has a requantizer whose products exceed 2^53 (not exact in float64)";
    }
    return NULL;
}

/* A per-channel constant named name: [1, C, 1, 1] (conv) or [1, C] (dense). */
static int chan_const(struct gb *b, const char *name, const double *v, int oc, int dense)
{
    int64_t cd[4] = {1, oc, 1, 1};
    return init_tensor(b, name, cd, dense ? 2 : 4, v, NULL, (size_t)oc);
}

/* An INT64 vector initializer of k values. */
static int int_vec(struct gb *b, const char *name, const int64_t *v, int k)
{
    int64_t d = k;
    return init_tensor(b, name, &d, 1, NULL, v, (size_t)k);
}

/* The skip of layer N's merge at the output's shape, from tensor src (layer
 * l->skip's output, or its stream u): itself, or (the pad shortcut) every
 * skip_stride-th row and column by a strided Slice, and the channels past the
 * source's zero by a Pad. Both only move and add exact values. NULL if out
 * of memory. */
static const char *gathered_skip(struct gb *b, const struct nn_qnn *m,
                                 const struct nn_qnn_layer *l, int N, const char *src)
{
    struct arena *a = b->a;
    int kh, kw, kc;
    nn_qnn_out_shape(&m->layers[l->skip - 1], &kh, &kw, &kc);
    const int dense = l->op == NN_QNN_DENSE, st = l->skip_stride;
    int bad = 0;
    if (st > 1 && !dense) {
        const int64_t starts[2] = {0, 0}, ends[2] = {kh, kw}, axes[2] = {2, 3},
                      steps[2] = {st, st};
        bad |= int_vec(b, astr(a, "l%d_skip_starts", N), starts, 2) |
               int_vec(b, astr(a, "l%d_skip_ends", N), ends, 2) |
               int_vec(b, astr(a, "l%d_skip_axes", N), axes, 2) |
               int_vec(b, astr(a, "l%d_skip_steps", N), steps, 2);
        const char *sub = astr(a, "l%d_skip_sub", N);
        bad |= !node(b, "Slice", NULL, astr(a, "l%d_skip_slice", N), sub, 5, src,
                     astr(a, "l%d_skip_starts", N), astr(a, "l%d_skip_ends", N),
                     astr(a, "l%d_skip_axes", N), astr(a, "l%d_skip_steps", N));
        src = sub;
    }
    if (l->out_c > kc) {
        /* pads: the begins of every axis, then the ends; zeros past the channels */
        int64_t pads[8] = {0};
        const int rank = dense ? 2 : 4;
        pads[rank + 1] = l->out_c - kc;
        bad |= int_vec(b, astr(a, "l%d_skip_pads", N), pads, 2 * rank);
        const char *pd = astr(a, "l%d_skip_padded", N);
        Onnx__NodeProto *n = node(b, "Pad", NULL, astr(a, "l%d_skip_pad", N), pd, 2, src,
                                  astr(a, "l%d_skip_pads", N));
        bad |= attr_s(b, n, "mode", "constant");
        src = pd;
    }
    return bad ? NULL : src;
}

/* The OR and MUX merges of {0,1} tensors cur and skip: Add(cur', skip'), then
 * a MultiThreshold at 1 (the sums 0, 1, 2 to 0, 1, 1). OR: cur' = cur,
 * skip' = skip. MUX: skip' = Mul(skip, sel[c]) (a channel without select
 * adds 0, so y = a), and for the sel variant cur' = Mul(cur, 1 - sel[c])
 * (a selected channel is 0 + skip). Every value is 0, 1 or 2: exact. NULL
 * if out of memory. */
static const char *or_mux_merge(struct gb *b, const struct nn_qnn_layer *l, int N,
                                const char *cur, const char *skip)
{
    struct arena *a = b->a;
    const int oc = l->out_c, dense = l->op == NN_QNN_DENSE;
    int bad = 0;
    if (l->merge == NN_MERGE_MUX) {
        double *s = aalloc(a, (size_t)oc * sizeof *s), *ns = aalloc(a, (size_t)oc * sizeof *ns);
        if (!s || !ns)
            return NULL;
        for (int c = 0; c < oc; c++) {
            s[c] = l->mux_sel[c];
            ns[c] = 1 - l->mux_sel[c];
        }
        bad |= chan_const(b, astr(a, "l%d_mux_sel", N), s, oc, dense);
        const char *ms = astr(a, "l%d_mux_skip", N);
        bad |= !node(b, "Mul", NULL, astr(a, "l%d_mux_select", N), ms, 2, skip,
                     astr(a, "l%d_mux_sel", N));
        skip = ms;
        if (l->mux_variant == NN_MUX_SEL) {
            bad |= chan_const(b, astr(a, "l%d_mux_keep", N), ns, oc, dense);
            const char *ma = astr(a, "l%d_mux_a", N);
            bad |= !node(b, "Mul", NULL, astr(a, "l%d_mux_deselect", N), ma, 2, cur,
                         astr(a, "l%d_mux_keep", N));
            cur = ma;
        }
    }
    const char *sum = astr(a, "l%d_sum", N), *mo = astr(a, "l%d_or", N);
    bad |= !node(b, "Add", NULL, astr(a, "l%d_merge", N), sum, 2, cur, skip);
    int64_t od[2] = {1, 1};
    double one = 1.0;
    bad |= init_tensor(b, astr(a, "l%d_or_t", N), od, 2, &one, NULL, 1);
    Onnx__NodeProto *o = node(b, "MultiThreshold", NN_QONNX_DOMAIN, astr(a, "l%d_or_thr", N),
                              mo, 2, sum, astr(a, "l%d_or_t", N));
    bad |= attr_s(b, o, "out_dtype", "BINARY") |
           attr_s(b, o, "data_layout", dense ? "NC" : "NCHW");
    return bad ? NULL : mo;
}

/* pow2 activations: the MultiThreshold gives the code 0..2q (UINT B), a Cast
 * to int64 and a Gather from lN_levels (the 2q + 1 values of
 * nn_qnn_code_value, integers) give the values. NULL if out of memory. */
static const char *pow2_levels(struct gb *b, const struct nn_qnn_layer *l, int N,
                               const char *code)
{
    struct arena *a = b->a;
    const int n = l->n_thr + 1;
    double *lv = aalloc(a, (size_t)n * sizeof *lv);
    if (!lv)
        return NULL;
    for (int k = 0; k < n; k++)
        lv[k] = nn_qnn_code_value(l->out_code, l->out_bits, k);
    int64_t d = n;
    int bad = init_tensor(b, astr(a, "l%d_levels", N), &d, 1, lv, NULL, (size_t)n);
    const char *idx = astr(a, "l%d_code", N), *v = astr(a, "l%d_pow2", N);
    Onnx__NodeProto *c = node(b, "Cast", NULL, astr(a, "l%d_code_cast", N), idx, 1, code);
    bad |= attr_i(b, c, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    Onnx__NodeProto *g = node(b, "Gather", NULL, astr(a, "l%d_lookup", N), v, 2,
                              astr(a, "l%d_levels", N), idx);
    bad |= attr_i(b, g, "axis", 0);
    return bad ? NULL : v;
}

static enum nn_status build(const struct nn_qnn *m, struct arena *a, Onnx__ModelProto *mp,
                            struct nn_error *err)
{
    struct gb b = {.a = a};
    Onnx__GraphProto *g = aalloc(a, sizeof *g);
    if (!g)
        return nn_fail(err, NN_ERR_NOMEM, "out of memory");
    onnx__graph_proto__init(g);
    b.g = g;
    g->name = astr(a, "logiq");
    const int nl = m->n_layers;
    /* each layer's output tensor (after merge and pool) and its rank */
    const char **out = aalloc(a, (size_t)(nl + 1) * sizeof *out);
    int *flat = aalloc(a, (size_t)(nl + 1) * sizeof *flat);
    const char **ustream = aalloc(a, (size_t)(nl + 1) * sizeof *ustream); /* add streams' u */
    if (!out || !flat || !ustream)
        return nn_fail(err, NN_ERR_NOMEM, "out of memory");
    out[0] = astr(a, "image");
    flat[0] = 0;
    int fail_oom = 0;
    for (int li = 0; li < nl && !fail_oom; li++) {
        const struct nn_qnn_layer *l = &m->layers[li];
        const int N = li + 1, oc = l->out_c, fan = nn_qnn_fan_in(l);
        const char *why = refusal(l);
        if (why)
            return nn_fail(err, NN_ERR_ARG, "layer %d %s: no exact QONNX export (docs/qonnx.md)",
                           N, why);
        const char *in = out[l->src];
        const int dense = l->op == NN_QNN_DENSE;
        if (dense && !flat[l->src]) {
            char *fl = astr(a, "l%d_flat", N);
            Onnx__NodeProto *n = node(&b, "Flatten", NULL, astr(a, "l%d_flatten", N), fl, 1, in);
            fail_oom |= attr_i(&b, n, "axis", 1);
            in = fl;
        }
        /* the weights: ONNX order, integer codes */
        double *w = aalloc(a, (size_t)oc * fan * sizeof *w);
        if (!w)
            return nn_fail(err, NN_ERR_NOMEM, "out of memory");
        for (int o = 0; o < oc; o++)
            for (int j = 0; j < fan; j++) {
                size_t dst;
                int ci = j % l->in_c;
                if (!dense) {
                    int kx = (j / l->in_c) % l->k, ky = j / l->in_c / l->k;
                    dst = (((size_t)o * l->in_c + ci) * l->k + ky) * l->k + kx;
                } else {
                    int xx = (j / l->in_c) % l->in_w, yy = j / l->in_c / l->in_w;
                    dst = (size_t)o * fan + ((size_t)ci * l->in_h + yy) * l->in_w + xx;
                }
                w[dst] = l->w[(size_t)o * fan + j];
            }
        int64_t wd[4] = {oc, dense ? fan : l->in_c, l->k, l->k};
        fail_oom |= init_tensor(&b, astr(a, "l%d_w", N), wd, dense ? 2 : 4, w, NULL,
                                (size_t)oc * fan);
        fail_oom |= scalar(&b, astr(a, "l%d_ws", N), 1.0);
        char *wq = astr(a, "l%d_wq", N);
        if (l->w_code == NN_WCODE_BINARY)
            node(&b, "BipolarQuant", NN_QONNX_DOMAIN, astr(a, "l%d_wquant", N), wq, 2,
                 astr(a, "l%d_w", N), astr(a, "l%d_ws", N));
        else {
            int bits = 1;
            while ((1 << bits) - 1 < l->w_max)
                bits++;
            fail_oom |= scalar(&b, astr(a, "l%d_wzp", N), 0.0);
            fail_oom |= scalar(&b, astr(a, "l%d_wbits", N), bits + 1);
            Onnx__NodeProto *n = node(&b, "Quant", NN_QONNX_DOMAIN, astr(a, "l%d_wquant", N), wq,
                                      4, astr(a, "l%d_w", N), astr(a, "l%d_ws", N),
                                      astr(a, "l%d_wzp", N), astr(a, "l%d_wbits", N));
            fail_oom |= attr_i(&b, n, "signed", 1) | attr_i(&b, n, "narrow", 1) |
                        attr_s(&b, n, "rounding_mode", "ROUND");
        }
        char *acc = astr(a, "l%d_acc", N);
        if (!dense) {
            Onnx__NodeProto *n = node(&b, "Conv", NULL, astr(a, "l%d_conv", N), acc, 2, in, wq);
            fail_oom |= attr_ints(&b, n, "kernel_shape", 2, l->k) |
                        attr_ints(&b, n, "strides", 2, l->stride) |
                        attr_ints(&b, n, "pads", 4, l->pad) | attr_i(&b, n, "group", 1) |
                        attr_ints(&b, n, "dilations", 2, 1);
        } else {
            Onnx__NodeProto *n = node(&b, "Gemm", NULL, astr(a, "l%d_gemm", N), acc, 2, in, wq);
            fail_oom |= attr_i(&b, n, "transB", 1);
        }
        if (l->out_kind == NN_OUT_SCORES) {
            const char *x = acc;
            if (!dense) {
                x = astr(a, "l%d_accflat", N);
                Onnx__NodeProto *n = node(&b, "Flatten", NULL, astr(a, "l%d_flatten_out", N), x,
                                          1, acc);
                fail_oom |= attr_i(&b, n, "axis", 1);
            }
            Onnx__NodeProto *n = node(&b, "Cast", NULL, astr(a, "l%d_cast", N),
                                      astr(a, "l%d_acc64", N), 1, x);
            fail_oom |= attr_i(&b, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
            int64_t cd[2] = {1, oc};
            fail_oom |= init_tensor(&b, astr(a, "l%d_rq_mul", N), cd, 2, NULL, l->rq_mul,
                                    (size_t)oc);
            fail_oom |= init_tensor(&b, astr(a, "l%d_rq_add", N), cd, 2, NULL, l->rq_add,
                                    (size_t)oc);
            fail_oom |= !node(&b, "Mul", NULL, astr(a, "l%d_scale", N), astr(a, "l%d_mul", N), 2,
                              astr(a, "l%d_acc64", N), astr(a, "l%d_rq_mul", N));
            fail_oom |= !node(&b, "Add", NULL, astr(a, "l%d_offset", N), "scores", 2,
                              astr(a, "l%d_mul", N), astr(a, "l%d_rq_add", N));
            out[N] = astr(a, "scores");
            flat[N] = 1;
            continue;
        }
        const char *v = acc; /* what the thresholds compare */
        if (l->res) {
            /* Y = sat_R(floor((rq_mul acc + rq_add) / 2^rq_shift)): Mul, Add, Mul by
             * 2^-shift (all exact in float64), Quant FLOOR at R bits, scale 1; the add
             * merge u = sat_R(Y + u_skip): Add, Quant at R bits */
            double *mv = aalloc(a, (size_t)oc * sizeof *mv), *av = aalloc(a, (size_t)oc * sizeof *av);
            if (!mv || !av)
                return nn_fail(err, NN_ERR_NOMEM, "out of memory");
            for (int c = 0; c < oc; c++) {
                mv[c] = (double)l->rq_mul[c];
                av[c] = (double)l->rq_add[c];
            }
            fail_oom |= chan_const(&b, astr(a, "l%d_rq_mul", N), mv, oc, dense);
            fail_oom |= chan_const(&b, astr(a, "l%d_rq_add", N), av, oc, dense);
            fail_oom |= scalar(&b, astr(a, "l%d_rq_shift", N), ldexp(1.0, -l->rq_shift));
            fail_oom |= scalar(&b, astr(a, "l%d_one", N), 1.0);
            fail_oom |= scalar(&b, astr(a, "l%d_zero", N), 0.0);
            fail_oom |= scalar(&b, astr(a, "l%d_rbits", N), l->res_bits);
            fail_oom |= !node(&b, "Mul", NULL, astr(a, "l%d_rq_scale", N), astr(a, "l%d_rq1", N),
                              2, acc, astr(a, "l%d_rq_mul", N));
            fail_oom |= !node(&b, "Add", NULL, astr(a, "l%d_rq_offset", N),
                              astr(a, "l%d_rq2", N), 2, astr(a, "l%d_rq1", N),
                              astr(a, "l%d_rq_add", N));
            fail_oom |= !node(&b, "Mul", NULL, astr(a, "l%d_rq_shr", N), astr(a, "l%d_rq3", N),
                              2, astr(a, "l%d_rq2", N), astr(a, "l%d_rq_shift", N));
            const char *y = astr(a, "l%d_y", N);
            Onnx__NodeProto *q = node(&b, "Quant", NN_QONNX_DOMAIN, astr(a, "l%d_rq", N), y, 4,
                                      astr(a, "l%d_rq3", N), astr(a, "l%d_one", N),
                                      astr(a, "l%d_zero", N), astr(a, "l%d_rbits", N));
            fail_oom |= attr_i(&b, q, "signed", 1) | attr_i(&b, q, "narrow", 0) |
                        attr_s(&b, q, "rounding_mode", "FLOOR");
            v = y;
            if (l->merge == NN_MERGE_ADD) {
                const char *sum = astr(a, "l%d_ysum", N);
                const char *skip = gathered_skip(&b, m, l, N, ustream[l->skip]);
                fail_oom |= !skip || !node(&b, "Add", NULL, astr(a, "l%d_merge", N), sum, 2, y,
                                           skip);
                v = astr(a, "l%d_u", N);
                q = node(&b, "Quant", NN_QONNX_DOMAIN, astr(a, "l%d_sat", N), v, 4, sum,
                         astr(a, "l%d_one", N), astr(a, "l%d_zero", N), astr(a, "l%d_rbits", N));
                fail_oom |= attr_i(&b, q, "signed", 1) | attr_i(&b, q, "narrow", 0) |
                            attr_s(&b, q, "rounding_mode", "FLOOR");
            }
            ustream[N] = v;
        }
        /* thresholds: MultiThreshold counts v >= t, exactly logiq's code (pow2: the
         * code, its values by pow2_levels) */
        double *t = aalloc(a, (size_t)oc * l->n_thr * sizeof *t);
        if (!t)
            return nn_fail(err, NN_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < (size_t)oc * l->n_thr; i++)
            t[i] = l->thr[i];
        int64_t td[2] = {oc, l->n_thr};
        fail_oom |= init_tensor(&b, astr(a, "l%d_t", N), td, 2, t, NULL, (size_t)oc * l->n_thr);
        const int pow2 = l->out_code == NN_CODE_POW2;
        float osc = l->out_code == NN_CODE_SIGN ? 2.0f : 1.0f;
        float obias = l->out_code == NN_CODE_SIGN || l->out_code == NN_CODE_TERN ? -1.0f : 0.0f;
        const char *dt = l->out_code == NN_CODE_BIN01  ? "BINARY"
                         : l->out_code == NN_CODE_SIGN ? "BIPOLAR"
                         : l->out_code == NN_CODE_TERN ? "TERNARY"
                                                       : astr(a, "UINT%d", l->out_bits);
        const char *cur = astr(a, "l%d_a", N);
        Onnx__NodeProto *n = node(&b, "MultiThreshold", NN_QONNX_DOMAIN, astr(a, "l%d_thr", N),
                                  cur, 2, v, astr(a, "l%d_t", N));
        fail_oom |= attr_s(&b, n, "out_dtype", dt) | attr_f(&b, n, "out_scale", osc) |
                    attr_f(&b, n, "out_bias", obias) |
                    attr_s(&b, n, "data_layout", dense ? "NC" : "NCHW");
        if (pow2) {
            cur = pow2_levels(&b, l, N, cur);
            fail_oom |= !cur;
        }
        if (cur && (l->merge == NN_MERGE_OR || l->merge == NN_MERGE_MUX)) {
            const char *skip = gathered_skip(&b, m, l, N, out[l->skip]);
            cur = skip ? or_mux_merge(&b, l, N, cur, skip) : NULL;
            fail_oom |= !cur;
        }
        if (cur && l->pool > 1) {
            char *po = astr(a, "l%d_out", N);
            Onnx__NodeProto *p = node(&b, "MaxPool", NULL, astr(a, "l%d_pool", N), po, 1, cur);
            fail_oom |= attr_ints(&b, p, "kernel_shape", 2, l->pool) |
                        attr_ints(&b, p, "strides", 2, l->pool);
            cur = po;
        }
        out[N] = cur;
        flat[N] = dense;
    }
    if (fail_oom || a->oom)
        return nn_fail(err, NN_ERR_NOMEM, "out of memory");
    int64_t id[4] = {1, m->in_c, m->in_h, m->in_w}, od[2] = {1, m->n_class};
    size_t cap_in = 0, cap_out = 0;
    if (push(a, (void ***)&g->input, &g->n_input, &cap_in,
             value_info(&b, "image", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, id, 4)) ||
        push(a, (void ***)&g->output, &g->n_output, &cap_out,
             value_info(&b, "scores", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, od, 2)))
        return nn_fail(err, NN_ERR_NOMEM, "out of memory");

    onnx__model_proto__init(mp);
    mp->has_ir_version = 1;
    mp->ir_version = 8;
    mp->producer_name = astr(a, "logiq");
    mp->graph = g;
    size_t cap_ops = 0, cap_meta = 0;
    const char *doms[2] = {"", NN_QONNX_DOMAIN};
    const int64_t vers[2] = {13, 1};
    for (int i = 0; i < 2; i++) {
        Onnx__OperatorSetIdProto *o = aalloc(a, sizeof *o);
        if (!o)
            return nn_fail(err, NN_ERR_NOMEM, "out of memory");
        onnx__operator_set_id_proto__init(o);
        o->domain = astr(a, "%s", doms[i]);
        o->has_version = 1;
        o->version = vers[i];
        if (push(a, (void ***)&mp->opset_import, &mp->n_opset_import, &cap_ops, o))
            return nn_fail(err, NN_ERR_NOMEM, "out of memory");
    }
    for (int li = -1; li < nl; li++) {
        Onnx__StringStringEntryProto *e = aalloc(a, sizeof *e);
        if (!e)
            return nn_fail(err, NN_ERR_NOMEM, "out of memory");
        onnx__string_string_entry_proto__init(e);
        if (li < 0) {
            e->key = astr(a, "logiq.meta");
            e->value = astr(a, "%s", m->meta);
        } else {
            const struct nn_qnn_layer *l = &m->layers[li];
            e->key = astr(a, "logiq.layer.%d", li + 1);
            e->value = astr(a, "w_code=%d w_mag_bits=%d w_max=%d mux_variant=%d rq_shift=%d "
                            "res_bits=%d res_frac=%d", l->w_code, l->w_mag_bits, l->w_max,
                            l->mux_variant, l->rq_shift, l->res_bits, l->res_frac);
        }
        if (push(a, (void ***)&mp->metadata_props, &mp->n_metadata_props, &cap_meta, e))
            return nn_fail(err, NN_ERR_NOMEM, "out of memory");
    }
    return a->oom ? nn_fail(err, NN_ERR_NOMEM, "out of memory") : NN_OK;
}

enum nn_status nn_qonnx_export_mem(const struct nn_qnn *m, uint8_t **buf, size_t *len,
                                   struct nn_error *err)
{
    *buf = NULL;
    *len = 0;
    enum nn_status s = nn_qnn_validate(m, err);
    if (s != NN_OK)
        return s;
    struct arena a = {0};
    Onnx__ModelProto mp;
    s = build(m, &a, &mp, err);
    if (s == NN_OK) {
        size_t n = onnx__model_proto__get_packed_size(&mp);
        *buf = malloc(n ? n : 1);
        if (!*buf)
            s = nn_fail(err, NN_ERR_NOMEM, "out of memory");
        else
            *len = onnx__model_proto__pack(&mp, *buf);
    }
    arena_free(&a);
    return s;
}

enum nn_status nn_qonnx_export(const struct nn_qnn *m, const char *path, struct nn_error *err)
{
    uint8_t *buf;
    size_t len;
    enum nn_status s = nn_qonnx_export_mem(m, &buf, &len, err);
    if (s == NN_OK)
        s = nn_file_write_atomic(path, buf, len, err);
    free(buf);
    return s;
}
