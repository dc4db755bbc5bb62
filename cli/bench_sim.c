/* cli/bench_sim.c: `logiq bench sim`: the speed of the cycle-accurate
 * SystemC model (sim/) against the untimed integer model (nn/infer.c) on the
 * same images, for res11-or on the small design (width 0.25) and on the
 * default design (width 1), or for one given .qnn and hw.ini.
 *
 * Per configuration it times, in this process, one after the other:
 * nn_infer_image over the images (one thread), then sim_run over the same
 * images (the clocked model on this thread, the golden model one image ahead
 * on a second). It prints the simulated cycles per second of wall time, end
 * to end (what `logiq sim` achieves), of the clocked model alone (the time
 * inside sc_start), and per CPU second of this thread (less sensitive to
 * other load on the machine), and how many times longer the simulation takes
 * than the untimed model. The load average before and after says how busy
 * the machine was. Without --model the network is the preset exported
 * untrained, with batch-norm statistics calibrated on 256 training images:
 * the cycle count and the work per cycle do not depend on the training. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "costmodels/design.h"
#include "sweeps/costnet.h"
#include "nn/infer.h"
#include "nn/model.h"
#include "nn/qnn.h"
#include "sim/sim.h"

#ifndef LOGIQ_SOURCE_DIR
#define LOGIQ_SOURCE_DIR "."
#endif

static const char help[] =
    "usage: logiq bench sim [--images N] [--model model.qnn --hw hw.ini]\n"
    "\n"
    "Times the cycle-accurate SystemC model (`logiq sim`) and the untimed integer\n"
    "model (`logiq eval`) on the same test images, and prints simulated cycles/s\n"
    "(wall time end to end, the clocked model alone, per CPU second of the\n"
    "simulating thread) and the ratio of the two models' times. By default:\n"
    "res11-or at width 0.25 on costmodels/hw/small.ini and res11-or on the\n"
    "default design, exported untrained (calibrated batch-norm statistics).\n"
    "\n"
    "  --images N      test images per configuration (default 200)\n"
    "  --model FILE    a .qnn to time instead (with --hw, or the default design)\n"
    "  --hw FILE       its design\n"
    "%s"
    "  -h, --help      this help\n";

static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void print_load(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double l1 = 0;
    if (f && fscanf(f, "%lf", &l1) == 1)
        printf("load average (1 min) %s: %.2f\n", when, l1);
    if (f)
        fclose(f);
}

/* The preset exported untrained, its batch-norm statistics calibrated on
 * train-mode forwards of the first training images. */
static enum nn_status preset_qnn(struct nn_qnn *q, const char *arch_name, float width,
                                 const struct nn_dataset *train, struct nn_error *err)
{
    struct nn_arch arch;
    struct nn_model m;
    struct nn_model_config cfg;
    nn_model_config_default(&cfg);
    cfg.in_h = train->h;
    cfg.in_w = train->w;
    cfg.in_c = train->c;
    enum nn_status st = nn_arch_parse(&arch, arch_name, width, err);
    if (st == NN_OK)
        st = nn_model_init(&m, &arch, arch_name, &cfg, err);
    if (st != NN_OK)
        return st;
    nn_model_fit_quant(&m, 1);
    const int batch = 32, pixels = train->h * train->w * train->c;
    float *x = malloc(sizeof *x * (size_t)batch * pixels);
    if (!x) {
        nn_model_free(&m);
        return nn_fail(err, NN_ERR_NOMEM, "out of memory");
    }
    for (int b = 0; b + batch <= train->n && b < 256; b += batch) {
        for (size_t i = 0; i < (size_t)batch * pixels; i++)
            x[i] = train->x[(size_t)b * pixels + i] / 255.0f;
        nn_model_forward(&m, x, batch, NN_TRAIN);
    }
    free(x);
    st = nn_model_export(&m, q, err);
    nn_model_free(&m);
    return st;
}

