/* nn/arch.c: architecture strings and presets (grammar in nn/model.h).
 *
 * Parsing only: shapes are resolved later by nn_model_init, which knows the
 * input size. Not here: any allocation, any knowledge of quantizers beyond
 * copying their spec strings. */
#include "nn/model.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct preset {
    const char *name;
    const char *text;
};

static const struct preset presets[] = {
    {"mlp", "f256,f256,f10"},
    {"refcnn", "c32,c32,p,c64,c64,p,c128,p,f10"},
    {"vgg11", "c32,c32,c32,p,c64,c64,c64,p,c128,c128,c128,p,f256,f256,f10"},
    {"res11-add", "c32,c32+add,c32+add,p,c64,c64+add,c64+add,p,"
                  "c128,c128+add,c128+add,p,f256,f256+add,f10"},
    {"res11-or", "c32,c32+or,c32+or,p,c64,c64+or,c64+or,p,"
                 "c128,c128+or,c128+or,p,f256,f256+or,f10"},
    {"res11-mux", "c32,c32+mux,c32+mux,p,c64,c64+mux,c64+mux,p,"
                  "c128,c128+mux,c128+mux,p,f256,f256+mux,f10"},
    /* ResNet-20 (He et al.'s CIFAR network) for 28x28 inputs: a 3x3 stem, three
     * stages of three basic blocks (two 3x3 convolutions merged with the
     * block's input) at 16/32/64 channels, the first block of stages 2 and 3
     * strided with the parameter-free shortcut (He et al.'s option A), and
     * the class layer over the 7x7x64 map (no global average pooling). */
    {"resnet20-add", "c16,c16,c16+add2,c16,c16+add2,c16,c16+add2,"
                     "c32s2,c32+add2/pad,c32,c32+add2,c32,c32+add2,"
                     "c64s2,c64+add2/pad,c64,c64+add2,c64,c64+add2,f10"},
    {"resnet20-or", "c16,c16,c16+or2,c16,c16+or2,c16,c16+or2,"
                    "c32s2,c32+or2/pad,c32,c32+or2,c32,c32+or2,"
                    "c64s2,c64+or2/pad,c64,c64+or2,c64,c64+or2,f10"},
    {"resnet20-mux", "c16,c16,c16+mux2,c16,c16+mux2,c16,c16+mux2,"
                     "c32s2,c32+mux2/pad,c32,c32+mux2,c32,c32+mux2,"
                     "c64s2,c64+mux2/pad,c64,c64+mux2,c64,c64+mux2,f10"},
    {"resnet20", "c16,c16,c16,c16,c16,c16,c16,c32s2,c32,c32,c32,c32,c32,"
                 "c64s2,c64,c64,c64,c64,c64,f10"},
    /* AQE's ConvNet Models A to D (papers.md 2c: 6 conv + 3 FC; B halves A's
     * conv channels, C halves B's FC widths, D halves C's again), sized for
     * 28x28 inputs: docs/architectures.md */
    {"convnet-a", "c32,c32,p,c64,c64,p,c128,c128,p,f512,f512,f10"},
    {"convnet-b", "c16,c16,p,c32,c32,p,c64,c64,p,f512,f512,f10"},
    {"convnet-c", "c16,c16,p,c32,c32,p,c64,c64,p,f256,f256,f10"},
    {"convnet-d", "c16,c16,p,c32,c32,p,c64,c64,p,f128,f128,f10"},
};

const char *nn_arch_preset(const char *name)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0)
            return presets[i].text;
    return NULL;
}

/* Reads a positive decimal integer at *p; returns -1 if none. */
static int read_int(const char **p)
{
    if (!isdigit((unsigned char)**p))
        return -1;
    long v = 0;
    while (isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        if (v > 1000000)
            return -1;
        (*p)++;
    }
    return (int)v;
}

