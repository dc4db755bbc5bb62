/* tests/test_infer.c: the integer reference inference (nn/infer.c).
 *
 * Tolerance policy: none. Everything here is integer arithmetic and must
 * match exactly: hand-computed accumulators, stream values and activations
 * on tiny models (padding at the borders, stride 2, sign and 2-bit uniform
 * activations, OR and both MUX variants, ADD with saturation and the floor
 * of negative values, pooling with its floor), then an independent direct
 * re-implementation (ref_*, written with plain indexing, int64 everywhere,
 * floor by division and linear threshold counting) against nn_infer_image on
 * random valid models and images, then nn_infer_dataset with 1 and 2 threads.
 *
 * The model builder (add_layer) is shared in spirit with tests/test_qnn.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/infer.h"
#include "nn/layers.h"
#include "nn/qnn.h"
#include "tests/testutil.h"

#include "tests/qnn_fixture.h"

/* ---- the independent reference ---- */

struct ref_out {
    int64_t *acc[32], *res[32], *act[32];
    int64_t scores[64];
    int pred;
};

static int64_t ref_floor_div(int64_t v, int64_t d)
{
    int64_t q = v / d;
    if (v % d != 0 && v < 0)
        q -= 1;
    return q;
}

static int64_t ref_sat(int64_t v, int bits)
{
    int64_t lo = -((int64_t)1 << (bits - 1)), hi = ((int64_t)1 << (bits - 1)) - 1;
    if (v < lo)
        return lo;
    if (v > hi)
        return hi;
    return v;
}

static void ref_free(struct ref_out *r)
{
    for (int i = 0; i < 32; i++) {
        free(r->acc[i]);
        free(r->res[i]);
        free(r->act[i]);
    }
    memset(r, 0, sizeof *r);
}

static void ref_infer(const struct nn_qnn *m, const uint8_t *img, struct ref_out *r)
{
    memset(r, 0, sizeof *r);
    int64_t *x = malloc(sizeof *x * (size_t)m->in_h * m->in_w * m->in_c);
    for (int i = 0; i < m->in_h * m->in_w * m->in_c; i++)
        x[i] = img[i];
    const int64_t *in = x;
    for (int li = 0; li < m->n_layers; li++) {
        const struct nn_qnn_layer *L = &m->layers[li];
        int H = L->out_h, W = L->out_w, C = L->out_c;
        int64_t *acc = calloc((size_t)H * W * C, sizeof *acc);
        r->acc[li] = acc;
        for (int oy = 0; oy < H; oy++)
            for (int ox = 0; ox < W; ox++)
                for (int co = 0; co < C; co++) {
                    int64_t s = 0;
                    if (L->op == NN_QNN_DENSE) {
                        int fan = L->in_h * L->in_w * L->in_c;
                        for (int j = 0; j < fan; j++)
                            s += L->w[(size_t)co * fan + j] * in[j];
                    } else {
                        int fan = L->k * L->k * L->in_c;
                        for (int ky = 0; ky < L->k; ky++)
                            for (int kx = 0; kx < L->k; kx++)
                                for (int ci = 0; ci < L->in_c; ci++) {
                                    int iy = oy * L->stride - L->pad + ky;
                                    int ix = ox * L->stride - L->pad + kx;
                                    if (iy < 0 || ix < 0 || iy >= L->in_h || ix >= L->in_w)
                                        continue;
                                    s += L->w[(size_t)co * fan + (ky * L->k + kx) * L->in_c + ci]
                                         * in[(iy * L->in_w + ix) * L->in_c + ci];
                                }
                    }
                    acc[(oy * W + ox) * C + co] = s;
                }
        if (L->out_kind == NN_OUT_SCORES) {
            r->pred = 0;
            for (int co = 0; co < C; co++) {
                r->scores[co] = L->rq_mul[co] * acc[co] + L->rq_add[co];
                if (r->scores[co] > r->scores[r->pred])
                    r->pred = co;
            }
            break;
        }
        const int64_t *v = acc;
        if (L->res) {
            int64_t *u = calloc((size_t)H * W * C, sizeof *u);
            r->res[li] = u;
            for (int i = 0; i < H * W * C; i++) {
                int co = i % C;
                int64_t y = ref_sat(ref_floor_div(L->rq_mul[co] * acc[i] + L->rq_add[co],
                                                  (int64_t)1 << L->rq_shift), L->res_bits);
                if (L->merge == NN_MERGE_ADD)
                    y = ref_sat(y + r->res[li - 1][i], L->res_bits);
                u[i] = y;
            }
            v = u;
        }
        int64_t *a = calloc((size_t)H * W * C, sizeof *a);
        for (int i = 0; i < H * W * C; i++) {
            int co = i % C, code = 0;
            for (int j = 0; j < L->n_thr; j++)
                if (v[i] >= L->thr[co * L->n_thr + j])
                    code++;
            a[i] = fixture_code_value(L->out_code, L->out_bits, code);
            if (L->merge == NN_MERGE_OR)
                a[i] = (a[i] || in[i]) ? 1 : 0;
            if (L->merge == NN_MERGE_MUX && L->mux_sel[co])
                a[i] = L->mux_variant == NN_MUX_SEL ? in[i] : ((a[i] || in[i]) ? 1 : 0);
        }
        int P = L->pool > 1 ? L->pool : 1, PH = H / P, PW = W / P;
        int64_t *out = calloc((size_t)PH * PW * C, sizeof *out);
        for (int py = 0; py < PH; py++)
            for (int px = 0; px < PW; px++)
                for (int co = 0; co < C; co++) {
                    int64_t best = INT64_MIN;
                    for (int dy = 0; dy < P; dy++)
                        for (int dx = 0; dx < P; dx++) {
                            int64_t q = a[((py * P + dy) * W + px * P + dx) * C + co];
                            best = q > best ? q : best;
                        }
                    out[(py * PW + px) * C + co] = best;
                }
        free(a);
        r->act[li] = out;
        in = out;
    }
    free(x);
}

