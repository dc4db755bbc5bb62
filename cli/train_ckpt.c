/* cli/train_ckpt.c: logiq train --checkpoint / --resume (train_ckpt.h). */
#include "cli/train_ckpt.h"

#include <errno.h>
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
    memset(c, 0, sizeof *c);
    c->path = path;
    c->m = m;
    c->sq = sq;
    c->width = width;
    c->norm = o->norm;
    c->state.n = n_train;
    if (nn_ckpt_train_opts_text(c->opts, sizeof c->opts, o, data_kind, n_train,
                                omp_get_max_threads(), sq ? &sq->o : NULL) < 0)
        c->opts[0] = 0;  /* cannot happen: the options are short; the check is then weaker */
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
    st = nn_ckpt_state_parse(ck.meta, c->path, s, &err);
    nn_ckpt_free(&ck);
    if (st != NN_OK) {
        fprintf(stderr, "logiq train: %s\n", err.msg);
        return EXIT_USAGE;
    }
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
    int n = meta ? snprintf(meta, NN_CKPT_TEXT_MAX, "%s", c->opts) : -1;
    if (n > 0)
        n = nn_ckpt_state_text(meta, NN_CKPT_TEXT_MAX, (size_t)n, s);
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
