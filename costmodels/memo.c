/* costmodels/memo.c: the unit memo (memo.h): an open-addressing table from
 * (function, arguments, and for a path its options) to the result. */
#include "costmodels/memo.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    int used, is_path, fn, cuts, mode;
    int args[CM_MEMO_MAX_ARGS];
    double in_ps;
    struct cm_count count;
    struct cm_path path;
};

struct cm_memo {
    struct entry *e;
    size_t cap, n;
    const struct cm_lib *lib;   /* the library of the paths kept */
    long long lookups, builds;
};

struct cm_memo *cm_memo_new(void)
{
    struct cm_memo *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = 256;
    m->e = calloc(m->cap, sizeof *m->e);
    if (!m->e) {
        free(m);
        return NULL;
    }
    return m;
}

void cm_memo_free(struct cm_memo *m)
{
    if (!m)
        return;
    free(m->e);
    free(m);
}

void cm_memo_stats(const struct cm_memo *m, long long *lookups, long long *builds)
{
    *lookups = m ? m->lookups : 0;
    *builds = m ? m->builds : 0;
}

/* How many of args a function reads. */
static int n_args(enum cm_unit_fn fn, const int *args)
{
    switch (fn) {
    case CM_FN_LANE_LOGIC: case CM_FN_LANE_LOGIC_XNOR: case CM_FN_FETCH_GATING:
    case CM_FN_FETCH_GATING_XNOR: case CM_FN_MERGE_OR:
        return 1;
    case CM_FN_LANE_LOGIC_SHIFT: case CM_FN_POPCOUNT: case CM_FN_MERGE_MUX:
    case CM_FN_MERGE_ADD_STREAM: case CM_FN_POOL: case CM_FN_ADDR_ADD:
        return 2;
    case CM_FN_SHIFT_ADD: case CM_FN_THRESHOLD:
        return 3;
    case CM_FN_ACCUMULATOR: case CM_FN_ACCUMULATOR_XNOR: case CM_FN_MERGE_ADD:
    case CM_FN_MERGE_ADD_REQUANT: case CM_FN_SCORE:
        return 4;
    case CM_FN_MERGE_ADD_SHIFT: case CM_FN_MERGE_ADD_REQUANT_SHIFT: case CM_FN_SCORE_REGFILE:
        return 5;
    case CM_FN_CTL_PATH:
        return 15;
    case CM_FN_CONTROLLER:
        assert(args[0] >= 1 && args[0] <= CM_MEMO_MAX_ARGS - 2);
        return 2 + args[0];
    case CM_N_FNS:
        break;
    }
    assert(0);
    return 0;
}

static struct cm_count build_count(enum cm_unit_fn fn, const int *a)
{
    switch (fn) {
    case CM_FN_LANE_LOGIC: return cm_lane_logic(a[0]);
    case CM_FN_LANE_LOGIC_SHIFT: return cm_lane_logic_shift(a[0], a[1]);
    case CM_FN_LANE_LOGIC_XNOR: return cm_lane_logic_xnor(a[0]);
    case CM_FN_FETCH_GATING: return cm_fetch_gating(a[0]);
    case CM_FN_FETCH_GATING_XNOR: return cm_fetch_gating_xnor(a[0]);
    case CM_FN_POPCOUNT: return cm_popcount(a[0], (enum cm_adder_arch)a[1]);
    case CM_FN_SHIFT_ADD: return cm_shift_add(a[0], a[1], (enum cm_adder_arch)a[2]);
    case CM_FN_ACCUMULATOR: return cm_accumulator(a[0], a[1], a[2], (enum cm_adder_arch)a[3]);
    case CM_FN_ACCUMULATOR_XNOR:
        return cm_accumulator_xnor(a[0], a[1], a[2], (enum cm_adder_arch)a[3]);
    case CM_FN_THRESHOLD: return cm_threshold_unit(a[0], a[1], (enum cm_adder_arch)a[2]);
    case CM_FN_MERGE_OR: return cm_merge_or(a[0]);
    case CM_FN_MERGE_MUX: return cm_merge_mux(a[0], (enum cm_mux_variant)a[1]);
    case CM_FN_MERGE_ADD: return cm_merge_add(a[0], a[1], a[2], (enum cm_adder_arch)a[3]);
    case CM_FN_MERGE_ADD_REQUANT:
        return cm_merge_add_requant(a[0], a[1], a[2], (enum cm_adder_arch)a[3]);
    case CM_FN_MERGE_ADD_REQUANT_SHIFT:
        return cm_merge_add_requant_shift(a[0], a[1], a[2], a[3], (enum cm_adder_arch)a[4]);
    case CM_FN_MERGE_ADD_STREAM: return cm_merge_add_stream(a[0], (enum cm_adder_arch)a[1]);
    case CM_FN_POOL: return cm_pool(a[0], (enum cm_adder_arch)a[1]);
    case CM_FN_SCORE: return cm_score_unit(a[0], a[1], a[2], (enum cm_adder_arch)a[3]);
    case CM_FN_CONTROLLER: return cm_controller(a + 2, a[0], a[1]);
    case CM_FN_ADDR_ADD: return cm_addr_add(a[0], (enum cm_adder_arch)a[1]);
    case CM_FN_CTL_PATH: {
        const struct cm_ctl_path_cfg c = {
            .pe_rows = a[0], .act_bits = a[1],
            .w = {a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]},
            .merges = a[11] & 1, .add_stream = (a[11] >> 1) & 1, .mux_both = (a[11] >> 2) & 1,
            .pow2_codes = (a[11] >> 3) & 1, .rq_shift_bits = a[12], .shift_bits = a[13],
            .arch = (enum cm_adder_arch)a[14],
        };
        return cm_ctl_path(&c);
    }
    case CM_FN_SCORE_REGFILE:
        return cm_score_regfile(a[0], a[1], a[2], a[3], (enum cm_adder_arch)a[4]);
    case CM_FN_MERGE_ADD_SHIFT: case CM_N_FNS: break;
    }
    assert(0 && "no count for this unit function");
    return (struct cm_count){{0}};
}

