/* cli/train_sinareq.c: the SINAREQ options of `logiq train` (see
 * cli/train_sinareq.h; definitions in docs/definitions.md). */
#include "cli/train_sinareq.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

const char cli_sinareq_help[] =
    "SINAREQ (learned per-layer weight bit widths, papers.md 4; docs/definitions.md):\n"
    "  --sinareq            learn a real bit width beta per layer on top of\n"
    "                       --wq dorefa:B or wrpn:B: beta starts at B and stays in\n"
    "                       [--sinareq-beta-min, B]; each step quantizes at ceil(beta)\n"
    "                       bits; the loss adds lambda_q sum_l R(w_l; beta_l) (the sin^2\n"
    "                       regularizer) + lambda_b sum_l beta_l; the model is exported\n"
    "                       with each layer at ceil(beta) bits\n"
    "  --sinareq-lq X       strength of the sin^2 term (default 1)\n"
    "  --sinareq-lb X       strength of the bit-width cost (default 0.03)\n"
    "  --sinareq-lq-sched S ramp (default: 0 until ~20% of training, then X) or const\n"
    "  --sinareq-lb-sched S phased (default: X from 20% to 50% of training, else 0)\n"
    "                       or const\n"
    "  --sinareq-beta-lr X  Adam learning rate of beta, scaled by the --sched factor\n"
    "                       (default 0.01)\n"
    "  --sinareq-beta-min X lowest beta (default 2, the smallest dorefa/wrpn width)\n"
    "  --sinareq-first F    exempt (default: the first layer is not regularized and\n"
    "                       its width not learned; it is quantized at the --wq kind's\n"
    "                       widest width, dorefa:7 or wrpn:8, unless --wq-first is\n"
    "                       given) or learn (a SINAREQ layer like the others)\n"
    "  --sinareq-last L     learn (default: the last layer's width is learned too)\n"
    "                       or fixed (it keeps its --wq-last / --wq width)\n"
    "  For weights-only runs give the activations the widest width the hardware\n"
    "  holds, --aq 8 (8-bit unsigned codes; docs/definitions.md).\n";

void cli_sinareq_default(struct cli_sinareq *s)
{
    memset(s, 0, sizeof *s);
    nn_sinareq_opts_default(&s->o);
}

int cli_sinareq_option(int opt, const char *arg, struct cli_sinareq *s)
{
    struct nn_error err = {{0}};
    int bad = 0;
    const char *name = NULL;
    switch (opt) {
    case CLI_OPT_SINAREQ:
        s->on = 1;
        return 1;
    case CLI_OPT_SINAREQ_LQ:
        name = "--sinareq-lq";
        bad = cli_parse_float("train", name, arg, 0, 1e6, &s->o.lq);
        break;
    case CLI_OPT_SINAREQ_LB:
        name = "--sinareq-lb";
        bad = cli_parse_float("train", name, arg, 0, 1e6, &s->o.lb);
        break;
    case CLI_OPT_SINAREQ_LQ_SCHED:
        name = "--sinareq-lq-sched";
        if (nn_sinareq_lq_sched_parse(&s->o.lq_sched, arg, &err) != NN_OK) {
            fprintf(stderr, "logiq train: %s: %s\n", name, err.msg);
            bad = -1;
        }
        break;
    case CLI_OPT_SINAREQ_LB_SCHED:
        name = "--sinareq-lb-sched";
        if (nn_sinareq_lb_sched_parse(&s->o.lb_sched, arg, &err) != NN_OK) {
            fprintf(stderr, "logiq train: %s: %s\n", name, err.msg);
            bad = -1;
        }
        break;
    case CLI_OPT_SINAREQ_BETA_LR:
        name = "--sinareq-beta-lr";
        bad = cli_parse_float("train", name, arg, 0, 10, &s->o.beta_lr);
        break;
    case CLI_OPT_SINAREQ_BETA_MIN:
        name = "--sinareq-beta-min";
        bad = cli_parse_float("train", name, arg, 2, 8, &s->o.beta_min);
        break;
    case CLI_OPT_SINAREQ_FIRST:
        name = "--sinareq-first";
        if (nn_sinareq_first_parse(&s->o.first, arg, &err) != NN_OK) {
            fprintf(stderr, "logiq train: %s: %s\n", name, err.msg);
            bad = -1;
        }
        break;
    case CLI_OPT_SINAREQ_LAST:
        name = "--sinareq-last";
        if (nn_sinareq_last_parse(&s->o.last, arg, &err) != NN_OK) {
            fprintf(stderr, "logiq train: %s: %s\n", name, err.msg);
            bad = -1;
        }
        break;
    default:
        return 0;
    }
    if (!s->first_option)
        s->first_option = name;
    return bad ? -1 : 1;
}

