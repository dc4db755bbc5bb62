// sim/sim.cpp: the C entry points (sim.h): feasibility, elaboration once per
// process, run-time configuration, and the per-image loop of sc_start with
// the golden model as the scoreboard's reference.
#include "sim/sim.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <mutex>
#include <chrono>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <cstring>
#include <new>
#include <string>
#include <thread>
#include <unistd.h>
#include <systemc>

extern "C" {
#include "nn/infer.h"
#include "nn/layers.h"
}
#include "sim/accel.h"
#include "sim/program.h"

namespace {

// The top level: the accelerator (which clocks itself, accel.h), elaborated once.
SC_MODULE(sim_top)
{
    lsim::accel acc;

    explicit sim_top(sc_core::sc_module_name name) : sc_core::sc_module(name), acc("accel") {}
};

sim_top *g_top = nullptr;  // the elaborated model (SystemC allows one elaboration)
bool g_open = false;
sc_core::sc_trace_file *g_vcd = nullptr;
long long g_vcd_until = 0; // the trace is closed after this many images
// The waveform is written to PATH.tmp.PID.vcd and renamed to PATH once it is
// whole. SystemC's writer does not report a failed write (a full disk), so
// "whole" is checked: the file must end with the time stamp of the moment
// it was closed, the last line SystemC writes.
std::string g_vcd_tmp, g_vcd_path;
std::string g_vcd_error; // why the last waveform could not be written

// The waveform's time unit: the kernel's resolution (1 ps), so that every
// clock edge falls on a unit (a derived period such as 4895 ps was not a
// multiple of 100 ps: SystemC warned, W713, on standard output).
const sc_core::sc_time vcd_unit(1, sc_core::SC_PS);

// SystemC's messages go to standard error, never into a report on standard
// output (`logiq sim --format json` must stay JSON); its informational ones
// (I703, the trace's time unit) are dropped.
void report_to_stderr(const sc_core::sc_report &rep, const sc_core::sc_actions &actions)
{
    if (actions & sc_core::SC_DISPLAY)
        std::cerr << sc_core::sc_report_compose_message(rep) << std::endl;
    sc_core::sc_report_handler::default_handler(rep, actions & ~sc_core::SC_DISPLAY);
}

bool vcd_ends_with(const std::string &path, const std::string &tail)
{
    FILE *f = fopen(path.c_str(), "rb");
    if (!f)
        return false;
    char buf[256];
    bool ok = false;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        long n = size < (long)sizeof buf ? size : (long)sizeof buf;
        if (n > 0 && fseek(f, size - n, SEEK_SET) == 0 && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            std::string end(buf, (size_t)n);
            while (!end.empty() && (end.back() == '\n' || end.back() == '\r'))
                end.pop_back();
            ok = end.size() >= tail.size() &&
                 end.compare(end.size() - tail.size(), tail.size(), tail) == 0;
        }
    }
    fclose(f);
    return ok;
}

// Closes the trace; false (and g_vcd_error) when it is not whole.
bool close_vcd()
{
    if (g_top)
        g_top->acc.untrace();
    if (!g_vcd)
        return true;
    // a kernel time between two units (a derived clock's period is not a
    // multiple of the unit) is stamped rounded down by SystemC's writer
    // (warning W713), so either neighbour of the exact quotient may end it
    const double units = sc_core::sc_time_stamp() / vcd_unit;
    const unsigned long long lo = (unsigned long long)units, hi = lo + 1;
    sc_core::sc_close_vcd_trace_file(g_vcd);
    g_vcd = nullptr;
    const bool whole = vcd_ends_with(g_vcd_tmp, "\n#" + std::to_string(lo)) ||
                       vcd_ends_with(g_vcd_tmp, "\n#" + std::to_string(hi));
    if (whole && rename(g_vcd_tmp.c_str(), g_vcd_path.c_str()) == 0)
        return true;
    remove(g_vcd_tmp.c_str());
    g_vcd_error = g_vcd_path + ": cannot write the waveform whole (the disk may be full); " +
                  "nothing was written";
    return false;
}

double seconds_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