static struct cm_path build_path(const struct cm_path_opts *o, enum cm_unit_fn fn, const int *a)
{
    switch (fn) {
    case CM_FN_LANE_LOGIC: return cm_path_lane_logic(o, a[0]);
    case CM_FN_LANE_LOGIC_SHIFT: return cm_path_lane_logic_shift(o, a[0], a[1]);
    case CM_FN_LANE_LOGIC_XNOR: return cm_path_lane_logic_xnor(o, a[0]);
    case CM_FN_FETCH_GATING: return cm_path_fetch_gating(o, a[0]);
    case CM_FN_FETCH_GATING_XNOR: return cm_path_fetch_gating_xnor(o, a[0]);
    case CM_FN_POPCOUNT: return cm_path_popcount(o, a[0], (enum cm_adder_arch)a[1]);
    case CM_FN_SHIFT_ADD: return cm_path_shift_add(o, a[0], a[1], (enum cm_adder_arch)a[2]);
    case CM_FN_ACCUMULATOR:
        return cm_path_accumulator(o, a[0], a[1], a[2], (enum cm_adder_arch)a[3]);
    case CM_FN_ACCUMULATOR_XNOR:
        return cm_path_accumulator_xnor(o, a[0], a[1], a[2], (enum cm_adder_arch)a[3]);
    case CM_FN_THRESHOLD: return cm_path_threshold_unit(o, a[0], a[1], (enum cm_adder_arch)a[2]);
    case CM_FN_MERGE_OR: return cm_path_merge_or(o, a[0]);
    case CM_FN_MERGE_MUX: return cm_path_merge_mux(o, a[0], (enum cm_mux_variant)a[1]);
    case CM_FN_MERGE_ADD: return cm_path_merge_add(o, a[0], a[1], a[2], (enum cm_adder_arch)a[3]);
    case CM_FN_MERGE_ADD_SHIFT:
        return cm_path_merge_add_shift(o, a[0], a[1], a[2], a[3], (enum cm_adder_arch)a[4]);
    case CM_FN_POOL: return cm_path_pool(o, a[0], (enum cm_adder_arch)a[1]);
    case CM_FN_SCORE: return cm_path_score_unit(o, a[0], a[1], a[2], (enum cm_adder_arch)a[3]);
    case CM_FN_CONTROLLER: return cm_path_controller(o, a + 2, a[0], a[1]);
    case CM_FN_MERGE_ADD_REQUANT: case CM_FN_MERGE_ADD_REQUANT_SHIFT:
    case CM_FN_MERGE_ADD_STREAM: case CM_FN_ADDR_ADD: case CM_FN_CTL_PATH:
    case CM_FN_SCORE_REGFILE: case CM_N_FNS: break;
    }
    assert(0 && "no path for this unit function");
    return (struct cm_path){0};
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

static uint64_t hash_key(const struct entry *k)
{
    uint64_t h = mix(mix(mix(mix(1469598103934665603ULL, (uint64_t)k->is_path), (uint64_t)k->fn),
                         (uint64_t)k->cuts),
                     (uint64_t)k->mode);
    for (int i = 0; i < CM_MEMO_MAX_ARGS; i++)
        h = mix(h, (uint64_t)(unsigned)k->args[i]);
    uint64_t b;
    memcpy(&b, &k->in_ps, sizeof b);
    h = mix(h, b);
    /* a final avalanche (splitmix64's), so the low bits index the table well */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

static int same_key(const struct entry *a, const struct entry *b)
{
    return a->is_path == b->is_path && a->fn == b->fn && a->cuts == b->cuts &&
           a->mode == b->mode && memcmp(a->args, b->args, sizeof a->args) == 0 &&
           memcmp(&a->in_ps, &b->in_ps, sizeof a->in_ps) == 0;
}

/* The slot of key k: its entry, or the empty slot where it goes. */
static struct entry *find(struct cm_memo *m, const struct entry *k)
{
    size_t i = (size_t)hash_key(k) & (m->cap - 1);
    while (m->e[i].used && !same_key(&m->e[i], k))
        i = (i + 1) & (m->cap - 1);
    return &m->e[i];
}

/* Doubles the table; on failure the memo stays as it is (full: it then
 * stops remembering). */
static int grow(struct cm_memo *m)
{
    struct cm_memo bigger = *m;
    bigger.cap = 2 * m->cap;
    bigger.e = calloc(bigger.cap, sizeof *bigger.e);
    if (!bigger.e)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->e[i].used)
            *find(&bigger, &m->e[i]) = m->e[i];
    free(m->e);
    *m = bigger;
    return 0;
}

/* The key of a lookup; unused arguments are 0. */
static struct entry make_key(int is_path, enum cm_unit_fn fn, const int *args,
                             const struct cm_path_opts *o)
{
    struct entry k;
    memset(&k, 0, sizeof k);
    k.is_path = is_path;
    k.fn = fn;
    const int n = n_args(fn, args);
    for (int i = 0; i < n; i++)
        k.args[i] = args[i];
    if (o) {
        k.cuts = o->cuts;
        k.mode = o->mode;
        k.in_ps = o->in_ps;
    }
    return k;
}

/* Stores a new entry unless the table is full and cannot grow. */
static struct entry *insert(struct cm_memo *m, const struct entry *k)
{
    if (2 * (m->n + 1) > m->cap && grow(m) != 0)
        return NULL;
    struct entry *e = find(m, k);
    *e = *k;
    e->used = 1;
    m->n++;
    return e;
}

struct cm_count cm_memo_count(struct cm_memo *m, enum cm_unit_fn fn, const int *args)
{
    if (!m)
        return build_count(fn, args);
    m->lookups++;
    struct entry k = make_key(0, fn, args, NULL);
    struct entry *e = find(m, &k);
    if (e->used)
        return e->count;
    m->builds++;
    k.count = build_count(fn, args);
    insert(m, &k);
    return k.count;
}

struct cm_count cm_memo_ctl_path(struct cm_memo *m, const struct cm_ctl_path_cfg *c)
{
    const struct cm_ctl_widths *w = &c->w;
    const int a[15] = {c->pe_rows, c->act_bits, w->tile, w->pos, w->chunk, w->valid, w->weight,
                       w->bank, w->skip, w->rq, w->cls,
                       (c->merges != 0) | (c->add_stream != 0) << 1 | (c->mux_both != 0) << 2 |
                           (c->pow2_codes != 0) << 3,
                       c->rq_shift_bits, c->shift_bits, (int)c->arch};
    return cm_memo_count(m, CM_FN_CTL_PATH, a);
}

struct cm_path cm_memo_path(struct cm_memo *m, const struct cm_path_opts *o, enum cm_unit_fn fn,
                            const int *args)
{
    if (!m)
        return build_path(o, fn, args);
    if (m->lib != o->lib) {  /* another library: forget every path */
        for (size_t i = 0; i < m->cap; i++)
            if (m->e[i].used && m->e[i].is_path) {
                memset(m->e, 0, m->cap * sizeof *m->e);
                m->n = 0;
                break;
            }
        m->lib = o->lib;
    }
    m->lookups++;
    struct entry k = make_key(1, fn, args, o);
    struct entry *e = find(m, &k);
    if (e->used)
        return e->path;
    m->builds++;
    k.path = build_path(o, fn, args);
    if (!k.path.nomem)  /* a failed build is not a result to keep */
        insert(m, &k);
    return k.path;
}
