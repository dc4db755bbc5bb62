/* cli/cmd_sweep.c: `logiq sweep`: runs every point of a sweep spec, each in
 * its own process, into a SQLite result store, resumably; also lists the
 * points (--dry-run), shows Pareto fronts (--pareto), writes a Slurm array
 * job (--slurm) and merges its shards (--merge).
 *
 * Process model (docs/sweeps.md): the runner re-executes logiq itself as
 * `logiq sweep SPEC --point KEY --store DB` for each pending point,
 * `-j N` at a time, each in its own process group under the parent-death
 * signal. The point process writes its own row, done or failed; when it
 * crashes, hangs past the timeout or exits without a row, the runner writes
 * the failed row with the reason. A point is pending until its row exists,
 * so a runner killed at any moment and started again redoes exactly the
 * points that had no row. */
#define _DEFAULT_SOURCE /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep.h"
#include "sweeps/exec.h"
#include "sweeps/point.h"
#include "sweeps/shell.h"
#include "sweeps/pareto.h"

static const char help[] =
    "usage: logiq sweep SPEC.ini [-j N] [--timeout S] [--store FILE] [--retry-failed]\n"
    "       logiq sweep SPEC.ini --dry-run | --pareto\n"
    "       logiq sweep SPEC.ini --slurm [-o job.sh] | --merge DIR\n"
    "       logiq sweep SPEC.ini --point KEY [--shard DIR]\n"
    "       logiq sweep SPEC.ini --search N [--population P] [--seed S]\n"
    "\n"
    "Trains, exports, costs and simulates every design point of a sweep spec (format:\n"
    "docs/sweeps.md; examples in sweeps/), each in its own process, and keeps\n"
    "every result in one SQLite file (default: the spec's name + .db in the\n"
    "current folder; per-point files in NAME.d/). Resumable: killed at any\n"
    "moment and run again, it skips the points already in the store. A point\n"
    "that fails, crashes or runs past its timeout is recorded as failed with\n"
    "its reason, and the sweep goes on.\n"
    "\n"
    "  -j, --jobs N         points run at a time (default 1)\n"
    "  --timeout S          kill a point after S seconds (default: [sweep]\n"
    "                       timeout_s, else none)\n"
    "  --store FILE         the result store\n"
    "  --retry-failed       run the failed points again too\n"
    "  --max-points N       refuse a spec of more than N points (default 100000,\n"
    "                       at most 10000000)\n"
    "  --dry-run            list the points, their state and an estimated time;\n"
    "                       writes nothing\n"
    "  --pareto             the points on the Pareto front of accuracy vs gates,\n"
    "                       energy and latency\n"
    "  --slurm              write a Slurm array job (one task per pending point)\n"
    "                       to NAME.d/slurm.sh (or -o FILE); each task writes a\n"
    "                       shard in NAME.d/shards/\n"
    "  --merge DIR          fold the shards of DIR into the store\n"
    "  --search N           instead of the whole grid, N points chosen by NSGA-II\n"
    "                       (pagmo2) minimizing the integer model's test error, the\n"
    "                       gates, the energy and the latency; for grids too large\n"
    "                       or points too costly to run whole (e.g. per-layer widths\n"
    "                       and merges in [layers], each point trained briefly). N is\n"
    "                       a multiple of --population; points the store holds are\n"
    "                       not run again, so a killed search resumes\n"
    "  --population P       the search's population (a multiple of 4, >= 8; default 8)\n"
    "  --seed S             the search's seed (default 1)\n"
    "  --point KEY          run one point and write its row (what the runner and\n"
    "                       the Slurm tasks run)\n"
    "  --shard DIR          with --point: write the row to DIR/KEY.db instead\n"
    "  -o, --output FILE    --slurm: the script's path\n"
    "  -q, --quiet          no progress line\n"
    "  -h, --help           this help\n"
    "\n"
    "Environment: LOGIQ_SWEEP_EXE, the program run for each point instead of\n"
    "this logiq (a wrapper: nice, a container, a debugger); it receives the\n"
    "arguments `sweep SPEC --point KEY --store FILE`.\n"
    "Exit codes: 0 every point has a result (done or failed), 1 interrupted or\n"
    "the work failed, 2 bad usage or a bad spec (nothing written).\n";

enum {
    O_TIMEOUT = 256, O_STORE, O_RETRY, O_DRY, O_PARETO, O_SLURM, O_MERGE, O_POINT, O_SHARD,
    O_MAX_POINTS, O_SEARCH, O_POPULATION, O_SEED
};