/* Parses "{w=..;a=..}" at *p into the spec. */
static enum nn_status read_opts(struct nn_layer_spec *ls, const char **p, const char *tok,
                                struct nn_error *err)
{
    (*p)++; /* '{' */
    while (**p && **p != '}') {
        char key[16], val[32];
        size_t nk = 0, nv = 0;
        while (**p && **p != '=' && **p != '}' && nk < sizeof key - 1)
            key[nk++] = *(*p)++;
        key[nk] = 0;
        if (**p != '=')
            return nn_fail(err, NN_ERR_ARG,
                           "architecture token '%s': expected key=value inside {}", tok);
        (*p)++;
        while (**p && **p != ';' && **p != '}' && nv < sizeof val - 1)
            val[nv++] = *(*p)++;
        val[nv] = 0;
        if (strcmp(key, "w") == 0)
            snprintf(ls->wq, sizeof ls->wq, "%s", val);
        else if (strcmp(key, "a") == 0)
            snprintf(ls->aq, sizeof ls->aq, "%s", val);
        else
            return nn_fail(err, NN_ERR_ARG,
                           "architecture token '%s': unknown option '%s' (expected w or a)",
                           tok, key);
        if (**p == ';')
            (*p)++;
    }
    if (**p != '}')
        return nn_fail(err, NN_ERR_ARG, "architecture token '%s': missing '}'", tok);
    (*p)++;
    return NN_OK;
}

static enum nn_status parse_token(struct nn_arch *arch, const char *tok, float width,
                                  struct nn_error *err)
{
    const char *p = tok;
    if (*p == 'p') {
        p++;
        int size = *p ? read_int(&p) : 2;
        if (size < 2 || *p)
            return nn_fail(err, NN_ERR_ARG,
                           "architecture token '%s': expected p or pN with N >= 2", tok);
        if (arch->n_layers == 0)
            return nn_fail(err, NN_ERR_ARG,
                           "architecture token '%s': pooling needs a layer before it", tok);
        struct nn_layer_spec *prev = &arch->layers[arch->n_layers - 1];
        if (prev->pool)
            return nn_fail(err, NN_ERR_ARG,
                           "architecture token '%s': two poolings after one layer", tok);
        prev->pool = size;
        return NN_OK;
    }
    if (arch->n_layers >= NN_MAX_LAYERS)
        return nn_fail(err, NN_ERR_ARG, "architecture: more than %d layers", NN_MAX_LAYERS);
    struct nn_layer_spec ls = {0};
    if (*p == 'c') {
        ls.op = NN_OP_CONV;
        ls.k = 3;
        ls.stride = 1;
    } else if (*p == 'f') {
        ls.op = NN_OP_DENSE;
    } else {
        return nn_fail(err, NN_ERR_ARG,
                       "architecture token '%s': expected cC[kK][sS], fN or p[N] "
                       "(e.g. c32, c64k5s2, f256, p)", tok);
    }
    p++;
    ls.out_c = read_int(&p);
    if (ls.out_c < 1)
        return nn_fail(err, NN_ERR_ARG, "architecture token '%s': missing width", tok);
    while (ls.op == NN_OP_CONV && (*p == 'k' || *p == 's')) {
        char which = *p++;
        int v = read_int(&p);
        if (v < 1 || (which == 'k' && v > 15) || (which == 's' && v > 8))
            return nn_fail(err, NN_ERR_ARG,
                           "architecture token '%s': bad %s (k in 1..15, s in 1..8)", tok,
                           which == 'k' ? "kernel size" : "stride");
        if (which == 'k')
            ls.k = v;
        else
            ls.stride = v;
    }
    ls.pad = ls.op == NN_OP_CONV ? ls.k / 2 : 0;
    if (*p == '+') {
        p++;
        if (strncmp(p, "add", 3) == 0) {
            ls.merge = NN_MERGE_ADD;
            p += 3;
        } else if (strncmp(p, "or", 2) == 0) {
            ls.merge = NN_MERGE_OR;
            p += 2;
        } else if (strncmp(p, "mux", 3) == 0) {
            ls.merge = NN_MERGE_MUX;
            p += 3;
        } else {
            return nn_fail(err, NN_ERR_ARG,
                           "architecture token '%s': unknown merge (expected +add, +or, +mux)",
                           tok);
        }
        ls.span = 1;
        if (isdigit((unsigned char)*p)) {
            ls.span = read_int(&p);
            if (ls.span < 1 || ls.span > 16)
                return nn_fail(err, NN_ERR_ARG,
                               "architecture token '%s': block of %d layers (expected 1..16)",
                               tok, ls.span);
        }
        if (*p == '/') {
            p++;
            size_t len = strcspn(p, "{");
            if (len == 3 && strncmp(p, "pad", 3) == 0)
                ls.shortcut = NN_SC_PAD;
            else if (len == 4 && strncmp(p, "proj", 4) == 0)
                ls.shortcut = NN_SC_PROJ;
            else
                return nn_fail(err, NN_ERR_ARG,
                               "architecture token '%s': unknown shortcut (expected /pad or "
                               "/proj)", tok);
            p += len;
        }
    }
    if (*p == '{') {
        enum nn_status s = read_opts(&ls, &p, tok, err);
        if (s != NN_OK)
            return s;
    }
    if (*p)
        return nn_fail(err, NN_ERR_ARG, "architecture token '%s': unexpected '%s'", tok, p);
    (void)width; /* applied once the last layer is known */
    arch->layers[arch->n_layers++] = ls;
    return NN_OK;
}