/* Compares the workspace of nn_infer_image with the reference; returns the
 * number of mismatching values and reports the first. */
static int compare_ws(const struct nn_qnn *m, const struct nn_infer_ws *ws,
                      const struct ref_out *r, int pred, const char *what)
{
    int bad = 0;
    for (int li = 0; li < m->n_layers; li++) {
        const struct nn_qnn_layer *L = &m->layers[li];
        int n = L->out_h * L->out_w * L->out_c, ph, pw, pc;
        nn_qnn_out_shape(L, &ph, &pw, &pc);
        for (int i = 0; i < n; i++) {
            if (ws->acc[li][i] != r->acc[li][i] && bad++ == 0)
                fprintf(stderr, "%s: layer %d acc[%d] = %d, reference %lld\n", what, li, i,
                        ws->acc[li][i], (long long)r->acc[li][i]);
            if (L->res && ws->res[li][i] != r->res[li][i] && bad++ == 0)
                fprintf(stderr, "%s: layer %d res[%d] = %d, reference %lld\n", what, li, i,
                        ws->res[li][i], (long long)r->res[li][i]);
        }
        if (L->out_kind == NN_OUT_SCORES) {
            for (int c = 0; c < L->out_c; c++)
                if (ws->scores[c] != r->scores[c] && bad++ == 0)
                    fprintf(stderr, "%s: score[%d] = %lld, reference %lld\n", what, c,
                            (long long)ws->scores[c], (long long)r->scores[c]);
            continue;
        }
        for (int i = 0; i < ph * pw * pc; i++)
            if (ws->act[li][i] != r->act[li][i] && bad++ == 0)
                fprintf(stderr, "%s: layer %d act[%d] = %d, reference %lld\n", what, li, i,
                        ws->act[li][i], (long long)r->act[li][i]);
    }
    if (pred != r->pred && bad++ == 0)
        fprintf(stderr, "%s: prediction %d, reference %d\n", what, pred, r->pred);
    return bad;
}

/* Runs nn_infer_image and the reference on img and checks them equal. */
static void check_against_ref(const struct nn_qnn *m, struct nn_infer_ws *ws,
                              const uint8_t *img, const char *what)
{
    struct ref_out r;
    int pred = nn_infer_image(m, ws, img);
    ref_infer(m, img, &r);
    int bad = compare_ws(m, ws, &r, pred, what);
    TU_CHECK(bad == 0, "%s: %d values differ from the reference", what, bad);
    ref_free(&r);
}

/* ---- hand-computed cases ---- */

static struct lspec scores_spec(int n_class)
{
    return (struct lspec){.op = NN_QNN_DENSE, .out_c = n_class, .w_code = NN_WCODE_BINARY,
                          .w_max = 1, .out_kind = NN_OUT_SCORES};
}

static void set_weights(struct nn_qnn_layer *l, const int *w)
{
    for (int i = 0; i < nn_qnn_fan_in(l) * l->out_c; i++)
        l->w[i] = (int8_t)w[i];
}

static int check_i32(const char *what, const int32_t *got, const int *want, int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++)
        if (got[i] != want[i]) {
            if (bad++ == 0)
                fprintf(stderr, "%s: [%d] = %d, expected %d\n", what, i, got[i], want[i]);
        }
    printf("  %-44s %2d values compared, %d differ\n", what, n, bad);
    TU_CHECK(bad == 0, "%s differs", what);
    return bad;
}

/* 4x4 ramp image, a Sobel-x 3x3 conv with padding 1, stride 1 and 2; then a
 * 2-bit uniform quantizer on the same accumulators, then sign activations
 * into a second layer. */