/* Times one model on one design; prints a row. Returns 0, or an exit code. */
static int bench_one(const char *name, const struct nn_qnn *q, const char *hw_path,
                     const struct nn_dataset *test, int n)
{
    struct cm_hw hw;
    struct cm_lib lib;
    char msg[1200];
    if (sw_hw_load(hw_path, &hw, &lib, msg, sizeof msg) != 0) {
        fprintf(stderr, "logiq bench sim: %s\n", msg);
        return EXIT_USAGE;
    }
    if (test->h != q->in_h || test->w != q->in_w || test->c != q->in_c) {
        fprintf(stderr, "logiq bench sim: %s: the images do not fit the model\n", name);
        return EXIT_USAGE;
    }
    if (n > test->n)
        n = test->n;
    const size_t img = (size_t)test->h * test->w * test->c;

    /* the untimed integer model */
    struct nn_infer_ws ws;
    struct nn_error err;
    if (nn_infer_ws_init(&ws, q, &err) != NN_OK) {
        fprintf(stderr, "logiq bench sim: %s\n", err.msg);
        return EXIT_WORK;
    }
    int *ref = malloc(sizeof *ref * (size_t)n), *pred = malloc(sizeof *pred * (size_t)n);
    if (!ref || !pred) {
        free(ref);
        free(pred);
        nn_infer_ws_free(&ws);
        return EXIT_WORK;
    }
    double t0 = cli_now();
    for (int i = 0; i < n; i++)
        ref[i] = nn_infer_image(q, &ws, test->x + img * i);
    const double t_int = cli_now() - t0;
    nn_infer_ws_free(&ws);

    /* the clocked model */
    struct cm_design *design = malloc(sizeof *design);
    struct cm_net net;
    struct cm_layer *layers = NULL;
    int drc = design ? sw_design_for_qnn(q, &hw, &lib, design, &net, &layers, msg, sizeof msg)
                     : 1;
    if (drc != 0) {
        fprintf(stderr, "logiq bench sim: %s: %s\n", name, design ? msg : "out of memory");
        free(design);
        free(ref);
        free(pred);
        return drc == 2 ? EXIT_USAGE : EXIT_WORK;
    }
    struct sim *s;
    struct sim_error serr;
    enum sim_status sst = sim_open(&s, q, design, &net, &serr);
    free(layers);
    free(design);
    if (sst != SIM_OK) {
        fprintf(stderr, "logiq bench sim: %s: %s\n", name, serr.msg);
        free(ref);
        free(pred);
        return sst == SIM_ERR_INFEASIBLE || sst == SIM_ERR_ARG ? EXIT_USAGE : EXIT_WORK;
    }
    const int batch = 64;
    double c0 = thread_cpu_seconds();
    for (int done = 0; done < n && sst == SIM_OK; done += batch)
        sst = sim_run(s, test->x + img * done, n - done < batch ? n - done : batch, pred + done,
                      NULL, &serr);
    const double cpu = thread_cpu_seconds() - c0;
    const struct sim_stats *st = sim_stats(s);
    int rc = 0, same = 1;
    for (int i = 0; i < n && sst == SIM_OK; i++)
        same &= pred[i] == ref[i];
    if (sst != SIM_OK) {
        fprintf(stderr, "logiq bench sim: %s: %s\n", name, serr.msg);
        rc = EXIT_WORK;
    } else if (st->has_mismatch || !same) {
        fprintf(stderr, "logiq bench sim: %s: the simulation differs from the integer model\n",
                name);
        rc = EXIT_WORK;
    } else {
        const double cyc = (double)st->cycles;
        printf("%-22s %6d %10.0f %9.3f %9.2f %9.2f %9.2f %9.4f %9.1f\n", name, n, cyc / n,
               st->sim_seconds, cyc / st->sim_seconds * 1e-6, cyc / st->model_seconds * 1e-6,
               cyc / cpu * 1e-6, t_int, st->sim_seconds / t_int);
    }
    sim_close(s);
    free(ref);
    free(pred);
    return rc;
}

int bench_sim(int argc, char **argv)
{
    enum { O_IMAGES = 256, O_MODEL, O_HW, O_DATA, O_DATA_DIR };
    static const struct option opts[] = {
        {"images", required_argument, 0, O_IMAGES},
        {"model", required_argument, 0, O_MODEL},
        {"hw", required_argument, 0, O_HW},
        {"data", required_argument, 0, O_DATA},
        {"data-dir", required_argument, 0, O_DATA_DIR},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int images = 200, c;
    const char *model = NULL, *hw = NULL;
    struct nn_data_source data;
    nn_data_source_default(&data);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_IMAGES:
            if (cli_parse_int("bench", "--images", optarg, 1, 100000, &images))
                return EXIT_USAGE;
            break;
        case O_MODEL: model = optarg; break;
        case O_HW: hw = optarg; break;
        case O_DATA: data.kind = optarg; break;
        case O_DATA_DIR: data.dir = optarg; break;
        case 'h':
            printf(help, "  --data KIND, --data-dir DIR   as in `logiq eval`\n");
            return 0;
        default: return EXIT_USAGE;
        }
    }
    if (hw && !model) {
        fprintf(stderr, "logiq bench sim: --hw goes with --model\n");
        return EXIT_USAGE;
    }
    struct nn_error err = {{0}};
    struct nn_dataset train = {0}, test = {0};
    data.limit_test = images;
    data.limit_train = 256;
    if (nn_data_source_load(&data, model ? NULL : &train, &test, &err) != NN_OK) {
        fprintf(stderr, "logiq bench sim: %s\n", err.msg);
        return EXIT_USAGE;
    }
    print_load("before");
    printf("%-22s %6s %10s %9s %9s %9s %9s %9s %9s\n", "configuration", "images", "cyc/image",
           "sim_s", "Mcyc/s", "model", "cpu", "int_s", "sim/int");
    int rc = 0;
    struct nn_qnn q;
    if (model) {
        if (nn_qnn_read(&q, model, &err) != NN_OK) {
            fprintf(stderr, "logiq bench sim: %s\n", err.msg);
            rc = EXIT_USAGE;
        } else {
            rc = bench_one(model, &q, hw, &test, images);
            nn_qnn_free(&q);
        }
    } else {
        static const struct {
            const char *name, *arch;
            float width;
            const char *hw;
        } cfgs[] = {
            {"res11-or/4 small.ini", "res11-or", 0.25f,
             LOGIQ_SOURCE_DIR "/costmodels/hw/small.ini"},
            {"res11-or default hw", "res11-or", 1.0f, NULL},
        };
        for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0] && rc == 0; i++) {
            if (preset_qnn(&q, cfgs[i].arch, cfgs[i].width, &train, &err) != NN_OK) {
                fprintf(stderr, "logiq bench sim: %s: %s\n", cfgs[i].name, err.msg);
                rc = EXIT_WORK;
                break;
            }
            rc = bench_one(cfgs[i].name, &q, cfgs[i].hw, &test, images);
            nn_qnn_free(&q);
            fflush(stdout);
        }
    }
    print_load("after");
    printf("Mcyc/s: simulated cycles per wall second of sim_run (golden model on a second\n"
           "thread); model: inside sc_start only; cpu: per CPU second of the simulating\n"
           "thread. int_s: the integer model's seconds for the same images; sim/int: how\n"
           "many times longer the simulation takes.\n");
    nn_data_free(&train);
    nn_data_free(&test);
    return rc;
}
