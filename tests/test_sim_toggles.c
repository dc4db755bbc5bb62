/* tests/test_sim_toggles.c: the SystemC model's toggle counts against a
 * straightforward recount.
 *
 * The recount walks the loop nest of docs/accelerator.md issue by issue
 * (tile, position, chunk, weight pass, activation plane) and output by
 * output, derives every register's and bus's successive values lane by lane
 * from the .qnn and the golden model's values (nn/infer.c's accumulators,
 * residual streams and layer outputs), and sums the Hamming distances of
 * successive values, carrying every register from layer to layer and image
 * to image as the hardware does. It shares no code with sim/ (not even
 * units.h) and no pipelining: a register's sequence of values does not
 * depend on when the stage latches it. Compared per layer and unit kind:
 *
 *   ARRAY     the fetch unit's gate and flip buses, every PE's lane logic
 *             outputs pos_i and neg_i;
 *   POPCOUNT  the two popcount trees' outputs of every PE;
 *   ACCUM     the subtractor, the shifter and the accumulator of every PE;
 *   THRESH    the comparators' outputs and the encoder's code (the
 *             thresholds come from the parameter bank's held output: no
 *             registers);
 *   MERGE     or/mux: the merged code (the skip bit is the skip buffer's
 *             output, no register); add: the
 *             requantizer output, the skip value, the stream value u (the
 *             select bits and requantizer constants, like the thresholds,
 *             are no registers);
 *   POOL      the pool register;
 *   SCORE     the score register file, the MUL and ADD registers, the argmax
 *             registers;
 *   PIPEREG   the activation word, the stage control registers
 *             (FETCH, POP, ACC's output, and per output RQ, ADD, THR: the
 *             issue's shift, first, last, tile and position bits), the POP
 *             registers and the THR register (the merged code);
 *   CONTROL   the loop counters (one step per issue, cleared at CONFIG), the
 *             layer counter (it steps at the next layer's CONFIG edge, so a
 *             step counts in the layer it enters, the wrap to layer 1 in the
 *             next image's) and the stages' valid bits, replayed cycle by
 *             cycle from the stage table (replay_valid; its cycle count must
 *             equal the simulated one); and the controller's datapath
 *             registers as rtl/rtl.c holds them: the run and issue flags,
 *             the layer's descriptor (its values derived here from the .qnn:
 *             loop bounds, banks, plane sizes, the tables' bases), the
 *             address generator's running indices in closed form (vi = p Q
 *             + q, wi = (t Q + q) Bw + j, wt = t Q Bw, bo = b x the plane's
 *             bits) and the write-back's registers, which take each output's
 *             tile, position and addresses as it passes and whether a pooled
 *             word is pending (one run of ones a window-last output, or with
 *             one issue an output a run of consecutive ones).
 *
 * A third of the networks hold power-of-two weights and run on shift PE
 * designs (2..7 exponents): their shift-path layers' weight register holds
 * the sign and the exponent code k (0: the weight 0, e + 1: +-2^e; bit 0 in
 * the magnitude bit's place), each lane's pos and neg go to the tree pair
 * of its exponent (E pairs of lane buses and popcounts), and the
 * subtractor's output is the shift-add's d = sum_e (pos_e - neg_e) 2^e.
 * Hidden layers hold binary, sign-magnitude, pow2 (the fetch unit decodes
 * each pass's magnitude bit m_j = (k == j + 1) into the register) and
 * offset-binary weights (pass j: sign NOT c_j, magnitude 1).
 *
 * A quarter of them are binary and run on XNOR PE designs: the weight
 * register holds the sign only, the gating also drives NOT g (toggling with
 * g), each PE's one lane bus is t = g AND NOT (s XOR f) onto one tree, the
 * array's shared tree counts g, and the subtractor's output is d = 2 pos -
 * cnt.
 *
 * Plus an invariant: an all-zero image leaves the first layer's lane logic,
 * popcounts and accumulators at 0 toggles (their inputs never change from
 * reset).
 *
 * Tolerance policy: none; the counts are integers and must be equal. */
#include <stdio.h>
#include <string.h>

#include "costmodels/design.h"
#include "nn/infer.h"
#include "nn/layers.h"
#include "qnn_fixture.h"
#include "sim/sim.h"
#include "sim_fixture.h"
#include "testutil.h"
#include "sim_open.h"

#define MAXR 24        /* pe_rows here */
#define MAXL 160       /* lanes here */
#define NT_MAX 7
#define E_MAX 7        /* a shift PE's exponents here */
#define DESC_N 28      /* the descriptor's fields */

static unsigned hamming(uint64_t a, uint64_t b) { return (unsigned)__builtin_popcountll(a ^ b); }

static uint64_t mask_bits(int bits) { return bits >= 64 ? ~0ull : (1ull << bits) - 1; }