static void test_conv_by_hand(void)
{
    static const uint8_t img[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const int sobel[9] = {1, 0, -1, 2, 0, -2, 1, 0, -1};
    /* rows at the top and bottom see one zero row; columns 0 and 3 a zero
     * column: e.g. (0,0) = 2*(0-2) + 1*(0-6) = -10, (1,0) = (0-2) + 2*(0-6) + (0-10)
     * = -24, (0,3) = 2*(3-0) + (7-0) = 13, (3,3) = (11-0) + 2*(15-0) = 41; inside,
     * every row differs by -2 over two columns: (1+2+1)*(-2) = -8 */
    static const int acc_s1[16] = {-10, -6, -6, 13,
                                   -24, -8, -8, 28,
                                   -40, -8, -8, 44,
                                   -38, -6, -6, 41};
    static const int acc_s2[4] = {-10, -6, -40, -8};
    static const int bin[16] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    static const int uint2[16] = {0, 1, 1, 2, 0, 1, 1, 3, 0, 1, 1, 3, 0, 1, 1, 3};
    uint64_t rng = 1;
    struct nn_error err;

    printf("conv by hand (4x4 ramp, Sobel-x, pad 1):\n");
    struct nn_qnn m;
    model_init(&m, 4, 4, 1, 2);
    struct nn_qnn_layer *l0 = add_layer(&m, (struct lspec){
        .op = NN_QNN_CONV, .k = 3, .stride = 1, .pad = 1, .out_c = 1,
        .w_code = NN_WCODE_SIGNMAG, .w_max = 2, .out_kind = NN_OUT_THRESH,
        .out_code = NN_CODE_BIN01, .out_bits = 1}, &rng);
    set_weights(l0, sobel);
    l0->thr[0] = 0;
    struct nn_qnn_layer *l1 = add_layer(&m, (struct lspec){
        .op = NN_QNN_DENSE, .out_c = 2, .w_code = NN_WCODE_BINARY, .w_max = 1,
        .out_kind = NN_OUT_SCORES}, &rng);
    /* class 0 counts the ones of column 3, class 1 those elsewhere */
    for (int i = 0; i < 16; i++) {
        l1->w[i] = (int8_t)(i % 4 == 3 ? 1 : -1);
        l1->w[16 + i] = (int8_t)-l1->w[i];
    }
    l1->rq_mul[0] = 3;
    l1->rq_add[0] = -1;
    l1->rq_mul[1] = 2;
    l1->rq_add[1] = 5;
    struct nn_infer_ws ws;
    TU_CHECK(nn_infer_ws_init(&ws, &m, &err) == NN_OK, "ws_init: %s", err.msg);
    int pred = nn_infer_image(&m, &ws, img);
    check_i32("stride 1 accumulators", ws.acc[0], acc_s1, 16);
    check_i32("heaviside acc >= 0", ws.act[0], bin, 16);
    /* ones in column 3: 4; elsewhere: 0 -> dense acc = 4 and -4 */
    printf("  scores %lld %lld (expected 11, -3), prediction %d (expected 0)\n",
           (long long)ws.scores[0], (long long)ws.scores[1], pred);
    TU_CHECK(ws.acc[1][0] == 4 && ws.acc[1][1] == -4, "dense acc %d %d", ws.acc[1][0],
             ws.acc[1][1]);
    TU_CHECK(ws.scores[0] == 11 && ws.scores[1] == -3 && pred == 0, "scores / prediction");
    nn_infer_ws_free(&ws);

    /* ties go to the first class */
    l1->rq_mul[0] = 0;
    l1->rq_add[0] = 7;
    l1->rq_mul[1] = 0;
    l1->rq_add[1] = 7;
    TU_CHECK(nn_infer_ws_init(&ws, &m, &err) == NN_OK, "ws_init: %s", err.msg);
    pred = nn_infer_image(&m, &ws, img);
    TU_CHECK(pred == 0, "a tie predicts %d, expected the first class 0", pred);
    nn_infer_ws_free(&ws);

    /* 2-bit uniform codes: thresholds -8, 0, 20 */
    l0->out_code = NN_CODE_UINT;
    l0->out_bits = 2;
    l0->n_thr = 3;
    free(l0->thr);
    l0->thr = malloc(3 * sizeof *l0->thr);
    l0->thr[0] = -8;
    l0->thr[1] = 0;
    l0->thr[2] = 20;
    l1->in_code = NN_CODE_UINT;
    l1->in_bits = 2;
    TU_CHECK(nn_infer_ws_init(&ws, &m, &err) == NN_OK, "ws_init: %s", err.msg);
    nn_infer_image(&m, &ws, img);
    check_i32("2-bit codes, thresholds -8 0 20", ws.act[0], uint2, 16);
    nn_infer_ws_free(&ws);
    nn_qnn_free(&m);

    /* stride 2: the even positions of the stride-1 map */
    model_init(&m, 4, 4, 1, 2);
    l0 = add_layer(&m, (struct lspec){
        .op = NN_QNN_CONV, .k = 3, .stride = 2, .pad = 1, .out_c = 1,
        .w_code = NN_WCODE_SIGNMAG, .w_max = 2, .out_kind = NN_OUT_THRESH,
        .out_code = NN_CODE_SIGN, .out_bits = 1}, &rng);
    set_weights(l0, sobel);
    l0->thr[0] = -9;
    /* second layer: 2x2 conv without padding over the sign map [+1 +1; -1 +1]
     * (-10 >= -9 is false: -1; -6: +1; -40: -1; -8: +1), weights 1 2 3 -1 */
    l1 = add_layer(&m, (struct lspec){
        .op = NN_QNN_CONV, .k = 2, .stride = 1, .pad = 0, .out_c = 1,
        .w_code = NN_WCODE_SIGNMAG, .w_max = 3, .out_kind = NN_OUT_THRESH,
        .out_code = NN_CODE_BIN01, .out_bits = 1}, &rng);
    set_weights(l1, (const int[]){1, 2, 3, -1});
    l1->thr[0] = 0;
    add_layer(&m, (struct lspec){.op = NN_QNN_DENSE, .out_c = 2, .w_code = NN_WCODE_BINARY,
                                  .w_max = 1, .out_kind = NN_OUT_SCORES}, &rng);
    TU_CHECK(nn_infer_ws_init(&ws, &m, &err) == NN_OK, "ws_init: %s", err.msg);
    nn_infer_image(&m, &ws, img);
    check_i32("stride 2 accumulators", ws.acc[0], acc_s2, 4);
    check_i32("sign activations, threshold -9", ws.act[0], (const int[]){-1, 1, -1, 1}, 4);
    /* 1*(-1) + 2*(+1) + 3*(-1) + (-1)*(+1) = -3 */
    check_i32("conv over sign values", ws.acc[1], (const int[]){-3}, 1);
    nn_infer_ws_free(&ws);
    nn_qnn_free(&m);
}

/* OR and both MUX variants on 2x2x2 binary maps. Layer 0 (1x1 identity,
 * threshold 128) turns the pixels into the bits x; layer 1 (1x1 swapping the
 * channels, threshold 1) gives a = x with channels swapped; its merge mixes
 * a with the skip x. */
static void test_merges_by_hand(void)
{
    static const uint8_t img[8] = {200, 10, 10, 200, 200, 200, 10, 10};
    /* x per position (ch0 ch1): (1 0) (0 1) (1 1) (0 0); a = (0 1) (1 0) (1 1) (0 0) */
    static const int x[8] = {1, 0, 0, 1, 1, 1, 0, 0};
    static const int a_or[8] = {1, 1, 1, 1, 1, 1, 0, 0};
    /* sel = (1, 0): channel 0 merged, channel 1 plain a */
    static const int mux_or[8] = {1, 1, 1, 0, 1, 1, 0, 0};
    static const int mux_sel[8] = {1, 1, 0, 0, 1, 1, 0, 0};
    static const int plain[8] = {0, 1, 1, 0, 1, 1, 0, 0};
    const struct {
        const char *name;
        int merge, variant;
        const int *want;
    } cases[] = {
        {"no merge", NN_MERGE_NONE, 0, plain},
        {"OR merge", NN_MERGE_OR, 0, a_or},
        {"MUX, OR variant, sel 1 0", NN_MERGE_MUX, NN_MUX_OR, mux_or},
        {"MUX, SEL variant, sel 1 0", NN_MERGE_MUX, NN_MUX_SEL, mux_sel},
    };
    uint64_t rng = 2;
    struct nn_error err;
    printf("merges by hand (2x2x2 binary maps):\n");
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        struct nn_qnn m;
        model_init(&m, 2, 2, 2, 2);
        struct nn_qnn_layer *l0 = add_layer(&m, (struct lspec){
            .op = NN_QNN_CONV, .k = 1, .stride = 1, .out_c = 2, .w_code = NN_WCODE_SIGNMAG,
            .w_max = 1, .out_kind = NN_OUT_THRESH, .out_code = NN_CODE_BIN01, .out_bits = 1},
            &rng);
        set_weights(l0, (const int[]){1, 0, 0, 1});
        l0->thr[0] = l0->thr[1] = 128;
        struct nn_qnn_layer *l1 = add_layer(&m, (struct lspec){
            .op = NN_QNN_CONV, .k = 1, .stride = 1, .out_c = 2, .w_code = NN_WCODE_SIGNMAG,
            .w_max = 1, .out_kind = NN_OUT_THRESH, .out_code = NN_CODE_BIN01, .out_bits = 1,
            .merge = cases[t].merge, .mux_variant = cases[t].variant}, &rng);
        set_weights(l1, (const int[]){0, 1, 1, 0});
        l1->thr[0] = l1->thr[1] = 1;
        if (l1->mux_sel) {
            l1->mux_sel[0] = 1;
            l1->mux_sel[1] = 0;
        }
        add_layer(&m, scores_spec(2), &rng);
        struct nn_infer_ws ws;
        TU_CHECK(nn_infer_ws_init(&ws, &m, &err) == NN_OK, "ws_init: %s", err.msg);
        nn_infer_image(&m, &ws, img);
        if (t == 0)
            check_i32("bits x of layer 0", ws.act[0], x, 8);
        check_i32(cases[t].name, ws.act[1], cases[t].want, 8);
        nn_infer_ws_free(&ws);
        nn_qnn_free(&m);
    }
}