static const struct option long_opts[] = {
    {"jobs", required_argument, 0, 'j'},
    {"timeout", required_argument, 0, O_TIMEOUT},
    {"store", required_argument, 0, O_STORE},
    {"retry-failed", no_argument, 0, O_RETRY},
    {"max-points", required_argument, 0, O_MAX_POINTS},
    {"dry-run", no_argument, 0, O_DRY},
    {"pareto", no_argument, 0, O_PARETO},
    {"slurm", no_argument, 0, O_SLURM},
    {"merge", required_argument, 0, O_MERGE},
    {"point", required_argument, 0, O_POINT},
    {"search", required_argument, 0, O_SEARCH},
    {"population", required_argument, 0, O_POPULATION},
    {"seed", required_argument, 0, O_SEED},
    {"shard", required_argument, 0, O_SHARD},
    {"output", required_argument, 0, 'o'},
    {"quiet", no_argument, 0, 'q'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static int usage_error(const char *msg)
{
    fprintf(stderr, "logiq sweep: %s\n", msg);
    return EXIT_USAGE;
}

int sweep_load(const char *spec_path, long max_points, struct sw_spec *s, struct sw_point **pts,
               int *n, char **text)
{
    struct sw_error err;
    enum sw_status st = sw_spec_load(spec_path, max_points, s, pts, n, text, &err);
    if (st != SW_OK) {
        fprintf(stderr, "logiq sweep: %s%s\n", err.msg,
                strstr(err.msg, "points (at most") ? "; --max-points N raises the limit" : "");
        return sw_status_exit_code(st);
    }
    return 0;
}

/* The parameters that vary across the points, for tables. */
static void point_label(const struct sw_spec *s, const struct sw_point *p, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < s->n_axes && len + 1 < size; i++) {
        if (s->axes[i].n < 2)
            continue;
        const char *v = s->axes[i].text[p->vi[i]];
        int w = sw_fmt(buf + len, size - len, "%s%s=%s", len ? " " : "",
                         strncmp(s->axes[i].name, "hw.", 3) == 0 ? s->axes[i].name + 3
                                                                  : s->axes[i].name,
                         v[0] ? v : "-");
        if (w < 0 || (size_t)w >= size - len)
            break;
        len += (size_t)w;
    }
    if (!buf[0])
        sw_fmt(buf, size, "(the only point)");
}

/* ---- time estimates ---- */

/* A rough seconds-per-point guess before any point finished: logiq train
 * ran res11 at width 0.25 at about 1200 images/s on one core; cost grows
 * with the square of the width. Plus 5 s of start-up, export and cost. */
static double guess_point_s(const struct sw_spec *s, const struct sw_point *p)
{
    const char *data = sw_point_value(s, p, "data"), *lim = sw_point_value(s, p, "train_limit");
    double images = strcmp(data, "synthetic") == 0 ? 4096 : strcmp(data, "fashion") == 0 ||
                    strcmp(data, "idx") == 0 ? 60000 : 50000;
    if (lim[0] && atof(lim) < images)
        images = atof(lim);
    double w = atof(sw_point_value(s, p, "width"));
    double epochs = atof(sw_point_value(s, p, "epochs"));
    double threads = atof(sw_point_value(s, p, "threads"));
    return 5.0 + epochs * images / 1200.0 * (w / 0.25) * (w / 0.25) / (threads > 1 ? 0.8 * threads : 1);
}

/* ---- the runner ---- */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct runner {
    const struct sw_spec *s;
    const struct sw_point *pts;
    int *queue;              /* indices of pending points */
    int n_queue;
    const char *spec_path, *store_path, *exe;
    char art[4096];
    struct sw_store *st;
    char *argv[12];
    char log[4300];
    int total, done, failed, running, finished_now;
    double sum_s, t0, last_finish;
    int parallel;
    struct cli_progress pr;
    int store_errors;
};

static int job_argv(void *ctx, int i, char ***argv, const char **log)
{
    struct runner *r = ctx;
    const struct sw_point *p = &r->pts[r->queue[i]];
    char dir[4300];
    sw_fmt(dir, sizeof dir, "%s/%s", r->art, p->key);
    mkdir(dir, 0755);
    sw_fmt(r->log, sizeof r->log, "%s/point.log", dir);
    FILE *f = fopen(r->log, "w");  /* this attempt's log only */
    if (f)
        fclose(f);
    r->argv[0] = (char *)r->exe;
    r->argv[1] = "sweep";
    r->argv[2] = "--point";
    r->argv[3] = (char *)p->key;
    r->argv[4] = "--store";
    r->argv[5] = (char *)r->store_path;
    r->argv[6] = "--";  /* the spec's path is never taken for an option */
    r->argv[7] = (char *)r->spec_path;
    r->argv[8] = NULL;
    *argv = r->argv;
    *log = r->log;
    return 0;
}

static void show_progress(struct runner *r, int force)
{
    char eta[32] = "?";
    int left = r->total - r->done - r->failed;
    if (r->finished_now > 0) {
        /* at the last finish: mean time x points left / parallel; counted
         * down since */
        double per = r->sum_s / r->finished_now;
        int par = r->parallel < left ? r->parallel : left;
        double at_finish = par > 0 ? per * left / par : 0.0;
        double e = at_finish - (sw_now() - r->last_finish);
        cli_format_duration(eta, sizeof eta, e > 0 ? e : 0.0);
    }
    char el[32];
    cli_format_duration(el, sizeof el, sw_now() - r->t0);
    cli_progress_show(&r->pr, force, "sweep %s: %d/%d done, %d running, %d failed, %s elapsed, "
                      "ETA %s", r->s->name, r->done, r->total, r->running, r->failed, el, eta);
}

static void job_start(void *ctx, int i)
{
    (void)i;
    struct runner *r = ctx;
    r->running++;
    show_progress(r, 0);
}

static void job_end(void *ctx, int i, const struct sw_end *end)
{
    struct runner *r = ctx;
    const struct sw_point *p = &r->pts[r->queue[i]];
    r->running--;
    r->finished_now++;
    r->sum_s += end->seconds;
    r->last_finish = sw_now();
    enum sw_state state = SW_STATE_NONE;
    struct sw_error err;
    if (sw_store_state(r->st, p->key, &state, &err) != SW_OK)
        r->store_errors++;
    int ok_exit = end->kind == SW_END_EXIT;
    if (ok_exit && end->code == 0 && state == SW_DONE) {
        r->done++;
    } else if (ok_exit && end->code == 1 && state == SW_FAILED) {
        r->failed++;
    } else {
        /* the point process could not write its row: record why */
        struct sw_result res;
        sw_result_init(&res);
        res.status = SW_FAILED;
        res.f.wall_s = end->seconds;
        gethostname(res.host, sizeof res.host - 1);
        char last[900];
        char logp[4300];
        sw_fmt(logp, sizeof logp, "%s/%s/point.log", r->art, p->key);
        sw_last_line(logp, last, sizeof last);
        if (end->kind == SW_END_TIMEOUT)
            sw_fmt(res.error, sizeof res.error, "timed out after %.0f s (killed)", end->seconds);
        else if (end->kind == SW_END_SIGNAL)
            sw_fmt(res.error, sizeof res.error, "crashed: killed by signal %d (%s)%s%s",
                     end->code, strsignal(end->code), last[0] ? "; last output: " : "", last);
        else
            sw_fmt(res.error, sizeof res.error, "exited with %d without a result%s%s",
                     end->code, last[0] ? ": " : "", last);
        if (sw_store_put(r->st, r->s, p, &res, SW_PUT_UNLESS_DONE, &err) != SW_OK) {
            r->store_errors++;
            fprintf(stderr, "\nlogiq sweep: %s\n", err.msg);
        }
        if (sw_store_state(r->st, p->key, &state, &err) == SW_OK && state == SW_DONE)
            r->done++;
        else
            r->failed++;
    }
    show_progress(r, 0);
}

static void job_stopped(void *ctx, int i)
{
    (void)i;
    struct runner *r = ctx;
    r->running--;
}

static void job_tick(void *ctx, int running)
{
    struct runner *r = ctx;
    r->running = running;
    show_progress(r, 0);
}

/* Opens the store a run writes (creating the point folder art), takes the
 * one-runner-per-store lock and records the spec. 0 with *st open and
 * *lock held (close both), or the exit code with the reason printed. */
static int open_run_store(const struct sw_spec *s, const char *spec_path, const char *text,
                          const char *store_path, char *art, size_t art_size,
                          struct sw_store **st, int *lock)
{
    sw_art_dir(store_path, art, art_size);
    if (mkdir(art, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "logiq sweep: %s: cannot create: %s\n", art, strerror(errno));
        return EXIT_WORK;
    }
    struct sw_error err;
    enum sw_status os = sw_store_open(st, store_path, SW_STORE_CREATE, &err);
    if (os != SW_OK) {
        fprintf(stderr, "logiq sweep: %s\n", err.msg);
        return sw_status_exit_code(os);
    }
    /* one runner per store: a lock on the store file itself, which holds
     * whatever path reaches it (a symbolic link, another spelling) */
    *lock = open(store_path, O_RDONLY | O_CLOEXEC);
    if (*lock < 0 || flock(*lock, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "logiq sweep: %s: another logiq sweep is running on this store (%s)\n",
                store_path, *lock < 0 ? strerror(errno) : "the store file is locked");
        if (*lock >= 0)
            close(*lock);
        sw_store_close(*st);
        return EXIT_WORK;
    }
    char abs_spec[4096];
    if (!realpath(spec_path, abs_spec))
        sw_fmt(abs_spec, sizeof abs_spec, "%s", spec_path);
    if (sw_store_meta_set(*st, "sweep", s->name, &err) != SW_OK ||
        sw_store_meta_set(*st, "spec_path", abs_spec, &err) != SW_OK ||
        sw_store_meta_set(*st, "spec_text", text, &err) != SW_OK) {
        fprintf(stderr, "logiq sweep: %s\n", err.msg);
        sw_store_close(*st);
        close(*lock);
        return EXIT_WORK;
    }
    return 0;
}

static int run_sweep(const struct sw_spec *s, const struct sw_point *pts, int n,
                     const char *spec_path, const char *text, const char *store_path,
                     int parallel, double timeout_s, int retry_failed, int quiet)
{
    struct runner r = {.s = s, .pts = pts, .spec_path = spec_path, .store_path = store_path,
                       .parallel = parallel, .total = n};
    int store_lock, orc = open_run_store(s, spec_path, text, store_path, r.art, sizeof r.art,
                                         &r.st, &store_lock);
    if (orc)
        return orc;
    struct sw_error err;

    r.queue = malloc((size_t)n * sizeof *r.queue);
    if (!r.queue) {
        sw_store_close(r.st);
        close(store_lock);
        fprintf(stderr, "logiq sweep: out of memory\n");
        return EXIT_WORK;
    }
    for (int i = 0; i < n; i++) {
        enum sw_state state;
        if (sw_store_state(r.st, pts[i].key, &state, &err) != SW_OK) {
            fprintf(stderr, "logiq sweep: %s\n", err.msg);
            free(r.queue);
            sw_store_close(r.st);
                close(store_lock);
            return EXIT_WORK;
        }
        if (state == SW_DONE)
            r.done++;
        else if (state == SW_FAILED && !retry_failed)
            r.failed++;
        else
            r.queue[r.n_queue++] = i;
    }
    char self[4096];
    const char *exe = getenv("LOGIQ_SWEEP_EXE");
    if (!exe || !exe[0]) {
        if (cli_self_exe(self, sizeof self) != 0) {
            free(r.queue);
            sw_store_close(r.st);
                close(store_lock);
            return EXIT_WORK;
        }
        exe = self;
    }
    r.exe = exe;
    int earlier_done = r.done, earlier_failed = r.failed;
    if (!quiet)
        fprintf(stderr, "sweep %s: %d points, %d done and %d failed earlier, %d to run, %d at a "
                "time%s; store %s\n", s->name, n, r.done, r.failed, r.n_queue, parallel,
                timeout_s > 0 ? "" : ", no timeout", store_path);
    cli_progress_init(&r.pr, quiet);
    r.t0 = sw_now();
    stop_requested = 0;
    struct sigaction sa = {0}, old_int, old_term, old_hup;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    struct sw_pool_opts o = {
        .n_jobs = r.n_queue, .parallel = parallel, .timeout_s = timeout_s, .argv = job_argv,
        .on_start = job_start, .on_end = job_end, .on_tick = job_tick, .ctx = &r,
        .stop = &stop_requested, .on_stopped = job_stopped,
    };
    enum sw_status ps = sw_pool_run(&o, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    show_progress(&r, 1);
    int rc = 0;
    int pending = n - r.done - r.failed;
    if (ps != SW_OK) {
        fprintf(stderr, "logiq sweep: %s\n", err.msg);
        rc = EXIT_WORK;
    } else if (stop_requested) {
        fprintf(stderr, "logiq sweep: interrupted; %d points pending: run the same command to "
                "resume\n", pending);
        rc = EXIT_WORK;
    } else if (r.store_errors) {
        rc = EXIT_WORK;
    }
    if (!stop_requested)
        printf("sweep %s: %d points: %d done, %d failed (%d done and %d failed before this run)"
               "; store %s\n", s->name, n, r.done, r.failed, earlier_done, earlier_failed,
               store_path);
    if (r.failed && !quiet && !stop_requested)
        fprintf(stderr, "failed points: sqlite3 %s \"SELECT key, error FROM points WHERE status "
                "= 'failed'\"\n", store_path);
    free(r.queue);
    sw_store_close(r.st);
    close(store_lock);
    return rc;
}

/* ---- --dry-run ---- */

static int dry_run(const struct sw_spec *s, const struct sw_point *pts, int n,
                   const char *store_path, int parallel, int retry_failed)
{
    struct sw_store *st = NULL;
    struct sw_error err;
    struct stat sb;
    if (stat(store_path, &sb) == 0 &&
        sw_store_open(&st, store_path, SW_STORE_EXISTING, &err) != SW_OK) {
        fprintf(stderr, "logiq sweep: %s\n", err.msg);
        return sw_status_exit_code(SW_ERR_FORMAT);
    }
    char art[4096];
    sw_art_dir(store_path, art, sizeof art);
    /* the mean time of the points done so far, else a guess */
    double mean_s = NAN, mean_guess = 0.0;
    int n_done_hist = 0;
    if (st) {
        struct sw_summary *rows;
        int m;
        if (sw_store_summaries(st, &rows, &m, &err) == SW_OK) {
            double sum = 0;
            for (int i = 0; i < m; i++)
                if (rows[i].status == SW_DONE && !isnan(rows[i].wall_s)) {
                    sum += rows[i].wall_s;
                    n_done_hist++;
                }
            if (n_done_hist)
                mean_s = sum / n_done_hist;
            free(rows);
        }
    }
    for (int i = 0; i < n; i++)
        mean_guess += guess_point_s(s, &pts[i]) / n;
    /* the pending points' trainings, each counted once: a point whose
     * training another pending point (or a done one) shares costs its cost
     * and sim only */
    char (*hashes)[17] = calloc((size_t)(n > 0 ? n : 1), sizeof *hashes);
    int n_hashes = 0, trainings = 0;
    printf("sweep %s (%s): %d points\n", s->name, s->path, n);
    printf("%-16s  %-8s  %s\n", "key", "state", "parameters");
    int pending = 0;
    double total_s = 0.0;
    for (int i = 0; i < n; i++) {
        enum sw_state state = SW_STATE_NONE;
        if (st && sw_store_state(st, pts[i].key, &state, &err) != SW_OK)
            state = SW_STATE_NONE;
        int run = state == SW_STATE_NONE || (state == SW_FAILED && retry_failed);
        char label[1024];
        point_label(s, &pts[i], label, sizeof label);
        printf("%-16s  %-8s  %s\n", pts[i].key,
               state == SW_DONE ? "done" : state == SW_FAILED ? "failed" : "pending", label);
        char h[17] = "", model[4400];
        int shared = 0;
        if (hashes && sw_point_train_hash(s, &pts[i], h) == 0) {
            for (int k = 0; k < n_hashes && !shared; k++)
                shared = strcmp(hashes[k], h) == 0;
            if (!shared)
                memcpy(hashes[n_hashes++], h, sizeof h);
            /* trained by an earlier run */
            sw_fmt(model, sizeof model, "%s/%s/%s/%s", art,
                      sw_point_value(s, &pts[i], "method")[0] ? "fp" : "models", h,
                      sw_point_value(s, &pts[i], "method")[0] ? "model.lqc" : "model.qnn");
            shared |= access(model, R_OK) == 0;
        }
        if (run) {
            pending++;
            trainings += !shared;
            double g = shared ? 5.0 : guess_point_s(s, &pts[i]);
            total_s += isnan(mean_s) ? g : mean_s * g / mean_guess;
        }
    }
    free(hashes);
    char t[32];
    int par = parallel < pending ? parallel : pending;
    cli_format_duration(t, sizeof t, par > 0 ? total_s / par : 0.0);
    printf("%d to run (%d trainings), %d at a time: about %s (%s)\n", pending, trainings,
           parallel, t,
           isnan(mean_s) ? "a rough guess until the first point finishes"
                         : "from the points done so far");
    sw_store_close(st);
    return 0;
}

/* ---- --pareto ---- */

static int pareto(const char *store_path)
{
    struct sw_store *st;
    struct sw_error err;
    if (sw_store_open(&st, store_path, SW_STORE_EXISTING, &err) != SW_OK) {
        fprintf(stderr, "logiq sweep: %s\n", err.msg);
        return EXIT_USAGE;
    }
    struct sw_summary *rows;
    int n;
    enum sw_status ss = sw_store_summaries(st, &rows, &n, &err);
    sw_store_close(st);
    if (ss != SW_OK) {
        fprintf(stderr, "logiq sweep: %s\n", err.msg);
        return EXIT_WORK;
    }
    double *acc = malloc((size_t)(n + 1) * sizeof *acc), *cost = malloc((size_t)(n + 1) * sizeof *cost);
    unsigned char *on = malloc((size_t)n + 1);
    int *order = malloc((size_t)(n + 1) * sizeof *order);
    if (!acc || !cost || !on || !order) {
        free(acc), free(cost), free(on), free(order), free(rows);
        fprintf(stderr, "logiq sweep: out of memory\n");
        return EXIT_WORK;
    }
    int n_done = 0;
    for (int i = 0; i < n; i++) {
        n_done += rows[i].status == SW_DONE;
        acc[i] = rows[i].status == SW_DONE ? rows[i].acc_int : NAN;
    }
    static const struct { const char *title, *unit; } obj[] = {
        {"gates", "NAND2_eq"}, {"energy per inference", "energy_nJ"}, {"latency", "latency_us"},
    };
    printf("Pareto fronts of %s: %d points, %d done\n", store_path, n, n_done);
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < n; i++)
            cost[i] = k == 0 ? rows[i].gates_nand2 : k == 1 ? rows[i].energy_op_pj * 1e-3
                                                            : rows[i].latency_us;
        int m = sw_pareto_front(cost, acc, n, on);
        int c = 0;
        for (int i = 0; i < n; i++)
            if (on[i])
                order[c++] = i;
        /* by cost, ascending (insertion sort: fronts are short) */
        for (int a = 1; a < c; a++) {
            int x = order[a], b = a - 1;
            while (b >= 0 && cost[order[b]] > cost[x]) {
                order[b + 1] = order[b];
                b--;
            }
            order[b + 1] = x;
        }
        printf("\naccuracy vs %s: %d on the front\n", obj[k].title, m);
        printf("  %-16s %9s %14s  %s\n", "key", "accuracy", obj[k].unit, "point");
        for (int a = 0; a < c; a++) {
            const struct sw_summary *r = &rows[order[a]];
            printf("  %-16s %8.2f%% %14.6g  %s\n", r->key, 100.0 * r->acc_int, cost[order[a]],
                   r->label);
        }
    }
    free(acc), free(cost), free(on), free(order), free(rows);
    return 0;
}

