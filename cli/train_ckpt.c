/* cli/train_ckpt.c: logiq train --checkpoint / --resume (train_ckpt.h). */
#include "cli/train_ckpt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <unistd.h>

#include "cli/cli.h"
#include "nn/qnn.h"

void cli_train_ckpt_init(struct cli_train_ckpt *c, const char *path, struct nn_model *m,
                         struct nn_sinareq *sq, float width, const struct nn_train_opts *o,
                         const char *data_kind, int n_train)
{
    const int threads = omp_get_max_threads();
    memset(c, 0, sizeof *c);
    c->path = path;
    c->m = m;
    c->sq = sq;
    c->width = width;
    c->norm = o->norm;
    c->state.n = n_train;
    char f[6][24];
    int n = snprintf(c->opts, sizeof c->opts,
                     "data=%s\ntrain_images=%d\nepochs=%d\nbatch=%d\nlr=%s\noptim=%s\n"
                     "momentum=%s\nwd=%s\nsched=%s\nstep_every=%d\nstep_gamma=%s\n"
                     "crop_pad=%d\nhflip=%d\nthreads=%d\n",
                     data_kind, n_train, o->epochs, o->batch, nn_ckpt_float(f[0], o->lr),
                     o->optim == NN_OPTIM_SGD ? "sgd" : "adam", nn_ckpt_float(f[1], o->momentum),
                     nn_ckpt_float(f[2], o->weight_decay),
                     o->sched == NN_SCHED_STEP ? "step" : o->sched == NN_SCHED_CONST ? "const"
                                                                                  : "cosine",
                     o->step_every, nn_ckpt_float(f[3], o->step_gamma), o->aug.crop_pad,
                     o->aug.hflip, threads);
    if (sq && n > 0 && (size_t)n < sizeof c->opts)
        snprintf(c->opts + n, sizeof c->opts - (size_t)n,
                 "sinareq=lq %s lb %s lq_sched %s lb_sched %s beta_lr %s beta_min %s\n",
                 nn_ckpt_float(f[0], sq->o.lq), nn_ckpt_float(f[1], sq->o.lb),
                 sq->o.lq_sched == NN_SINAREQ_LQ_RAMP ? "ramp" : "const",
                 sq->o.lb_sched == NN_SINAREQ_LB_PHASED ? "phased" : "const",
                 nn_ckpt_float(f[4], sq->o.beta_lr), nn_ckpt_float(f[5], sq->o.beta_min));
}

/* Reads the state's scalars from the metadata; an error names the field. */
static int read_scalars(const char *path, const char *meta, struct nn_train_state *s)
{
    static const char *const keys[] = {"state_epoch", "state_batch", "state_t",
                                       "state_rng_shuffle", "state_rng_aug", "state_loss_sum",
                                       "state_correct", "state_seen", "state_seconds"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char v[128], *end;
        if (!nn_meta_get(meta, keys[k], v, sizeof v)) {
            fprintf(stderr, "logiq train: %s: field '%s' missing\n", path, keys[k]);
            return -1;
        }
        errno = 0;
        double d = 0.0;
        unsigned long long u = 0;
        if (k == 5 || k == 8)
            d = strtod(v, &end);
        else
            u = strtoull(v, &end, k == 3 || k == 4 ? 16 : 10);
        if (end == v || *end || errno || v[0] == '-') {
            fprintf(stderr, "logiq train: %s: field '%s' = '%s': expected a %s\n", path,
                    keys[k], v, k == 5 || k == 8 ? "number" : "count");
            return -1;
        }
        switch (k) {
        case 0: s->epoch = (int)u; break;
        case 1: s->batch = (int)u; break;
        case 2: s->t = (long)u; break;
        case 3: s->rng_shuffle = u; break;
        case 4: s->rng_aug = u; break;
        case 5: s->loss_sum = d; break;
        case 6: s->correct = (long)u; break;
        case 7: s->seen = (long)u; break;
        default: s->seconds = d; break;
        }
    }
    return 0;
}

/* Keeps the header and the first `rows` rows of the CSV log at path.
 * Returns 1 if it now holds them, 0 if it holds fewer or is missing (the
 * training then writes a new one, header first), -1 on an error. */
static int trim_log(const char *path, int rows)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    char line[65536];
    int n = 0;
    long keep = -1;
    while (n <= rows && fgets(line, sizeof line, f))
        if (++n == rows + 1)
            keep = ftell(f);
    fclose(f);
    if (keep < 0)
        return 0;
    return truncate(path, keep) == 0 ? 1 : -1;
}