/* ADD on a 4-bit stream (range -8..7). Layer 0 starts the stream from the
 * pixels p of a 1x6 image: u0 = sat4(floor((p - 20) / 4)); its threshold -4
 * gives x. Layer 1 (1x1, 2 channels) adds: channel 0 Y = 6x (mul 6, shift 0),
 * channel 1 Y = floor((-12x + 1) / 2) (weight -1, mul 12, add 1, shift 1). */
static void test_add_by_hand(void)
{
    static const uint8_t img[6] = {0, 1, 3, 4, 5, 100};
    /* (p-20)/4 = -5, -4.75, -4.25, -4, -3.75, 20: floor -5 -5 -5 -4 -4, 20 saturates to 7 */
    static const int u0[12] = {-5, -5, -5, -5, -5, -5, -4, -4, -4, -4, 7, 7};
    static const int x[12] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
    /* ch0: u0 + 6x = -5 -5 -5 2 2 13->7; ch1: -11/2 floors to -6:
     * u0 + (-6x) = -5 -5 -5 -10->-8 -10->-8 1 */
    static const int u1[12] = {-5, -5, -5, -5, -5, -5, 2, -8, 2, -8, 7, 1};
    static const int a1[12] = {0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1};
    uint64_t rng = 3;
    struct nn_error err;
    printf("ADD merge by hand (4-bit stream, floor, saturation):\n");
    struct nn_qnn m;
    model_init(&m, 1, 6, 1, 2);
    struct nn_qnn_layer *l0 = add_layer(&m, (struct lspec){
        .op = NN_QNN_CONV, .k = 1, .stride = 1, .out_c = 2, .w_code = NN_WCODE_BINARY,
        .w_max = 1, .out_kind = NN_OUT_THRESH, .out_code = NN_CODE_BIN01, .out_bits = 1,
        .res = 1, .res_bits = 4, .res_frac = 1}, &rng);
    set_weights(l0, (const int[]){1, 1});
    for (int c = 0; c < 2; c++) {
        l0->rq_mul[c] = 1;
        l0->rq_add[c] = -20;
        l0->thr[c] = -4;
    }
    l0->rq_shift = 2;
    struct nn_qnn_layer *l1 = add_layer(&m, (struct lspec){
        .op = NN_QNN_CONV, .k = 1, .stride = 1, .out_c = 2, .w_code = NN_WCODE_SIGNMAG,
        .w_max = 1, .out_kind = NN_OUT_THRESH, .out_code = NN_CODE_BIN01, .out_bits = 1,
        .merge = NN_MERGE_ADD, .res = 1, .res_bits = 4, .res_frac = 1}, &rng);
    set_weights(l1, (const int[]){1, 0, 0, -1});
    l1->rq_shift = 1;
    l1->rq_mul[0] = 12; /* (12x + 0) / 2 = 6x */
    l1->rq_add[0] = 0;
    l1->rq_mul[1] = 12;
    l1->rq_add[1] = 1;
    l1->thr[0] = l1->thr[1] = 0;
    add_layer(&m, scores_spec(2), &rng);
    struct nn_infer_ws ws;
    TU_CHECK(nn_infer_ws_init(&ws, &m, &err) == NN_OK, "ws_init: %s", err.msg);
    nn_infer_image(&m, &ws, img);
    check_i32("stream u of layer 0", ws.res[0], u0, 12);
    check_i32("bits of layer 0 (u >= -4)", ws.act[0], x, 12);
    check_i32("stream u of layer 1 (after the add)", ws.res[1], u1, 12);
    check_i32("bits of layer 1 (u >= 0)", ws.act[1], a1, 12);
    nn_infer_ws_free(&ws);
    nn_qnn_free(&m);
}