/* ---- --slurm and --merge ---- */

static int write_slurm(const struct sw_spec *s, const struct sw_point *pts, int n,
                       const char *spec_path, const char *store_path, const char *out,
                       int parallel, double timeout_s)
{
    char art[4096], abs_spec[4096], abs_store[4096], self[4096], path[4300], shards[4300];
    sw_art_dir(store_path, art, sizeof art);
    if (cli_self_exe(self, sizeof self) != 0)
        return EXIT_WORK;
    if (!realpath(spec_path, abs_spec))
        sw_fmt(abs_spec, sizeof abs_spec, "%s", spec_path);
    if (store_path[0] == '/' || !getcwd(abs_store, sizeof abs_store))
        sw_fmt(abs_store, sizeof abs_store, "%s", store_path);
    else
        sw_fmt(abs_store + strlen(abs_store), sizeof abs_store - strlen(abs_store), "/%s",
                 store_path);
    char abs_art[4096];
    sw_art_dir(abs_store, abs_art, sizeof abs_art);
    sw_fmt(shards, sizeof shards, "%s/shards", abs_art);
    if (mkdir(art, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "logiq sweep: %s: cannot create: %s\n", art, strerror(errno));
        return EXIT_WORK;
    }
    sw_fmt(path, sizeof path, "%s", out ? out : "");
    if (!out)
        sw_fmt(path, sizeof path, "%s/slurm.sh", art);
    struct sw_store *st = NULL;
    struct sw_error err;
    struct stat sb;
    if (stat(store_path, &sb) == 0 &&
        sw_store_open(&st, store_path, SW_STORE_EXISTING, &err) != SW_OK) {
        fprintf(stderr, "logiq sweep: %s\n", err.msg);
        return EXIT_USAGE;
    }
    int pending = 0;
    int *queue = malloc((size_t)n * sizeof *queue);
    if (!queue) {
        sw_store_close(st);
        return EXIT_WORK;
    }
    for (int i = 0; i < n; i++) {
        enum sw_state state = SW_STATE_NONE;
        if (st)
            sw_store_state(st, pts[i].key, &state, &err);
        if (state == SW_STATE_NONE)
            queue[pending++] = i;
    }
    sw_store_close(st);
    if (pending == 0) {
        printf("sweep %s: no pending points; nothing to submit\n", s->name);
        free(queue);
        return 0;
    }
    if (strpbrk(abs_art, "\"\\")) {
        /* sbatch reads #SBATCH --output="PATH" with its own quoting */
        fprintf(stderr, "logiq sweep: %s: a store path holding '\"' or '\\' cannot be named in "
                "a Slurm #SBATCH line; move the store\n", abs_store);
        free(queue);
        return EXIT_USAGE;
    }
    struct cli_out script;  /* written whole or not at all */
    if (cli_out_open(&script) != 0) {
        fprintf(stderr, "logiq sweep: out of memory\n");
        free(queue);
        return EXIT_WORK;
    }
    FILE *f = script.f;
    int threads = atoi(sw_point_value(s, &pts[queue[0]], "threads"));
    /* every string from the spec, the store or a file name goes through
     * sweeps/shell.h: quoted as a word, or made inert in a comment */
    char job[64];
    fputs("#!/bin/bash\n# Slurm array job written by `logiq sweep ", f);
    sw_sh_quote_shown(f, abs_spec);
    fputs(" --slurm`: one task per point\n# pending when it was written. Submit with `sbatch ", f);
    sw_sh_quote_shown(f, path);
    fputs("`; when the tasks are\n# done, fold their shards into the store with\n#   logiq sweep ", f);
    sw_sh_quote_shown(f, abs_spec);
    fputs(" --merge ", f);
    sw_sh_quote_shown(f, shards);
    fputs(" --store ", f);
    sw_sh_quote_shown(f, abs_store);
    fprintf(f, "\n#SBATCH --job-name=logiq-%s\n"
            "#SBATCH --array=0-%d%%%d\n"
            "#SBATCH --cpus-per-task=%d\n"
            "#SBATCH --output=\"",
            sw_sh_name(job, sizeof job, s->name), pending - 1,
            parallel > 1 ? parallel : pending, threads > 0 ? threads : 1);
    sw_sh_comment(f, abs_art);  /* no '"' or '\\' (refused above) */
    fputs("/slurm-%A_%a.out\"\n", f);
    if (timeout_s > 0)
        fprintf(f, "#SBATCH --time=%d\n", (int)ceil(timeout_s / 60.0) + 1);
    fprintf(f, "set -eu\nkeys=(\n");
    for (int i = 0; i < pending; i++) {
        fputs("  ", f);
        sw_sh_quote(f, pts[queue[i]].key);
        fputc('\n', f);
    }
    fputs(")\nexec ", f);
    sw_sh_quote(f, self);
    fputs(" sweep --point \"${keys[$SLURM_ARRAY_TASK_ID]}\" --store ", f);
    sw_sh_quote(f, abs_store);
    fputs(" --shard ", f);
    sw_sh_quote(f, shards);
    fputs(" -- ", f);
    sw_sh_quote(f, abs_spec);
    fputc('\n', f);
    free(queue);
    if (cli_out_commit(&script, "sweep", path) != 0)
        return EXIT_WORK;
    chmod(path, 0755);
    /* the commands shown are quoted words, safe to copy into a shell */
    printf("wrote %s: %d tasks; submit with sbatch ", path, pending);
    sw_sh_quote_shown(stdout, path);
    printf(", then logiq sweep ");
    sw_sh_quote_shown(stdout, spec_path);
    printf(" --merge ");
    sw_sh_quote_shown(stdout, shards);
    putchar('\n');
    return 0;
}

