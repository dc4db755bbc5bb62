/* nn/infer.c: the integer reference inference (the golden model).
 *
 * Runs the layer semantics written at the top of nn/qnn.h with integer
 * arithmetic only. Every map is NHWC int32 in the workspace; the layer input
 * of one output position (its k x k x in_c window, zeros at the padding) is
 * first gathered into the int16 row ws->col, so each output channel is one
 * contiguous dot product of int8 weight codes with int16 values. Every value
 * fits int16 (pixels and codes are at most 255) and the products' sum fits
 * int32 (nn_qnn_validate bounds fan_in * w_max * max|x|), so the dot is exact
 * in any summation order and compilers vectorize it (pmaddwd / vpdpwssd).
 *
 * Not here: reading the model (nn/qnn.c), any floating point. */
#include "nn/infer.h"

#include <assert.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "nn/layers.h" /* enum nn_mux_variant */

/* ---- workspace ---- */

static size_t pre_pool_size(const struct nn_qnn_layer *l)
{
    return (size_t)l->out_h * (size_t)l->out_w * (size_t)l->out_c;
}

static size_t post_pool_size(const struct nn_qnn_layer *l)
{
    int h, w, c;
    nn_qnn_out_shape(l, &h, &w, &c);
    return (size_t)h * (size_t)w * (size_t)c;
}

/* Whether layer l merges a skip of another shape than its output
 * (skip_stride > 1 or fewer channels: the pad shortcut), gathered into
 * ws->skip. */
static int skip_gathered(const struct nn_qnn *m, const struct nn_qnn_layer *l)
{
    return l->merge != NN_MERGE_NONE &&
           (l->skip_stride > 1 || l->out_c != m->layers[l->skip - 1].out_c);
}

/* Values of the largest gathered skip, 0 if none. */
static size_t skip_size(const struct nn_qnn *m)
{
    size_t most = 0;
    for (int li = 0; li < m->n_layers; li++) {
        const struct nn_qnn_layer *l = &m->layers[li];
        if (skip_gathered(m, l) && pre_pool_size(l) > most)
            most = pre_pool_size(l);
    }
    return most;
}

double nn_infer_ws_bytes(const struct nn_qnn *m)
{
    double bytes = 0.0, max_fan = 1.0;
    for (int li = 0; li < m->n_layers; li++) {
        const struct nn_qnn_layer *l = &m->layers[li];
        bytes += (double)pre_pool_size(l) * sizeof(int32_t) * (l->res ? 2 : 1);
        if (li < m->n_layers - 1)
            bytes += (double)post_pool_size(l) * sizeof(int32_t);
        if ((double)nn_qnn_fan_in(l) > max_fan)
            max_fan = (double)nn_qnn_fan_in(l);
    }
    return bytes + max_fan * sizeof(int16_t) + (double)m->n_class * sizeof(int64_t) +
           (double)skip_size(m) * sizeof(int32_t);
}

/* Refused up front: the shapes a header declares may need far more than the
 * file holds (a 1x1 conv over a 4096 x 4096 x 4096 map). */
static enum nn_status check_mem(const struct nn_qnn *m, int n_ws, double max_gib,
                                struct nn_error *err)
{
    const double limit = max_gib > 0 ? max_gib : NN_INFER_MAX_MEM_GIB;
    const double gib = n_ws * nn_infer_ws_bytes(m) / (1024.0 * 1024.0 * 1024.0);
    if (gib > limit)
        return nn_fail(err, NN_ERR_FORMAT, "the model's integer inference needs %.3g GiB of "
                       "workspace%s, over the limit of %g GiB (--max-memory)", gib,
                       n_ws > 1 ? " (all threads)" : "", limit);
    return NN_OK;
}

enum nn_status nn_infer_ws_init(struct nn_infer_ws *ws, const struct nn_qnn *m,
                                struct nn_error *err)
{
    return nn_infer_ws_init_max(ws, m, 0.0, err);
}

