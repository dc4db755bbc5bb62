// sim/program.cpp: packing a .qnn into the accelerator's descriptors and
// buffer contents (program.h).
#include "sim/program.h"

extern "C" {
#include "costmodels/design.h"
}

#include <cstdio>

namespace lsim {

static int ceil_div(long long a, long long b) { return (int)((a + b - 1) / b); }

// The layout of a layer's input map in an activation bank.
static map_layout input_layout(const nn_qnn_layer &l)
{
    map_layout m;
    m.planes = l.in_bits;
    m.h = l.in_h;
    m.w = l.in_w;
    m.c = l.in_c;
    m.pad = l.op == NN_QNN_CONV ? l.pad : 0;
    m.hp = m.h + 2 * m.pad;
    m.wp = m.w + 2 * m.pad;
    m.plane_bits = (size_t)m.hp * m.wp * m.c;
    return m;
}

// Splits each chunk's fan_in range into runs that stay inside one window row
// and one 64-lane word.
static void build_segs(layer_prog &lp, int lanes)
{
    lp.seg_begin.assign((size_t)lp.Q + 1, 0);
    for (int q = 0; q < lp.Q; q++) {
        lp.seg_begin[q] = (int)lp.segs.size();
        int lo = q * lanes, hi = lo + lanes < lp.fan_in ? lo + lanes : lp.fan_in;
        for (int f = lo; f < hi;) {
            int ky = f / lp.run, off = f % lp.run, lane = f - lo;
            int len = lp.run - off;
            if (len > hi - f)
                len = hi - f;
            if (len > 64 - lane % 64)
                len = 64 - lane % 64;
            lp.segs.push_back({ky, off, len, lane});
            f += len;
        }
    }
    lp.seg_begin[lp.Q] = (int)lp.segs.size();
}

// Packs the weight planes: per tile, chunk (and pass), per PE a lanes-bit
// sign word and magnitude word. Binary weights: magnitude 1, sign 1 for -1.
// Offset-binary weights: pass j is the binary plane c_j (2 c_j - 1 = +-1,
// shift j): magnitude 1, sign NOT c_j. Pow2 weights on the bit planes: the
// sign and the exponent code k (code_bits words), decoded by the fetch unit.
// On the shift path (one pass): the sign and the exponent code k (0: the
// weight 0, e + 1: +-2^e), bit 0 in the magnitude word, bits 1.. in
// exp_bits words.
// PEs past out_c in the last tile get zero words (their outputs are dropped).
static void pack_weights(layer_prog &lp, int R, int lanes, int exp_bits, bool hw_pow2_code)
{
    const nn_qnn_layer &l = *lp.q;
    const size_t W = (size_t)lp.words;
    lp.sign_per_pass = l.w_code == NN_WCODE_OFFSET;
    // a pow2 layer on the bit planes of a pow2_words = planes design is
    // held as sign-magnitude planes (cm_layer_store_code)
    lp.code_bits = l.w_code == NN_WCODE_POW2 && !lp.shift && hw_pow2_code
                       ? nn_qnn_weight_planes(&l) - 1
                       : 0;
    lp.wsign.assign((size_t)lp.T * lp.Q * (lp.sign_per_pass ? lp.Bw : 1) * R * W, 0);
    if (lp.code_bits > 0)
        lp.wcode.assign((size_t)lp.T * lp.Q * lp.code_bits * R * W, 0);
    else
        lp.wmag.assign((size_t)lp.T * lp.Q * lp.Bw * R * W, 0);
    if (lp.shift)
        lp.wexp.assign((size_t)lp.T * lp.Q * exp_bits * R * W, 0);
    const bool binary = l.w_code == NN_WCODE_BINARY;
    for (int t = 0; t < lp.T; t++)
        for (int r = 0; r < R; r++) {
            int c = t * R + r;
            if (c >= l.out_c)
                continue;
            for (int f = 0; f < lp.fan_in; f++) {
                int w = l.w[(size_t)c * lp.fan_in + f];
                int q = f / lanes, lane = f % lanes;
                uint64_t bit = uint64_t(1) << (lane % 64);
                if (lp.sign_per_pass) {
                    for (int j = 0; j < lp.Bw; j++) {
                        const size_t o = ((((size_t)t * lp.Q + q) * lp.Bw + j) * R + r) * W +
                                         lane / 64;
                        if (!nn_qnn_weight_bit(&l, j, w))
                            lp.wsign[o] |= bit;
                        lp.wmag[o] |= bit;
                    }
                    continue;
                }
                size_t ws = (((size_t)t * lp.Q + q) * R + r) * W + lane / 64;
                if (w < 0)
                    lp.wsign[ws] |= bit;
                if (lp.code_bits > 0) {
                    const int k = nn_qnn_pow2_code(w);
                    for (int b = 0; b < lp.code_bits; b++)
                        if ((k >> b) & 1)
                            lp.wcode[((((size_t)t * lp.Q + q) * lp.code_bits + b) * R + r) * W +
                                     lane / 64] |= bit;
                    continue;
                }
                int mag = w < 0 ? -w : w;
                if (lp.shift) {
                    const int k = nn_qnn_pow2_code(mag);  // mag = 2^(k-1), or 0
                    if (k & 1)
                        lp.wmag[(((size_t)t * lp.Q + q) * R + r) * W + lane / 64] |= bit;
                    for (int b = 0; b < exp_bits; b++)
                        if ((k >> (b + 1)) & 1)
                            lp.wexp[((((size_t)t * lp.Q + q) * exp_bits + b) * R + r) * W +
                                    lane / 64] |= bit;
                    continue;
                }
                for (int j = 0; j < lp.Bw; j++) {
                    bool m = binary ? true : ((mag >> j) & 1);
                    if (m)
                        lp.wmag[((((size_t)t * lp.Q + q) * lp.Bw + j) * R + r) * W + lane / 64] |=
                            bit;
                }
            }
        }
}

// The layer (from 0) whose input layout map src (0 the image, k layer k's
// output) takes in its bank: the first non-side layer that reads it (a side
// layer reading it too reads that layout); -1 when none does (the scores).
static int bank_reader(const nn_qnn &q, int src)
{
    for (int j = 0; j < q.n_layers; j++)
        if (q.layers[j].src == src && !nn_qnn_is_side(&q, j))
            return j;
    return -1;
}

bool program_build(program &p, const nn_qnn &q, const cm_hw &hw, const cm_net &net, char *msg,
                   size_t size)
{
    p.hw = hw;
    p.n_exp = cm_hw_exponents(&hw);
    p.exp_bits = cm_hw_exp_bits(&hw);
    p.mag_reg = cm_pow2_decoder_bits(&hw, &net) > 0;  // as the cost model counts it
    p.n_layers = q.n_layers;
    p.n_class = q.n_class;
    p.in_h = q.in_h;
    p.in_w = q.in_w;
    p.in_c = q.in_c;
    p.layers.assign((size_t)q.n_layers, layer_prog{});
    p.bank_bits = 0;
    std::vector<long long> skip_base((size_t)q.n_layers);
    p.skip_values = (size_t)cm_net_skip_layout(&net, skip_base.data());
    const int R = hw.pe_rows, lanes = hw.lanes;
    long long b_w = 0, b_pos = 0, b_chunk = 0, b_valid = 0, b_thr = 0, b_rq = 0;
    for (int i = 0; i < q.n_layers; i++) {
        const nn_qnn_layer &l = q.layers[i];
        layer_prog &lp = p.layers[i];
        lp.q = &l;
        lp.index = i;
        lp.kind = l.out_kind == NN_OUT_SCORES ? layer_kind::SCORES
                  : l.res                     ? layer_kind::RES
                                              : layer_kind::PLAIN;
        lp.fan_in = nn_qnn_fan_in(&l);
        lp.T = ceil_div(l.out_c, R);
        lp.Q = ceil_div(lp.fan_in, lanes);
        lp.shift = cm_layer_shift(&hw, &net.layers[i]) != 0;
        lp.Bw = l.w_code == NN_WCODE_BINARY || lp.shift ? 1 : l.w_mag_bits;
        // a signed multi-level input (tern, pow2:B) runs q = 2^(in_bits - 1)
        // - 1 passes, one a magnitude 2^b, each decoded from the whole code
        lp.in_signed = l.in_code == NN_CODE_TERN || l.in_code == NN_CODE_POW2;
        lp.act_q = lp.in_signed ? (1 << (l.in_bits - 1)) - 1 : 0;
        lp.Ba = lp.in_signed ? lp.act_q : l.in_bits;
        lp.pool = l.pool > 1 ? l.pool : 1;
        lp.ph = l.out_h / lp.pool;
        lp.pw = l.out_w / lp.pool;
        const long long P = (long long)lp.ph * lp.pool * lp.pw * lp.pool;
        if (P > (1 << 24) || lp.T > (1 << 16) || lp.Q > (1 << 16)) {
            snprintf(msg, size, "layer %d: %lld positions, %d tiles, %d chunks: too many", i + 1,
                     P, lp.T, lp.Q);
            return false;
        }
        lp.P = (int)P;
        lp.words = ceil_div(lanes, 64);
        lp.side = nn_qnn_is_side(&q, i) != 0;
        // a side layer reads its block's input as the block's first layer
        // does: in that layer's layout
        const int reader = lp.side ? bank_reader(q, l.src) : i;
        lp.in = input_layout(q.layers[reader >= 0 ? reader : i]);
        lp.in.planes = l.in_bits;
        lp.in_bank = l.src == 0 ? 0 : p.layers[(size_t)l.src - 1].out_bank;
        lp.out_bank = lp.in_bank ^ 1;
        const int win_off = l.op == NN_QNN_CONV ? lp.in.pad - l.pad : 0;
        lp.in_kind = l.in_code == NN_CODE_SIGN ? plane_kind::SIGN
                     : lp.in_signed             ? plane_kind::SIGNED
                                                : plane_kind::ZERO_ONE;
        if (l.op == NN_QNN_DENSE) {
            lp.run = lp.fan_in;
            lp.row_stride = 0;
        } else {
            lp.run = l.k * l.in_c;
            lp.row_stride = (size_t)lp.in.wp * lp.in.c;
        }
        if (lp.Ba > 8 || lp.Bw > 7 || lp.Bw < 1) {
            snprintf(msg, size, "layer %d: %d activation planes, %d weight passes: not supported",
                     i + 1, lp.Ba, lp.Bw);
            return false;
        }
        lp.out_sign = l.out_code == NN_CODE_SIGN;
        lp.out_bits = l.out_bits;
        lp.n_thr = l.n_thr;
        lp.merge = (merge_kind)l.merge;
        lp.mux = (mux_variant)l.mux_variant;
        lp.res = l.res != 0;
        lp.res_bits = l.res_bits;
        lp.rq_shift = l.rq_shift;
        if (lp.res && hw.requant == CM_RQ_SHIFT) {
            lp.rq_sf.resize((size_t)l.out_c);
            for (int c = 0; c < l.out_c; c++)
                if (!nn_qnn_rq_shift_form(l.rq_mul[c], l.rq_add[c], l.rq_shift, &lp.rq_sf[c])) {
                    snprintf(msg, size, "layer %d: requantizer multiplier %lld (channel %d) is "
                             "not +-2^e: [merge] requant = shift cannot run it", i + 1,
                             (long long)l.rq_mul[c], c + 1);
                    return false;
                }
        }
        for (int j = i + 1; j < q.n_layers; j++)
            if (q.layers[j].merge != NN_MERGE_NONE && q.layers[j].skip == i + 1) {
                lp.writes_skip = true;
                lp.skip_add = q.layers[j].merge == NN_MERGE_ADD;
            }
        const int rd = bank_reader(q, i + 1);
        if (rd >= 0)
            lp.out = input_layout(q.layers[rd]);
        if (l.merge != NN_MERGE_NONE) {
            const nn_qnn_layer &k = q.layers[l.skip - 1];
            int kh;
            nn_qnn_out_shape(&k, &kh, &lp.skip_w, &lp.skip_c);
            lp.skip_stride = l.skip_stride;
            lp.skip_rd_base = (size_t)skip_base[(size_t)l.skip - 1];
        }
        lp.skip_wr_base = (size_t)skip_base[(size_t)i];
        if (lp.in.planes * lp.in.plane_bits > p.bank_bits)
            p.bank_bits = lp.in.planes * lp.in.plane_bits;
        build_segs(lp, lanes);
        // valid bits: 1 inside the map, 0 at the padding
        lp.valid.resize(lp.in.plane_bits);
        for (int y = 0; y < lp.in.h; y++)
            for (int x = 0; x < lp.in.w; x++)
                for (int c = 0; c < lp.in.c; c++)
                    lp.valid.set_bit(lp.in.addr(0, y, x, c), 1);
        pack_weights(lp, R, lanes, p.exp_bits,
                     hw.pow2_words == CM_POW2_CODE && hw.pe == CM_PE_BITPLANE);
        lp.oy.resize((size_t)lp.P);
        lp.ox.resize((size_t)lp.P);
        lp.win.resize((size_t)lp.P);
        const int k = lp.pool, kk = k * k;
        for (int pp = 0; pp < lp.P; pp++) {
            const int w = pp / kk, within = pp % kk;
            const int oy = w / lp.pw * k + within / k, ox = w % lp.pw * k + within % k;
            lp.oy[pp] = oy;
            lp.ox[pp] = ox;
            lp.win[pp] = l.op == NN_QNN_DENSE
                             ? 0
                             : ((size_t)(oy * l.stride + win_off) * lp.in.wp +
                                (size_t)(ox * l.stride + win_off)) * lp.in.c;
        }
        // the address generator's valid lanes of every (position, chunk)
        lp.valid_words.assign((size_t)lp.P * lp.Q * lp.words, 0);
        for (int pp = 0; pp < lp.P; pp++)
            for (int q = 0; q < lp.Q; q++) {
                uint64_t *v = lp.valid_words.data() + ((size_t)pp * lp.Q + q) * lp.words;
                for (int si = lp.seg_begin[q]; si < lp.seg_begin[q + 1]; si++) {
                    const chunk_seg &sg = lp.segs[(size_t)si];
                    v[sg.lane >> 6] |=
                        lp.valid.get(lp.win[pp] + sg.ky * lp.row_stride + sg.off, sg.len)
                        << (sg.lane & 63);
                }
            }
        lp.w_base = b_w;
        lp.pos_base = b_pos;
        lp.chunk_base = b_chunk;
        lp.valid_base = b_valid;
        lp.thr_base = b_thr;
        lp.rq_base = b_rq;
        b_w += (long long)lp.T * lp.Q * (lp.code_bits > 0 ? 1 : lp.Bw);
        b_pos += lp.P;
        b_chunk += lp.Q;
        b_valid += (long long)lp.P * lp.Q;
        b_thr += lp.kind == layer_kind::SCORES ? 0 : lp.T;
        b_rq += lp.res ? lp.T : 0;
        if (l.n_thr > 0) {
            lp.thr.resize((size_t)l.out_c * l.n_thr);
            for (size_t k = 0; k < lp.thr.size(); k++)
                lp.thr[k] = thr_store(l.thr[k], hw.acc_bits);
        }
    }
    return true;
}

pos_entry position_entry(const layer_prog &L, int p)
{
    const nn_qnn_layer &l = *L.q;
    const int k = L.pool, oy = L.oy[(size_t)p], ox = L.ox[(size_t)p];
    pos_entry e;
    e.win = L.win[(size_t)p];
    e.first = L.window_first(p);
    e.last = L.window_last(p);
    e.out = L.kind == layer_kind::SCORES ? 0 : L.out.addr(0, oy / k, ox / k, 0);
    // the skip: the source's map at (s y, s x)
    if (L.merge != merge_kind::NONE)
        e.skip_rd = L.skip_rd_base +
                    ((uint64_t)oy * L.skip_stride * L.skip_w + (uint64_t)ox * L.skip_stride) *
                        L.skip_c;
    // the output: the add stream's u at every position (such a layer is not
    // pooled), else the pooled code at its window's last position
    if (L.writes_skip && L.skip_add)
        e.skip_wr = L.skip_wr_base + ((uint64_t)oy * l.out_w + ox) * l.out_c;
    else if (L.writes_skip && e.last)
        e.skip_wr = L.skip_wr_base + ((uint64_t)(oy / k) * L.pw + ox / k) * l.out_c;
    return e;
}

void layer_descriptor(const layer_prog &L, int n_layers, uint64_t f[DF_COUNT])
{
    const bool scores = L.kind == layer_kind::SCORES;
    f[DF_SCORES] = scores;
    f[DF_T] = (uint64_t)L.T;
    f[DF_P] = (uint64_t)L.P;
    f[DF_Q] = (uint64_t)L.Q;
    f[DF_BW] = (uint64_t)L.Bw;
    f[DF_BA] = (uint64_t)L.Ba;
    f[DF_IN_BANK] = (uint64_t)L.in_bank;
    f[DF_IN_SIGN] = L.in_kind == plane_kind::SIGN;
    f[DF_IN_PLANE_BITS] = L.in.plane_bits;
    f[DF_OUT_PLANE_BITS] = scores ? 0 : L.out.plane_bits;
    f[DF_OUT_BITS] = scores ? 0 : (uint64_t)L.out_bits;
    f[DF_OUT_C] = (uint64_t)L.q->out_c;
    f[DF_W_BASE] = (uint64_t)L.w_base;
    f[DF_POS_BASE] = (uint64_t)L.pos_base;
    f[DF_CHUNK_BASE] = (uint64_t)L.chunk_base;
    f[DF_VALID_BASE] = (uint64_t)L.valid_base;
    f[DF_THR_BASE] = (uint64_t)L.thr_base;
    f[DF_LAST] = L.index == n_layers - 1;
    f[DF_MERGE] = (uint64_t)L.merge;
    f[DF_MUX_SEL] = L.mux == mux_variant::SEL;
    f[DF_SKIP_C] = (uint64_t)L.skip_c;
    f[DF_WRITES_SKIP] = L.writes_skip;
    f[DF_SIDE] = L.side;
    f[DF_RES] = L.res;
    f[DF_RQ_SHIFT] = L.res ? (uint64_t)L.rq_shift : 0;
    f[DF_RQ_BASE] = (uint64_t)L.rq_base;
    f[DF_WCODE] = L.code_bits > 0;
    f[DF_SHIFT] = L.shift;
}

}  // namespace lsim
