/* cli/cmd_eval.c: `logiq eval model.qnn`: the accuracy of the integer model,
 * which is the accuracy of the hardware that runs it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "nn/infer.h"
#include "nn/qnn.h"

static const char help[] =
    "usage: logiq eval model.qnn [options]\n"
    "\n"
    "Runs the integer reference model of a .qnn (pure integer arithmetic on the\n"
    "exported weights and thresholds, as the hardware computes) over the test set\n"
    "and prints its accuracy.\n"
    "\n"
    "%s"
    "\n"
    "  --threads N          threads (default: all cores)\n"
    "  --max-memory GIB     refuse a model whose inference workspaces (one per\n"
    "                       thread) need more than GIB GiB (default 16)\n"
    "  --info               also print the model's layers and metadata\n"
    "  -h, --help           this help\n";

enum { O_DATA = 256, O_DATA_DIR, O_TEST_LIMIT, O_THREADS, O_INFO, O_MAX_MEM };

static const struct option long_opts[] = {
    {"data", required_argument, 0, O_DATA},
    {"data-dir", required_argument, 0, O_DATA_DIR},
    {"test-limit", required_argument, 0, O_TEST_LIMIT},
    {"threads", required_argument, 0, O_THREADS},
    {"info", no_argument, 0, O_INFO},
    {"max-memory", required_argument, 0, O_MAX_MEM},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static void print_info(const struct nn_qnn *m)
{
    static const char *codes[] = {"?", "pixel8", "bin01", "sign", "uint"};
    static const char *merges[] = {"-", "add", "or", "mux"};
    static const char *wcodes[] = {"?", "binary", "sign-magnitude", "pow2", "offset"};
    printf("input %dx%dx%d, %d classes, %d layers\n", m->in_h, m->in_w, m->in_c, m->n_class,
           m->n_layers);
    for (int i = 0; i < m->n_layers; i++) {
        const struct nn_qnn_layer *l = &m->layers[i];
        printf("  %2d %-5s %3dx%-3dx%4d -> %3dx%-3dx%4d  w[-%d..%d] (%s, %d bits)  in %s%d  "
               "merge %s%s",
               i + 1, l->op == NN_QNN_CONV ? "conv" : "dense", l->in_h, l->in_w, l->in_c,
               l->out_h, l->out_w, l->out_c, l->w_max, l->w_max,
               wcodes[l->w_code >= 1 && l->w_code <= 4 ? l->w_code : 0], nn_qnn_weight_planes(l),
               codes[l->in_code >= 1 && l->in_code <= 4 ? l->in_code : 0], l->in_bits,
               merges[l->merge >= 0 && l->merge <= 3 ? l->merge : 0], l->res ? " (res)" : "");
        if (l->pool)
            printf("  pool %d", l->pool);
        putchar('\n');
    }
    printf("%s", m->meta);
}

int cmd_eval(int argc, char **argv)
{
    struct nn_data_source data;
    nn_data_source_default(&data);
    int threads = 0, info = 0, c;
    float max_gib = 0.0f;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case O_DATA: data.kind = optarg; break;
        case O_DATA_DIR: data.dir = optarg; break;
        case O_TEST_LIMIT:
            bad = cli_parse_int("eval", "--test-limit", optarg, 1, 100000000, &data.limit_test);
            break;
        case O_THREADS: bad = cli_parse_int("eval", "--threads", optarg, 1, 256, &threads); break;
        case O_INFO: info = 1; break;
        case O_MAX_MEM:
            bad = cli_parse_float("eval", "--max-memory", optarg, 1e-6, 1e6, &max_gib);
            break;
        case 'h': printf(help, cli_data_help); return 0;
        default: return EXIT_USAGE;
        }
        if (bad)
            return EXIT_USAGE;
    }
    if (argc - optind != 1) {
        fprintf(stderr, "logiq eval: expected one model file (usage: logiq eval model.qnn)\n");
        return EXIT_USAGE;
    }
    cli_set_threads(threads);
    const char *path = argv[optind];
    struct nn_error err = {{0}};
    struct nn_qnn m;
    enum nn_status st = nn_qnn_read(&m, path, &err);
    if (st != NN_OK) {
        fprintf(stderr, "logiq eval: %s\n", err.msg);
        return nn_status_exit_code(st);
    }
    if (info)
        print_info(&m);
    char kind[32];
    if (nn_qnn_meta_get(&m, NN_META_DATA, kind, sizeof kind) && strcmp(data.kind, "fashion") == 0 &&
        !data.dir && strcmp(kind, "fashion") != 0)
        fprintf(stderr, "logiq eval: note: the model was trained on --data %s; evaluating on "
                "fashion (pass --data to change)\n", kind);
    struct nn_dataset test = {0};
    st = nn_data_source_load(&data, NULL, &test, &err);
    if (st != NN_OK)
        fprintf(stderr, "logiq eval: %s\n", err.msg);
    else {
        int correct = 0;
        st = nn_infer_dataset(&m, &test, threads, max_gib, &correct, NULL, &err);
        if (st == NN_OK)
            printf("integer model test accuracy: %.2f%% (%d/%d)\n",
                   test.n ? 100.0 * correct / test.n : 0.0, correct, test.n);
        else
            fprintf(stderr, "logiq eval: %s: %s\n", path, err.msg);
    }
    nn_data_free(&test);
    nn_qnn_free(&m);
    return nn_status_exit_code(st);
}