/* Resolves the blocks: checks them, inserts the side layer of every PROJ
 * shortcut before its block's first layer, and sets every layer's src and
 * skip (indices in the final list). Layers are numbered from 1 in messages,
 * side layers not counted (as the string writes them). */
static enum nn_status wire(struct nn_arch *arch, struct nn_error *err)
{
    const int n = arch->n_layers;
    struct nn_layer_spec user[NN_MAX_LAYERS];
    int proj_before[NN_MAX_LAYERS], at[NN_MAX_LAYERS], side_of[NN_MAX_LAYERS];
    memcpy(user, arch->layers, (size_t)n * sizeof user[0]);
    int n_side = 0;
    for (int l = 0; l < n; l++)
        proj_before[l] = side_of[l] = -1;
    for (int l = 0; l < n; l++) {
        struct nn_layer_spec *s = &user[l];
        s->side = 0;
        s->skip = -1;
        s->skip_stride = 0;
        if (s->merge == NN_MERGE_NONE)
            continue;
        const int b = l - s->span + 1;
        if (b < 1)
            return nn_fail(err, NN_ERR_ARG,
                           "architecture: layer %d merges a block of %d layers, which needs a "
                           "layer before the block (its input)", l + 1, s->span);
        int stride = 1;
        for (int j = b; j <= l; j++) {
            if (j < l && user[j].pool)
                return nn_fail(err, NN_ERR_ARG,
                               "architecture: layer %d pools inside the block that layer %d "
                               "merges (pool after the block's last layer)", j + 1, l + 1);
            if (user[j].op == NN_OP_CONV)
                stride *= user[j].stride;
        }
        s->skip_stride = stride;
        if (s->shortcut == NN_SC_PROJ) {
            if (proj_before[b] >= 0)
                return nn_fail(err, NN_ERR_ARG,
                               "architecture: layers %d and %d both project the input of "
                               "layer %d (one projection per block input)",
                               proj_before[b] + 1, l + 1, b + 1);
            proj_before[b] = l;
            n_side++;
        }
    }
    if (n + n_side > NN_MAX_LAYERS)
        return nn_fail(err, NN_ERR_ARG, "architecture: more than %d layers with the %d "
                       "projection shortcuts", NN_MAX_LAYERS, n_side);
    int k = 0, prev = -1;
    for (int l = 0; l < n; l++) {
        if (proj_before[l] >= 0) {
            const struct nn_layer_spec *M = &user[proj_before[l]];
            struct nn_layer_spec sd = {0};
            sd.op = M->op;
            sd.out_c = M->out_c;
            sd.k = 1;
            sd.stride = M->op == NN_OP_CONV ? M->skip_stride : 1;
            sd.side = 1;
            sd.src = prev;
            sd.skip = -1;
            memcpy(sd.wq, M->wq, sizeof sd.wq);
            memcpy(sd.aq, M->aq, sizeof sd.aq);
            side_of[proj_before[l]] = k;
            arch->layers[k++] = sd;
        }
        user[l].src = prev;
        at[l] = k;
        arch->layers[k] = user[l];
        prev = k++;
    }
    for (int l = 0; l < n; l++) {
        struct nn_layer_spec *s = &arch->layers[at[l]];
        if (s->merge != NN_MERGE_NONE)
            s->skip = s->shortcut == NN_SC_PROJ ? side_of[l] : at[l - s->span];
    }
    arch->n_layers = k;
    /* the accelerator holds one skip tensor: none may be written between
     * another's write (its source's output) and its read (the merge) */
    for (int l = 0; l < n; l++) {
        const struct nn_layer_spec *s = &arch->layers[at[l]];
        for (int j = 0; s->merge != NN_MERGE_NONE && j < n; j++) {
            const struct nn_layer_spec *o = &arch->layers[at[j]];
            if (o->merge != NN_MERGE_NONE && o->skip > s->skip && o->skip < at[l])
                return nn_fail(err, NN_ERR_ARG,
                               "architecture: layer %d's skip would be overwritten by layer "
                               "%d's before layer %d merges it (the skip buffer holds one "
                               "tensor: blocks may follow each other or share an input, not "
                               "interleave)", l + 1, j + 1, l + 1);
        }
    }
    return NN_OK;
}

