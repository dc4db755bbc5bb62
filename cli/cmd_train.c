/* cli/cmd_train.c: `logiq train`: train, export the integer model, evaluate
 * it, and report the integer model's accuracy (the hardware's). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/train_ckpt.h"
#include "cli/train_sinareq.h"
#include "nn/ckpt.h"
#include "nn/model.h"
#include "nn/qnn.h"
#include "nn/train.h"
#include "nn/weight_hist.h"

static const char help[] =
    "usage: logiq train [options] [-o model.qnn]\n"
    "\n"
    "Trains a quantized network, exports it as the integers the hardware holds\n"
    "(.qnn), and prints the accuracy of that integer model on the test set.\n"
    "\n"
    "Network:\n"
    "  --arch ARCH          preset (mlp, refcnn, vgg11, res11-add, res11-or, res11-mux,\n"
    "                       resnet20, resnet20-add, resnet20-or, resnet20-mux,\n"
    "                       convnet-a .. convnet-d) or an architecture string such as\n"
    "                       c32,c32+or,p,f10 or c16,c16,c16+or2,c32s2,c32+or2/pad,f10\n"
    "                       (grammar: docs/architectures.md); default res11-or\n"
    "  --width W            width multiplier of the hidden layers (default 1)\n"
    "  --wq Q               weight quantizer: fp, bin, twn, heq:N (N odd), uniform:B, pow2:B,\n"
    "                       dorefa:B, wrpn:B, lsq:B (learned step), tquant, mquant;\n"
    "                       /ch for per-channel scales (default heq:3)\n"
    "  --wq-first Q         weight quantizer of the first layer (default: --wq)\n"
    "  --wq-last Q          weight quantizer of the last layer (default: --wq)\n"
    "  --aq A               activation quantizer: 1 (heaviside {0,1}), sign ({-1,+1}),\n"
    "                       2, 3 (uniform bits on [0,1]), tern ({-1,0,1}), pow2:3\n"
    "                       ({0,+-1/4,+-1/2,+-1}; MINW-Net's signed M-bit activations),\n"
    "                       relu, fp; suffix /clip or /id picks the straight-through\n"
    "                       estimator; pow2's thresholds /mid (0.125, 0.375, 0.75, the\n"
    "                       default) or /geo (0.125, 0.354, 0.707) (default 1)\n"
    "  --wq-ste S           weights' straight-through estimator: identity, clipped\n"
    "  --aqe A              train with AQE, the asymptotic-quantized estimator, on the\n"
    "                       quantized weights and activations: forward A h(x) + (1-A) x,\n"
    "                       backward 2A dh 1{|x|<=1}, h alone at inference; A in (0, 1]\n"
    "                       (0.5: the clipped STE's gradient; default: off)\n"
    "  --aqe-form F         paper (default: h(w) unscaled, its largest level 1, for\n"
    "                       bin, twn and pow2 weights; weights clipped to [-1, 1]\n"
    "                       after each update; the activations' blend on the\n"
    "                       HardTanh output) or scaled (logiq's earlier form: h(w)\n"
    "                       at the fitted scale, no clip, the blend on the batch\n"
    "                       norm's output); docs/definitions.md\n"
    "  --pool-order O       hw (default: conv -> batch norm -> activation -> pool, the\n"
    "                       order the accelerator runs) or paper (the AQE paper's conv\n"
    "                       -> pool -> batch norm -> activation in every pooling layer\n"
    "                       without a merge; those need sign, tern or pow2:B\n"
    "                       activations; the export folds it into the same hardware)\n"
    "  --aqe-ramp           raise A linearly to 1 over training (logiq's extension)\n"
    "  --aqe-stochastic     AQE's stochastic form for sign activations in training:\n"
    "                       h(x) = sign(x - z), z ~ U[-1, 1]\n"
    "  --heq-rate R         HEQ step-size EMA rate in (0, 1] (default 0.05)\n"
    "  --mux V              MUX merge variant: or (y = m ? a|r : a, default), sel\n"
    "                       (y = m ? r : a)\n"
    "  --mux-select S       learned (default) or fixed (all selects on)\n"
    "  --mux-init P         initial select logit, select = P >= 0 (default 0.01)\n"
    "  --res-bits R         add merges: residual stream bits (default 8)\n"
    "  --res-frac F         add merges: its fractional bits (default 4)\n"
    "  --max-memory GIB     refuse a network whose parameters, optimizer state and\n"
    "                       activations need more (default 16), before allocating\n"
    "  --res-scale S        add merges: free (default) or pow2: each stream layer's scale\n"
    "                       (batch norm folded) rounded to a power of two in training\n"
    "                       and export, so its requantizer is a shift ([merge] requant =\n"
    "                       shift in hw.ini)\n"
    "\n"
    "Training:\n"
    "  --epochs N           (default 10)\n"
    "  --batch N            (default 128)\n"
    "  --lr X               learning rate (default 1e-3)\n"
    "  --optim O            adam (default) or sgd\n"
    "  --momentum X         SGD momentum (default 0.9)\n"
    "  --wd X               decoupled weight decay on weights (default 0)\n"
    "  --sched S            cosine (default), step, const\n"
    "  --step-every N       step schedule: decay every N epochs (default 0 = never)\n"
    "  --step-gamma X       step schedule: decay factor (default 0.1)\n"
    "  --seed N             seed of initialization, shuffling, augmentation (default 1)\n"
    "  --norm N             scale (pixel/255, default, exportable) or meanstd\n"
    "  --crop-pad P         augmentation: random crop after padding by P pixels\n"
    "  --hflip              augmentation: random horizontal flips\n"
    "  --threads N          threads (default: all cores); results are bit-identical\n"
    "                       for the same seed and thread count\n"
    "\n"
    "%s"
    "\n"
    "%s"
    "\n"
    "Output:\n"
    "  -o, --output FILE    write the integer model (.qnn); needs an exportable\n"
    "                       network (quantized weights, activations 1/sign/2/3)\n"
    "  --log FILE           per-epoch CSV log (default: the model path with .csv,\n"
    "                       columns in docs/training-log.md); with -o, also the\n"
    "                       real weights' histogram and thresholds per layer in\n"
    "                       the model path with .weights.csv (for logiq report)\n"
    "  --save-fp FILE       also write the real-valued model (weights, batch norm,\n"
    "                       options) as a checkpoint for logiq quantize\n"
    "                       (format: docs/checkpoint-format.md)\n"
    "  --checkpoint FILE    save the training state to FILE at every epoch end and\n"
    "                       when interrupted (Ctrl-C, SIGTERM: after the current\n"
    "                       batch); refuses an existing FILE without --resume\n"
    "  --resume             continue the training saved in --checkpoint FILE (if it\n"
    "                       exists); the command's options must be the same. A run\n"
    "                       resumed any number of times gives the same bits as one\n"
    "                       run without interruption\n"
    "  -q, --quiet          no progress line\n"
    "  -h, --help           this help\n";

enum {
    O_WQ_STE = CLI_OPT_NET_END, O_HEQ_RATE, O_MUX_SELECT, O_MUX_INIT, O_AQE, O_AQE_RAMP, O_AQE_STOCH, O_AQE_FORM, O_POOL_ORDER, O_EPOCHS, O_BATCH, O_LR, O_OPTIM,
    O_MOMENTUM, O_WD, O_SCHED, O_STEP_EVERY, O_STEP_GAMMA, O_SEED, O_NORM, O_CROP, O_HFLIP,
    O_THREADS, O_DATA, O_DATA_DIR, O_TRAIN_LIMIT, O_TEST_LIMIT, O_LOG,
    O_SAVE_FP, O_CHECKPOINT, O_RESUME, O_RES_SCALE,
};

static const struct option long_opts[] = {
    CLI_NET_OPTIONS,
    CLI_SINAREQ_OPTIONS,
    {"wq-ste", required_argument, 0, O_WQ_STE},
    {"heq-rate", required_argument, 0, O_HEQ_RATE},
    {"res-scale", required_argument, 0, O_RES_SCALE},
    {"mux-select", required_argument, 0, O_MUX_SELECT},
    {"mux-init", required_argument, 0, O_MUX_INIT},
    {"aqe", required_argument, 0, O_AQE},
    {"aqe-ramp", no_argument, 0, O_AQE_RAMP},
    {"aqe-stochastic", no_argument, 0, O_AQE_STOCH},
    {"aqe-form", required_argument, 0, O_AQE_FORM},
    {"pool-order", required_argument, 0, O_POOL_ORDER},
    {"epochs", required_argument, 0, O_EPOCHS},
    {"batch", required_argument, 0, O_BATCH},
    {"lr", required_argument, 0, O_LR},
    {"optim", required_argument, 0, O_OPTIM},
    {"momentum", required_argument, 0, O_MOMENTUM},
    {"wd", required_argument, 0, O_WD},
    {"sched", required_argument, 0, O_SCHED},
    {"step-every", required_argument, 0, O_STEP_EVERY},
    {"step-gamma", required_argument, 0, O_STEP_GAMMA},
    {"seed", required_argument, 0, O_SEED},
    {"norm", required_argument, 0, O_NORM},
    {"crop-pad", required_argument, 0, O_CROP},
    {"hflip", no_argument, 0, O_HFLIP},
    {"threads", required_argument, 0, O_THREADS},
    {"data", required_argument, 0, O_DATA},
    {"data-dir", required_argument, 0, O_DATA_DIR},
    {"train-limit", required_argument, 0, O_TRAIN_LIMIT},
    {"test-limit", required_argument, 0, O_TEST_LIMIT},
    {"log", required_argument, 0, O_LOG},
    {"save-fp", required_argument, 0, O_SAVE_FP},
    {"checkpoint", required_argument, 0, O_CHECKPOINT},
    {"resume", no_argument, 0, O_RESUME},
    {"output", required_argument, 0, 'o'},
    {"quiet", no_argument, 0, 'q'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static void on_progress(void *ctx, const struct nn_train_progress *p)
{
    struct cli_progress *pr = ctx;
    char eta[32];
    cli_format_duration(eta, sizeof eta, p->eta_s);
    if (p->epoch_done) {
        char test[32] = "";
        if (p->test_acc >= 0.0f)
            snprintf(test, sizeof test, "  test %.2f%% (float)", 100.0 * p->test_acc);
        cli_progress_show(pr, 1, "epoch %d/%d  loss %.4f  acc %.2f%%%s  %.0f img/s  ETA %s",
                          p->epoch, p->epochs, (double)p->loss, 100.0 * p->acc, test,
                          (double)p->images_per_s, eta);
    } else {
        cli_progress_show(pr, 0, "epoch %d/%d  batch %d/%d  loss %.4f  acc %.2f%%  %.0f img/s"
                          "  ETA %s", p->epoch, p->epochs, p->batch, p->batches,
                          (double)p->loss, 100.0 * p->acc, (double)p->images_per_s, eta);
    }
}

/* Set by SIGINT/SIGTERM: training stops after the current batch and the
 * model trained so far is still exported, so an interrupted run loses
 * nothing but the rest of its epochs. A second signal ends the process. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    stop_requested = 1;
    signal(sig, SIG_DFL);
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "logiq train: %s\n", msg);
    return EXIT_USAGE;
}

int cmd_train(int argc, char **argv)
{
    struct nn_model_config cfg;
    struct nn_train_opts o;
    struct nn_data_source data;
    nn_model_config_default(&cfg);
    nn_train_opts_default(&o);
    nn_data_source_default(&data);
    const char *arch_text = "res11-or", *out = NULL, *log = NULL, *save_fp = NULL;
    const char *ckpt_path = NULL;
    int resume = 0, aqe_form_given = 0;
    struct cli_train_ckpt ck = {0};
    float width = 1.0f;
    int threads = 0, quiet = 0, seed = 1;
    struct nn_error err = {{0}};
    char msg[600];
    struct cli_sinareq sq_cli;
    struct nn_sinareq sq = {0};
    cli_sinareq_default(&sq_cli);

    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", long_opts, NULL)) != -1) {
        int net = cli_net_option(c, optarg, "train", &cfg, &arch_text, &width);
        if (net < 0)
            return EXIT_USAGE;
        if (net > 0)
            continue;
        int sq = cli_sinareq_option(c, optarg, &sq_cli);
        if (sq < 0)
            return EXIT_USAGE;
        if (sq > 0)
            continue;
        int bad = 0;
        switch (c) {
        case O_WQ_STE:
            if (strcmp(optarg, "identity") == 0)
                cfg.wq_ste = NN_STE_IDENTITY;
            else if (strcmp(optarg, "clipped") == 0)
                cfg.wq_ste = NN_STE_CLIPPED;
            else
                return usage_error("--wq-ste: expected identity or clipped");
            break;
        case O_HEQ_RATE:
            bad = cli_parse_float("train", "--heq-rate", optarg, 1e-6, 1, &cfg.heq_rate);
            break;
        case O_RES_SCALE:
            if (strcmp(optarg, "free") == 0)
                cfg.res_scale = NN_RES_SCALE_FREE;
            else if (strcmp(optarg, "pow2") == 0)
                cfg.res_scale = NN_RES_SCALE_POW2;
            else
                return usage_error("--res-scale: expected free or pow2");
            break;
        case O_MUX_SELECT:
            if (strcmp(optarg, "learned") == 0)
                cfg.mux_learn = 1;
            else if (strcmp(optarg, "fixed") == 0)
                cfg.mux_learn = 0;
            else
                return usage_error("--mux-select: expected learned or fixed");
            break;
        case O_AQE:
            bad = cli_parse_float("train", "--aqe", optarg, 1e-6, 1, &cfg.aqe_alpha);
            break;
        case O_AQE_RAMP: cfg.aqe_ramp = 1; break;
        case O_AQE_STOCH: cfg.aqe_stochastic = 1; break;
        case O_AQE_FORM:
            if (strcmp(optarg, "paper") && strcmp(optarg, "scaled")) {
                fprintf(stderr, "logiq train: --aqe-form '%s': expected paper or scaled\n",
                        optarg);
                return EXIT_USAGE;
            }
            cfg.aqe_form = optarg[0] == 's' ? NN_AQE_SCALED : NN_AQE_PAPER;
            aqe_form_given = 1;
            break;
        case O_POOL_ORDER:
            if (strcmp(optarg, "hw") && strcmp(optarg, "paper")) {
                fprintf(stderr, "logiq train: --pool-order '%s': expected hw or paper\n",
                        optarg);
                return EXIT_USAGE;
            }
            cfg.pool_order = optarg[0] == 'p' ? NN_POOL_PAPER : NN_POOL_HW;
            break;
        case O_MUX_INIT:
            bad = cli_parse_float("train", "--mux-init", optarg, -10, 10, &cfg.mux_init);
            break;
        case O_EPOCHS: bad = cli_parse_int("train", "--epochs", optarg, 0, 100000, &o.epochs); break;
        case O_BATCH: bad = cli_parse_int("train", "--batch", optarg, 2, 4096, &o.batch); break;
        case O_LR: bad = cli_parse_float("train", "--lr", optarg, 0, 10, &o.lr); break;
        case O_OPTIM:
            if (nn_optim_parse(&o.optim, optarg, &err) != NN_OK)
                return usage_error(err.msg);
            break;
        case O_MOMENTUM: bad = cli_parse_float("train", "--momentum", optarg, 0, 1, &o.momentum); break;
        case O_WD: bad = cli_parse_float("train", "--wd", optarg, 0, 1, &o.weight_decay); break;
        case O_SCHED:
            if (nn_sched_parse(&o.sched, optarg, &err) != NN_OK)
                return usage_error(err.msg);
            break;
        case O_STEP_EVERY: bad = cli_parse_int("train", "--step-every", optarg, 0, 100000, &o.step_every); break;
        case O_STEP_GAMMA: bad = cli_parse_float("train", "--step-gamma", optarg, 0, 1, &o.step_gamma); break;
        case O_SEED: bad = cli_parse_int("train", "--seed", optarg, 0, 2147483647, &seed); break;
        case O_NORM:
            if (strcmp(optarg, "scale") == 0)
                o.norm = NN_NORM_SCALE;
            else if (strcmp(optarg, "meanstd") == 0)
                o.norm = NN_NORM_MEANSTD;
            else
                return usage_error("--norm: expected scale or meanstd");
            break;
        case O_CROP: bad = cli_parse_int("train", "--crop-pad", optarg, 0, 16, &o.aug.crop_pad); break;
        case O_HFLIP: o.aug.hflip = 1; break;
        case O_THREADS: bad = cli_parse_int("train", "--threads", optarg, 1, 256, &threads); break;
        case O_DATA: data.kind = optarg; break;
        case O_DATA_DIR: data.dir = optarg; break;
        case O_TRAIN_LIMIT: bad = cli_parse_int("train", "--train-limit", optarg, 2, 100000000, &data.limit_train); break;
        case O_TEST_LIMIT: bad = cli_parse_int("train", "--test-limit", optarg, 1, 100000000, &data.limit_test); break;
        case O_LOG: log = optarg; break;
        case O_SAVE_FP: save_fp = optarg; break;
        case O_CHECKPOINT: ckpt_path = optarg; break;
        case O_RESUME: resume = 1; break;
        case 'o': out = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': printf(help, cli_sinareq_help, cli_data_help); return 0;
        default: return EXIT_USAGE; /* getopt printed the reason */
        }
        if (bad)
            return EXIT_USAGE;
    }
    if (optind < argc) {
        snprintf(msg, sizeof msg, "unexpected argument '%s' (see logiq train --help)",
                 argv[optind]);
        return usage_error(msg);
    }
    if (aqe_form_given && cfg.aqe_alpha <= 0.0f)
        return usage_error("--aqe-form needs --aqe A");
    if ((cfg.aqe_ramp || cfg.aqe_stochastic) && cfg.aqe_alpha <= 0.0f)
        return usage_error(cfg.aqe_ramp ? "--aqe-ramp needs --aqe A (the starting alpha)"
                                        : "--aqe-stochastic needs --aqe A");
    if (resume && !ckpt_path)
        return usage_error("--resume needs --checkpoint FILE");
    if (sq_cli.first_option && !sq_cli.on) {
        snprintf(msg, sizeof msg, "%s needs --sinareq", sq_cli.first_option);
        return usage_error(msg);
    }
    if (cli_sinareq_first_layer(&sq_cli, &cfg) != 0)
        return EXIT_USAGE;
    cli_set_threads(threads);
    cfg.seed = (uint64_t)seed;
    o.seed = (uint64_t)seed;
    cfg.max_batch = o.batch;

    struct nn_arch arch;
    if (nn_arch_parse(&arch, arch_text, width, &err) != NN_OK)
        return usage_error(err.msg);

    struct nn_dataset train = {0}, test = {0};
    enum nn_status st = nn_data_source_load(&data, &train, &test, &err);
    if (st != NN_OK) {
        fprintf(stderr, "logiq train: %s\n", err.msg);
        return nn_status_exit_code(st);
    }
    cfg.in_h = train.h;
    cfg.in_w = train.w;
    cfg.in_c = train.c;
    cfg.n_class = train.n_class;

    struct nn_model model;
    int rc = 0;
    st = nn_model_init(&model, &arch, arch_text, &cfg, &err);
    if (st != NN_OK) {
        fprintf(stderr, "logiq train: %s\n", err.msg);
        nn_data_free(&train);
        nn_data_free(&test);
        return nn_status_exit_code(st);
    }
    if (sq_cli.on) {
        if (nn_sinareq_init(&sq, &model, &sq_cli.o, &err) != NN_OK) {
            rc = usage_error(err.msg);
            goto done;
        }
        o.sinareq = &sq;
    }
    /* Refuse an output we could not write before spending the training time. */
    {
        const char *opt[] = {"-o", "--checkpoint", "--save-fp", "--log"};
        const char *file[] = {out, ckpt_path, save_fp, log};
        for (int i = 0; i < 4 && rc == 0; i++)
            if (file[i])
                rc = cli_check_writable("train", opt[i], file[i]);
        if (rc)
            goto done;
    }
    struct nn_qnn probe;
    if (out && o.norm != NN_NORM_SCALE) {
        rc = usage_error("-o: only --norm scale networks are exportable as integers");
        goto done;
    }
    if (out) {
        st = nn_model_export(&model, &probe, &err);
        if (st != NN_OK) {
            snprintf(msg, sizeof msg, "-o %s: %s", out, err.msg);
            rc = usage_error(msg);
            goto done;
        }
        nn_qnn_free(&probe);
    }
    char log_path[4096];
    if (!log && out) {
        snprintf(log_path, sizeof log_path, "%s", out);
        char *dot = strrchr(log_path, '.');
        char *slash = strrchr(log_path, '/');
        if (dot && (!slash || dot > slash))
            *dot = 0;
        strncat(log_path, ".csv", sizeof log_path - strlen(log_path) - 1);
        log = log_path;
    }
    o.log_csv = log;
    /* the real-valued weights and the thresholds, for the report */
    char wh[4200] = "";
    if (out) {
        snprintf(wh, sizeof wh, "%s", out);
        char *dot = strrchr(wh, '.'), *slash = strrchr(wh, '/');
        if (dot && (!slash || dot > slash))
            *dot = 0;
        strncat(wh, ".weights.csv", sizeof wh - strlen(wh) - 1);
    }
    {
        /* one file for two outputs would lose one (-o m.csv is the log) */
        const char *const names[] = {"-o", "the training log", "the weight histogram",
                                     "--save-fp", "--checkpoint"};
        const char *const paths[] = {out, log, out ? wh : NULL, save_fp, ckpt_path};
        if (cli_outputs_collide("train", names, paths, 5)) {
            rc = EXIT_USAGE;
            goto done;
        }
    }
    if (ckpt_path) {
        cli_train_ckpt_init(&ck, ckpt_path, &model, o.sinareq, width, &o, data.kind, train.n);
        rc = cli_train_ckpt_resume(&ck, resume, &o, quiet);
        if (rc)
            goto done;
        o.save = cli_train_ckpt_save;
        o.save_ctx = &ck;
        ck.stop = &stop_requested;
    }

    struct cli_progress pr;
    cli_progress_init(&pr, quiet);
    o.progress = on_progress;
    o.progress_ctx = &pr;
    if (!quiet)
        fprintf(stderr, "training %s (%zu parameters) on %d images, testing on %d, "
                "wq %s, aq %s\n", arch_text, model.n_params, train.n, test.n, cfg.wq, cfg.aq);
    struct nn_train_result res;
    o.stop = &stop_requested;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    st = nn_train(&model, &train, &test, &o, &res, &err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (st == NN_OK && res.interrupted) {
        if (pr.tty && !quiet)
            fputc('\n', stderr);
        fprintf(stderr, "logiq train: interrupted at epoch %d batch %d; %s\n",
                res.stopped_epoch, res.stopped_batch,
                out ? "exporting the model trained so far" : "stopping");
        if (ckpt_path && !ck.failed)
            fprintf(stderr, "logiq train: the training state is in %s: run the same command "
                    "with --resume to continue it\n", ckpt_path);
    }
    if (st != NN_OK) {
        fprintf(stderr, "logiq train: %s\n", err.msg);
        rc = nn_status_exit_code(st);
        if (st == NN_ERR_WRITE && log && !o.log_append)
            remove(log);  /* a log this run began and could not write: no half file */
        goto done;
    }
    if (ckpt_path && ck.failed && rc == 0)
        rc = EXIT_WORK;  /* reported when it happened; what was trained is still exported */
    printf("float model test accuracy: %.2f%%\n", 100.0 * res.test_acc_float);
    printf("training: %.1f s, %.0f images/s\n", res.seconds, res.images_per_s);
    if (o.sinareq)
        cli_sinareq_report(&sq, &model);
    if (save_fp) {
        char meta[256];
        snprintf(meta, sizeof meta, "data=%s\nepochs=%d\nfloat_test_acc=%.17g\n%s", data.kind,
                 o.epochs, (double)res.test_acc_float, res.interrupted ? "interrupted=1\n" : "");
        struct nn_ckpt_info info = {.width = width, .norm = o.norm, .meta = meta};
        st = nn_ckpt_write(&model, &info, save_fp, &err);
        if (st != NN_OK) {
            fprintf(stderr, "logiq train: --save-fp: %s\n", err.msg);
            rc = nn_status_exit_code(st);
            goto done;
        }
        printf("wrote %s\n", save_fp);
    }
    if (!out) {
        rc = rc ? rc : res.interrupted ? EXIT_WORK : 0;
        goto done;
    }
    if (nn_weight_hist_write(&model, wh, &err) != NN_OK)
        fprintf(stderr, "logiq train: warning: %s (no weight histogram)\n", err.msg);

    struct nn_qnn q;
    st = nn_model_export(&model, &q, &err);
    if (st == NN_OK) {
        char v[64];
        nn_qnn_meta_set(&q, NN_META_ARCH, arch_text);
        snprintf(v, sizeof v, "%g", (double)width);
        nn_qnn_meta_set(&q, NN_META_WIDTH, v);
        nn_qnn_meta_set(&q, NN_META_WQ, cfg.wq);
        nn_qnn_meta_set(&q, NN_META_AQ, cfg.aq);
        snprintf(v, sizeof v, "%d", seed);
        nn_qnn_meta_set(&q, NN_META_SEED, v);
        snprintf(v, sizeof v, "%d", o.epochs);
        nn_qnn_meta_set(&q, NN_META_EPOCHS, v);
        if (res.interrupted) {
            snprintf(v, sizeof v, "epoch %d batch %d", res.stopped_epoch, res.stopped_batch);
            nn_qnn_meta_set(&q, NN_META_INTERRUPTED_AT, v);
        }
        nn_qnn_meta_set(&q, NN_META_DATA, data.kind);
        if (cfg.res_scale == NN_RES_SCALE_POW2)
            nn_qnn_meta_set(&q, NN_META_RES_SCALE, "pow2");
        if (cfg.pool_order == NN_POOL_PAPER)
            nn_qnn_meta_set(&q, NN_META_POOL_ORDER, "paper");
        if (o.sinareq)
            cli_sinareq_meta(&sq, &model, &q);
        st = cli_qnn_finish(&q, &test, threads, cfg.max_mem_gib, (double)res.test_acc_float, out, &err);
        nn_qnn_free(&q);
    }
    if (st != NN_OK) {
        fprintf(stderr, "logiq train: %s\n", err.msg);
        rc = nn_status_exit_code(st);
    }
    if (res.interrupted && rc == 0)
        rc = EXIT_WORK; /* the model is saved, but the training asked for did not finish */
done:
    cli_train_ckpt_free(&ck);
    nn_sinareq_free(&sq);
    nn_model_free(&model);
    nn_data_free(&train);
    nn_data_free(&test);
    return rc;
}