int cli_sinareq_first_layer(const struct cli_sinareq *s, struct nn_model_config *cfg)
{
    if (!s->on || s->o.first != NN_SINAREQ_FIRST_EXEMPT || cfg->wq_first[0])
        return 0;
    struct nn_error err = {{0}};
    if (nn_sinareq_first_spec(cfg->wq, cfg->wq_first, sizeof cfg->wq_first, &err) != NN_OK) {
        fprintf(stderr, "logiq train: --wq: %s\n", err.msg);
        return -1;
    }
    return 0;
}

void cli_sinareq_report(const struct nn_sinareq *s, const struct nn_model *m)
{
    double sum = 0.0;
    int n = 0;
    printf("SINAREQ learned weight bit widths (ceil of beta):\n");
    for (int i = 0; i < s->n_layers; i++) {
        if (!s->on[i])
            continue;
        char spec[32];
        nn_wq_spec(&m->layers[i].wq, spec, sizeof spec);
        printf("  layer %2d  beta %.4f  bits %d  (%s, from %d)\n", i + 1, s->beta[i],
               nn_sinareq_bits_of(s, i), spec, s->bits_max[i]);
        sum += nn_sinareq_bits_of(s, i);
        n++;
    }
    printf("  mean %.3f bits over %d layers\n", n ? sum / n : 0.0, n);
}

void cli_sinareq_meta(const struct nn_sinareq *s, const struct nn_model *m, struct nn_qnn *q)
{
    char bits[1024] = "", beta[2048] = "", wq[2048] = "";
    for (int i = 0; i < s->n_layers; i++) {
        char spec[32], v[48];
        nn_wq_spec(&m->layers[i].wq, spec, sizeof spec);
        snprintf(v, sizeof v, "%s%s", i ? "," : "", spec);
        strncat(wq, v, sizeof wq - strlen(wq) - 1);
        if (!s->on[i])
            continue;
        snprintf(v, sizeof v, "%s%d", bits[0] ? "," : "", nn_sinareq_bits_of(s, i));
        strncat(bits, v, sizeof bits - strlen(bits) - 1);
        snprintf(v, sizeof v, "%s%.6f", beta[0] ? "," : "", s->beta[i]);
        strncat(beta, v, sizeof beta - strlen(beta) - 1);
    }
    char opts[320];
    snprintf(opts, sizeof opts,
             "lq=%g,lb=%g,lq_sched=%s,lb_sched=%s,beta_lr=%g,beta_min=%g,first=%s,last=%s",
             (double)s->o.lq, (double)s->o.lb,
             s->o.lq_sched == NN_SINAREQ_LQ_RAMP ? "ramp" : "const",
             s->o.lb_sched == NN_SINAREQ_LB_PHASED ? "phased" : "const", (double)s->o.beta_lr,
             (double)s->o.beta_min, nn_sinareq_first_name(s->o.first),
             nn_sinareq_last_name(s->o.last));
    nn_qnn_meta_set(q, NN_META_SINAREQ, opts);
    nn_qnn_meta_set(q, NN_META_WQ_LAYERS, wq);
    nn_qnn_meta_set(q, NN_META_SINAREQ_BITS, bits);
    nn_qnn_meta_set(q, NN_META_SINAREQ_BETA, beta);
}