sim_status fail(sim_error *err, sim_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

sim_status fail(sim_error *err, sim_status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

}  // namespace

// Images the golden model may run ahead of the clocked model.
constexpr int GOLDEN_SLOTS = 4;

struct sim {
    lsim::program prog;
    std::vector<cm_layer> layers;
    cm_net net{};
    cm_design *design = nullptr;
    const nn_qnn *model = nullptr, *ref_model = nullptr;
    nn_infer_ws ws[GOLDEN_SLOTS]{};  // the golden model's, one per image in flight
    struct sim_stats stats{};
};

extern "C" enum sim_status sim_open(struct sim **out, const struct nn_qnn *q,
                                    const struct cm_design *d, const struct cm_net *net,
                                    struct sim_error *err)
{
    return sim_open_opts(out, q, d, net, nullptr, err);
}

extern "C" enum sim_status sim_open_opts(struct sim **out, const struct nn_qnn *q,
                                         const struct cm_design *d, const struct cm_net *net,
                                         const struct sim_options *opts, struct sim_error *err)
{
    *out = nullptr;
    if (g_open)
        return fail(err, SIM_ERR_BUSY, "a simulation is already open in this process");
    const char *vcd = opts && opts->vcd_path && *opts->vcd_path ? opts->vcd_path : nullptr;
    nn_error nerr{};
    if (nn_qnn_validate(q, &nerr) != NN_OK)
        return fail(err, SIM_ERR_ARG, "%s", nerr.msg);
    if (q->n_layers > CM_MAX_LAYERS)
        return fail(err, SIM_ERR_ARG, "%d layers (at most %d)", q->n_layers, CM_MAX_LAYERS);
    if (net->n_layers != q->n_layers || d->n_layers != q->n_layers)
        return fail(err, SIM_ERR_ARG, "the design (%d layers) and network (%d) are not the "
                    "model's (%d layers)", d->n_layers, net->n_layers, q->n_layers);
    sim *s = new (std::nothrow) sim;
    if (!s)
        return fail(err, SIM_ERR_NOMEM, "out of memory for the simulator");
    s->design = new (std::nothrow) cm_design(*d);  // the caller's, evaluated for net
    if (!s->design) {
        delete s;
        return fail(err, SIM_ERR_NOMEM, "out of memory for the design");
    }
    s->layers.assign(net->layers, net->layers + net->n_layers);
    s->net = *net;
    s->net.layers = s->layers.data();
    char msg[256];
    if (!lsim::program_build(s->prog, *q, s->design->hw, s->net, msg, sizeof msg)) {
        delete s->design;
        delete s;
        return fail(err, SIM_ERR_ARG, "%s", msg);
    }
    cm_ctl_widths_of(s->design->hw.pe_rows, &s->design->ctl_sizes, &s->prog.ctl_w);
    s->prog.ctl_bank_bits = s->design->ctl_sizes.bank_bits;
    nn_status ws_st = NN_OK;
    for (int k = 0; k < GOLDEN_SLOTS && ws_st == NN_OK; k++)
        ws_st = nn_infer_ws_init_max(&s->ws[k], q, opts ? opts->max_mem_gib : 0.0, &nerr);
    if (ws_st != NN_OK) {
        for (nn_infer_ws &w : s->ws)
            nn_infer_ws_free(&w);
        delete s->design;
        delete s;
        return fail(err, ws_st == NN_ERR_NOMEM ? SIM_ERR_NOMEM : SIM_ERR_LIMIT, "%s", nerr.msg);
    }
    s->model = s->ref_model = q;

    const sc_core::sc_time period(1000.0 / s->design->hw.clock_mhz, sc_core::SC_NS);
    if (!g_top) {
        setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
        sc_core::sc_report_handler::set_handler(report_to_stderr);
        sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
        g_top = new sim_top("logiq");
    }
    g_top->acc.configure(&s->prog, period);
    if (vcd) {
        // sc_create_vcd_trace_file appends ".vcd": give it the name without
        std::string name(vcd);
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".vcd") == 0)
            name.resize(name.size() - 4);
        g_vcd_path = name + ".vcd";
        name += ".tmp." + std::to_string((long)getpid());
        g_vcd_tmp = name + ".vcd";
        FILE *probe = fopen(g_vcd_tmp.c_str(), "w");
        if (!probe) {
            const int e = errno;
            for (nn_infer_ws &w : s->ws)
                nn_infer_ws_free(&w);
            delete s->design;
            delete s;
            return fail(err, SIM_ERR_IO, "%s: cannot write (%s)", g_vcd_path.c_str(), strerror(e));
        }
        fclose(probe);
        // A trace file may be created at any pause of the simulation: SystemC
        // only refuses traces added to a file after its first time step, and
        // this one gets all of its traces now. Its time stamps are the
        // kernel's, which keeps running from one simulation to the next.
        g_vcd = sc_core::sc_create_vcd_trace_file(name.c_str());
        g_vcd->set_time_unit(1, sc_core::SC_PS);  // vcd_unit
        g_top->acc.trace(g_vcd);
        g_vcd_until = opts->vcd_images > 0 ? opts->vcd_images : 1;
    }
    g_open = true;

    s->stats.n_layers = q->n_layers;
    for (int i = 0; i < q->n_layers; i++)
        s->stats.layer[i].analytic = s->design->layer[i].cyc.total;
    *out = s;
    return SIM_OK;
}

