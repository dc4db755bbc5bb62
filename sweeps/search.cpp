// sweeps/search.cpp: the C++ side of search.h: pagmo2's NSGA-II over a grid's
// index vector, and pagmo2's hypervolume. Exceptions never cross into C:
// each entry point catches them and returns a status with the message.
extern "C" {
#include "sweeps/status.h"
}
#include "sweeps/search.h"

#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <pagmo/algorithm.hpp>
#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <pagmo/utils/hypervolume.hpp>

namespace {

// Raised by the problem when the caller's eval aborts.
struct eval_aborted : std::exception {
    const char *what() const noexcept override { return "the evaluation failed"; }
};

// The grid as a pagmo problem: every variable an integer in [0, n - 1].
// pagmo copies problems; the copies share the caller's callback and ctx.
struct grid_problem {
    std::vector<int> n_values;
    unsigned n_obj = 2;
    sw_search_eval_fn eval = nullptr;
    void *ctx = nullptr;

    pagmo::vector_double fitness(const pagmo::vector_double &x) const
    {
        std::vector<int> idx(x.size());
        for (size_t i = 0; i < x.size(); i++) {
            // pagmo keeps integer variables integral; round against drift
            int v = (int)(x[i] + 0.5);
            idx[i] = v < 0 ? 0 : v >= n_values[i] ? n_values[i] - 1 : v;
        }
        pagmo::vector_double f(n_obj);
        if (eval(ctx, idx.data(), f.data()) != 0)
            throw eval_aborted();
        return f;
    }
    std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const
    {
        pagmo::vector_double lo(n_values.size(), 0.0), hi(n_values.size());
        for (size_t i = 0; i < n_values.size(); i++)
            hi[i] = n_values[i] - 1;
        return {lo, hi};
    }
    pagmo::vector_double::size_type get_nobj() const { return n_obj; }
    pagmo::vector_double::size_type get_nix() const { return n_values.size(); }
    std::string get_name() const { return "logiq design grid"; }
};

// pagmo's messages span lines ("function: ... where: ... what: ..."); an
// error here is one line, so they are joined and cut.
std::string one_line(const char *what)
{
    std::string s;
    for (const char *p = what; *p && s.size() < 900; p++)
        if (*p == '\n') {
            if (!s.empty() && s.back() != ' ')
                s += "; ";
        } else {
            s += *p;
        }
    return s;
}

}  // namespace

extern "C" enum sw_status sw_search_nsga2(const struct sw_search_opts *o, sw_search_eval_fn eval,
                                          sw_search_gen_fn gen, void *ctx, struct sw_error *err)
{
    if (o->pop < 8 || o->pop % 4 != 0)
        return sw_fail(err, SW_ERR_SPEC, "--pop %d: NSGA-II needs a population that is a "
                       "multiple of 4, at least 8", o->pop);
    if (o->n_obj < 2 || o->n_axes < 1 || o->gens < 0)
        return sw_fail(err, SW_ERR_SPEC, "search: %d objectives, %d variables, %d generations",
                       o->n_obj, o->n_axes, o->gens);
    try {
        grid_problem gp;
        gp.n_values.assign(o->n_values, o->n_values + o->n_axes);
        // an axis of one value is still a variable (bounds [0, 0])
        gp.n_obj = (unsigned)o->n_obj;
        gp.eval = eval;
        gp.ctx = ctx;
        pagmo::problem prob{gp};
        pagmo::population pop{prob, (pagmo::population::size_type)o->pop, o->seed};
        if (gen && gen(ctx, 0, (long long)pop.get_problem().get_fevals()) != 0)
            return SW_OK;
        // Deb's settings for the crossover (0.95, eta 10); a mutation rate of
        // one variable a child (1/n), pagmo's eta 50. One generation an
        // evolve call: the algorithm keeps its random engine, so the run is
        // that of one call with gens generations, observable after each.
        const double m = 1.0 / o->n_axes;
        pagmo::algorithm algo{pagmo::nsga2(1u, 0.95, 10., m, 50., o->seed)};
        for (int g = 1; g <= o->gens; g++) {
            pop = algo.evolve(pop);
            if (gen && gen(ctx, g, (long long)pop.get_problem().get_fevals()) != 0)
                break;
        }
    } catch (const eval_aborted &) {
        return sw_fail(err, SW_ERR_PROC, "search: the evaluation of a design failed");
    } catch (const std::exception &e) {
        return sw_fail(err, SW_ERR_PROC, "search: pagmo: %s", one_line(e.what()).c_str());
    }
    return SW_OK;
}

extern "C" enum sw_status sw_hypervolume(const double *pts, int n, int k, const double *ref,
                                         double *hv, struct sw_error *err)
{
    *hv = 0.0;
    std::vector<pagmo::vector_double> in;
    for (int i = 0; i < n; i++) {
        const double *p = pts + (size_t)i * k;
        bool inside = true;
        for (int j = 0; j < k; j++)
            inside = inside && p[j] < ref[j];
        if (inside)
            in.emplace_back(p, p + k);
    }
    if (in.empty())
        return SW_OK;
    try {
        if (in.size() == 1) {  // pagmo wants two points or more for some algorithms
            double v = 1.0;
            for (int j = 0; j < k; j++)
                v *= ref[j] - in[0][j];
            *hv = v;
            return SW_OK;
        }
        pagmo::hypervolume h(in, true);
        *hv = h.compute(pagmo::vector_double(ref, ref + k));
    } catch (const std::exception &e) {
        return sw_fail(err, SW_ERR_PROC, "hypervolume: pagmo: %s", one_line(e.what()).c_str());
    }
    return SW_OK;
}