/* 2x2 max pooling of 2-bit codes (and of sign values) on a 5x5 map: the
 * last row and column are dropped (floor). */
static void test_pool_by_hand(void)
{
    static const uint8_t img[25] = {
        0,   70,  130, 0,   255,
        10,  20,  0,   200, 255,
        0,   0,   60,  0,   255,
        0,   100, 0,   64,  255,
        255, 255, 255, 255, 255};
    /* codes (thresholds 64 128 192): row-wise
     * 0 1 2 0 3 / 0 0 0 3 3 / 0 0 0 0 3 / 0 1 0 1 3 / 3 3 3 3 3 */
    static const int pooled[4] = {1, 3, 1, 1};
    static const int pooled_sign[4] = {1, 1, 1, 1};
    static const int pooled_sign_hi[4] = {-1, 1, -1, -1};
    uint64_t rng = 4;
    struct nn_error err;
    printf("pooling by hand (5x5 -> 2x2):\n");
    for (int variant = 0; variant < 3; variant++) {
        struct nn_qnn m;
        model_init(&m, 5, 5, 1, 2);
        struct nn_qnn_layer *l0 = add_layer(&m, (struct lspec){
            .op = NN_QNN_CONV, .k = 1, .stride = 1, .out_c = 1, .w_code = NN_WCODE_BINARY,
            .w_max = 1, .out_kind = NN_OUT_THRESH,
            .out_code = variant == 0 ? NN_CODE_UINT : NN_CODE_SIGN,
            .out_bits = variant == 0 ? 2 : 1, .pool = 2}, &rng);
        l0->w[0] = 1;
        if (variant == 0) {
            l0->thr[0] = 64;
            l0->thr[1] = 128;
            l0->thr[2] = 192;
        } else {
            l0->thr[0] = variant == 1 ? 64 : 200;
        }
        add_layer(&m, scores_spec(2), &rng);
        struct nn_infer_ws ws;
        TU_CHECK(nn_infer_ws_init(&ws, &m, &err) == NN_OK, "ws_init: %s", err.msg);
        nn_infer_image(&m, &ws, img);
        check_i32(variant == 0 ? "2x2 max pool of 2-bit codes"
                  : variant == 1 ? "2x2 max pool of signs (thr 64)"
                                 : "2x2 max pool of signs (thr 200)",
                  ws.act[0], variant == 0 ? pooled : variant == 1 ? pooled_sign : pooled_sign_hi,
                  4);
        nn_infer_ws_free(&ws);
        nn_qnn_free(&m);
    }
}