static int merge_shards(const char *dir, const char *store_path)
{
    struct stat sb;
    int found = stat(dir, &sb) == 0;
    if (!found || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "logiq sweep: --merge %s: %s (expected the shards' folder)\n", dir,
                found ? "not a folder" : strerror(errno));
        return EXIT_USAGE;
    }
    char pattern[4300];
    sw_fmt(pattern, sizeof pattern, "%s/*.db", dir);
    glob_t g;
    int gr = glob(pattern, 0, NULL, &g);
    if (gr == GLOB_NOMATCH) {
        printf("no shards in %s\n", dir);
        return 0;
    }
    if (gr != 0) {
        fprintf(stderr, "logiq sweep: --merge %s: cannot list the folder\n", dir);
        return EXIT_USAGE;
    }
    struct sw_store *st;
    struct sw_error err;
    if (sw_store_open(&st, store_path, SW_STORE_CREATE, &err) != SW_OK) {
        fprintf(stderr, "logiq sweep: %s\n", err.msg);
        globfree(&g);
        return EXIT_WORK;
    }
    int rows = 0, shards = 0, rc = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        int m;
        if (sw_store_merge(st, g.gl_pathv[i], &m, &err) != SW_OK) {
            fprintf(stderr, "logiq sweep: %s\n", err.msg);
            rc = EXIT_WORK;
            continue;
        }
        rows += m;
        shards++;
        /* merged: remove it, so a later merge cannot bring back an old result */
        char side[4400];
        remove(g.gl_pathv[i]);
        sw_fmt(side, sizeof side, "%s-wal", g.gl_pathv[i]);
        remove(side);
        sw_fmt(side, sizeof side, "%s-shm", g.gl_pathv[i]);
        remove(side);
    }
    globfree(&g);
    sw_store_close(st);
    printf("merged %d shards (%d rows) into %s\n", shards, rows, store_path);
    return rc;
}

