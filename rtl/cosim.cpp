// rtl/cosim.cpp: the co-simulation harness (cosim.h).
#include "rtl/cosim.h"

#include <cstdio>
#include <cstring>
#include <type_traits>

#include "verilated_syms.h"

extern "C" {
#include "sweeps/costnet.h"
}
#include "sim/buffers.h"

// the SystemC model's descriptor is the RTL's, field for field
static_assert((int)lsim::DF_COUNT == RTL_DESC_FIELDS && (int)lsim::DF_W_BASE == RTL_D_W_BASE &&
                  (int)lsim::DF_SIDE == RTL_D_SIDE && (int)lsim::DF_WCODE == RTL_D_WCODE &&
                  (int)lsim::DF_SHIFT == RTL_D_SHIFT,
              "sim/program.h's desc_field is rtl/rtl.h's rtl_desc");

namespace lrtl {

// ---- the ports, whatever width Verilator gave them ----

template <typename T> static void put_bits(T &port, const std::vector<uint32_t> &w)
{
    if constexpr (std::is_integral<T>::value) {
        uint64_t v = w.empty() ? 0 : w[0];
        if (w.size() > 1)
            v |= (uint64_t)w[1] << 32;
        port = (T)v;
    } else {
        const size_t n = sizeof(port) / sizeof(uint32_t);
        for (size_t i = 0; i < n; i++)
            port[i] = i < w.size() ? w[i] : 0;
    }
}

template <typename T> static uint64_t get_bits(const T &port, int lsb, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        const int b = lsb + i;
        uint64_t bit;
        if constexpr (std::is_integral<T>::value)
            bit = ((uint64_t)port >> b) & 1;
        else
            bit = (port[(size_t)b / 32] >> (b % 32)) & 1;
        v |= bit << i;
    }
    return v;
}

static void set_bit(std::vector<uint32_t> &w, size_t bit, bool v)
{
    if (v)
        w[bit / 32] |= uint32_t(1) << (bit % 32);
}

static void set_field(std::vector<uint32_t> &w, size_t lsb, int n, uint64_t v)
{
    for (int i = 0; i < n; i++)
        set_bit(w, lsb + (size_t)i, (v >> i) & 1);
}

static int64_t sext(uint64_t v, int bits)
{
    const int sh = 64 - bits;
    return (int64_t)(v << sh) >> sh;
}

cosim::cosim(Vlogiq_accel &top, const cm_hw &hw, const rtl_config &cfg)
    : top_(top), hw_(hw), cfg_(cfg)
{
    rtl_widths_of(&hw_, &cfg_, &w_);
}

cosim::~cosim()
{
    if (ws_ok_)
        nn_infer_ws_free(&ws_);
}

void cosim::tick()
{
    top_.clk = 0;
    top_.eval();
    top_.clk = 1;
    top_.eval();
    if (counting_)
        tally();
}

bool cosim::count_toggles(std::string &msg)
{
    watch_.clear();
    prev_.clear();
    for (long long &v : st_.toggles)
        v = 0;
    for (long long &v : st_.toggle_bits)
        v = 0;
    const VerilatedScopeNameMap *scopes = top_.contextp()->scopeNameMap();
    const char top[] = "logiq_accel";
    for (const auto &sc : *scopes) {
        // the scope below the top module: "TOP.logiq_accel.pe[0].u_acc.r86"
        const char *name = std::strstr(sc.first, top);
        const VerilatedVarNameMap *vars = sc.second->varsp();
        if (!name || !vars)
            continue;
        name += sizeof top - 1;
        if (*name == '.')
            name++;
        else if (*name != '\0')
            continue;
        for (const auto &v : *vars) {
            const VerilatedVar &var = v.second;
            const int kind = var.isParam() ? -1 : rtl_toggle_kind(name, v.first);
            if (kind < 0)
                continue;
            const size_t bytes = var.totalSize();
            long long bits = var.dims() > 0 && var.packed().elements() > 0 ? var.packed().elements() : 1;
            for (int d = 0; d < var.udims(); d++)
                bits *= var.elements(d + 1);
            watch_.push_back({static_cast<const uint8_t *>(var.datap()), prev_.size(), bytes, kind});
            prev_.insert(prev_.end(), watch_.back().p, watch_.back().p + bytes);
            st_.toggle_bits[kind] += bits;
        }
    }
    if (watch_.empty()) {
        msg = "the Verilated model exposes no counted register: Verilate it with logiq rtl's "
              "logiq_accel.vlt to count toggles";
        return false;
    }
    counting_ = true;
    return true;
}