enum nn_status nn_arch_parse(struct nn_arch *arch, const char *text, float width,
                             struct nn_error *err)
{
    memset(arch, 0, sizeof *arch);
    if (!(width > 0.0f) || width > 64.0f)
        return nn_fail(err, NN_ERR_ARG, "width multiplier %g: expected a value in (0, 64]",
                       (double)width);
    const char *preset = nn_arch_preset(text);
    const char *src = preset ? preset : text;
    if (strlen(src) >= NN_ARCH_MAX)
        return nn_fail(err, NN_ERR_ARG, "architecture string longer than %d characters",
                       NN_ARCH_MAX - 1);
    char buf[NN_ARCH_MAX];
    snprintf(buf, sizeof buf, "%s", src);
    /* split on commas outside braces */
    char *start = buf;
    int depth = 0;
    for (char *q = buf;; q++) {
        if (*q == '{')
            depth++;
        else if (*q == '}')
            depth--;
        if ((*q == ',' && depth == 0) || *q == 0) {
            int end = *q == 0;
            *q = 0;
            if (*start == 0)
                return nn_fail(err, NN_ERR_ARG, "architecture '%s': empty token", text);
            enum nn_status s = parse_token(arch, start, width, err);
            if (s != NN_OK)
                return s;
            if (end)
                break;
            start = q + 1;
        }
    }
    if (arch->n_layers == 0)
        return nn_fail(err, NN_ERR_ARG, "architecture '%s': no layers", text);
    struct nn_layer_spec *last = &arch->layers[arch->n_layers - 1];
    if (last->op != NN_OP_DENSE || last->merge != NN_MERGE_NONE || last->pool)
        return nn_fail(err, NN_ERR_ARG,
                       "architecture '%s': the last layer must be a plain dense layer fN "
                       "giving the class scores", text);
    for (int i = 0; i < arch->n_layers - 1; i++) {
        int c = (int)lrintf((float)arch->layers[i].out_c * width);
        arch->layers[i].out_c = c < 1 ? 1 : c;
    }
    return wire(arch, err);
}