/* ---- random valid models ---- */

static void random_conv(struct lspec *s, int h, int w, uint64_t *rng)
{
    s->op = NN_QNN_CONV;
    s->k = rng_int(rng, 1, 3);
    s->pad = rng_int(rng, 0, s->k - 1);
    while (s->k > h + 2 * s->pad || s->k > w + 2 * s->pad) {
        s->k--;
        if (s->pad > s->k - 1)
            s->pad = s->k - 1;
    }
    s->stride = rng_int(rng, 1, 2);
}

static void random_weights(struct lspec *s, uint64_t *rng)
{
    if (rng_int(rng, 0, 3) == 0) {
        s->w_code = NN_WCODE_BINARY;
        s->w_max = 1;
    } else {
        s->w_code = NN_WCODE_SIGNMAG;
        s->w_max = rng_int(rng, 1, 7);
    }
}

/* A random valid model of 2..7 layers over small images. */
static void random_model(struct nn_qnn *m, uint64_t *rng)
{
    int n_class = rng_int(rng, 2, 6);
    model_init(m, rng_int(rng, 1, 9), rng_int(rng, 1, 9), rng_int(rng, 1, 3), n_class);
    int hidden = rng_int(rng, 1, 6);
    for (int li = 0; li < hidden; li++) {
        int h = m->in_h, w = m->in_w, c = m->in_c, code = NN_CODE_PIXEL8;
        const struct nn_qnn_layer *p = li > 0 ? &m->layers[li - 1] : NULL;
        if (p) {
            nn_qnn_out_shape(p, &h, &w, &c);
            code = p->out_code;
        }
        struct lspec s = {.out_kind = NN_OUT_THRESH};
        random_weights(&s, rng);
        int kind = rng_int(rng, 0, 5);
        int same = 0;
        if (kind <= 1 && code == NN_CODE_BIN01) { /* OR or MUX block */
            same = 1;
            s.merge = kind == 0 ? NN_MERGE_OR : NN_MERGE_MUX;
            s.mux_variant = rng_int(rng, 0, 1);
        } else if (kind == 2 && p && p->res && p->pool == 0) { /* ADD block */
            same = 1;
            s.merge = NN_MERGE_ADD;
            s.res = 1;
            s.res_bits = p->res_bits;
            s.res_frac = p->res_frac;
        } else if (kind == 3) {
            s.op = NN_QNN_DENSE;
            s.k = s.stride = 1;
        } else {
            random_conv(&s, h, w, rng);
        }
        if (same) {
            s.op = NN_QNN_CONV;
            s.k = rng_int(rng, 0, 1) ? 3 : 1;
            s.pad = (s.k - 1) / 2;
            s.stride = 1;
            s.out_c = c;
        } else {
            s.out_c = rng_int(rng, 1, 5);
        }
        if (!s.res && rng_int(rng, 0, 2) == 0) { /* start a stream */
            s.res = 1;
            s.res_bits = rng_int(rng, 3, 12);
            s.res_frac = rng_int(rng, 0, s.res_bits - 1);
        }
        int oc = rng_int(rng, 0, 4);
        if (s.merge == NN_MERGE_OR || s.merge == NN_MERGE_MUX || oc == 0) {
            s.out_code = NN_CODE_BIN01;
            s.out_bits = 1;
        } else if (oc == 1) {
            s.out_code = NN_CODE_SIGN;
            s.out_bits = 1;
        } else if (oc == 3) {
            s.out_code = NN_CODE_TERN;
            s.out_bits = 2;
        } else if (oc == 4) {
            s.out_code = NN_CODE_POW2;
            s.out_bits = rng_int(rng, 3, 4);
        } else {
            s.out_code = NN_CODE_UINT;
            s.out_bits = rng_int(rng, 2, 3);
        }
        struct nn_qnn_layer *l = add_layer(m, s, rng);
        if (l->out_h >= 2 && l->out_w >= 2 && rng_int(rng, 0, 2) == 0)
            l->pool = rng_int(rng, 2, l->out_h < l->out_w ? l->out_h : l->out_w);
    }
    add_layer(m, scores_spec(n_class), rng);
}