// The golden model running ahead of the clocked model on a second thread:
// image i's reference goes into workspace i % GOLDEN_SLOTS once the clocked
// model has released image i - GOLDEN_SLOTS. The clocked model takes image
// i when it is complete, so the scoreboard still sees every output of every
// image; the two models only overlap in time.
class golden_ahead {
public:
    golden_ahead(const nn_qnn *model, nn_infer_ws *ws, const uint8_t *pixels, size_t img, int n)
        : model_(model), ws_(ws), pixels_(pixels), img_(img), n_(n)
    {
        pred_.fill(0);
        if (n_ > 1)
            thread_ = std::thread(&golden_ahead::produce, this);
        else if (n_ == 1)
            run(0);  // one image: nothing to overlap
    }
    ~golden_ahead() { stop(); }

    // Waits for image i's reference; slot(i) holds it until release(i).
    const nn_infer_ws &wait(int i, int *pred)
    {
        if (thread_.joinable()) {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [&] { return produced_ > i; });
        }
        *pred = pred_[(size_t)(i % GOLDEN_SLOTS)];
        return ws_[i % GOLDEN_SLOTS];
    }
    void release(int i)
    {
        std::lock_guard<std::mutex> lock(mu_);
        consumed_ = i + 1;
        cv_.notify_all();
    }
    // Stops the thread (after an error, or at the end); returns the golden
    // model's seconds.
    double stop()
    {
        if (thread_.joinable()) {
            {
                std::lock_guard<std::mutex> lock(mu_);
                stop_ = true;
                cv_.notify_all();
            }
            thread_.join();
        }
        return seconds_;
    }

private:
    void run(int i)
    {
        auto t0 = std::chrono::steady_clock::now();
        pred_[(size_t)(i % GOLDEN_SLOTS)] =
            nn_infer_image(model_, &ws_[i % GOLDEN_SLOTS], pixels_ + (size_t)i * img_);
        seconds_ += seconds_since(t0);
    }
    void produce()
    {
        for (int i = 0; i < n_; i++) {
            {
                std::unique_lock<std::mutex> lock(mu_);
                cv_.wait(lock, [&] { return stop_ || i - consumed_ < GOLDEN_SLOTS; });
                if (stop_)
                    return;
            }
            run(i);
            std::lock_guard<std::mutex> lock(mu_);
            produced_ = i + 1;
            cv_.notify_all();
        }
    }

    const nn_qnn *model_;
    nn_infer_ws *ws_;
    const uint8_t *pixels_;
    size_t img_;
    int n_;
    std::array<int, GOLDEN_SLOTS> pred_;
    double seconds_ = 0.0;
    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    int produced_ = 0, consumed_ = 0;
    bool stop_ = false;
};