int cli_train_ckpt_resume(struct cli_train_ckpt *c, int resume, struct nn_train_opts *o,
                          int quiet)
{
    if (access(c->path, F_OK) != 0) {
        if (resume && !quiet)
            fprintf(stderr, "logiq train: no checkpoint %s yet: training from the start\n",
                    c->path);
        return 0;
    }
    if (!resume) {
        fprintf(stderr, "logiq train: --checkpoint %s exists: add --resume to continue that "
                "training, or remove the file\n", c->path);
        return EXIT_USAGE;
    }
    struct nn_ckpt ck;
    struct nn_error err;
    struct nn_ckpt_info info = {.width = c->width, .norm = c->norm, .meta = c->opts};
    enum nn_status st = nn_ckpt_read(&ck, c->path, &err);
    if (st == NN_OK && !nn_ckpt_has_state(&ck))
        st = nn_fail(&err, NN_ERR_ARG, "%s holds no training state (written by --save-fp, not "
                     "--checkpoint)", c->path);
    if (st == NN_OK)
        st = nn_ckpt_check_same(&ck, c->m, &info, &err);
    int n = (int)c->state.n;
    c->order = malloc((size_t)(n ? n : 1) * sizeof *c->order);
    if (st == NN_OK && !c->order)
        st = nn_fail(&err, NN_ERR_NOMEM, "out of memory");
    if (st == NN_OK)
        st = nn_ckpt_load_state(&ck, c->m, c->order, n, &err);
    if (st == NN_OK && c->sq && nn_sinareq_state_parse(c->sq, ck.meta, &err) != NN_OK)
        st = nn_fail(&err, NN_ERR_FORMAT, "%s: %s", c->path, err.msg);
    if (st != NN_OK) {
        fprintf(stderr, "logiq train: --resume: %s\n", err.msg);
        nn_ckpt_free(&ck);
        return nn_status_exit_code(st);
    }
    struct nn_train_state *s = &c->state;
    int bad = read_scalars(c->path, ck.meta, s);
    nn_ckpt_free(&ck);
    if (bad)
        return EXIT_USAGE;
    s->order = c->order;
    for (int i = 0; i < n; i++)
        if (c->order[i] < 0 || c->order[i] >= n) {
            fprintf(stderr, "logiq train: %s: field 'order': image %d out of range\n", c->path,
                    c->order[i]);
            return EXIT_USAGE;
        }
    o->resume = s;
    if (o->log_csv) {
        int t = trim_log(o->log_csv, s->epoch);
        if (t < 0) {
            fprintf(stderr, "logiq train: %s: cannot trim the log: %s\n", o->log_csv,
                    strerror(errno));
            return EXIT_WORK;
        }
        o->log_append = t;
        if (!t && !quiet)
            fprintf(stderr, "logiq train: %s lacks the rows of the epochs done: it restarts "
                    "at epoch %d\n", o->log_csv, s->epoch + 1);
    }
    if (!quiet)
        fprintf(stderr, "logiq train: resuming %s at epoch %d batch %d (%ld steps done)\n",
                c->path, s->epoch + 1, s->batch + 1, s->t);
    return 0;
}

void cli_train_ckpt_save(void *ctx, const struct nn_train_state *s)
{
    struct cli_train_ckpt *c = ctx;
    char *meta = malloc(NN_CKPT_TEXT_MAX);
    struct nn_error err;
    enum nn_status st = NN_ERR_NOMEM;
    int n = meta ? snprintf(meta, NN_CKPT_TEXT_MAX,
                            "%sstate_epoch=%d\nstate_batch=%d\nstate_t=%ld\n"
                            "state_rng_shuffle=%016" PRIx64 "\nstate_rng_aug=%016" PRIx64 "\n"
                            "state_loss_sum=%.17g\nstate_correct=%ld\nstate_seen=%ld\n"
                            "state_seconds=%.17g\n",
                            c->opts, s->epoch, s->batch, s->t, s->rng_shuffle, s->rng_aug,
                            s->loss_sum, s->correct, s->seen, s->seconds)
                     : -1;
    if (n > 0 && n < NN_CKPT_TEXT_MAX && c->sq &&
        nn_sinareq_state_text(c->sq, meta + n, (size_t)(NN_CKPT_TEXT_MAX - n)) < 0)
        n = -1;
    if (n > 0 && n < NN_CKPT_TEXT_MAX) {
        struct nn_ckpt_info info = {.width = c->width, .norm = c->norm, .meta = meta,
                                    .optim_state = 1, .order = s->order, .n_order = s->n};
        st = nn_ckpt_write(c->m, &info, c->path, &err);
    } else if (meta) {
        snprintf(err.msg, sizeof err.msg, "%s: the state's text does not fit", c->path);
    } else {
        snprintf(err.msg, sizeof err.msg, "%s: out of memory", c->path);
    }
    free(meta);
    if (st != NN_OK && !c->failed) {
        fprintf(stderr, "\nlogiq train: --checkpoint: %s; stopping (the state saved last, if "
                "any, is intact)\n", err.msg);
        c->failed = 1;
        if (c->stop)
            *c->stop = 1;
    }
}

void cli_train_ckpt_free(struct cli_train_ckpt *c)
{
    free(c->order);
    c->order = NULL;
}