static int64_t sext(uint64_t v, int bits)
{
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

/* Every register and bus of the recount, carried across layers and images. */
struct regs {
    uint8_t g[MAXL], f[MAXL];                      /* fetch buses */
    uint8_t lpos[MAXR][E_MAX][MAXL], lneg[MAXR][E_MAX][MAXL]; /* lane logic buses, per tree pair */
    int64_t pos[MAXR][E_MAX], neg[MAXR][E_MAX];    /* popcount outputs */
    int64_t cnt;                                   /* XNOR: the shared count of g */
    int64_t d[MAXR], sh[MAXR], acc[MAXR];          /* accumulate stage */
    uint64_t cmp[MAXR];
    int64_t pre[MAXR], code[MAXR];
    int64_t y[MAXR], skipv[MAXR], u[MAXR];
    int64_t pool[MAXR];
    int64_t score[64], mul, sadd, best, cls;
    /* pipeline registers: the weight register, the activation word, the
     * stage control registers (FETCH, POP, ACC-done, RQ, ADD, THR) */
    uint8_t ws[MAXR][MAXL], wm[MAXR][MAXL], wx[MAXR][MAXL], x[MAXL]; /* wx: exponent */
    uint64_t ctl_fetch, ctl_pop, ctl_done, ctl_rq, ctl_add, ctl_thr;
    /* controller: the loop counters, the layer counter, the valid bits; its
     * datapath's: run state, descriptor, running indices, write-back */
    uint64_t counters, layer, valid;
    uint64_t running, issuing, desc[DESC_N], vi, wi, wt, bo;
    uint64_t wr_pending, wr_t, wr_p, wr_rows, wr_addr, wr_skip, wr_bits, wr_plane, wr_wskip,
        wr_side;
};

/* What the controller's registers are sized by, from the design: widths
 * (costmodels/units.h), an activation bank's bits, the skip buffer's layout. */
struct ctl_info {
    struct cm_hw hw; /* resolved */
    struct cm_ctl_widths w;
    long long bank_bits;
    long long skip_base[CM_MAX_LAYERS];
};

/* A register of w bits loads v: its toggles. */
static unsigned load(uint64_t *r, uint64_t v, int w)
{
    v &= mask_bits(w);
    unsigned h = hamming(*r, v);
    *r = v;
    return h;
}

/* The first non-side layer reading map src (0 the image, k layer k's
 * output), whose layout the map takes in its bank; -1 when none. */
static int reader_of(const struct nn_qnn *m, int src)
{
    for (int j = 0; j < m->n_layers; j++)
        if (m->layers[j].src == src && !nn_qnn_is_side(m, j))
            return j;
    return -1;
}

/* Layer j's input map layout: padded height and width. */
static void layout(const struct nn_qnn_layer *L, int *hp, int *wp, int *pad)
{
    *pad = L->op == NN_QNN_CONV ? L->pad : 0;
    *hp = L->in_h + 2 * *pad;
    *wp = L->in_w + 2 * *pad;
}

static double g_count[CM_MAX_LAYERS][CM_N_UNITS];
static long long g_replay_cycles[CM_MAX_LAYERS]; /* the valid-bit replay's cycles, one image */

/* The controller's valid bits, one per stage register (bit 0 FETCH, 1 POP,
 * 2 ACC's output done, 3 RQ, 4 ADD, 5 THR, 6 the class walk, 7 MUL, 8 the
 * score ADD), replayed cycle by cycle from the stage table of
 * docs/accelerator.md: issue i enters FETCH at the end of cycle i + 1 (cycle
 * 0 is CONFIG) and moves one stage a cycle; an output's last issue goes on
 * past ACC; the scores layer's WRITE starts the class walk, one class a
 * cycle through MUL and ADD. The layer ends at the first cycle after the
 * issues in which no valid bit is set. Returns the toggles; *cycles is the
 * layer's cycle count, CONFIG included. */
static double replay_valid(uint64_t *valid, long long N, long long per, int kind_res,
                           int scores, int classes, long long *cycles)
{
#define LAST(i) ((i) >= 0 && (i) < N && (i) % per == per - 1)
    double tog = hamming(*valid, 0); /* CONFIG clears them */
    *valid = 0;
    long long walk_start = -1; /* the cycle whose WRITE starts the walk */
    for (long long k = 1;; k++) {
        uint64_t v = 0;
        v |= (uint64_t)(k <= N);                       /* FETCH: issue k - 1 */
        v |= (uint64_t)(k >= 2 && k <= N + 1) << 1;    /* POP: issue k - 2 */
        v |= (uint64_t)LAST(k - 3) << 2;               /* ACC done: issue k - 3 */
        if (scores) {
            if (LAST(k - 4) && k - 4 == N - 1)          /* WRITE of the last output */
                walk_start = k;
            if (walk_start >= 0) {
                long long w = k - walk_start;           /* classes walked so far */
                v |= (uint64_t)(w < classes) << 6;
                v |= (uint64_t)(w >= 1 && w <= classes) << 7;
                v |= (uint64_t)(w >= 2 && w <= classes + 1) << 8;
            }
        } else if (kind_res) {
            v |= (uint64_t)LAST(k - 4) << 3 | (uint64_t)LAST(k - 5) << 4 |
                 (uint64_t)LAST(k - 6) << 5;
        } else {
            v |= (uint64_t)LAST(k - 4) << 5;
        }
        tog += hamming(v, *valid);
        *valid = v;
        if (k >= N && v == 0) {
            *cycles = k + 1;
            return tog;
        }
    }
#undef LAST
}

/* The value of input (y, x, c) of layer l; 0 and invalid outside the map. */
static int input_value(const struct nn_qnn *m, const struct nn_infer_ws *ws, const uint8_t *px,
                       int l, int y, int x, int c, int *valid)
{
    const struct nn_qnn_layer *L = &m->layers[l];
    *valid = y >= 0 && y < L->in_h && x >= 0 && x < L->in_w;
    if (!*valid)
        return 0;
    size_t i = ((size_t)y * L->in_w + x) * L->in_c + c;
    return l == 0 ? px[i] : ws->act[l - 1][i];
}

/* The lanes of chunk q at output (oy, ox): valid bit and activation plane b. */
static void lane_inputs(const struct nn_qnn *m, const struct nn_infer_ws *ws, const uint8_t *px,
                        int l, int oy, int ox, int q, int b, int lanes, uint8_t *valid,
                        uint8_t *xbit)
{
    const struct nn_qnn_layer *L = &m->layers[l];
    int fan = nn_qnn_fan_in(L);
    for (int i = 0; i < lanes; i++) {
        int f = q * lanes + i, v = 0, val = 0;
        if (f < fan) {
            if (L->op == NN_QNN_DENSE) {
                v = 1;
                val = l == 0 ? px[f] : ws->act[l - 1][f];
            } else {
                int ky = f / (L->k * L->in_c), rem = f % (L->k * L->in_c);
                int kx = rem / L->in_c, c = rem % L->in_c;
                val = input_value(m, ws, px, l, oy * L->stride - L->pad + ky,
                                  ox * L->stride - L->pad + kx, c, &v);
            }
        }
        valid[i] = (uint8_t)v;
        if (L->in_code == NN_CODE_SIGN)
            xbit[i] = (uint8_t)(v && val > 0);
        else
            xbit[i] = (uint8_t)(v && ((val >> b) & 1));
    }
}

/* The output positions in issue order (pool-window-major). */
static int positions(const struct nn_qnn_layer *L, int *oy, int *ox)
{
    int k = L->pool > 1 ? L->pool : 1, ph = L->out_h / k, pw = L->out_w / k, n = 0;
    for (int wy = 0; wy < ph; wy++)
        for (int wx = 0; wx < pw; wx++)
            for (int i = 0; i < k * k; i++) {
                oy[n] = wy * k + i / k;
                ox[n] = wx * k + i % k;
                n++;
            }
    return n;
}

static int64_t floor_shift(int64_t v, int s) { return v >= 0 ? v >> s : -((-(v + 1)) >> s) - 1; }
static int64_t satr(int64_t v, int bits)
{
    int64_t hi = ((int64_t)1 << (bits - 1)) - 1, lo = -hi - 1;
    return v < lo ? lo : v > hi ? hi : v;
}

/* Recounts one image through every layer into g_count. */

/* The shift path: a shift PE (E > 1), weights 0 or +-2^e, more than one
 * plane. */
static int shift_path(const struct nn_qnn_layer *L, int E)
{
    int shift = E > 1 && (L->w_code == NN_WCODE_SIGNMAG || L->w_code == NN_WCODE_POW2) &&
                L->w_mag_bits >= 2 && L->w_mag_bits <= E;
    for (size_t i = 0; shift && i < (size_t)L->out_c * nn_qnn_fan_in(L); i++) {
        int a = L->w[i] < 0 ? -L->w[i] : L->w[i];
        shift = (a & (a - 1)) == 0;
    }
    return shift;
}

static void recount_image(const struct nn_qnn *m, const struct cm_hw *hw,
                          const struct ctl_info *ci, const struct nn_infer_ws *ws,
                          const uint8_t *px, struct regs *s)
{
    const struct cm_ctl_widths *cw = &ci->w;
    const int add_design = ci->hw.merge == CM_MERGE_ADD;
    const int code_design = ci->hw.pow2_words == CM_POW2_CODE && ci->hw.pe == CM_PE_BITPLANE;
    long long b_w = 0, b_pos = 0, b_chunk = 0, b_valid = 0, b_thr = 0, b_rq = 0;
    int in_bank[CM_MAX_LAYERS];
    const int R = hw->pe_rows, lanes = hw->lanes, A = hw->acc_bits;
    int pop_bits = 0;
    while ((1LL << pop_bits) <= lanes)
        pop_bits++;
    /* a shift PE: E tree pairs, the subtractor pop_bits + E bits wide */
    const int E = hw->pe == CM_PE_SHIFT ? hw->max_w_bits : 1;
    const int xnor = hw->pe == CM_PE_XNOR;
    const uint64_t amask = mask_bits(A), dmask = mask_bits(pop_bits + E);
    static int oy[4096], ox[4096];
    /* a design whose fetch unit decodes pow2 codes (a pow2 layer on the bit
     * planes) registers the decoded magnitude bits: pipeline flip-flops;
     * otherwise the weight word is the weight buffer's read register */
    int mag_reg = 0;
    for (int l = 0; l < m->n_layers; l++)
        mag_reg |= hw->pe == CM_PE_BITPLANE && hw->pow2_words == CM_POW2_CODE &&
                   m->layers[l].w_code == NN_WCODE_POW2;
    for (int l = 0; l < m->n_layers; l++) {
        const struct nn_qnn_layer *L = &m->layers[l];
        double *cnt = g_count[l];
        const int fan = nn_qnn_fan_in(L), T = (L->out_c + R - 1) / R, Q = (fan + lanes - 1) / lanes;
        const int shift = shift_path(L, E);
        const int Bw = L->w_code == NN_WCODE_BINARY || shift ? 1 : L->w_mag_bits;
        const int Ba = L->in_bits;
        const int P = positions(L, oy, ox), k = L->pool > 1 ? L->pool : 1;
        const int scores = L->out_kind == NN_OUT_SCORES, nt = L->n_thr;
        const int bitmerge = L->merge == NN_MERGE_OR || L->merge == NN_MERGE_MUX;
        /* the layer counter stepped into this layer at its CONFIG edge (from
         * the previous image's last layer for layer 1), and the loop
         * counters clear */
        cnt[CM_U_CONTROL] += hamming(s->layer, (uint64_t)l) + hamming(s->counters, 0);
        s->layer = (uint64_t)l;
        s->counters = 0;
        /* the controller's datapath in CONFIG: running (set in the first
         * layer's), issuing, the descriptor, the running indices cleared,
         * the write-back's copies of the descriptor */
        const int wcode = code_design && L->w_code == NN_WCODE_POW2 && !shift;
        in_bank[l] = L->src == 0 ? 0 : in_bank[L->src - 1] ^ 1;
        const int side = nn_qnn_is_side(m, l), rd_in = side ? reader_of(m, L->src) : l;
        const int rd_out = reader_of(m, l + 1);
        int hp, wp, pad, ohp = 0, owp = 0, opad = 0;
        layout(&m->layers[rd_in >= 0 ? rd_in : l], &hp, &wp, &pad);
        const uint64_t in_plane = (uint64_t)hp * wp * m->layers[rd_in >= 0 ? rd_in : l].in_c;
        if (rd_out >= 0)
            layout(&m->layers[rd_out], &ohp, &owp, &opad);
        const uint64_t out_plane = rd_out >= 0 && !scores
                                       ? (uint64_t)ohp * owp * m->layers[rd_out].in_c : 0;
        int writes_skip = 0, skip_add = 0;
        for (int j = l + 1; j < m->n_layers; j++)
            if (m->layers[j].merge != NN_MERGE_NONE && m->layers[j].skip == l + 1) {
                writes_skip = 1;
                skip_add = m->layers[j].merge == NN_MERGE_ADD;
            }
        const struct {
            uint64_t v;
            int w;
        } desc[DESC_N] = {
            {scores, 1}, {(uint64_t)T, cw->tile}, {(uint64_t)P, cw->pos}, {(uint64_t)Q, cw->chunk},
            {(uint64_t)Bw, 8}, {(uint64_t)Ba, 8}, {(uint64_t)in_bank[l], 1},
            {L->in_code == NN_CODE_SIGN, 1}, {in_plane, cw->bank}, {out_plane, cw->bank},
            {scores ? 0 : (uint64_t)L->out_bits, 8}, {(uint64_t)L->out_c, cw->tile},
            {(uint64_t)b_w, cw->weight}, {(uint64_t)b_pos, cw->pos},
            {(uint64_t)b_chunk, cw->chunk}, {(uint64_t)b_valid, cw->valid},
            {(uint64_t)b_thr, cw->tile}, {l == m->n_layers - 1, 1}, {(uint64_t)L->merge, 2},
            {L->mux_variant == NN_MUX_SEL, 1},
            {L->merge != NN_MERGE_NONE ? (uint64_t)m->layers[L->skip - 1].out_c : 0, cw->tile},
            {(uint64_t)writes_skip, 1}, {(uint64_t)side, 1}, {L->res != 0, add_design},
            {L->res ? (uint64_t)L->rq_shift : 0, add_design ? 6 : 0},
            {(uint64_t)b_rq, add_design ? cw->rq : 0}, {(uint64_t)wcode, code_design},
            {(uint64_t)shift, ci->hw.pe == CM_PE_SHIFT}};
        if (l == 0)
            cnt[CM_U_CONTROL] += load(&s->running, 1, 1);
        cnt[CM_U_CONTROL] += load(&s->issuing, 1, 1);
        for (int k = 0; k < DESC_N; k++)
            cnt[CM_U_CONTROL] += load(&s->desc[k], desc[k].v, desc[k].w);
        cnt[CM_U_CONTROL] += load(&s->vi, 0, 64) + load(&s->wi, 0, 64) + load(&s->wt, 0, 64) +
                             load(&s->bo, 0, 64);
        cnt[CM_U_CONTROL] += load(&s->wr_bits, desc[10].v, 8) +
                             load(&s->wr_plane, out_plane, cw->bank) +
                             load(&s->wr_wskip, (uint64_t)writes_skip, 1) +
                             load(&s->wr_side, (uint64_t)side, 1);
        /* the pooled word pending from the last layer's last output clears */
        cnt[CM_U_CONTROL] += load(&s->wr_pending, 0, 1);
        b_w += (long long)T * Q * (wcode ? 1 : Bw);
        b_pos += P;
        b_chunk += Q;
        b_valid += (long long)P * Q;
        b_thr += scores ? 0 : T;
        b_rq += L->res ? T : 0;
        const long long per = (long long)Q * Bw * Ba;
        for (int t = 0; t < T; t++) {
            const int c0 = t * R, n = L->out_c - c0 < R ? L->out_c - c0 : R;
            for (int p = 0; p < P; p++) {
                /* the issues of output (t, p) */
                for (int q = 0; q < Q; q++)
                    for (int j = 0; j < Bw; j++)
                        for (int b = 0; b < Ba; b++) {
                            uint8_t valid[MAXL], xb[MAXL];
                            lane_inputs(m, ws, px, l, oy[p], ox[p], q, b, lanes, valid, xb);
                            /* the controller's counters and the control bits
                             * through FETCH, POP and ACC (every issue) */
                            uint64_t cn = (uint64_t)b | (uint64_t)j << 4 | (uint64_t)q << 8 |
                                          (uint64_t)p << 24 | (uint64_t)t << 48;
                            cnt[CM_U_CONTROL] += hamming(s->counters, cn);
                            s->counters = cn;
                            cnt[CM_U_CONTROL] +=
                                load(&s->vi, (uint64_t)p * Q + q, cw->valid) +
                                load(&s->wi, ((uint64_t)t * Q + q) * Bw + j, cw->weight) +
                                load(&s->wt, (uint64_t)t * Q * Bw, cw->weight) +
                                load(&s->bo, (uint64_t)b * in_plane, cw->bank);
                            int first_i = q == 0 && j == 0 && b == 0;
                            int last_i = q == Q - 1 && j == Bw - 1 && b == Ba - 1;
                            uint64_t bits = (uint64_t)(b + j) | (uint64_t)first_i << 4 |
                                            (uint64_t)last_i << 5 | (uint64_t)t << 6 |
                                            (uint64_t)p << 22;
                            cnt[CM_U_PIPEREG] += hamming(s->ctl_fetch, bits) +
                                                 hamming(s->ctl_pop, bits) +
                                                 hamming(s->ctl_done, bits);
                            s->ctl_fetch = s->ctl_pop = s->ctl_done = bits;
                            if (last_i && !scores) { /* the output goes on: RQ, ADD, THR */
                                if (L->res) {
                                    cnt[CM_U_MERGE] += hamming(s->ctl_rq, bits) +
                                                       hamming(s->ctl_add, bits);
                                    s->ctl_rq = s->ctl_add = bits;
                                }
                                cnt[CM_U_PIPEREG] += hamming(s->ctl_thr, bits);
                                s->ctl_thr = bits;
                            }
                            /* the activation word register */
                            for (int i = 0; i < lanes; i++) {
                                cnt[CM_U_PIPEREG] += xb[i] != s->x[i];
                                s->x[i] = xb[i];
                            }
                            uint8_t g[MAXL], f[MAXL];
                            for (int i = 0; i < lanes; i++) {
                                int sign = L->in_code == NN_CODE_SIGN;
                                g[i] = sign ? valid[i] : xb[i];
                                f[i] = sign ? !xb[i] : 0;
                                /* an XNOR PE's gating also drives NOT g */
                                cnt[CM_U_ARRAY] += (g[i] != s->g[i]) * (xnor ? 2 : 1) +
                                                   (f[i] != s->f[i]);
                                s->g[i] = g[i];
                                s->f[i] = f[i];
                            }
                            if (xnor) { /* the shared count of the gate bits */
                                int64_t ng = 0;
                                for (int i = 0; i < lanes; i++)
                                    ng += g[i];
                                cnt[CM_U_POPCOUNT] += hamming((uint64_t)ng, (uint64_t)s->cnt);
                                cnt[CM_U_PIPEREG] += hamming((uint64_t)ng, (uint64_t)s->cnt);
                                s->cnt = ng;
                            }
                            for (int r = 0; r < R; r++) {
                                int c = c0 + r;
                                int64_t pc[E_MAX] = {0}, nc[E_MAX] = {0};
                                for (int i = 0; i < lanes; i++) {
                                    int fi = q * lanes + i, sb = 0, mb = 0, ex = 0;
                                    if (c < L->out_c && fi < fan) {
                                        int w = L->w[(size_t)c * fan + fi], mag = w < 0 ? -w : w;
                                        sb = w < 0;
                                        int code = 0; /* 0, or e + 1 for +-2^e */
                                        for (int a = mag; a > 0; a >>= 1)
                                            code++;
                                        if (shift) { /* the code: bit 0, bits 1.. */
                                            mb = code & 1;
                                            ex = code >> 1;
                                        } else if (L->w_code == NN_WCODE_OFFSET) {
                                            /* pass j: the binary plane c_j */
                                            sb = !(((w + L->w_max) / 2 >> j) & 1);
                                            mb = 1;
                                        } else if (L->w_code == NN_WCODE_POW2) {
                                            mb = code == j + 1; /* the fetch's decoder */
                                        } else {
                                            mb = L->w_code == NN_WCODE_BINARY ? 1 : (mag >> j) & 1;
                                        }
                                    }
                                    if (b == 0) { /* the weight word loads: the weight
                                                     * buffer's read register, but
                                                     * for decoded magnitude bits */
                                        cnt[CM_U_PIPEREG] += mag_reg && mb != s->wm[r][i];
                                        s->ws[r][i] = (uint8_t)sb;
                                        s->wm[r][i] = (uint8_t)mb;
                                        s->wx[r][i] = (uint8_t)ex;
                                    }
                                    /* the register's code k = (ex, mb) decoded: tree e
                                     * for k = e + 1, none for 0 (a bit-plane pass: k = m) */
                                    int kr = mb | ex << 1, nn = sb ^ f[i];
                                    if (xnor) { /* t = g AND NOT (s XOR f), one tree */
                                        uint8_t t = (uint8_t)(g[i] & !nn);
                                        cnt[CM_U_ARRAY] += t != s->lpos[r][0][i];
                                        s->lpos[r][0][i] = t;
                                        pc[0] += t;
                                        continue;
                                    }
                                    for (int e = 0; e < E; e++) { /* routed to tree pair k - 1 */
                                        uint8_t a = (uint8_t)(g[i] & !nn & (kr == e + 1));
                                        uint8_t bb = (uint8_t)(g[i] & nn & (kr == e + 1));
                                        cnt[CM_U_ARRAY] += (a != s->lpos[r][e][i]) +
                                                           (bb != s->lneg[r][e][i]);
                                        s->lpos[r][e][i] = a;
                                        s->lneg[r][e][i] = bb;
                                        pc[e] += a;
                                        nc[e] += bb;
                                    }
                                }
                                /* the trees' outputs, latched in the POP registers; the
                                 * shift-add d = sum_e (pos_e - neg_e) 2^e */
                                int64_t d = 0;
                                for (int e = 0; e < E; e++) {
                                    double tp = hamming((uint64_t)pc[e], (uint64_t)s->pos[r][e]) +
                                                hamming((uint64_t)nc[e], (uint64_t)s->neg[r][e]);
                                    cnt[CM_U_POPCOUNT] += tp;
                                    cnt[CM_U_PIPEREG] += tp;
                                    s->pos[r][e] = pc[e];
                                    s->neg[r][e] = nc[e];
                                    d += (pc[e] - nc[e]) * ((int64_t)1 << e);
                                }
                                if (xnor) /* d = 2 pos - cnt */
                                    d = 2 * pc[0] - s->cnt;
                                int64_t sh = sext((uint64_t)d << (b + j), A);
                                int first = q == 0 && j == 0 && b == 0;
                                int64_t a = sext((uint64_t)((first ? 0 : s->acc[r]) + sh), A);
                                cnt[CM_U_ACCUM] +=
                                    hamming((uint64_t)d & dmask, (uint64_t)s->d[r] & dmask) +
                                    hamming((uint64_t)sh & amask, (uint64_t)s->sh[r] & amask) +
                                    hamming((uint64_t)a & amask, (uint64_t)s->acc[r] & amask);
                                s->d[r] = d;
                                s->sh[r] = sh;
                                s->acc[r] = a;
                            }
                        }
                /* the write-back takes the output's tags and addresses as it
                 * passes; its pending bit is the output's window-last */
                {
                    const uint64_t tR = ((uint64_t)t * R) & mask_bits(cw->tile);
                    const int py = oy[p] / k, px_ = ox[p] / k;
                    const int last = oy[p] % k == k - 1 && ox[p] % k == k - 1;
                    uint64_t out = 0, skw = 0;
                    if (!scores && rd_out >= 0)
                        out = ((uint64_t)(py + opad) * owp + (px_ + opad)) *
                              (uint64_t)m->layers[rd_out].in_c;
                    if (writes_skip && skip_add)
                        skw = (uint64_t)ci->skip_base[l] +
                              ((uint64_t)oy[p] * L->out_w + ox[p]) * L->out_c;
                    else if (writes_skip && last)
                        skw = (uint64_t)ci->skip_base[l] +
                              ((uint64_t)py * (L->out_w / k) + px_) * L->out_c;
                    cnt[CM_U_CONTROL] +=
                        load(&s->wr_t, (uint64_t)t, cw->tile) +
                        load(&s->wr_p, (uint64_t)p, cw->pos) +
                        load(&s->wr_rows, (uint64_t)L->out_c - tR, cw->tile) +
                        load(&s->wr_addr, (in_bank[l] ? 0 : (uint64_t)ci->bank_bits) + out + tR,
                             cw->bank) +
                        load(&s->wr_skip, skw + tR, cw->skip);
                    if (per > 1) /* idle cycles between outputs */
                        cnt[CM_U_CONTROL] += load(&s->wr_pending, 0, 1);
                    cnt[CM_U_CONTROL] += load(&s->wr_pending, (uint64_t)(last && !scores), 1);
                }
                /* the output's value through the post units (golden values) */
                const size_t at = ((size_t)oy[p] * L->out_w + ox[p]) * L->out_c + c0;
                if (scores) {
                    for (int r = 0; r < n; r++) {
                        int64_t v = ws->acc[l][at + r];
                        cnt[CM_U_SCORE] += hamming((uint64_t)v & amask,
                                                   (uint64_t)s->score[c0 + r] & amask);
                        s->score[c0 + r] = v;
                    }
                    continue;
                }
                for (int r = 0; r < n; r++) {
                    int64_t v = ws->acc[l][at + r];
                    if (L->res) {
                        int64_t y = satr(floor_shift(L->rq_mul[c0 + r] * v + L->rq_add[c0 + r],
                                                     L->rq_shift), L->res_bits);
                        int64_t sk = L->merge == NN_MERGE_ADD ? ws->res[l - 1][at + r] : 0;
                        int64_t u = ws->res[l][at + r];
                        uint64_t mk = mask_bits(L->res_bits);
                        cnt[CM_U_MERGE] += hamming((uint64_t)y & mk, (uint64_t)s->y[r] & mk) +
                                           hamming((uint64_t)sk & mk, (uint64_t)s->skipv[r] & mk) +
                                           hamming((uint64_t)u & mk, (uint64_t)s->u[r] & mk);
                        s->y[r] = y;
                        s->skipv[r] = sk;
                        s->u[r] = u;
                        v = u;
                    }
                    uint64_t cmp = 0;
                    for (int j = 0; j < nt; j++)
                        cmp |= (uint64_t)(satr(L->thr[(size_t)(c0 + r) * nt + j], A) <= v) << j;
                    int64_t pre = __builtin_popcountll(cmp);
                    cnt[CM_U_THRESH] += hamming(cmp, s->cmp[r]) +
                                        hamming((uint64_t)pre, (uint64_t)s->pre[r]);
                    s->cmp[r] = cmp;
                    s->pre[r] = pre;
                    int64_t code = pre;
                    if (bitmerge) {
                        int64_t sk = ws->act[l - 1][at + r];
                        if (L->merge == NN_MERGE_OR)
                            code = pre | sk;
                        else if (L->mux_sel[c0 + r])
                            code = L->mux_variant == NN_MUX_SEL ? sk : (pre | sk);
                        cnt[CM_U_MERGE] += hamming((uint64_t)code, (uint64_t)s->code[r]);
                    }
                    cnt[CM_U_PIPEREG] += hamming((uint64_t)code, (uint64_t)s->code[r]);
                    s->code[r] = code;
                    int first = oy[p] % k == 0 && ox[p] % k == 0;
                    int64_t mx = first || code > s->pool[r] ? code : s->pool[r];
                    cnt[CM_U_POOL] += hamming((uint64_t)mx, (uint64_t)s->pool[r]);
                    s->pool[r] = mx;
                }
            }
        }
        /* the loop counters wrap to 0 after the last issue; the valid bits */
        cnt[CM_U_CONTROL] += hamming(s->counters, 0);
        s->counters = 0;
        /* and the running indices past the last issue; issuing clears; the
         * last layer's end clears running */
        cnt[CM_U_CONTROL] += load(&s->vi, 0, 64) + load(&s->bo, 0, 64) +
                             load(&s->wi, (uint64_t)T * Q * Bw, cw->weight) +
                             load(&s->wt, (uint64_t)T * Q * Bw, cw->weight) +
                             load(&s->issuing, 0, 1);
        if (l == m->n_layers - 1)
            cnt[CM_U_CONTROL] += load(&s->running, 0, 1);
        cnt[CM_U_CONTROL] += replay_valid(&s->valid, per * T * P, per, L->res != 0, scores,
                                          L->out_c, &g_replay_cycles[l]);
        if (scores) /* the class walk: MUL, ADD, ARGMAX */
            for (int c = 0; c < L->out_c; c++) {
                int64_t mul = L->rq_mul[c] * s->score[c], sum = mul + L->rq_add[c];
                cnt[CM_U_SCORE] += hamming((uint64_t)mul, (uint64_t)s->mul) +
                                   hamming((uint64_t)sum, (uint64_t)s->sadd);
                s->mul = mul;
                s->sadd = sum;
                int64_t best = s->best, cls = s->cls;
                if (c == 0 || sum > best) {
                    best = sum;
                    cls = c;
                }
                cnt[CM_U_SCORE] += hamming((uint64_t)best, (uint64_t)s->best) +
                                   hamming((uint64_t)cls, (uint64_t)s->cls);
                s->best = best;
                s->cls = cls;
            }
    }
}

static const int recounted[] = {CM_U_ARRAY, CM_U_POPCOUNT, CM_U_ACCUM,   CM_U_THRESH, CM_U_MERGE,
                                CM_U_POOL,  CM_U_SCORE,    CM_U_PIPEREG, CM_U_CONTROL};

static void compare(const struct nn_qnn *m, const struct cm_hw *hw, const uint8_t *px, int n,
                    const char *what)
{
    struct sim *s;
    struct sim_error err;
    enum sim_status st = test_sim_open(&s, m, hw, NULL, &err);
    TU_CHECK(st == SIM_OK, "%s: sim_open: %s", what, err.msg);
    if (st != SIM_OK)
        return;
    const size_t img = (size_t)m->in_h * m->in_w * m->in_c;
    st = sim_run(s, px, n, NULL, NULL, &err);
    TU_CHECK(st == SIM_OK && !sim_stats(s)->has_mismatch, "%s: sim_run: %s", what, err.msg);
    const struct sim_stats *ss = sim_stats(s);
    struct nn_infer_ws ws;
    struct nn_error nerr;
    nn_infer_ws_init(&ws, m, &nerr);
    static struct regs r;
    memset(&r, 0, sizeof r);
    struct ctl_info ci;
    const struct cm_design *d = sim_design(s);
    ci.hw = d->hw;
    cm_ctl_widths_of(d->hw.pe_rows, &d->ctl_sizes, &ci.w);
    ci.bank_bits = d->ctl_sizes.bank_bits;
    {
        struct cm_lib lib;
        cm_lib_default(&lib);
        struct cm_design *d2 = malloc(sizeof *d2);
        struct cm_net net;
        struct cm_layer *layers = NULL;
        char msg[256];
        TU_CHECK(d2 && sw_design_for_qnn(m, hw, &lib, d2, &net, &layers, msg, sizeof msg) == 0,
                 "%s: the network's skip layout", what);
        cm_net_skip_layout(&net, ci.skip_base);
        free(layers);
        free(d2);
    }
    memset(g_count, 0, sizeof g_count);
    for (int i = 0; i < n; i++) {
        nn_infer_image(m, &ws, px + img * i);
        recount_image(m, hw, &ci, &ws, px + img * i, &r);
    }
    double worst = 0;
    for (int l = 0; l < m->n_layers; l++)
        for (size_t k = 0; k < sizeof recounted / sizeof recounted[0]; k++) {
            int u = recounted[k];
            double got = ss->layer[l].toggles[u], want = g_count[l][u];
            double diff = got > want ? got - want : want - got;
            worst = diff > worst ? diff : worst;
            TU_CHECK(got == want, "%s: layer %d %s: %.0f toggles simulated, %.0f recounted",
                     what, l + 1, cm_unit_kind_name((enum cm_unit_kind)u), got, want);
        }
    for (int l = 0; l < m->n_layers; l++)
        TU_CHECK(ss->layer[l].cycles == g_replay_cycles[l] * n,
                 "%s: layer %d: %lld cycles simulated, the valid-bit replay %lld x %d images",
                 what, l + 1, ss->layer[l].cycles, g_replay_cycles[l], n);
    nn_infer_ws_free(&ws);
    sim_close(s);
}

static struct lspec hidden(uint64_t *rng, int out_c, int merge, int fam_binary)
{
    struct lspec s = {0};
    s.op = NN_QNN_CONV;
    s.k = merge ? 3 : rng_int(rng, 1, 3);
    s.stride = merge ? 1 : rng_int(rng, 1, 2);
    s.pad = merge ? 1 : rng_int(rng, 0, s.k - 1);
    s.out_c = out_c;
    switch (rng_int(rng, 0, 5)) {
    case 0:
    case 1: s.w_code = NN_WCODE_BINARY; s.w_max = 1; break;
    case 2: s.w_code = NN_WCODE_POW2; s.w_max = 1 << rng_int(rng, 0, 2); break;
    case 3: s.w_code = NN_WCODE_OFFSET; s.w_max = (1 << rng_int(rng, 1, 2)) - 1; break;
    default: s.w_code = NN_WCODE_SIGNMAG; s.w_max = rng_int(rng, 1, 3); break;
    }
    s.out_kind = NN_OUT_THRESH;
    if (fam_binary) {
        s.out_code = NN_CODE_BIN01;
        s.out_bits = 1;
    } else if (rng_int(rng, 0, 1)) {
        s.out_code = NN_CODE_SIGN;
        s.out_bits = 1;
    } else {
        s.out_code = NN_CODE_UINT;
        s.out_bits = rng_int(rng, 2, 3);
    }
    s.merge = merge;
    s.mux_variant = rng_int(rng, 0, 1);
    return s;
}

/* A small network: conv, then a merging conv (or/mux/none/add), maybe a
 * pooled conv, then dense scores. */
static void small_net(struct nn_qnn *m, uint64_t *rng, int family)
{
    model_init(m, rng_int(rng, 4, 7), rng_int(rng, 4, 7), rng_int(rng, 1, 2), rng_int(rng, 2, 6));
    int c = rng_int(rng, 2, 9), binary = family == NN_MERGE_OR || family == NN_MERGE_MUX;
    struct lspec a = hidden(rng, c, 0, binary);
    a.k = 3;
    a.pad = 1;
    a.stride = 1;
    if (family == NN_MERGE_ADD) {
        a.res = 1;
        a.res_bits = 8;
        a.res_frac = 2;
    }
    add_layer(m, a, rng);
    struct lspec b = hidden(rng, c, family, binary);
    if (family == NN_MERGE_ADD) {
        b.res = 1;
        b.res_bits = 8;
        b.res_frac = 2;
    }
    b.pool = rng_int(rng, 0, 1) ? 2 : 0;
    add_layer(m, b, rng);
    struct lspec sc = {.op = NN_QNN_DENSE, .out_c = m->n_class, .out_kind = NN_OUT_SCORES,
                       .w_code = NN_WCODE_SIGNMAG, .w_max = 2};
    add_layer(m, sc, rng);
}

int main(void)
{
    uint64_t rng = 0x70661e5u;
    printf("SystemC %s\n", sim_systemc_version());
    static const int fams[] = {NN_MERGE_NONE, NN_MERGE_OR, NN_MERGE_MUX, NN_MERGE_ADD};
    static const int lanes[] = {5, 16, 64, 70, 128};
    int nets = 0, shift_nets = 0, xnor_nets = 0;
    for (int i = 0; i < 80; i++) {
        /* networks 40..59: power-of-two weights on shift PE designs; 60..79:
         * binary weights on XNOR PE designs */
        const int shift = i >= 40 && i < 60, xnor = i >= 60;
        struct nn_qnn m;
        small_net(&m, &rng, fams[i % 4]);
        for (int l = 0; xnor && l < m.n_layers; l++) {
            struct nn_qnn_layer *L = &m.layers[l];
            if (L->w_code == NN_WCODE_OFFSET)
                continue;  /* binary planes: the XNOR PE runs them too */
            for (size_t k = 0; k < (size_t)L->out_c * nn_qnn_fan_in(L); k++)
                L->w[k] = (int8_t)(L->w[k] < 0 ? -1 : 1);
            L->w_code = NN_WCODE_BINARY;
            L->w_max = 1;
            L->w_mag_bits = 0;
        }
        for (int l = 0; shift && l < m.n_layers; l++) {
            struct nn_qnn_layer *L = &m.layers[l];
            for (size_t k = 0; L->w_code == NN_WCODE_SIGNMAG &&
                               k < (size_t)L->out_c * nn_qnn_fan_in(L); k++)
                if (L->w[k] == 3 || L->w[k] == -3)
                    L->w[k] = (int8_t)(L->w[k] / 3 * 2);
        }
        struct nn_error nerr;
        if (nn_qnn_validate(&m, &nerr) != NN_OK) {
            TU_CHECK(0, "network %d: invalid: %s", i, nerr.msg);
            nn_qnn_free(&m);
            continue;
        }
        struct cm_hw hw;
        cm_hw_defaults(&hw);
        hw.pe_rows = rng_int(&rng, 1, MAXR);
        hw.lanes = lanes[rng_int(&rng, 0, 4)];
        hw.acc_bits = acc_bits_needed(&m) + rng_int(&rng, 0, 2);
        hw.max_act_bits = 8;
        hw.max_w_bits = 7;
        hw.merge = CM_MERGE_AUTO;
        hw.res_bits = 32;
        hw.rq_mul_bits = 40;
        hw.act_kbits = hw.weight_kbits = hw.skip_kbits = 0.0;
        if (shift) {
            hw.pe = CM_PE_SHIFT;
            hw.max_w_bits = rng_int(&rng, 2, E_MAX);
            int bits = 0;
            while ((1 << bits) <= hw.lanes)
                bits++;
            if (hw.acc_bits < bits + hw.max_w_bits)
                hw.acc_bits = bits + hw.max_w_bits;
            shift_nets++;
        }
        if (xnor) {
            hw.pe = CM_PE_XNOR;
            xnor_nets++;
        }
        size_t img = (size_t)m.in_h * m.in_w * m.in_c;
        uint8_t px[3 * 7 * 7 * 2];
        for (size_t k = 0; k < 3 * img; k++)
            px[k] = (uint8_t)rng_int(&rng, 0, 255);
        char what[128];
        snprintf(what, sizeof what, "network %d (merge %d, %d PEs x %d lanes, %s PE, %d exponents)",
                 i, fams[i % 4], hw.pe_rows, hw.lanes, cm_pe_kind_name(hw.pe),
                 cm_hw_exponents(&hw));
        compare(&m, &hw, px, 3, what);
        nets++;

        /* invariant: an all-zero image leaves layer 1's lane logic, popcounts
         * and accumulators at their reset values */
        memset(px, 0, sizeof px);
        struct sim *s;
        struct sim_error err;
        if (test_sim_open(&s, &m, &hw, NULL, &err) == SIM_OK) {
            sim_run(s, px, 1, NULL, NULL, &err);
            const struct sim_stats *st = sim_stats(s);
            TU_CHECK(st->layer[0].toggles[CM_U_ARRAY] == 0 &&
                         st->layer[0].toggles[CM_U_POPCOUNT] == 0 &&
                         st->layer[0].toggles[CM_U_ACCUM] == 0,
                     "%s: a zero image toggles layer 1 (array %.0f, popcount %.0f, accum %.0f)",
                     what, st->layer[0].toggles[CM_U_ARRAY], st->layer[0].toggles[CM_U_POPCOUNT],
                     st->layer[0].toggles[CM_U_ACCUM]);
            sim_close(s);
        }
        nn_qnn_free(&m);
    }
    printf("recounted the toggles of %d networks (or, mux, add, none; 3 images each; %d on shift "
           "PE designs, %d binary on XNOR PE designs): array, popcount, accum, thresh, merge, "
           "pool, score, pipeline registers, control per layer, exactly\n", nets, shift_nets,
           xnor_nets);
    return tu_exit("test_sim_toggles");
}
