/* nn/optim.c: Adam and SGD with momentum, decoupled weight decay, and the
 * learning-rate schedules. Elementwise over the parameter arena; the
 * static OpenMP schedule keeps results independent of timing. The learned
 * quantizer steps (LSQ's s, outside the arena) take the same rule and
 * learning rate, without weight decay, and stay positive. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nn/train.h"

enum nn_status nn_optim_parse(enum nn_optim *o, const char *s, struct nn_error *err)
{
    if (strcmp(s, "adam") == 0)
        *o = NN_OPTIM_ADAM;
    else if (strcmp(s, "sgd") == 0)
        *o = NN_OPTIM_SGD;
    else
        return nn_fail(err, NN_ERR_ARG, "optimizer '%s': expected adam or sgd", s);
    return NN_OK;
}

enum nn_status nn_sched_parse(enum nn_sched *o, const char *s, struct nn_error *err)
{
    if (strcmp(s, "cosine") == 0)
        *o = NN_SCHED_COSINE;
    else if (strcmp(s, "step") == 0)
        *o = NN_SCHED_STEP;
    else if (strcmp(s, "const") == 0)
        *o = NN_SCHED_CONST;
    else
        return nn_fail(err, NN_ERR_ARG, "schedule '%s': expected cosine, step or const", s);
    return NN_OK;
}

float nn_train_lr(const struct nn_train_opts *o, long t, long T, int epoch)
{
    switch (o->sched) {
    case NN_SCHED_COSINE:
        return T > 0 ? o->lr * 0.5f * (1.0f + cosf(3.14159265358979f * (float)t / (float)T)) : o->lr;
    case NN_SCHED_STEP:
        return o->step_every > 0 ? o->lr * powf(o->step_gamma, (float)(epoch / o->step_every))
                                 : o->lr;
    default:
        return o->lr;
    }
}

void nn_optim_step(struct nn_model *m, const struct nn_train_opts *o, float lr, long t)
{
    float *p = m->params, *g = m->grads, *mo = m->opt_m, *v = m->opt_v;
    const unsigned char *decay = m->decay;
    const long n = (long)m->n_params;
    const float wd = o->weight_decay;
    if (o->optim == NN_OPTIM_ADAM) {
        const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        const float c1 = 1.0f / (1.0f - powf(b1, (float)t));
        const float c2 = 1.0f / (1.0f - powf(b2, (float)t));
        for (int l = 0; l < m->n_layers; l++) {
            struct nn_wq *q = &m->layers[l].wq;
            for (int j = 0; q->dscale && j < q->n_group; j++) {
                const float gs = q->dscale[j];
                q->scale_m[j] = b1 * q->scale_m[j] + (1.0f - b1) * gs;
                q->scale_v[j] = b2 * q->scale_v[j] + (1.0f - b2) * gs * gs;
                const float s = q->scale[j] -
                                lr * (q->scale_m[j] * c1) / (sqrtf(q->scale_v[j] * c2) + eps);
                q->scale[j] = s > FLT_MIN ? s : FLT_MIN;
            }
        }
        #pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++) {
            mo[i] = b1 * mo[i] + (1.0f - b1) * g[i];
            v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
            float step = (mo[i] * c1) / (sqrtf(v[i] * c2) + eps);
            p[i] -= lr * (step + (decay[i] ? wd * p[i] : 0.0f));
        }
    } else {
        const float mu = o->momentum;
        for (int l = 0; l < m->n_layers; l++) {
            struct nn_wq *q = &m->layers[l].wq;
            for (int j = 0; q->dscale && j < q->n_group; j++) {
                q->scale_m[j] = mu * q->scale_m[j] + q->dscale[j];
                const float s = q->scale[j] - lr * q->scale_m[j];
                q->scale[j] = s > FLT_MIN ? s : FLT_MIN;
            }
        }
        #pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++) {
            mo[i] = mu * mo[i] + g[i];
            p[i] -= lr * (mo[i] + (decay[i] ? wd * p[i] : 0.0f));
        }
    }
}