int nn_arch_format(const struct nn_arch *arch, char *buf, size_t size)
{
    static const char *const merge[] = {
        [NN_MERGE_NONE] = "", [NN_MERGE_ADD] = "+add", [NN_MERGE_OR] = "+or",
        [NN_MERGE_MUX] = "+mux",
    };
    static const char *const shortcut[] = {
        [NN_SC_NONE] = "", [NN_SC_PAD] = "/pad", [NN_SC_PROJ] = "/proj"};
    size_t len = 0;
    for (int i = 0; i < arch->n_layers; i++) {
        const struct nn_layer_spec *l = &arch->layers[i];
        if (l->side)
            continue;
        char ks[16] = "", ss[16] = "", opts[80] = "", pool[16] = "", block[24] = "";
        if (l->op == NN_OP_CONV && l->k != 3)
            snprintf(ks, sizeof ks, "k%d", l->k);
        if (l->op == NN_OP_CONV && l->stride != 1)
            snprintf(ss, sizeof ss, "s%d", l->stride);
        if (l->merge != NN_MERGE_NONE && l->span > 1)
            snprintf(block, sizeof block, "%s%d%s", merge[l->merge], l->span,
                     shortcut[l->shortcut]);
        else if (l->merge != NN_MERGE_NONE)
            snprintf(block, sizeof block, "%s%s", merge[l->merge], shortcut[l->shortcut]);
        if (l->wq[0] || l->aq[0])
            snprintf(opts, sizeof opts, "{%s%s%s%s%s}", l->wq[0] ? "w=" : "", l->wq,
                     l->wq[0] && l->aq[0] ? ";" : "", l->aq[0] ? "a=" : "", l->aq);
        if (l->pool == 2)
            snprintf(pool, sizeof pool, ",p");
        else if (l->pool)
            snprintf(pool, sizeof pool, ",p%d", l->pool);
        int w = snprintf(buf + len, size - len, "%s%c%d%s%s%s%s%s", len ? "," : "",
                         l->op == NN_OP_CONV ? 'c' : 'f', l->out_c, ks, ss, block, opts, pool);
        if (w < 0 || (size_t)w >= size - len)
            return -1;
        len += (size_t)w;
    }
    return 0;
}

enum nn_status nn_arch_override(const char *text, int layer, const char *w, const char *a,
                                const char *merge, char *buf, size_t size,
                                struct nn_error *err)
{
    struct nn_arch arch;
    enum nn_status st = nn_arch_parse(&arch, text, 1.0f, err);
    if (st != NN_OK)
        return st;
    int n_user = 0, at = -1;
    for (int i = 0; i < arch.n_layers; i++)
        if (!arch.layers[i].side && ++n_user == layer)
            at = i;
    if (layer < 1 || at < 0)
        return nn_fail(err, NN_ERR_ARG, "layer %d: '%s' has layers 1 to %d (pooling not counted)",
                       layer, text, n_user);
    struct nn_layer_spec *l = &arch.layers[at];
    if (w && strlen(w) >= sizeof l->wq)
        return nn_fail(err, NN_ERR_ARG, "layer %d: weight quantizer '%s' too long", layer, w);
    if (a && strlen(a) >= sizeof l->aq)
        return nn_fail(err, NN_ERR_ARG, "layer %d: activation '%s' too long", layer, a);
    if (w)
        snprintf(l->wq, sizeof l->wq, "%s", w);
    if (a)
        snprintf(l->aq, sizeof l->aq, "%s", a);
    if (merge) {
        const int was = l->merge != NN_MERGE_NONE;
        if (strcmp(merge, "none") == 0)
            l->merge = NN_MERGE_NONE;
        else if (strcmp(merge, "add") == 0)
            l->merge = NN_MERGE_ADD;
        else if (strcmp(merge, "or") == 0)
            l->merge = NN_MERGE_OR;
        else if (strcmp(merge, "mux") == 0)
            l->merge = NN_MERGE_MUX;
        else
            return nn_fail(err, NN_ERR_ARG,
                           "layer %d: merge '%s': expected none, add, or or mux", layer, merge);
        if (l->merge == NN_MERGE_NONE) {
            l->span = 0;
            l->shortcut = NN_SC_NONE;
        } else if (!was) {
            l->span = 1;  /* a new merge: with the layer's own input */
        }
    }

    if (nn_arch_format(&arch, buf, size) != 0)
        return nn_fail(err, NN_ERR_ARG, "layer %d: the architecture string is too long", layer);
    return NN_OK;
}