static void test_random_models(void)
{
    uint64_t rng = 12345;
    int n_models = 400, n_images = 4, invalid = 0;
    int n_layers = 0, n_merge[4] = {0}, n_res = 0, n_pool = 0, n_dense = 0, n_stride2 = 0;
    int n_code[6] = {0};
    long n_values = 0, n_nonzero = 0;
    for (int t = 0; t < n_models; t++) {
        struct nn_qnn m;
        struct nn_error err;
        random_model(&m, &rng);
        if (nn_qnn_validate(&m, &err) != NN_OK) {
            invalid++;
            TU_CHECK(0, "random model %d invalid: %s", t, err.msg);
            nn_qnn_free(&m);
            continue;
        }
        for (int li = 0; li < m.n_layers; li++) {
            const struct nn_qnn_layer *l = &m.layers[li];
            n_layers++;
            n_merge[l->merge]++;
            n_res += l->res;
            n_pool += l->pool > 1;
            n_dense += l->op == NN_QNN_DENSE;
            n_stride2 += l->stride == 2;
            n_code[l->out_code > 0 ? l->out_code - 1 : 0] += l->out_kind == NN_OUT_THRESH;
        }
        struct nn_infer_ws ws;
        TU_CHECK(nn_infer_ws_init(&ws, &m, &err) == NN_OK, "ws_init: %s", err.msg);
        size_t n = (size_t)m.in_h * m.in_w * m.in_c;
        uint8_t *img = malloc(n);
        for (int i = 0; i < n_images; i++) {
            for (size_t j = 0; j < n; j++)
                img[j] = (uint8_t)(i == 0 ? (rng_next(&rng) & 1) * 255 : rng_next(&rng));
            char what[64];
            snprintf(what, sizeof what, "random model %d image %d", t, i);
            check_against_ref(&m, &ws, img, what);
            /* how often the hidden activations are non-zero: the thresholds
             * must put them in the interesting range for the test to bite */
            for (int li = 0; li < m.n_layers - 1; li++) {
                int h, w, c;
                nn_qnn_out_shape(&m.layers[li], &h, &w, &c);
                for (int j = 0; j < h * w * c; j++) {
                    n_values++;
                    n_nonzero += ws.act[li][j] != 0;
                }
            }
        }
        free(img);
        nn_infer_ws_free(&ws);
        nn_qnn_free(&m);
    }
    printf("random models: %d models x %d images against the reference, %d invalid\n"
           "  %d layers: merges none/add/or/mux %d/%d/%d/%d, %d on a stream, %d pooled,\n"
           "  %d dense, %d stride 2, outputs bin01/sign/uint/tern/pow2 %d/%d/%d/%d/%d; %.0f%% of\n"
           "  %ld hidden values non-zero\n", n_models, n_images, invalid, n_layers, n_merge[0],
           n_merge[1], n_merge[2], n_merge[3], n_res, n_pool, n_dense, n_stride2, n_code[1],
           n_code[2], n_code[3], n_code[4], n_code[5], 100.0 * (double)n_nonzero / (double)(n_values ? n_values : 1), n_values);
    TU_CHECK(n_merge[1] > 20 && n_merge[2] > 20 && n_merge[3] > 20 && n_pool > 20,
             "the random models cover every merge and pooling");
    TU_CHECK(n_code[4] > 20 && n_code[5] > 20, "the random models cover tern and pow2 outputs");
}