// The Hamming distance of each watched variable to its value before the
// edge (Verilator keeps a variable's unused high bits zero).
void cosim::tally()
{
    for (const watched &w : watch_) {
        uint8_t *prev = prev_.data() + w.off;
        if (std::memcmp(prev, w.p, w.bytes) == 0)
            continue;
        long long t = 0;
        for (size_t i = 0; i < w.bytes; i++)
            t += __builtin_popcount((unsigned)(prev[i] ^ w.p[i]));
        st_.toggles[w.kind] += t;
        std::memcpy(prev, w.p, w.bytes);
    }
}

void cosim::load_word(int sel, uint64_t addr, const std::vector<uint32_t> &w)
{
    top_.ld_we = 1;
    top_.ld_sel = (uint8_t)sel;
    top_.ld_addr = (uint32_t)addr;
    put_bits(top_.ld_data, w);
    tick();
    top_.ld_we = 0;
}

bool cosim::load(const nn_qnn &q, std::string &msg)
{
    char m[1200];
    if (rtl_check_net(&q, &hw_, m, sizeof m) != 0) {
        msg = m;
        return false;
    }
    cm_lib lib;
    cm_lib_default(&lib);
    design_.reset(new cm_design);
    cm_net net;
    cm_layer *layers = nullptr;
    const int rc = sw_design_for_qnn(&q, &hw_, &lib, design_.get(), &net, &layers, m, sizeof m);
    if (rc != 0) {
        free(layers);
        msg = m;
        return false;
    }
    const cm_hw &dh = design_->hw;
    if (dh.pe_rows != w_.R || dh.lanes != w_.lanes || dh.acc_bits != w_.A ||
        dh.max_act_bits != w_.M || dh.score_mul_bits > w_.smb || dh.merge != hw_.merge ||
        (dh.merge == CM_MERGE_MUX && dh.mux != hw_.mux) ||
        (dh.merge == CM_MERGE_ADD &&
         (dh.res_bits != hw_.res_bits || dh.add_stages != hw_.add_stages ||
          dh.requant != hw_.requant ||
          (dh.requant == CM_RQ_MUL && dh.rq_mul_bits > hw_.rq_mul_bits) ||
          (dh.requant == CM_RQ_SHIFT && (dh.rq_lshift_max > hw_.rq_lshift_max ||
                                         dh.rq_rshift_bits > hw_.rq_rshift_bits))))) {
        free(layers);
        msg = "the network resolves the design to other widths than the RTL's";
        return false;
    }
    const bool built = lsim::program_build(prog_, q, dh, net, m, sizeof m);
    free(layers);
    if (!built) {
        msg = m;
        return false;
    }
    if (ws_ok_)
        nn_infer_ws_free(&ws_);
    nn_error err{};
    ws_ok_ = nn_infer_ws_init(&ws_, &q, &err) == NN_OK;
    if (!ws_ok_) {
        msg = err.msg;
        return false;
    }
    q_ = &q;

    // the sizes against the design's memories
    const int R = w_.R, LN = w_.lanes, A = w_.A;
    long long n_w = 0, n_pos = 0, n_chunk = 0, n_valid = 0, n_thr = 0, n_rq = 0;
    for (const lsim::layer_prog &L : prog_.layers) {
        n_w += (long long)L.T * L.Q * (L.code_bits > 0 ? 1 : L.Bw);
        n_pos += L.P;
        n_chunk += L.Q;
        n_valid += (long long)L.P * L.Q;
        n_thr += L.kind == lsim::layer_kind::SCORES ? 0 : L.T;
        n_rq += L.res ? L.T : 0;
    }
    const struct {
        long long need, have;
        const char *what;
    } fits[] = {
        {n_w, cfg_.weight_depth, "weight words"},   {n_pos, cfg_.pos_depth, "positions"},
        {n_chunk, cfg_.chunk_depth, "chunks"},      {n_valid, cfg_.valid_depth, "valid words"},
        {n_thr, cfg_.thr_depth, "threshold tile words"}, {prog_.n_class, cfg_.max_classes, "classes"},
        {prog_.n_layers, cfg_.max_layers, "layers"},
        {(long long)prog_.bank_bits, cfg_.bank_bits, "bank bits"},
        {(long long)prog_.skip_values, w_.skip_depth, "skip buffer values"},
        {n_rq, cfg_.rq_depth, "requantizer tile words"},
    };
    for (const auto &f : fits)
        if (f.need > f.have) {
            snprintf(m, sizeof m, "the network needs %lld %s, the RTL's memory holds %lld",
                     f.need, f.what, f.have);
            msg = m;
            return false;
        }

    top_.rst = 1;
    top_.start = 0;
    top_.ld_we = 0;
    tick();
    top_.rst = 0;
    const size_t words = ((size_t)w_.load_bits + 31) / 32;
    std::vector<uint32_t> d(words);
    auto clear = [&]() { std::fill(d.begin(), d.end(), 0); };
    for (int li = 0; li < prog_.n_layers; li++) {
        const lsim::layer_prog &L = prog_.layers[(size_t)li];
        const long long b_w = L.w_base, b_pos = L.pos_base, b_chunk = L.chunk_base,
                        b_valid = L.valid_base, b_thr = L.thr_base, b_rq = L.rq_base;
        const nn_qnn_layer &l = *L.q;
        const bool scores = L.kind == lsim::layer_kind::SCORES;
        uint64_t f[lsim::DF_COUNT];
        lsim::layer_descriptor(L, prog_.n_layers, f);
        for (int k = 0; k < lsim::DF_COUNT; k++) {
            clear();
            d[0] = (uint32_t)f[k];
            load_word(RTL_MEM_DESC, (uint64_t)li * RTL_DESC_WORDS + k, d);
        }
        // the weight buffer: per (t, q, j) each PE's sign and magnitude words;
        // a pow2 layer's codes on a pow2_words = code design: per (t, q)
        // each lane's code (w_.code_bits wide) and sign
        if (L.code_bits > 0 && L.code_bits > w_.code_bits) {
            snprintf(m, sizeof m, "layer %d: %d-bit pow2 codes, the RTL's decoder takes %d",
                     li + 1, L.code_bits, w_.code_bits);
            msg = m;
            return false;
        }
        for (int t = 0; t < L.T && L.code_bits > 0; t++)
            for (int qq = 0; qq < L.Q; qq++) {
                clear();
                const uint64_t *s = lsim::buffers::weight_sign(L, R, t, qq, 0);
                const uint64_t *k = lsim::buffers::weight_code(L, R, t, qq);
                const size_t RW = (size_t)R * L.words;
                for (int r = 0; r < R; r++)
                    for (int i = 0; i < LN; i++) {
                        const size_t o = (size_t)r * L.words + (size_t)i / 64;
                        set_bit(d, (size_t)r * LN + i, (s[o] >> (i % 64)) & 1);
                        for (int bit = 0; bit < L.code_bits; bit++)
                            set_bit(d, (size_t)R * LN + ((size_t)r * LN + i) * w_.code_bits + bit,
                                    (k[bit * RW + o] >> (i % 64)) & 1);
                    }
                load_word(RTL_MEM_WEIGHT, (uint64_t)(b_w + (long long)t * L.Q + qq), d);
            }
        for (int t = 0; t < L.T && L.code_bits == 0; t++)
            for (int qq = 0; qq < L.Q; qq++)
                for (int j = 0; j < L.Bw; j++) {
                    clear();
                    const uint64_t *s = lsim::buffers::weight_sign(L, R, t, qq, j);
                    const uint64_t *mg = lsim::buffers::weight_mag(L, R, t, qq, j);
                    // on a shift PE design each lane's code k: bit 0 the
                    // magnitude bit, bits 1.. the exponent field (shift path)
                    // (elsewhere the magnitude bits are one run, [R][lanes])
                    const int xb = prog_.exp_bits, KB = w_.n_exp > 1 ? w_.wk_bits : 1;
                    const uint64_t *ex = lsim::buffers::weight_exp(L, R, xb, t, qq);
                    for (int r = 0; r < R; r++)
                        for (int i = 0; i < LN; i++) {
                            const size_t o = (size_t)r * L.words + (size_t)i / 64;
                            const size_t k = (size_t)R * LN + ((size_t)r * LN + i) * KB;
                            set_bit(d, (size_t)r * LN + i, (s[o] >> (i % 64)) & 1);
                            set_bit(d, k, (mg[o] >> (i % 64)) & 1);
                            for (int b = 0; ex && b < xb; b++)
                                set_bit(d, k + 1 + b,
                                        (ex[((size_t)b * R + r) * L.words + (size_t)i / 64] >>
                                         (i % 64)) & 1);
                        }
                    load_word(RTL_MEM_WEIGHT, (uint64_t)(b_w + ((long long)t * L.Q + qq) * L.Bw + j),
                              d);
                }
        // the address generator: per position, per chunk, per (position, chunk)
        for (int p = 0; p < L.P; p++) {
            clear();
            const lsim::pos_entry e = lsim::position_entry(L, p);
            set_field(d, 0, 32, e.win);
            set_field(d, 32, 30, e.out);
            set_bit(d, 62, e.last);
            set_bit(d, 63, e.first);
            set_field(d, 64, 32, e.skip_rd);
            set_field(d, 96, 32, e.skip_wr);
            load_word(RTL_MEM_POS, (uint64_t)(b_pos + p), d);
        }
        for (int qq = 0; qq < L.Q; qq++) {
            clear();
            for (int s = L.seg_begin[(size_t)qq]; s < L.seg_begin[(size_t)qq + 1]; s++) {
                const lsim::chunk_seg &sg = L.segs[(size_t)s];
                for (int i = 0; i < sg.len; i++)
                    set_field(d, (size_t)(sg.lane + i) * 32, 32,
                              (uint64_t)sg.ky * L.row_stride + (uint64_t)sg.off + (uint64_t)i);
            }
            load_word(RTL_MEM_CHUNK, (uint64_t)(b_chunk + qq), d);
        }
        for (int p = 0; p < L.P; p++)
            for (int qq = 0; qq < L.Q; qq++) {
                clear();
                const uint64_t *v = L.valid_words.data() + ((size_t)p * L.Q + qq) * L.words;
                for (int i = 0; i < LN; i++)
                    set_bit(d, (size_t)i, (v[i / 64] >> (i % 64)) & 1);
                load_word(RTL_MEM_VALID, (uint64_t)(b_valid + (long long)p * L.Q + qq), d);
            }
        // thresholds (unused comparators: the largest value, never <= an accumulator)
        // a tile's R channels a word (past out_c: zeros, never used)
        const size_t thr_w = (size_t)w_.n_thr * A + 1;
        if (!scores)
            for (int t = 0; t < L.T; t++) {
                clear();
                for (int rr = 0; rr < R && t * R + rr < l.out_c; rr++) {
                    const int c = t * R + rr;
                    for (int k = 0; k < w_.n_thr; k++) {
                        const int64_t v = k < L.n_thr ? L.thr[(size_t)c * L.n_thr + k]
                                                      : (int64_t)((uint64_t(1) << (A - 1)) - 1);
                        set_field(d, rr * thr_w + (size_t)k * A, A, (uint64_t)v);
                    }
                    set_bit(d, rr * thr_w + (size_t)w_.n_thr * A,
                            l.merge == NN_MERGE_MUX && l.mux_sel && l.mux_sel[c] != 0);
                }
                load_word(RTL_MEM_THR, (uint64_t)(b_thr + t), d);
            }
        else
            for (int c = 0; c < l.out_c; c++) {
                clear();
                set_field(d, 0, w_.smb, (uint64_t)l.rq_mul[c]);
                set_field(d, (size_t)w_.smb, w_.score_bits, (uint64_t)l.rq_add[c]);
                load_word(RTL_MEM_SCORE, (uint64_t)c, d);
            }
        // the add stream's requantizer constants, a tile's R channels a word
        // (rtl.h, RTL_MEM_RQ)
        if (L.res)
            for (int t = 0; t < L.T; t++) {
                clear();
                for (int rr = 0; rr < R && t * R + rr < l.out_c; rr++) {
                    const int c = t * R + rr;
                    const size_t o = (size_t)rr * (size_t)w_.rq_bits;
                    if (hw_.requant == CM_RQ_SHIFT) {
                        const nn_rq_shift &sf = L.rq_sf[(size_t)c];
                        const int lsb = cm_bits_for(hw_.rq_lshift_max), rsb = hw_.rq_rshift_bits;
                        set_bit(d, o, sf.neg != 0);
                        set_field(d, o + 1, lsb, (uint64_t)sf.lshift);
                        set_field(d, o + (size_t)(1 + lsb), rsb, (uint64_t)sf.rshift);
                        set_field(d, o + (size_t)(1 + lsb + rsb), A + hw_.rq_lshift_max,
                                  (uint64_t)sf.off);
                    } else {
                        const int mb = hw_.rq_mul_bits;
                        set_field(d, o, mb, (uint64_t)l.rq_mul[c]);
                        set_field(d, o + (size_t)mb, mb + A, (uint64_t)l.rq_add[c]);
                    }
                }
                load_word(RTL_MEM_RQ, (uint64_t)(b_rq + t), d);
            }
    }
    st_ = stats{};
    st_.layer_cycles.assign((size_t)prog_.n_layers, 0);
    st_.analytic.assign((size_t)prog_.n_layers, 0);
    for (int li = 0; li < prog_.n_layers; li++)
        st_.analytic[(size_t)li] = (long long)design_->layer[li].cyc.total;
    st_.analytic_image = (long long)design_->cycles;
    return true;
}