enum nn_status nn_infer_ws_init_max(struct nn_infer_ws *ws, const struct nn_qnn *m,
                                    double max_gib, struct nn_error *err)
{
    memset(ws, 0, sizeof *ws);
    enum nn_status s = nn_qnn_validate(m, err);
    if (s != NN_OK)
        return s;
    s = check_mem(m, 1, max_gib, err);
    if (s != NN_OK)
        return s;

    int n = m->n_layers;
    ws->n_layers = n;
    ws->acc = calloc((size_t)n, sizeof *ws->acc);
    ws->res = calloc((size_t)n, sizeof *ws->res);
    ws->act = calloc((size_t)n, sizeof *ws->act);
    ws->scores = calloc((size_t)m->n_class, sizeof *ws->scores);
    int ok = ws->acc && ws->res && ws->act && ws->scores;
    size_t max_fan = 1;
    for (int li = 0; ok && li < n; li++) {
        const struct nn_qnn_layer *l = &m->layers[li];
        size_t fan = (size_t)nn_qnn_fan_in(l);
        if (fan > max_fan)
            max_fan = fan;
        ws->acc[li] = malloc(pre_pool_size(l) * sizeof **ws->acc);
        ok = ws->acc[li] != NULL;
        if (ok && l->res) {
            ws->res[li] = malloc(pre_pool_size(l) * sizeof **ws->res);
            ok = ws->res[li] != NULL;
        }
        if (ok && li < n - 1) {
            ws->act[li] = malloc(post_pool_size(l) * sizeof **ws->act);
            ok = ws->act[li] != NULL;
        }
    }
    if (ok) {
        ws->col = malloc(max_fan * sizeof *ws->col);
        ok = ws->col != NULL;
    }
    if (ok && skip_size(m) > 0) {
        ws->skip = malloc(skip_size(m) * sizeof *ws->skip);
        ok = ws->skip != NULL;
    }
    if (!ok) {
        nn_infer_ws_free(ws);
        return nn_fail(err, NN_ERR_NOMEM, "out of memory for the inference workspace");
    }
    return NN_OK;
}

void nn_infer_ws_free(struct nn_infer_ws *ws)
{
    for (int li = 0; li < ws->n_layers; li++) {
        if (ws->acc)
            free(ws->acc[li]);
        if (ws->res)
            free(ws->res[li]);
        if (ws->act)
            free(ws->act[li]);
    }
    free(ws->acc);
    free(ws->res);
    free(ws->act);
    free(ws->scores);
    free(ws->col);
    free(ws->skip);
    memset(ws, 0, sizeof *ws);
}

/* ---- one layer ---- */

/* The input of a layer: the raw pixels (layer 0) or the previous act. */
struct layer_input {
    const uint8_t *pix;
    const int32_t *val;
};

/* col [n] = input [off, off + n) widened or narrowed to int16. */
static void copy_run(int16_t *restrict col, const struct layer_input *in, size_t off, int n)
{
    if (in->pix) {
        const uint8_t *restrict p = in->pix + off;
        for (int i = 0; i < n; i++)
            col[i] = (int16_t)p[i];
    } else {
        const int32_t *restrict v = in->val + off;
        for (int i = 0; i < n; i++)
            col[i] = (int16_t)v[i];
    }
}

/* out [c] = w [c][..] . col for every output channel c; four weight rows go
 * together so each col value is loaded once for four channels. */
static void dot_rows(int32_t *restrict out, const int8_t *restrict w, int oc,
                     const int16_t *restrict col, int fan)
{
    size_t f = (size_t)fan;
    int c = 0;
    for (; c + 4 <= oc; c += 4) {
        const int8_t *restrict w0 = w + c * f, *restrict w1 = w0 + f, *restrict w2 = w1 + f,
                     *restrict w3 = w2 + f;
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int i = 0; i < fan; i++) {
            int32_t x = col[i];
            s0 += w0[i] * x;
            s1 += w1[i] * x;
            s2 += w2[i] * x;
            s3 += w3[i] * x;
        }
        out[c] = s0;
        out[c + 1] = s1;
        out[c + 2] = s2;
        out[c + 3] = s3;
    }
    for (; c < oc; c++) {
        const int8_t *restrict wc = w + c * f;
        int32_t s = 0;
        for (int i = 0; i < fan; i++)
            s += wc[i] * (int32_t)col[i];
        out[c] = s;
    }
}

/* col [k][k][in_c] = the window of output (oy, ox), 0 at the padding. */
static void gather_window(int16_t *restrict col, const struct nn_qnn_layer *l,
                          const struct layer_input *in, int oy, int ox)
{
    int k = l->k, c = l->in_c;
    int y0 = oy * l->stride - l->pad, x0 = ox * l->stride - l->pad;
    for (int ky = 0; ky < k; ky++) {
        int16_t *row = col + (size_t)ky * k * c;
        int iy = y0 + ky;
        if (iy < 0 || iy >= l->in_h) {
            memset(row, 0, (size_t)k * c * sizeof *row);
            continue;
        }
        /* the in-range columns [kx_lo, kx_hi) are one contiguous run */
        int kx_lo = x0 < 0 ? -x0 : 0;
        int kx_hi = l->in_w - x0 < k ? l->in_w - x0 : k;
        if (kx_lo > 0)
            memset(row, 0, (size_t)kx_lo * c * sizeof *row);
        if (kx_hi > kx_lo)
            copy_run(row + (size_t)kx_lo * c, in,
                     ((size_t)iy * l->in_w + (size_t)(x0 + kx_lo)) * c, (kx_hi - kx_lo) * c);
        else
            kx_hi = kx_lo;
        if (kx_hi < k)
            memset(row + (size_t)kx_hi * c, 0, (size_t)(k - kx_hi) * c * sizeof *row);
    }
}