extern "C" enum sim_status sim_run(struct sim *s, const uint8_t *pixels, int n, int *pred,
                                   int *matched, struct sim_error *err)
{
    if (n < 0 || (n > 0 && !pixels))
        return fail(err, SIM_ERR_ARG, "%d images without pixels", n);
    lsim::accel &a = g_top->acc;
    const size_t img = (size_t)s->model->in_h * s->model->in_w * s->model->in_c;
    long long analytic = 0;
    for (int i = 0; i < s->stats.n_layers; i++)
        analytic += s->stats.layer[i].analytic;
    const sc_core::sc_time period(1000.0 / s->design->hw.clock_mhz, sc_core::SC_NS);
    auto t0 = std::chrono::steady_clock::now();
    sim_status st = SIM_OK;
    golden_ahead golden(s->ref_model, s->ws, pixels, img, n);
    for (int i = 0; i < n; i++) {
        lsim::reference ref;
        const nn_infer_ws &ws = golden.wait(i, &ref.pred);
        ref.act = ws.act;
        ref.scores = ws.scores;
        a.start_image(pixels + (size_t)i * img, ref, s->stats.images);
        // a watchdog: a correct model ends far earlier and pauses itself
        auto tm = std::chrono::steady_clock::now();
        sc_core::sc_start(period * (double)(2 * analytic + 1000));
        s->stats.model_seconds += seconds_since(tm);
        golden.release(i);
        if (!a.image_done()) {
            st = fail(err, SIM_ERR_INTERNAL, "image %lld did not finish within %lld cycles",
                      s->stats.images, 2 * analytic + 1000);
            break;
        }
        if (a.image_time_cycles() != a.image_cycles()) {
            st = fail(err, SIM_ERR_INTERNAL, "image %lld: %lld cycles counted, %lld by the clock",
                      s->stats.images, a.image_cycles(), a.image_time_cycles());
            break;
        }
        long long c = a.image_cycles();
        if (s->stats.images == 0 || c < s->stats.min_image_cycles)
            s->stats.min_image_cycles = c;
        if (c > s->stats.max_image_cycles)
            s->stats.max_image_cycles = c;
        s->stats.cycles += c;
        s->stats.images++;
        s->stats.mismatched_images += !a.image_matched();
        if (pred)
            pred[i] = a.prediction();
        if (matched)
            matched[i] = a.image_matched();
        if (g_vcd && s->stats.images >= g_vcd_until && !close_vcd()) {
            st = fail(err, SIM_ERR_IO, "%s", g_vcd_error.c_str());
            break;
        }
    }
    s->stats.ref_seconds += golden.stop();
    s->stats.sim_seconds += seconds_since(t0);
    for (int l = 0; l < s->stats.n_layers; l++) {
        sim_layer_stats &ls = s->stats.layer[l];
        ls.cycles = a.layer_cycles[l];
        for (int b = 0; b < CM_N_BUFS; b++) {
            ls.reads[b] = a.layer_reads[b][l];
            ls.writes[b] = a.layer_writes[b][l];
            ls.read_bits[b] = ls.reads[b] ? (double)a.layer_read_bits[b][l] / ls.reads[b] : 0.0;
            ls.write_bits[b] =
                ls.writes[b] ? (double)a.layer_write_bits[b][l] / ls.writes[b] : 0.0;
        }
        for (int u = 0; u < CM_N_UNITS; u++)
            ls.toggles[u] = (double)a.layer_toggles[u][l];
    }
    for (int u = 0; u < CM_N_UNITS; u++) {
        double t = 0;
        for (int l = 0; l < s->stats.n_layers; l++)
            t += s->stats.layer[l].toggles[u];
        s->stats.toggles[u] = t;
        s->stats.toggle_bits[u] = a.toggle_bits[u];
    }
    s->stats.has_mismatch = a.has_mismatch;
    s->stats.first = a.first_mismatch;
    return st;
}

extern "C" const struct sim_stats *sim_stats(const struct sim *s) { return &s->stats; }

extern "C" const struct cm_design *sim_design(const struct sim *s) { return s->design; }

extern "C" void sim_activity(const struct sim *s, struct cm_activity *act)
{
    *act = cm_activity{};
    const struct sim_stats &st = s->stats;
    if (st.images == 0)
        return;
    const double n = (double)st.images;
    act->cycles = (double)st.cycles / n;
    for (int u = 0; u < CM_N_UNITS; u++) {
        const double dff = s->design->unit[u].n[CM_DFF] > 0 ? s->design->unit[u].n[CM_DFF] : 1.0;
        act->toggles[u] =
            st.toggle_bits[u] > 0 ? st.toggles[u] / n * dff / st.toggle_bits[u] : 0.0;
    }
    for (int b = 0; b < CM_N_BUFS; b++) {
        double r = 0, w = 0, rb = 0, wb = 0;
        for (int l = 0; l < st.n_layers; l++) {
            r += st.layer[l].reads[b];
            w += st.layer[l].writes[b];
            rb += st.layer[l].reads[b] * st.layer[l].read_bits[b];
            wb += st.layer[l].writes[b] * st.layer[l].write_bits[b];
        }
        act->reads[b] = r / n;
        act->writes[b] = w / n;
        act->read_bits[b] = r > 0 ? rb / r : 0.0;
        act->write_bits[b] = w > 0 ? wb / w : 0.0;
    }
}

extern "C" void sim_set_reference(struct sim *s, const struct nn_qnn *ref)
{
    s->ref_model = ref ? ref : s->model;
}

extern "C" enum sim_status sim_vcd_close(struct sim *s, struct sim_error *err)
{
    (void)s;
    return close_vcd() ? SIM_OK : fail(err, SIM_ERR_IO, "%s", g_vcd_error.c_str());
}

extern "C" void sim_close(struct sim *s)
{
    if (!s)
        return;
    close_vcd();
    for (nn_infer_ws &w : s->ws)
        nn_infer_ws_free(&w);
    delete s->design;
    delete s;
    g_open = false;
}