/* nn_infer_dataset: 1 and 2 threads give the per-image predictions. */
static void test_dataset(void)
{
    uint64_t rng = 777;
    struct nn_qnn m;
    struct nn_error err;
    model_init(&m, 8, 8, 2, 4);
    add_layer(&m, (struct lspec){.op = NN_QNN_CONV, .k = 3, .stride = 1, .pad = 1, .out_c = 6,
                                  .w_code = NN_WCODE_SIGNMAG, .w_max = 3,
                                  .out_kind = NN_OUT_THRESH, .out_code = NN_CODE_BIN01,
                                  .out_bits = 1, .pool = 2}, &rng);
    add_layer(&m, (struct lspec){.op = NN_QNN_CONV, .k = 3, .stride = 1, .pad = 1, .out_c = 6,
                                  .w_code = NN_WCODE_BINARY, .w_max = 1,
                                  .out_kind = NN_OUT_THRESH, .out_code = NN_CODE_BIN01,
                                  .out_bits = 1, .merge = NN_MERGE_OR}, &rng);
    add_layer(&m, scores_spec(4), &rng);

    struct nn_dataset ds = {.n = 203, .h = 8, .w = 8, .c = 2, .n_class = 4};
    ds.x = malloc((size_t)ds.n * 128);
    ds.y = malloc((size_t)ds.n);
    for (int i = 0; i < ds.n * 128; i++)
        ds.x[i] = (uint8_t)rng_next(&rng);
    int *want = malloc(sizeof *want * ds.n), want_correct = 0;
    struct nn_infer_ws ws;
    TU_CHECK(nn_infer_ws_init(&ws, &m, &err) == NN_OK, "ws_init: %s", err.msg);
    for (int i = 0; i < ds.n; i++) {
        want[i] = nn_infer_image(&m, &ws, ds.x + (size_t)i * 128);
        ds.y[i] = (uint8_t)(i % 3 ? want[i] : (want[i] + 1) % 4);
        want_correct += ds.y[i] == want[i];
    }
    nn_infer_ws_free(&ws);

    for (int nt = 0; nt <= 2; nt++) {
        int *pred = calloc((size_t)ds.n, sizeof *pred), correct = -1, diff = 0;
        enum nn_status s = nn_infer_dataset(&m, &ds, nt, 0.0, &correct, pred, &err);
        TU_CHECK(s == NN_OK, "nn_infer_dataset with %d threads: %s", nt, err.msg);
        for (int i = 0; i < ds.n; i++)
            diff += pred[i] != want[i];
        printf("dataset, %d threads (0 = default): %d correct (expected %d), %d predictions "
               "differ\n", nt, correct, want_correct, diff);
        TU_CHECK(correct == want_correct && diff == 0, "dataset with %d threads", nt);
        free(pred);
    }
    int correct = -1;
    TU_CHECK(nn_infer_dataset(&m, &ds, 2, 0.0, &correct, NULL, &err) == NN_OK &&
             correct == want_correct, "dataset without pred");

    struct nn_dataset bad = ds;
    bad.c = 3;
    TU_CHECK(nn_infer_dataset(&m, &bad, 1, 0.0, &correct, NULL, &err) == NN_ERR_ARG,
             "shape mismatch accepted");
    printf("shape mismatch: %s\n", err.msg);
    bad = ds;
    bad.n_class = 10;
    TU_CHECK(nn_infer_dataset(&m, &bad, 1, 0.0, &correct, NULL, &err) == NN_ERR_ARG,
             "class count mismatch accepted");
    printf("class mismatch: %s\n", err.msg);
    bad = ds;
    bad.n = 0;
    TU_CHECK(nn_infer_dataset(&m, &bad, 2, 0.0, &correct, NULL, &err) == NN_OK && correct == 0,
             "empty data set");

    /* the workspace limit (--max-memory): one workspace just over it is
     * refused naming it, just under it runs; with 2 threads the limit holds
     * for both workspaces together */
    const double gib = nn_infer_ws_bytes(&m) / (1024.0 * 1024.0 * 1024.0);
    TU_CHECK(nn_infer_ws_init_max(&ws, &m, gib * 0.99, &err) == NN_ERR_FORMAT &&
             strstr(err.msg, "over the limit of"), "a workspace over max_gib accepted");
    printf("limit %.3g GiB: %s\n", gib * 0.99, err.msg);
    TU_CHECK(nn_infer_ws_init_max(&ws, &m, gib * 1.01, &err) == NN_OK,
             "a workspace under max_gib refused: %s", err.msg);
    nn_infer_ws_free(&ws);
    TU_CHECK(nn_infer_dataset(&m, &ds, 1, gib * 1.5, &correct, NULL, &err) == NN_OK,
             "one thread under the limit refused: %s", err.msg);
    TU_CHECK(nn_infer_dataset(&m, &ds, 2, gib * 1.5, &correct, NULL, &err) == NN_ERR_FORMAT &&
             strstr(err.msg, "(all threads)"), "two workspaces over the limit accepted");
    printf("2 threads, limit %.3g GiB: %s\n", gib * 1.5, err.msg);

    /* an invalid model is refused by the workspace, not run */
    m.layers[0].pad = 3;
    TU_CHECK(nn_infer_ws_init(&ws, &m, &err) == NN_ERR_FORMAT, "invalid model accepted");
    printf("invalid model: %s\n", err.msg);
    TU_CHECK(ws.acc == NULL && ws.n_layers == 0, "failed init leaves the workspace zeroed");

    free(want);
    free(ds.x);
    free(ds.y);
    nn_qnn_free(&m);
}

/* A model whose header declares shapes needing an inference workspace over
 * NN_INFER_MAX_MEM_GIB (a 1x1 conv of a 4096 x 4096 image to 4096 channels,
 * 256 GiB of accumulators, from 4 KiB of weights) is refused before any
 * allocation, naming the size. */
static void test_workspace_bound(void)
{
    uint64_t rng = 7;
    struct nn_qnn m;
    struct nn_error err;
    model_init(&m, 4096, 4096, 1, 2);
    add_layer(&m, (struct lspec){.op = NN_QNN_CONV, .k = 1, .stride = 1, .out_c = 4096,
                                 .w_code = NN_WCODE_BINARY, .w_max = 1,
                                 .out_kind = NN_OUT_THRESH, .out_code = NN_CODE_BIN01,
                                 .out_bits = 1, .pool = 4096}, &rng);
    add_layer(&m, (struct lspec){.op = NN_QNN_DENSE, .out_c = 2, .w_code = NN_WCODE_BINARY,
                                 .w_max = 1, .out_kind = NN_OUT_SCORES}, &rng);
    const double gib = nn_infer_ws_bytes(&m) / (1024.0 * 1024.0 * 1024.0);
    struct nn_infer_ws ws;
    enum nn_status st = nn_infer_ws_init(&ws, &m, &err);
    printf("a %.0f GiB workspace: %s\n", gib, err.msg);
    TU_CHECK(gib > 250 && st == NN_ERR_FORMAT && strstr(err.msg, "over the limit of 16 GiB (--max-memory)"),
             "a %.0f GiB workspace was not refused (%d: %s)", gib, st, err.msg);
    if (st == NN_OK)
        nn_infer_ws_free(&ws);
    nn_qnn_free(&m);
}

int main(void)
{
    test_workspace_bound();
    test_conv_by_hand();
    test_merges_by_hand();
    test_add_by_hand();
    test_pool_by_hand();
    test_random_models();
    test_dataset();
    return tu_exit("test_infer");
}