void cosim::mismatch(const std::string &what)
{
    image_bad_ = true;
    if (st_.first_mismatch.empty())
        st_.first_mismatch = what;
}

bool cosim::run(const uint8_t *pixels, int n, const uint8_t *labels, std::string &msg)
{
    const nn_qnn &q = *q_;
    const size_t img = (size_t)q.in_h * q.in_w * q.in_c;
    const lsim::map_layout &in = prog_.layers[0].in;
    const long long bank0 = (long long)prog_.layers[0].in_bank * cfg_.bank_bits;
    bank_data_.assign((in.planes * in.plane_bits + 31) / 32, 0);
    bank_en_.assign(bank_data_.size(), 0);
    std::vector<uint32_t> d(((size_t)w_.load_bits + 31) / 32);
    char m[512];
    for (int im = 0; im < n; im++) {
        const uint8_t *px = pixels + (size_t)im * img;
        // the image into its bank, as the SystemC model's start_image lays it
        // out: 32 bits a write, each bit with its enable (the padding between
        // rows is left as it is)
        std::fill(bank_data_.begin(), bank_data_.end(), 0);
        std::fill(bank_en_.begin(), bank_en_.end(), 0);
        size_t i = 0;
        for (int y = 0; y < in.h; y++)
            for (int x = 0; x < in.w; x++)
                for (int c = 0; c < in.c; c++, i++)
                    for (int b = 0; b < in.planes; b++) {
                        const size_t a = in.addr(b, y, x, c);
                        bank_en_[a / 32] |= uint32_t(1) << (a % 32);
                        if ((px[i] >> b) & 1)
                            bank_data_[a / 32] |= uint32_t(1) << (a % 32);
                    }
        std::fill(d.begin(), d.end(), 0);
        for (size_t wi = 0; wi < bank_en_.size(); wi++)
            if (bank_en_[wi]) {
                d[0] = bank_data_[wi];
                d[1] = bank_en_[wi];
                load_word(RTL_MEM_BANK, (uint64_t)(bank0 + (long long)wi * 32), d);
            }
        const int want_pred = nn_infer_image(&q, &ws_, px);
        image_bad_ = false;
        long long cyc = 0, lc = 0;
        const long long limit = 4 * st_.analytic_image + 1000;
        top_.start = 1;
        bool finished = false;
        while (!finished) {
            tick();
            top_.start = 0;
            cyc++;
            lc++;
            const int li = top_.layer;
            const lsim::layer_prog &L = prog_.layers[(size_t)li];
            if (top_.ow_valid) {  // an output word: against the golden model's values
                const int t = (int)top_.ow_t, p = (int)top_.ow_p, k = L.pool;
                const int py = L.oy[(size_t)p] / k, px2 = L.ox[(size_t)p] / k;
                const int oc = L.q->out_c;
                for (int r = 0; r < w_.R && t * w_.R + r < oc; r++) {
                    const int c = t * w_.R + r;
                    const int code = (int)get_bits(top_.ow_code, r * w_.M, w_.M);
                    const int v = nn_qnn_code_value(L.q->out_code, L.q->out_bits, code);
                    const int want = ws_.act[li][((size_t)py * L.pw + px2) * oc + c];
                    st_.words_checked++;
                    if (v != want) {
                        snprintf(m, sizeof m, "image %lld, layer %d, channel %d, position (%d,%d): "
                                 "RTL %d, integer model %d", st_.images + im, li + 1, c, py, px2, v,
                                 want);
                        mismatch(m);
                    }
                }
            }
            if (top_.sc_valid) {
                const int c = (int)top_.sc_cls;
                const int64_t v = sext(get_bits(top_.sc_value, 0, w_.score_bits), w_.score_bits);
                st_.scores_checked++;
                if (v != ws_.scores[c]) {
                    snprintf(m, sizeof m, "image %lld, class %d score: RTL %lld, integer model %lld",
                             st_.images + im, c, (long long)v, (long long)ws_.scores[c]);
                    mismatch(m);
                }
            }
            if (top_.layer_end) {
                st_.layer_cycles[(size_t)li] += lc;
                lc = 0;
            }
            if (top_.done) {
                finished = true;
                const int got = (int)top_.pred;
                if (got != want_pred) {
                    snprintf(m, sizeof m, "image %lld: RTL predicts class %d, integer model %d",
                             st_.images + im, got, want_pred);
                    mismatch(m);
                }
                if (labels && got == labels[im])
                    st_.correct++;
            } else if (cyc > limit) {
                snprintf(m, sizeof m, "image %lld: no done after %lld cycles (analytic %lld)",
                         st_.images + im, cyc, st_.analytic_image);
                msg = m;
                return false;
            }
        }
        tick();  // done -> idle
        st_.cycles += cyc;
        if (image_bad_)
            st_.mismatched_images++;
    }
    st_.images += n;
    return true;
}

}  // namespace lrtl