/* acc [out_h][out_w][out_c] of layer l. */
static void accumulate(int32_t *restrict acc, int16_t *restrict col,
                       const struct nn_qnn_layer *l, const struct layer_input *in)
{
    int fan = nn_qnn_fan_in(l), oc = l->out_c;
    if (l->op == NN_QNN_DENSE) {
        copy_run(col, in, 0, fan);
        dot_rows(acc, l->w, oc, col, fan);
        return;
    }
    for (int oy = 0; oy < l->out_h; oy++)
        for (int ox = 0; ox < l->out_w; ox++) {
            gather_window(col, l, in, oy, ox);
            dot_rows(acc + ((size_t)oy * l->out_w + ox) * oc, l->w, oc, col, fan);
        }
}

/* floor(v / 2^s) for any sign of v (no reliance on >> of negatives). */
static int64_t floor_shift(int64_t v, int s)
{
    return v >= 0 ? v >> s : -((-(v + 1)) >> s) - 1;
}

static int64_t sat_bits(int64_t v, int bits)
{
    int64_t hi = ((int64_t)1 << (bits - 1)) - 1, lo = -hi - 1;
    return v < lo ? lo : v > hi ? hi : v;
}

/* u = sat_R(floor((rq_mul acc + rq_add) / 2^rq_shift) + (ADD ? u_skip : 0)). */
static void requantize(int32_t *restrict u, const int32_t *restrict acc,
                       const int32_t *skip_u, const struct nn_qnn_layer *l)
{
    int oc = l->out_c, r = l->res_bits;
    size_t pos = (size_t)l->out_h * l->out_w;
    for (size_t p = 0; p < pos; p++)
        for (int c = 0; c < oc; c++) {
            size_t i = p * oc + c;
            int64_t y = floor_shift(l->rq_mul[c] * acc[i] + l->rq_add[c], l->rq_shift);
            y = sat_bits(y, r);
            if (skip_u)
                y = sat_bits(y + skip_u[i], r);
            u[i] = (int32_t)y;
        }
}