/* ---- the command ---- */

/* ---- --search ---- */

static void search_progress(void *ctx, const struct sw_point *p, const struct sw_summary *r,
                            int reused, const struct sw_psearch_stats *st)
{
    (void)ctx;
    if (r->status == SW_DONE)
        printf("search: %lld evaluations, point %s %s: integer accuracy %.2f%%, %.0f NAND2 eq, "
               "%.3f nJ, %.3g us; front %d points, hypervolume %.4f\n", st->evals, p->key,
               reused ? "(in the store)" : "done", 100.0 * r->acc_int, r->gates_nand2,
               r->energy_op_pj * 1e-3, r->latency_us, st->front, st->hv);
    else
        printf("search: %lld evaluations, point %s %s: failed: %s\n", st->evals, p->key,
               reused ? "(in the store)" : "", r->label);
    fflush(stdout);
}

static int search(const struct sw_spec *s, const char *spec_path, const char *text,
                  const char *store_path, int n_evals, int population, unsigned seed, int quiet)
{
    char art[4096], self[4096];
    struct sw_store *st;
    int lock, rc = open_run_store(s, spec_path, text, store_path, art, sizeof art, &st, &lock);
    if (rc)
        return rc;
    if (cli_self_exe(self, sizeof self) != 0) {
        sw_store_close(st);
        close(lock);
        return EXIT_WORK;
    }
    struct sw_psearch_opts o = {.pop = population, .gens = n_evals / population - 1,
                                .seed = seed, .self = self, .art = art};
    if (!quiet)
        fprintf(stderr, "sweep %s: searching %d evaluations (NSGA-II, population %d, %d "
                "generations, seed %u); store %s\n", s->name, n_evals, population, o.gens + 1,
                seed, store_path);
    struct sw_psearch_stats stats;
    struct sw_error err;
    enum sw_status ss = sw_point_search(s, st, &o, search_progress, NULL, &stats, &err);
    if (ss != SW_OK) {
        fprintf(stderr, "logiq sweep: %s\n", err.msg);
        rc = sw_status_exit_code(ss);
    } else {
        printf("sweep %s: search done: %lld evaluations, %d distinct points (%d run now, %d "
               "from the store, %d failed); front of %d points, hypervolume %.4f (scaled "
               "objectives); store %s\n", s->name, stats.evals, stats.run + stats.reused,
               stats.run, stats.reused, stats.failed, stats.front, stats.hv, store_path);
    }
    sw_store_close(st);
    close(lock);
    return rc;
}

