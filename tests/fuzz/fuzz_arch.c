/* tests/fuzz/fuzz_arch.c: architecture strings (nn_arch_parse); the first
 * byte picks the width multiplier. What parses must format (nn_arch_format)
 * to a string that parses back to the same layers. */
#include "tests/fuzz/fuzz.h"

#include "nn/model.h"

/* The layers are the same (their strings compared as strings: a value
 * given twice leaves the longer one's tail behind the NUL). */
static int same(const struct nn_arch *a, const struct nn_arch *b)
{
    if (a->n_layers != b->n_layers)
        return 0;
    for (int i = 0; i < a->n_layers; i++) {
        const struct nn_layer_spec *x = &a->layers[i], *y = &b->layers[i];
        if (x->op != y->op || x->out_c != y->out_c || x->k != y->k || x->stride != y->stride ||
            x->pad != y->pad || x->pool != y->pool || x->merge != y->merge ||
            x->span != y->span || x->shortcut != y->shortcut || x->side != y->side ||
            x->src != y->src || x->skip != y->skip || x->skip_stride != y->skip_stride ||
            strcmp(x->wq, y->wq) != 0 || strcmp(x->aq, y->aq) != 0)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 1)
        return 0;
    const float width = 0.125f * (float)(1 + data[0] % 32);
    char *text = fuzz_text(data + 1, n - 1);
    struct nn_arch arch, again;
    struct nn_error err;
    nn_arch_parse(&arch, text, width, &err);
    if (nn_arch_parse(&arch, text, 1.0f, &err) == NN_OK) {
        /* what parses formats to a string that parses to the same layers */
        char buf[4 * NN_ARCH_MAX];
        if (nn_arch_format(&arch, buf, sizeof buf) != 0 ||
            nn_arch_parse(&again, buf, 1.0f, &err) != NN_OK ||
            !same(&arch, &again))
            abort();
    }
    free(text);
    return 0;
}