/* Number of thresholds t[j] <= v (t ascending). */
static int thr_code(const int32_t *t, int n, int32_t v)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (t[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The value of pre-pool element i (channel c): threshold, code, merge. */
static int32_t out_value(const struct nn_qnn_layer *l, const int32_t *v,
                         const int32_t *skip, size_t i, int c)
{
    int code = thr_code(l->thr + (size_t)c * l->n_thr, l->n_thr, v[i]);
    int32_t a = nn_qnn_code_value(l->out_code, l->out_bits, code);
    switch (l->merge) {
    case NN_MERGE_OR:
        return a | skip[i];
    case NN_MERGE_MUX:
        if (!l->mux_sel[c])
            return a;
        return l->mux_variant == NN_MUX_SEL ? skip[i] : (a | skip[i]);
    default:
        return a;
    }
}

/* act = pool(merge(code(v))); skip: the merge's skip at the output's shape. */
static void activate(int32_t *restrict act, const struct nn_qnn_layer *l, const int32_t *v,
                     const int32_t *skip)
{
    int oc = l->out_c, p = l->pool > 1 ? l->pool : 1;
    int ph = l->out_h / p, pw = l->out_w / p;
    for (int py = 0; py < ph; py++)
        for (int px = 0; px < pw; px++)
            for (int c = 0; c < oc; c++) {
                int32_t best = 0;
                for (int dy = 0; dy < p; dy++)
                    for (int dx = 0; dx < p; dx++) {
                        size_t i = (((size_t)(py * p + dy)) * l->out_w + (size_t)(px * p + dx))
                                   * oc + c;
                        int32_t a = out_value(l, v, skip, i, c);
                        if ((dy == 0 && dx == 0) || a > best)
                            best = a;
                    }
                act[((size_t)py * pw + px) * oc + c] = best;
            }
}

/* The skip of merging layer l at its output's shape: layer skip's output
 * (add: its stream u), gathered into ws->skip when the shapes differ (the
 * pad shortcut: position (s y, s x), 0 past the source's channels). */
static const int32_t *skip_values(const struct nn_qnn *m, struct nn_infer_ws *ws,
                                  const struct nn_qnn_layer *l)
{
    const int k = l->skip - 1;
    const struct nn_qnn_layer *p = &m->layers[k];
    const int32_t *src = l->merge == NN_MERGE_ADD ? ws->res[k] : ws->act[k];
    int kh, kw, kc;
    nn_qnn_out_shape(p, &kh, &kw, &kc);
    const int st = l->skip_stride, oc = l->out_c;
    if (!skip_gathered(m, l))
        return src;
    for (int y = 0; y < l->out_h; y++)
        for (int x = 0; x < l->out_w; x++) {
            int32_t *d = ws->skip + ((size_t)y * l->out_w + x) * oc;
            const int32_t *q = src + ((size_t)y * st * kw + (size_t)x * st) * kc;
            memcpy(d, q, (size_t)kc * sizeof *d);
            memset(d + kc, 0, (size_t)(oc - kc) * sizeof *d);
        }
    return ws->skip;
}

int nn_infer_image(const struct nn_qnn *m, struct nn_infer_ws *ws, const uint8_t *pixels)
{
    assert(ws->n_layers == m->n_layers);
    for (int li = 0; li < m->n_layers; li++) {
        const struct nn_qnn_layer *l = &m->layers[li];
        const struct layer_input in = {.pix = l->src == 0 ? pixels : NULL,
                                       .val = l->src == 0 ? NULL : ws->act[l->src - 1]};
        int32_t *acc = ws->acc[li];
        accumulate(acc, ws->col, l, &in);

        if (l->out_kind == NN_OUT_SCORES) {
            int best = 0;
            for (int c = 0; c < l->out_c; c++) {
                ws->scores[c] = l->rq_mul[c] * acc[c] + l->rq_add[c];
                if (ws->scores[c] > ws->scores[best])
                    best = c;
            }
            return best;
        }

        const int32_t *v = acc;
        const int32_t *skip = l->merge != NN_MERGE_NONE ? skip_values(m, ws, l) : NULL;
        if (l->res) {
            requantize(ws->res[li], acc, l->merge == NN_MERGE_ADD ? skip : NULL, l);
            v = ws->res[li];
        }
        activate(ws->act[li], l, v, skip);
    }
    assert(0 && "validated models end with a scores layer");
    return 0;
}

/* ---- a data set ---- */

enum nn_status nn_infer_dataset(const struct nn_qnn *m, const struct nn_dataset *ds,
                                int n_threads, double max_gib, int *n_correct, int *pred,
                                struct nn_error *err)
{
    if (ds->h != m->in_h || ds->w != m->in_w || ds->c != m->in_c)
        return nn_fail(err, NN_ERR_ARG, "data set images are %dx%dx%d but the model expects "
                       "%dx%dx%d", ds->h, ds->w, ds->c, m->in_h, m->in_w, m->in_c);
    if (ds->n_class != m->n_class)
        return nn_fail(err, NN_ERR_ARG, "data set has %d classes but the model %d",
                       ds->n_class, m->n_class);
    if (ds->n < 0 || (ds->n > 0 && (!ds->x || !ds->y)))
        return nn_fail(err, NN_ERR_ARG, "data set of %d images without pixels or labels", ds->n);

    int nt = n_threads > 0 ? n_threads : omp_get_max_threads();
    if (nt > ds->n)
        nt = ds->n > 0 ? ds->n : 1;
    enum nn_status s = nn_qnn_validate(m, err);
    if (s == NN_OK)
        s = check_mem(m, nt, max_gib, err);
    if (s != NN_OK)
        return s;
    struct nn_infer_ws *ws = calloc((size_t)nt, sizeof *ws);
    if (!ws)
        return nn_fail(err, NN_ERR_NOMEM, "out of memory for %d inference workspaces", nt);
    for (int t = 0; t < nt && s == NN_OK; t++)
        s = nn_infer_ws_init_max(&ws[t], m, max_gib, err);

    int correct = 0;
    if (s == NN_OK) {
        size_t img = (size_t)ds->h * ds->w * ds->c;
#pragma omp parallel num_threads(nt)
        {
            struct nn_infer_ws *mine = &ws[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 8) reduction(+ : correct)
            for (int i = 0; i < ds->n; i++) {
                int p = nn_infer_image(m, mine, ds->x + (size_t)i * img);
                if (pred)
                    pred[i] = p;
                correct += p == ds->y[i];
            }
        }
    }
    for (int t = 0; t < nt; t++)
        nn_infer_ws_free(&ws[t]);
    free(ws);
    if (s == NN_OK)
        *n_correct = correct;
    return s;
}
