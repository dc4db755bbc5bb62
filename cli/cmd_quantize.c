/* cli/cmd_quantize.c: `logiq quantize`: a trained real-valued model
 * (`logiq train --save-fp`) quantized without training: data-free, or
 * post-training with batch-norm statistics re-estimated on calibration
 * images; exported as train exports (nn_model_export), with the integer
 * model's test accuracy printed last. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "nn/ckpt.h"
#include "nn/model.h"
#include "nn/qnn.h"
#include "nn/quantize.h"
#include "nn/train.h"

static const char help[] =
    "usage: logiq quantize --method M [options] CHECKPOINT -o model.qnn\n"
    "\n"
    "Quantizes the weights of a trained real-valued model (a checkpoint written\n"
    "by logiq train --save-fp) without training it again, exports the integers\n"
    "the hardware holds (.qnn, as logiq train does) and prints the integer\n"
    "model's test accuracy. Without --calib it is data-free: the batch-norm\n"
    "statistics of the checkpoint are kept. With --calib N it is post-training:\n"
    "the batch-norm statistics are re-estimated on N training images with the\n"
    "quantized weights, layer by layer, before they fold into the thresholds.\n"
    "\n"
    "  --method M           the weight quantizer of every layer:\n"
    "                         tquant  ternary support equalization (minimax error):\n"
    "                                 threshold M/3, values +-2M/3, M = max|w|\n"
    "                         mquant  ternary mass equalization (equal mass per\n"
    "                                 level): threshold the 1/3 quantile of |w|\n"
    "                         twn     TWN: threshold 0.7 mean|w|\n"
    "                         rtn     round to nearest (= uniform:2): threshold M/2,\n"
    "                                 values +-M\n"
    "                       or any exportable weight quantizer of logiq train --wq\n"
    "                       (heq:3, bin, uniform:3, ...)\n"
    "  --per-channel        one threshold and scale per output channel (default:\n"
    "                       one per layer); the same as a /ch suffix\n"
    "  --aq A               the hidden layers' activation quantizer: 1, sign, 2, 3,\n"
    "                       tern, pow2:3\n"
    "                       (default: the checkpoint's; required when that is fp or\n"
    "                       relu, which a .qnn cannot hold)\n"
    "  --calib N            post-training: re-estimate batch norm on N training\n"
    "                       images (a seeded random sample); default 0 = data-free\n"
    "  --seed N             the calibration sample's seed (default 1)\n"
    "  --batch N            images per forward pass (default 128)\n"
    "  --threads N          threads (default: all cores)\n"
    "\n"
    "%s"
    "  (default --data: the one the checkpoint was trained on)\n"
    "\n"
    "Output:\n"
    "  -o, --output FILE    the integer model (.qnn); required\n"
    "  -q, --quiet          no progress line\n"
    "  -h, --help           this help\n";

enum {
    O_METHOD = 256, O_PER_CHANNEL, O_AQ, O_CALIB, O_SEED, O_BATCH, O_THREADS, O_DATA,
    O_DATA_DIR, O_TRAIN_LIMIT, O_TEST_LIMIT,
};

static const struct option long_opts[] = {
    {"method", required_argument, 0, O_METHOD},
    {"per-channel", no_argument, 0, O_PER_CHANNEL},
    {"aq", required_argument, 0, O_AQ},
    {"calib", required_argument, 0, O_CALIB},
    {"seed", required_argument, 0, O_SEED},
    {"batch", required_argument, 0, O_BATCH},
    {"threads", required_argument, 0, O_THREADS},
    {"data", required_argument, 0, O_DATA},
    {"data-dir", required_argument, 0, O_DATA_DIR},
    {"train-limit", required_argument, 0, O_TRAIN_LIMIT},
    {"test-limit", required_argument, 0, O_TEST_LIMIT},
    {"output", required_argument, 0, 'o'},
    {"quiet", no_argument, 0, 'q'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static int usage_error(const char *msg)
{
    fprintf(stderr, "logiq quantize: %s\n", msg);
    return EXIT_USAGE;
}

static void on_calib(void *ctx, int layer, int layers, int done, int n)
{
    cli_progress_show(ctx, layer == layers - 1 && done == n,
                      "calibrating batch norm: layer %d/%d  image %d/%d", layer, layers - 1,
                      done, n);
}

/* The weight spec of --method (rtn is uniform:2), with /ch if per_channel. */
static int method_spec(const char *method, int per_channel, char *spec, size_t size)
{
    const char *base = strcmp(method, "rtn") == 0 ? "uniform:2" : method;
    int n = snprintf(spec, size, "%s%s", base, per_channel ? "/ch" : "");
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int cmd_quantize(int argc, char **argv)
{
    struct nn_data_source data;
    nn_data_source_default(&data);
    const char *method = NULL, *aq = NULL, *out = NULL;
    int per_channel = 0, calib = 0, seed = 1, batch = 128, threads = 0, quiet = 0;
    int data_given = 0;
    char msg[1200];
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", long_opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case O_METHOD: method = optarg; break;
        case O_PER_CHANNEL: per_channel = 1; break;
        case O_AQ: aq = optarg; break;
        case O_CALIB: bad = cli_parse_int("quantize", "--calib", optarg, 0, 100000000, &calib); break;
        case O_SEED: bad = cli_parse_int("quantize", "--seed", optarg, 0, 2147483647, &seed); break;
        case O_BATCH: bad = cli_parse_int("quantize", "--batch", optarg, 2, 4096, &batch); break;
        case O_THREADS: bad = cli_parse_int("quantize", "--threads", optarg, 1, 256, &threads); break;
        case O_DATA: data.kind = optarg; data_given = 1; break;
        case O_DATA_DIR: data.dir = optarg; break;
        case O_TRAIN_LIMIT: bad = cli_parse_int("quantize", "--train-limit", optarg, 2, 100000000, &data.limit_train); break;
        case O_TEST_LIMIT: bad = cli_parse_int("quantize", "--test-limit", optarg, 1, 100000000, &data.limit_test); break;
        case 'o': out = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': printf(help, cli_data_help); return 0;
        default: return EXIT_USAGE; /* getopt printed the reason */
        }
        if (bad)
            return EXIT_USAGE;
    }
    if (argc - optind != 1)
        return usage_error(argc - optind < 1
                               ? "expected one checkpoint (usage: logiq quantize --method M "
                                 "CHECKPOINT -o model.qnn)"
                               : "expected one checkpoint, got more (see logiq quantize --help)");
    if (!method)
        return usage_error("--method is required: tquant, mquant, twn, rtn or a weight "
                           "quantizer spec");
    if (!out)
        return usage_error("-o FILE is required (the .qnn to write)");
    const char *ck_path = argv[optind];

    char spec[32];
    struct nn_wq probe;
    struct nn_error err = {{0}};
    if (method_spec(method, per_channel, spec, sizeof spec) != 0)
        return usage_error("--method: too long");
    if (nn_wq_parse(&probe, spec, &err) != NN_OK) {
        snprintf(msg, sizeof msg, "--method %s: %s", method, err.msg);
        return usage_error(msg);
    }
    if (probe.kind == NN_WQ_FP)
        return usage_error("--method fp: full-precision weights cannot be exported; expected "
                           "tquant, mquant, twn, rtn or another quantizer");
    if (aq) {
        struct nn_aq a;
        if (nn_aq_parse(&a, aq, &err) != NN_OK) {
            snprintf(msg, sizeof msg, "--aq: %s", err.msg);
            return usage_error(msg);
        }
        if (nn_aq_n_thresh(&a) == 0) {
            snprintf(msg, sizeof msg, "--aq %s: a .qnn cannot hold it; expected 1, sign, 2, 3, "
                     "tern or pow2:3", aq);
            return usage_error(msg);
        }
    }
    cli_set_threads(threads);

    struct nn_ckpt ck;
    enum nn_status st = nn_ckpt_read(&ck, ck_path, &err);
    if (st != NN_OK) {
        fprintf(stderr, "logiq quantize: %s\n", err.msg);
        return nn_status_exit_code(st);
    }
    int rc = 0;
    struct nn_model model;
    int have_model = 0;
    struct nn_dataset train = {0}, test = {0};
    int *idx = NULL;
    char ck_data[32] = "";
    {
        /* the checkpoint's data kind: the default --data */
        const char *d = strstr(ck.meta, "data=");
        if (d && (d == ck.meta || d[-1] == '\n'))
            sscanf(d + 5, "%31[^\n]", ck_data);
    }
    if (ck.norm != NN_NORM_SCALE) {
        snprintf(msg, sizeof msg, "%s: field 'norm' = meanstd: only --norm scale networks are "
                 "exportable as integers", ck_path);
        rc = usage_error(msg);
        goto done;
    }
    /* the method for every layer: drop the per-layer and first/last choices */
    snprintf(ck.cfg.wq, sizeof ck.cfg.wq, "%s", spec);
    ck.cfg.wq_first[0] = ck.cfg.wq_last[0] = 0;
    for (int i = 0; i < ck.arch.n_layers; i++)
        ck.arch.layers[i].wq[0] = 0;
    if (aq)
        snprintf(ck.cfg.aq, sizeof ck.cfg.aq, "%s", aq);
    {
        struct nn_aq a;
        if (nn_aq_parse(&a, ck.cfg.aq, &err) != NN_OK || nn_aq_n_thresh(&a) == 0) {
            snprintf(msg, sizeof msg, "%s: its activation quantizer '%s' cannot be held by a "
                     ".qnn; give --aq 1, sign, 2, 3, tern or pow2:3", ck_path, ck.cfg.aq);
            rc = usage_error(msg);
            goto done;
        }
    }
    ck.cfg.aqe_alpha = 0.0f; /* estimators only: no training here */
    ck.cfg.aqe_ramp = ck.cfg.aqe_stochastic = 0;
    ck.cfg.max_batch = batch;
    st = nn_ckpt_load_model(&ck, &model, NN_CKPT_WQ_REFIT, &err);
    if (st != NN_OK) {
        snprintf(msg, sizeof msg, "%s: %s", ck_path, err.msg);
        rc = usage_error(msg);
        goto done;
    }
    have_model = 1;

    if (!data_given && ck_data[0])
        data.kind = ck_data;
    st = nn_data_source_load(&data, calib ? &train : NULL, &test, &err);
    if (st != NN_OK) {
        fprintf(stderr, "logiq quantize: %s\n", err.msg);
        rc = nn_status_exit_code(st);
        goto done;
    }
    if (test.h != model.cfg.in_h || test.w != model.cfg.in_w || test.c != model.cfg.in_c ||
        test.n_class != model.cfg.n_class) {
        snprintf(msg, sizeof msg, "--data %s: images %dx%dx%d in %d classes, but %s expects "
                 "%dx%dx%d in %d", data.kind, test.h, test.w, test.c, test.n_class, ck_path,
                 model.cfg.in_h, model.cfg.in_w, model.cfg.in_c, model.cfg.n_class);
        rc = usage_error(msg);
        goto done;
    }
    if (calib > train.n) {
        snprintf(msg, sizeof msg, "--calib %d: the training set has only %d images", calib,
                 train.n);
        rc = usage_error(msg);
        goto done;
    }
    if (!quiet)
        fprintf(stderr, "quantizing %s (%s, width %g) with %s, aq %s, %s\n", ck_path,
                ck.arch_text, (double)ck.width, spec, ck.cfg.aq,
                calib ? "post-training" : "data-free");
    struct cli_progress pr;
    cli_progress_init(&pr, quiet);
    if (calib) {
        idx = malloc((size_t)train.n * sizeof *idx);
        if (!idx) {
            fprintf(stderr, "logiq quantize: out of memory\n");
            rc = EXIT_WORK;
            goto done;
        }
        for (int i = 0; i < train.n; i++)
            idx[i] = i;
        uint64_t rng = (uint64_t)seed * 0x2545f4914f6cdd1dull + 3;
        nn_rng_shuffle(idx, train.n, &rng);
        double t0 = cli_now();
        st = nn_bn_calibrate(&model, &train, idx, calib, NN_NORM_SCALE, on_calib, &pr, &err);
        if (st != NN_OK) {
            fprintf(stderr, "logiq quantize: %s\n", err.msg);
            rc = nn_status_exit_code(st);
            goto done;
        }
        printf("calibration: %d images, %.1f s\n", calib, cli_now() - t0);
    }
    {
        const size_t img = (size_t)model.cfg.in_h * model.cfg.in_w * model.cfg.in_c;
        float *x = malloc((size_t)batch * img * sizeof *x);
        int *y = malloc((size_t)batch * sizeof *y);
        if (!x || !y) {
            free(x);
            free(y);
            fprintf(stderr, "logiq quantize: out of memory\n");
            rc = EXIT_WORK;
            goto done;
        }
        float acc = nn_eval_float(&model, &test, NN_NORM_SCALE, NULL, NULL, x, y, NULL);
        free(x);
        free(y);
        printf("float model test accuracy: %.2f%%\n", 100.0 * acc);

        struct nn_qnn q;
        st = nn_model_export(&model, &q, &err);
        if (st != NN_OK) {
            snprintf(msg, sizeof msg, "-o %s: %s", out, err.msg);
            rc = usage_error(msg);
            goto done;
        }
        char v[64];
        nn_qnn_meta_set(&q, NN_META_ARCH, ck.arch_text);
        snprintf(v, sizeof v, "%g", (double)ck.width);
        nn_qnn_meta_set(&q, NN_META_WIDTH, v);
        nn_qnn_meta_set(&q, NN_META_WQ, spec);
        nn_qnn_meta_set(&q, NN_META_AQ, ck.cfg.aq);
        nn_qnn_meta_set(&q, NN_META_QUANTIZED_FROM, ck_path);
        nn_qnn_meta_set(&q, NN_META_SETTING, calib ? "post-training" : "data-free");
        snprintf(v, sizeof v, "%d", calib);
        nn_qnn_meta_set(&q, NN_META_CALIB, v);
        if (calib) {
            snprintf(v, sizeof v, "%d", seed);
            nn_qnn_meta_set(&q, NN_META_CALIB_SEED, v);
        }
        nn_qnn_meta_set(&q, NN_META_DATA, data.kind);
        st = cli_qnn_finish(&q, &test, threads, 0.0, (double)acc, out, &err);
        if (st != NN_OK) {
            fprintf(stderr, "logiq quantize: %s\n", err.msg);
            rc = nn_status_exit_code(st);
        }
        nn_qnn_free(&q);
    }
done:
    free(idx);
    if (have_model)
        nn_model_free(&model);
    nn_data_free(&train);
    nn_data_free(&test);
    nn_ckpt_free(&ck);
    return rc;
}