int cmd_sweep(int argc, char **argv)
{
    int parallel = 1, dry = 0, do_pareto = 0, slurm = 0, retry = 0, quiet = 0;
    const char *store = NULL, *point = NULL, *shard = NULL, *merge = NULL, *out = NULL;
    double timeout_s = -1;
    float t;
    int c, max_points = (int)SW_MAX_POINTS_DEFAULT, search_n = 0, population = 8, seed = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:o:qh", long_opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'j': bad = cli_parse_int("sweep", "-j", optarg, 1, 1024, &parallel); break;
        case O_TIMEOUT:
            bad = cli_parse_float("sweep", "--timeout", optarg, 0, 1e9, &t);
            timeout_s = t;
            break;
        case O_STORE: store = optarg; break;
        case O_RETRY: retry = 1; break;
        case O_MAX_POINTS:
            bad = cli_parse_int("sweep", "--max-points", optarg, 1, SW_MAX_POINTS_LIMIT,
                                &max_points);
            break;
        case O_DRY: dry = 1; break;
        case O_PARETO: do_pareto = 1; break;
        case O_SLURM: slurm = 1; break;
        case O_MERGE: merge = optarg; break;
        case O_POINT: point = optarg; break;
        case O_SEARCH: bad = cli_parse_int("sweep", "--search", optarg, 8, 1000000, &search_n); break;
        case O_POPULATION:
            bad = cli_parse_int("sweep", "--population", optarg, 8, 10000, &population);
            break;
        case O_SEED: bad = cli_parse_int("sweep", "--seed", optarg, 0, 2147483647, &seed); break;
        case O_SHARD: shard = optarg; break;
        case 'o': out = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(help, stdout); return 0;
        default: return EXIT_USAGE; /* getopt printed the reason */
        }
        if (bad)
            return EXIT_USAGE;
    }
    if (optind >= argc)
        return usage_error("give a sweep spec (see logiq sweep --help)");
    const char *spec_path = argv[optind++];
    if (optind < argc) {
        char msg[600];
        sw_fmt(msg, sizeof msg, "unexpected argument '%s' (see logiq sweep --help)",
                 argv[optind]);
        return usage_error(msg);
    }
    if (dry + do_pareto + slurm + (merge != NULL) + (point != NULL) + (search_n > 0) > 1)
        return usage_error("--dry-run, --pareto, --slurm, --merge, --point and --search exclude "
                           "each other");
    if (search_n > 0 && (population % 4 != 0 || search_n % population != 0)) {
        char msg[200];
        sw_fmt(msg, sizeof msg, "--search %d --population %d: the population must be a multiple "
               "of 4 and the points a multiple of the population", search_n, population);
        return usage_error(msg);
    }
    if (shard && !point)
        return usage_error("--shard goes with --point");
    if (out && !slurm)
        return usage_error("-o goes with --slurm");

    struct sw_spec s;
    struct sw_point *pts;
    int n;
    char *text;
    if (point)  /* the point loads the spec itself */
        return sweep_point(spec_path, point, store ? store : "", shard);
    int rc = sweep_load(spec_path, search_n > 0 ? -1 : max_points, &s, &pts, &n, &text);
    if (rc)
        return rc;
    char store_buf[300];
    if (!store) {
        sw_fmt(store_buf, sizeof store_buf, "%s.db", s.name);
        store = store_buf;
    }
    if (timeout_s < 0)
        timeout_s = s.timeout_s;
    if (dry)
        rc = dry_run(&s, pts, n, store, parallel, retry);
    else if (do_pareto)
        rc = pareto(store);
    else if (slurm)
        rc = write_slurm(&s, pts, n, spec_path, store, out, parallel, timeout_s);
    else if (merge)
        rc = merge_shards(merge, store);
    else if (search_n > 0)
        rc = search(&s, spec_path, text, store, search_n, population, (unsigned)seed, quiet);
    else
        rc = run_sweep(&s, pts, n, spec_path, text, store, parallel, timeout_s, retry, quiet);
    free(text);
    sw_points_free(pts, n);
    sw_spec_free(&s);
    return rc;
}
