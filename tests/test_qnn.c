/* tests/test_qnn.c: the .qnn model file (nn/qnn.c).
 *
 * Tolerance policy: none; every comparison is exact. Models are built by
 * hand (a zoo with every layer kind: a pooled 3x3 conv on pixels, OR and MUX
 * merges, an ADD pair on a residual stream, 2- and 3-bit uniform and sign
 * outputs, a stride-2 conv, a dense scores layer; sign-magnitude weights with
 * w_max 1..7 and binary weights), written, read back and compared field by
 * field and array by array. The file size must be what the layout says (the
 * weights are bit-packed), the bit-planes of a known weight row are checked
 * byte by byte, and a write must leave no temporary file. Then the reader is
 * attacked: every byte flipped, every truncation, a bad magic, a future
 * version and inconsistent fields behind a correct checksum must all give
 * NN_ERR_FORMAT naming the file (and the layer), never a crash, and leave the
 * model zeroed. Last, in-memory validation errors and the metadata lines.
 *
 * The model builder below is the one of tests/test_infer.c. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "nn/infer.h"
#include "nn/layers.h"
#include "nn/qnn.h"
#include "tests/testutil.h"

#include "tests/qnn_fixture.h"

/* ---- the layout, computed independently of nn/qnn.c ---- */

static long layer_block_bytes(const struct nn_qnn_layer *l)
{
    long n = (long)nn_qnn_fan_in(l) * l->out_c;
    /* planes per weight: binary 1, sign-magnitude 1 + w_mag_bits, pow2 the
     * sign and the bits of q = w_mag_bits (q <= 7: at most 3), offset B */
    long q = l->w_mag_bits, code_bits = q >= 4 ? 3 : q >= 2 ? 2 : q;
    long planes = l->w_code == NN_WCODE_BINARY   ? 1
                  : l->w_code == NN_WCODE_POW2   ? 1 + code_bits
                  : l->w_code == NN_WCODE_OFFSET ? q
                                                 : 1 + q;
    long b = 29 * 4 + planes * ((n + 7) / 8);
    if (l->out_kind == NN_OUT_THRESH)
        b += 4L * l->out_c * l->n_thr;
    if (l->merge == NN_MERGE_MUX)
        b += l->out_c;
    if (l->res || l->out_kind == NN_OUT_SCORES)
        b += 16L * l->out_c;
    return b;
}

/* Byte offset of layer li's field block (li = n_layers: of the checksum). */
static long layer_offset(const struct nn_qnn *m, int li)
{
    long off = 36 + (long)strlen(m->meta);
    for (int i = 0; i < li; i++)
        off += layer_block_bytes(&m->layers[i]);
    return off;
}

static long expected_size(const struct nn_qnn *m)
{
    return layer_offset(m, m->n_layers) + 4;
}

/* ---- files ---- */

static char scratch[512];

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", scratch, name);
}

static uint8_t *load(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *size = -1;
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)*size + 1);
    if (fread(b, 1, (size_t)*size, f) != (size_t)*size)
        *size = -1;
    fclose(f);
    return b;
}

static void save(const char *path, const uint8_t *b, long size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    fclose(f);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Rewrites the trailing CRC-32 so a deliberate edit passes the checksum. */
static void fix_crc(uint8_t *b, long size)
{
    put32(b + size - 4, (uint32_t)crc32(0L, b, (uInt)(size - 4)));
}

/* Rewrites the version 3 file b of m in place as a version 1 or 2 file (the
 * chain's wiring, which those versions imply, dropped from every layer's
 * fields); returns its new size. */
static long to_version(const struct nn_qnn *m, uint8_t *b, long size, uint32_t version)
{
    long in = 36 + (long)strlen(m->meta), out = in;
    for (int li = 0; li < m->n_layers; li++) {
        const long n = layer_block_bytes(&m->layers[li]);
        memmove(b + out, b + in, 26 * 4);
        memmove(b + out + 26 * 4, b + in + 29 * 4, (size_t)(n - 29 * 4));
        in += n;
        out += n - 3 * 4;
    }
    memmove(b + out, b + in, (size_t)(size - in));
    size -= in - out;
    put32(b + 8, version);
    fix_crc(b, size);
    return size;
}

/* Number of entries of the scratch folder whose name starts with prefix. */
static int count_entries(const char *prefix)
{
    DIR *d = opendir(scratch);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    if (d)
        closedir(d);
    return n;
}

static int is_zeroed(const struct nn_qnn *m)
{
    return m->n_layers == 0 && m->layers == NULL && m->in_h == 0 && m->n_class == 0 &&
           m->meta[0] == '\0';
}

/* ---- comparison ---- */

/* 0 if a and b hold the same model; reports the first difference. */
static int models_differ(const struct nn_qnn *a, const struct nn_qnn *b, const char *what)
{
    if (a->n_layers != b->n_layers || a->in_h != b->in_h || a->in_w != b->in_w ||
        a->in_c != b->in_c || a->n_class != b->n_class) {
        fprintf(stderr, "%s: model header differs\n", what);
        return 1;
    }
    if (strcmp(a->meta, b->meta) != 0) {
        fprintf(stderr, "%s: metadata differs: \"%s\" vs \"%s\"\n", what, a->meta, b->meta);
        return 1;
    }
    for (int li = 0; li < a->n_layers; li++) {
        const struct nn_qnn_layer *x = &a->layers[li], *y = &b->layers[li];
        /* every int32 field: the struct up to the first array pointer */
        const int32_t *fx = &x->op, *fy = &y->op;
        for (size_t f = 0; f < offsetof(struct nn_qnn_layer, w) / sizeof(int32_t); f++)
            if (fx[f] != fy[f]) {
                fprintf(stderr, "%s: layer %d field #%zu: %d vs %d\n", what, li, f, fx[f], fy[f]);
                return 1;
            }
        long n = (long)nn_qnn_fan_in(x) * x->out_c;
        if (memcmp(x->w, y->w, (size_t)n) != 0) {
            fprintf(stderr, "%s: layer %d weights differ\n", what, li);
            return 1;
        }
        if (x->out_kind == NN_OUT_THRESH &&
            memcmp(x->thr, y->thr, sizeof *x->thr * (size_t)x->out_c * x->n_thr) != 0) {
            fprintf(stderr, "%s: layer %d thresholds differ\n", what, li);
            return 1;
        }
        if (x->merge == NN_MERGE_MUX && memcmp(x->mux_sel, y->mux_sel, (size_t)x->out_c) != 0) {
            fprintf(stderr, "%s: layer %d mux_sel differ\n", what, li);
            return 1;
        }
        if ((x->res || x->out_kind == NN_OUT_SCORES) &&
            (memcmp(x->rq_mul, y->rq_mul, sizeof *x->rq_mul * (size_t)x->out_c) != 0 ||
             memcmp(x->rq_add, y->rq_add, sizeof *x->rq_add * (size_t)x->out_c) != 0)) {
            fprintf(stderr, "%s: layer %d requantizers differ\n", what, li);
            return 1;
        }
        if ((x->out_kind == NN_OUT_THRESH) != (y->thr != NULL) ||
            (x->merge == NN_MERGE_MUX) != (y->mux_sel != NULL) ||
            (x->res || x->out_kind == NN_OUT_SCORES) != (y->rq_mul != NULL)) {
            fprintf(stderr, "%s: layer %d has arrays it should not have\n", what, li);
            return 1;
        }
    }
    return 0;
}

/* ---- the zoo ---- */

/* 8x8x3 -> 4 classes, every layer kind of the format (see the file header). */
static void build_zoo(struct nn_qnn *m, uint64_t seed)
{
    uint64_t rng = seed;
    model_init(m, 8, 8, 3, 4);
    struct lspec conv3 = {.op = NN_QNN_CONV, .k = 3, .stride = 1, .pad = 1, .out_c = 8,
                          .out_kind = NN_OUT_THRESH, .out_code = NN_CODE_BIN01, .out_bits = 1};
    struct lspec s = conv3; /* 0: pixels -> bits, pooled to 4x4 */
    s.w_code = NN_WCODE_SIGNMAG, s.w_max = 3, s.pool = 2;
    add_layer(m, s, &rng);
    s = conv3; /* 1: OR block, binary weights */
    s.w_code = NN_WCODE_BINARY, s.w_max = 1, s.merge = NN_MERGE_OR;
    add_layer(m, s, &rng);
    s = conv3; /* 2: MUX block, ternary weights */
    s.w_code = NN_WCODE_SIGNMAG, s.w_max = 1, s.merge = NN_MERGE_MUX, s.mux_variant = NN_MUX_SEL;
    add_layer(m, s, &rng);
    s = conv3; /* 3: starts a residual stream, 2-bit codes */
    s.w_code = NN_WCODE_SIGNMAG, s.w_max = 2, s.out_code = NN_CODE_UINT, s.out_bits = 2;
    s.res = 1, s.res_bits = 8, s.res_frac = 4;
    add_layer(m, s, &rng);
    s = conv3; /* 4: ADD, sign outputs, pooled to 2x2 */
    s.w_code = NN_WCODE_SIGNMAG, s.w_max = 3, s.out_code = NN_CODE_SIGN;
    s.merge = NN_MERGE_ADD, s.res = 1, s.res_bits = 8, s.res_frac = 4, s.pool = 2;
    add_layer(m, s, &rng);
    s = conv3; /* 5: 1x1, 3-bit codes, 5-level magnitudes */
    s.k = 1, s.pad = 0, s.out_c = 6, s.w_code = NN_WCODE_SIGNMAG, s.w_max = 5;
    s.out_code = NN_CODE_UINT, s.out_bits = 3;
    add_layer(m, s, &rng);
    s = conv3; /* 6: stride 2 to 1x1 */
    s.stride = 2, s.out_c = 5, s.w_code = NN_WCODE_BINARY, s.w_max = 1;
    add_layer(m, s, &rng);
    add_layer(m, (struct lspec){.op = NN_QNN_DENSE, .out_c = 4, .w_code = NN_WCODE_SIGNMAG,
                                .w_max = 2, .out_kind = NN_OUT_SCORES, .rq_shift = 3}, &rng);
    nn_qnn_meta_set(m, "arch", "zoo-8");
    nn_qnn_meta_set(m, "seed", "42");
}

static void test_roundtrip(void)
{
    char path[600];
    struct nn_error err;
    struct nn_qnn m, r;
    path_in(path, sizeof path, "zoo.qnn");
    build_zoo(&m, 1);
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_OK, "zoo invalid: %s", err.msg);
    TU_CHECK(nn_qnn_write(&m, path, &err) == NN_OK, "write: %s", err.msg);
    TU_CHECK(count_entries("zoo.qnn.tmp") == 0, "a temporary file was left behind");
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_OK, "read: %s", err.msg);
    int diff = models_differ(&m, &r, "zoo round trip");
    long size;
    free(load(path, &size));
    printf("zoo: %d layers written and read back, %s; file %ld bytes, layout says %ld\n",
           m.n_layers, diff ? "DIFFERENT" : "identical", size, expected_size(&m));
    TU_CHECK(!diff, "the zoo does not survive a round trip");
    TU_CHECK(size == expected_size(&m), "file size %ld, expected %ld", size, expected_size(&m));

    /* writing over an existing file replaces it */
    nn_qnn_free(&r);
    struct nn_qnn m2;
    build_zoo(&m2, 2);
    TU_CHECK(nn_qnn_write(&m2, path, &err) == NN_OK, "rewrite: %s", err.msg);
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_OK, "read: %s", err.msg);
    TU_CHECK(!models_differ(&m2, &r, "rewrite") && models_differ(&m, &r, "(expected)"),
             "an overwritten file holds the new model");
    nn_qnn_free(&r);
    nn_qnn_free(&m2);
    nn_qnn_free(&m);
}

/* One conv layer per weight code (binary, sign-magnitude w_max 1..7). */
static void test_weight_codes(void)
{
    char path[600];
    struct nn_error err;
    path_in(path, sizeof path, "codes.qnn");
    int bad = 0;
    for (int wm = 0; wm <= 7; wm++) {
        uint64_t rng = 100 + (uint64_t)wm;
        struct nn_qnn m, r;
        model_init(&m, 5, 7, 3, 3);
        add_layer(&m, (struct lspec){.op = NN_QNN_CONV, .k = 3, .stride = 1, .pad = 0,
                                     .out_c = 7, .w_code = wm ? NN_WCODE_SIGNMAG : NN_WCODE_BINARY,
                                     .w_max = wm ? wm : 1, .out_kind = NN_OUT_THRESH,
                                     .out_code = NN_CODE_UINT, .out_bits = 2}, &rng);
        /* every code of the range appears */
        struct nn_qnn_layer *l = &m.layers[0];
        for (int i = 0; wm && i <= 2 * wm; i++)
            l->w[i] = (int8_t)(i - wm);
        add_layer(&m, (struct lspec){.op = NN_QNN_DENSE, .out_c = 3, .w_code = NN_WCODE_BINARY,
                                     .w_max = 1, .out_kind = NN_OUT_SCORES}, &rng);
        if (nn_qnn_write(&m, path, &err) != NN_OK || nn_qnn_read(&r, path, &err) != NN_OK) {
            TU_CHECK(0, "w_max %d: %s", wm, err.msg);
            bad++;
            nn_qnn_free(&m);
            continue;
        }
        long size;
        free(load(path, &size));
        int d = models_differ(&m, &r, "weight codes");
        printf("  %-22s w_mag_bits %d: %ld bytes (layout %ld), %s\n",
               wm ? "sign-magnitude" : "binary", l->w_mag_bits, size, expected_size(&m),
               d ? "DIFFERENT" : "identical");
        TU_CHECK(!d && size == expected_size(&m), "weight code %d", wm);
        nn_qnn_free(&r);
        nn_qnn_free(&m);
    }
    TU_CHECK(bad == 0, "weight codes");
}

/* The bit-planes of a known row: weights 3 -1 0 -2 1 2 -3 0 1 (w_max 3). */
static void test_bit_planes(void)
{
    char path[600];
    struct nn_error err;
    struct nn_qnn m;
    uint64_t rng = 5;
    path_in(path, sizeof path, "planes.qnn");
    model_init(&m, 3, 3, 1, 2);
    struct nn_qnn_layer *l = add_layer(&m, (struct lspec){.op = NN_QNN_CONV, .k = 3,
        .stride = 1, .pad = 0, .out_c = 1, .w_code = NN_WCODE_SIGNMAG, .w_max = 3,
        .out_kind = NN_OUT_THRESH, .out_code = NN_CODE_BIN01, .out_bits = 1}, &rng);
    static const int8_t w[9] = {3, -1, 0, -2, 1, 2, -3, 0, 1};
    memcpy(l->w, w, 9);
    struct nn_qnn_layer *d = add_layer(&m, (struct lspec){.op = NN_QNN_DENSE, .out_c = 2,
        .w_code = NN_WCODE_BINARY, .w_max = 1, .out_kind = NN_OUT_SCORES}, &rng);
    d->w[0] = 1;
    d->w[1] = -1;
    TU_CHECK(nn_qnn_write(&m, path, &err) == NN_OK, "write: %s", err.msg);
    long size;
    uint8_t *b = load(path, &size);
    /* bit i of a plane is weight i, LSB first; 9 bits -> 2 bytes per plane
     * sign (1 = negative):  0 1 0 1 0 0 1 0 | 0          -> 0x4a 0x00
     * |w| bit 0:            1 1 0 0 1 0 1 0 | 1          -> 0x53 0x01
     * |w| bit 1:            1 0 0 1 0 1 1 0 | 0          -> 0x69 0x00 */
    static const uint8_t want[6] = {0x4a, 0x00, 0x53, 0x01, 0x69, 0x00};
    long off = layer_offset(&m, 0) + 116;
    int ok = size == expected_size(&m) && memcmp(b + off, want, 6) == 0;
    printf("bit-planes of 3 -1 0 -2 1 2 -3 0 1: %02x %02x | %02x %02x | %02x %02x "
           "(expected 4a 00 | 53 01 | 69 00)\n", b[off], b[off + 1], b[off + 2], b[off + 3],
           b[off + 4], b[off + 5]);
    TU_CHECK(ok, "sign-magnitude bit-planes");
    /* binary: one plane, 1 = +1: the dense rows [+1] and [-1] (fan_in 1) -> 0x01 */
    long doff = layer_offset(&m, 1) + 116;
    printf("binary plane of +1 / -1: %02x (expected 01)\n", b[doff]);
    TU_CHECK(b[doff] == 0x01 && size == doff + 1 + 32 + 4, "binary plane %02x", b[doff]);

    /* a negative zero (sign bit on a zero magnitude) is refused */
    b[off] |= 0x04; /* weight 2 is 0 */
    fix_crc(b, size);
    save(path, b, size);
    struct nn_qnn r;
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_ERR_FORMAT && strstr(err.msg, "layer 1"),
             "negative zero accepted");
    printf("negative zero: %s\n", err.msg);
    /* so are set padding bits */
    b[off] &= (uint8_t)~0x04;
    b[off + 1] |= 0x80;
    fix_crc(b, size);
    save(path, b, size);
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_ERR_FORMAT && strstr(err.msg, "padding"),
             "padding bits accepted");
    printf("padding bits: %s\n", err.msg);
    free(b);
    nn_qnn_free(&m);
}

/* A model of one conv layer of code w_code and w_max (its weights given, or
 * random when w is NULL) and a binary dense scores layer. */
static struct nn_qnn_layer *one_conv(struct nn_qnn *m, int w_code, int w_max, const int8_t *w,
                                     uint64_t *rng)
{
    model_init(m, 3, 3, 1, 2);
    struct nn_qnn_layer *l = add_layer(m, (struct lspec){.op = NN_QNN_CONV, .k = 3,
        .stride = 1, .pad = 0, .out_c = 1, .w_code = w_code, .w_max = w_max,
        .out_kind = NN_OUT_THRESH, .out_code = NN_CODE_BIN01, .out_bits = 1}, rng);
    if (w)
        memcpy(l->w, w, 9);
    add_layer(m, (struct lspec){.op = NN_QNN_DENSE, .out_c = 2, .w_code = NN_WCODE_BINARY,
                                .w_max = 1, .out_kind = NN_OUT_SCORES}, rng);
    return l;
}

/* Version 2's exact codes (issue 15, part 3): pow2 in sign + exponent code
 * planes and offset binary, their planes bit by bit, round trips of every
 * q and B, the reader's errors on codes it cannot hold, and version 1
 * files (the tests/fuzz corpus and a rewritten one) still read. */
static void test_exact_codes(void)
{
    char path[600];
    struct nn_error err;
    struct nn_qnn m, r;
    uint64_t rng = 77;
    path_in(path, sizeof path, "exact.qnn");

    /* pow2 q = 3 (pow2:3, w_max 4): 4 -1 0 -2 1 2 -4 0 1, codes k 3 1 0 2 1 2 3 0 1
     * sign:     0 1 0 1 0 0 1 0 | 0   -> 4a 00
     * k bit 0:  1 1 0 0 1 0 1 0 | 1   -> 53 01
     * k bit 1:  1 0 0 1 0 1 1 0 | 0   -> 69 00   (3 planes; sign-magnitude needs 4) */
    static const int8_t wp[9] = {4, -1, 0, -2, 1, 2, -4, 0, 1};
    struct nn_qnn_layer *l = one_conv(&m, NN_WCODE_POW2, 4, wp, &rng);
    TU_CHECK(l->w_mag_bits == 3 && nn_qnn_weight_planes(l) == 3,
             "pow2:3 holds 3 planes (w_mag_bits %d, planes %d)", l->w_mag_bits,
             nn_qnn_weight_planes(l));
    TU_CHECK(nn_qnn_write(&m, path, &err) == NN_OK, "pow2 write: %s", err.msg);
    long size;
    uint8_t *b = load(path, &size);
    long off = layer_offset(&m, 0) + 116;
    static const uint8_t want_p[6] = {0x4a, 0x00, 0x53, 0x01, 0x69, 0x00};
    printf("pow2 planes of 4 -1 0 -2 1 2 -4 0 1: %02x %02x | %02x %02x | %02x %02x "
           "(expected 4a 00 | 53 01 | 69 00), file %ld bytes (layout %ld), version %u\n",
           b[off], b[off + 1], b[off + 2], b[off + 3], b[off + 4], b[off + 5], size,
           expected_size(&m), b[8]);
    TU_CHECK(size == expected_size(&m) && memcmp(b + off, want_p, 6) == 0 && b[8] == 3,
             "pow2 bit-planes");
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_OK && !models_differ(&m, &r, "pow2"),
             "pow2 round trip: %s", err.msg);
    nn_qnn_free(&r);
    /* k = 0 with the sign bit set, then a code beyond q: refused */
    b[off] |= 0x04;  /* weight 2 is 0 */
    fix_crc(b, size);
    save(path, b, size);
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_ERR_FORMAT && strstr(err.msg, "negative zero"),
             "pow2 negative zero accepted: %s", err.msg);
    printf("  %s\n", err.msg);
    nn_qnn_free(&m);
    free(b);
    static const int8_t wq2[9] = {2, -1, 0, -2, 1, 2, -1, 0, 1};
    one_conv(&m, NN_WCODE_POW2, 2, wq2, &rng);  /* q = 2: 2 code planes hold up to 3 */
    TU_CHECK(nn_qnn_write(&m, path, &err) == NN_OK, "pow2 q 2 write: %s", err.msg);
    b = load(path, &size);
    off = layer_offset(&m, 0) + 116;
    b[off + 2] |= 0x04;  /* weight 2: k = 0 -> 1 */
    b[off + 4] |= 0x04;  /* k = 3 > q = 2 */
    fix_crc(b, size);
    save(path, b, size);
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_ERR_FORMAT &&
             strstr(err.msg, "layer 1: weight [0][2] has pow2 code 3 beyond q = w_mag_bits = 2"),
             "a pow2 code beyond q accepted: %s", err.msg);
    printf("  %s\n", err.msg);
    /* a version 1 file cannot hold the new codes */
    b[off + 2] &= (uint8_t)~0x04;
    b[off + 4] &= (uint8_t)~0x04;
    put32(b + 8, 1);
    fix_crc(b, size);
    save(path, b, size);
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_ERR_FORMAT &&
             strstr(err.msg, "layer 1: field w_code = 3 out of range (expected 1 = binary or 2 = "
                    "sign-magnitude in version 1)"),
             "a version 1 file with a pow2 layer accepted: %s", err.msg);
    printf("  %s\n", err.msg);
    free(b);
    nn_qnn_free(&m);

    /* offset B = 3 (dorefa:3, w_max 7): 7 -7 1 -1 3 -3 5 -5 7, c = (w + 7) / 2 = 7 0 4 3 5 2 6 1 7
     * c bit 0:  1 0 0 1 1 0 0 1 | 1   -> 99 01
     * c bit 1:  1 0 0 1 0 1 1 0 | 1   -> 69 01
     * c bit 2:  1 0 1 0 1 0 1 0 | 1   -> 55 01   (3 planes; sign-magnitude needs 4) */
    static const int8_t wo[9] = {7, -7, 1, -1, 3, -3, 5, -5, 7};
    l = one_conv(&m, NN_WCODE_OFFSET, 7, wo, &rng);
    TU_CHECK(l->w_mag_bits == 3 && nn_qnn_weight_planes(l) == 3,
             "dorefa:3 holds 3 planes (w_mag_bits %d, planes %d)", l->w_mag_bits,
             nn_qnn_weight_planes(l));
    TU_CHECK(nn_qnn_write(&m, path, &err) == NN_OK, "offset write: %s", err.msg);
    b = load(path, &size);
    off = layer_offset(&m, 0) + 116;
    static const uint8_t want_o[6] = {0x99, 0x01, 0x69, 0x01, 0x55, 0x01};
    printf("offset planes of 7 -7 1 -1 3 -3 5 -5 7: %02x %02x | %02x %02x | %02x %02x "
           "(expected 99 01 | 69 01 | 55 01), file %ld bytes (layout %ld)\n", b[off], b[off + 1],
           b[off + 2], b[off + 3], b[off + 4], b[off + 5], size, expected_size(&m));
    TU_CHECK(size == expected_size(&m) && memcmp(b + off, want_o, 6) == 0, "offset bit-planes");
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_OK && !models_differ(&m, &r, "offset"),
             "offset round trip: %s", err.msg);
    nn_qnn_free(&r);
    /* w_max not 2^B - 1 (the layout unchanged): refused naming the field */
    put32(b + layer_offset(&m, 0) + 4 * 14, 5);
    fix_crc(b, size);
    save(path, b, size);
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_ERR_FORMAT &&
             strstr(err.msg, "layer 1: field w_max = 5 out of range (expected 7 = 2^w_mag_bits - 1"),
             "an offset w_max inconsistent with w_mag_bits accepted: %s", err.msg);
    printf("  %s\n", err.msg);
    free(b);
    nn_qnn_free(&m);

    /* every q and B round-trips at the size the layout gives */
    int n_ok = 0;
    for (int code = NN_WCODE_POW2; code <= NN_WCODE_OFFSET; code++)
        for (int bits = 1; bits <= 7; bits++) {
            int w_max = code == NN_WCODE_POW2 ? 1 << (bits - 1) : (1 << bits) - 1;
            one_conv(&m, code, w_max, NULL, &rng);
            int ok = nn_qnn_write(&m, path, &err) == NN_OK &&
                     nn_qnn_read(&r, path, &err) == NN_OK;
            if (ok) {
                ok = !models_differ(&m, &r, "exact codes");
                free(load(path, &size));
                ok &= size == expected_size(&m);
                nn_qnn_free(&r);
            }
            TU_CHECK(ok, "%s with w_mag_bits %d: %s", code == NN_WCODE_POW2 ? "pow2" : "offset",
                     bits, err.msg);
            n_ok += ok;
            nn_qnn_free(&m);
        }
    printf("exact codes: %d of 14 (pow2 q = 1..7, offset B = 1..7) round-trip at the layout's "
           "size\n", n_ok);

    /* version 1: the corpus files read; a version 2 file of the version 1
     * codes, relabelled version 1, reads the same model and infers the same */
    const char *src = getenv("LOGIQ_TEST_SRC");
    int n_v1 = 0;
    for (int i = 1; src && i <= 5; i++) {
        char p[700];
        snprintf(p, sizeof p, "%s/fuzz/corpus/qnn/t%d.qnn", src, i);
        long sz;
        uint8_t *fb = load(p, &sz);
        int v1 = fb && sz > 12 && fb[8] == 1;
        free(fb);
        TU_CHECK(v1 && nn_qnn_read(&r, p, &err) == NN_OK, "version 1 corpus file %s: %s", p,
                 v1 ? err.msg : "not version 1");
        if (v1 && r.layers) {
            n_v1++;
            nn_qnn_free(&r);
        }
    }
    build_zoo(&m, 3);
    TU_CHECK(nn_qnn_write(&m, path, &err) == NN_OK, "zoo write: %s", err.msg);
    b = load(path, &size);
    size = to_version(&m, b, size, 1);
    save(path, b, size);
    int same = nn_qnn_read(&r, path, &err) == NN_OK && !models_differ(&m, &r, "version 1");
    int pred_same = 0;
    if (same) {
        struct nn_infer_ws wa, wb;
        if (nn_infer_ws_init(&wa, &m, &err) == NN_OK) {
            if (nn_infer_ws_init(&wb, &r, &err) == NN_OK) {
                uint8_t px[8 * 8 * 3];
                pred_same = 1;
                for (int img = 0; img < 8; img++) {
                    for (size_t k = 0; k < sizeof px; k++)
                        px[k] = (uint8_t)rng_int(&rng, 0, 255);
                    pred_same &= nn_infer_image(&m, &wa, px) == nn_infer_image(&r, &wb, px);
                }
                nn_infer_ws_free(&wb);
            }
            nn_infer_ws_free(&wa);
        }
        nn_qnn_free(&r);
    }
    printf("version 1: %d corpus files read; the zoo relabelled version 1 reads %s and infers "
           "%s\n", n_v1, same ? "identical" : "DIFFERENT", pred_same ? "the same" : "DIFFERENTLY");
    TU_CHECK((!src || n_v1 == 5) && same && pred_same, "version 1 files");
    free(b);
    nn_qnn_free(&m);
    remove(path);
}

/* Every byte flipped (two patterns), then every truncation. */
/* MINW-Net's signed activation codes (version 3): pixels -> tern -> pow2:3
 * (pooled) -> pow2:4 -> scores round-trip with their thresholds (2, 6 and
 * 14 a channel) and the layout's size; relabelled version 2, the same bytes
 * are refused naming the file, the layer and the field; validation refuses
 * a wrong n_thr or width for them. */
static void test_act_codes(void)
{
    char path[600];
    struct nn_error err;
    struct nn_qnn m, r;
    uint64_t rng = 31;
    path_in(path, sizeof path, "acts.qnn");
    model_init(&m, 8, 8, 2, 3);
    struct lspec s = {.op = NN_QNN_CONV, .k = 3, .stride = 1, .pad = 1, .out_c = 5,
                      .w_code = NN_WCODE_BINARY, .w_max = 1, .out_kind = NN_OUT_THRESH,
                      .out_code = NN_CODE_TERN, .out_bits = 2};
    add_layer(&m, s, &rng);
    s.w_code = NN_WCODE_SIGNMAG, s.out_code = NN_CODE_POW2, s.out_bits = 3, s.pool = 2;
    add_layer(&m, s, &rng);
    s.w_code = NN_WCODE_POW2, s.w_max = 4, s.out_bits = 4, s.pool = 0, s.out_c = 4;
    add_layer(&m, s, &rng);
    add_layer(&m, (struct lspec){.op = NN_QNN_DENSE, .out_c = 3, .w_code = NN_WCODE_BINARY,
                                 .w_max = 1, .out_kind = NN_OUT_SCORES, .rq_shift = 2}, &rng);
    TU_CHECK(m.layers[0].n_thr == 2 && m.layers[1].n_thr == 6 && m.layers[2].n_thr == 14 &&
                 m.layers[1].in_code == NN_CODE_TERN && m.layers[2].in_code == NN_CODE_POW2,
             "tern / pow2 fixture");
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_OK, "tern / pow2 model invalid: %s", err.msg);
    TU_CHECK(nn_qnn_write(&m, path, &err) == NN_OK, "tern / pow2 write: %s", err.msg);
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_OK && !models_differ(&m, &r, "tern / pow2"),
             "tern / pow2 round trip: %s", err.msg);
    nn_qnn_free(&r);
    long size;
    uint8_t *b = load(path, &size);
    TU_CHECK(size == expected_size(&m) && b[8] == 3, "tern / pow2: %ld bytes (layout %ld), "
             "version %u", size, expected_size(&m), b[8]);
    printf("tern / pow2:3 / pow2:4 outputs: round trip identical, %ld bytes, version %u\n", size,
           b[8]);
    size = to_version(&m, b, size, 2);
    save(path, b, size);
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_ERR_FORMAT && strstr(err.msg, path) &&
                 strstr(err.msg, "layer 1: field out_code = 5 out of range") &&
                 strstr(err.msg, "before version 3") && is_zeroed(&r),
             "a version 2 file with a tern layer accepted: %s", err.msg);
    printf("  version 2: %s\n", err.msg);
    /* only the input code of layer 2 left new: still refused, by that field */
    put32(b + layer_offset(&m, 0) + 4 * 16, NN_CODE_SIGN);
    fix_crc(b, size);
    save(path, b, size);
    TU_CHECK(nn_qnn_read(&r, path, &err) == NN_ERR_FORMAT &&
                 strstr(err.msg, "layer 2: field in_code = 5 out of range"),
             "a version 2 file with a tern input accepted: %s", err.msg);
    printf("  version 2: %s\n", err.msg);
    free(b);

    m.layers[1].n_thr = 7;  /* 2^3 - 1: the uint count, not pow2's 2q */
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_ERR_FORMAT &&
                 strstr(err.msg, "layer 2: field n_thr = 7 out of range (expected 6"),
             "pow2:3 with 7 thresholds accepted: %s", err.msg);
    printf("  %s\n", err.msg);
    m.layers[1].n_thr = 6;
    m.layers[0].out_bits = 3;
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_ERR_FORMAT &&
                 strstr(err.msg, "layer 1: field out_bits = 3 out of range (expected 2"),
             "tern with 3 bits accepted: %s", err.msg);
    printf("  %s\n", err.msg);
    nn_qnn_free(&m);
    remove(path);
}

static void test_corruption(void)
{
    char path[600], bad_path[600];
    struct nn_error err;
    struct nn_qnn m, r;
    path_in(path, sizeof path, "good.qnn");
    path_in(bad_path, sizeof bad_path, "bad.qnn");
    build_zoo(&m, 3);
    TU_CHECK(nn_qnn_write(&m, path, &err) == NN_OK, "write: %s", err.msg);
    long size;
    uint8_t *good = load(path, &size);
    uint8_t *b = malloc((size_t)size);

    int n_try = 0, n_format = 0, n_named = 0, n_zeroed = 0, n_crc = 0;
    for (long pos = 0; pos < size; pos++)
        for (int pat = 0; pat < 2; pat++) {
            memcpy(b, good, (size_t)size);
            b[pos] ^= pat ? 0x80 : 0x01;
            save(bad_path, b, size);
            enum nn_status s = nn_qnn_read(&r, bad_path, &err);
            n_try++;
            n_format += s == NN_ERR_FORMAT;
            n_named += strstr(err.msg, bad_path) != NULL;
            n_zeroed += is_zeroed(&r);
            n_crc += strstr(err.msg, "checksum mismatch") != NULL;
            if (s != NN_ERR_FORMAT)
                nn_qnn_free(&r);
        }
    printf("byte flips: %d tried, %d NN_ERR_FORMAT, %d name the file, %d leave the model "
           "zeroed, %d say checksum mismatch\n", n_try, n_format, n_named, n_zeroed, n_crc);
    TU_CHECK(n_format == n_try && n_named == n_try && n_zeroed == n_try,
             "every flipped byte is a format error naming the file");

    int n_trunc = 0, n_said = 0;
    n_format = n_named = 0;
    long first = layer_offset(&m, 0), last = layer_offset(&m, m.n_layers - 1);
    for (long len = 0; len < size; len++) {
        save(bad_path, good, len);
        enum nn_status s = nn_qnn_read(&r, bad_path, &err);
        char want[64];
        /* layers are numbered from 1: layers[0] is "layer 1" */
        if (len == first || len == last)
            snprintf(want, sizeof want, "truncated at byte %ld (layer %d fields)", len,
                     len == first ? 1 : m.n_layers);
        else
            snprintf(want, sizeof want, "truncated at byte %ld (", len);
        n_trunc++;
        n_format += s == NN_ERR_FORMAT && is_zeroed(&r);
        n_named += strstr(err.msg, bad_path) != NULL;
        n_said += len < 8 || strstr(err.msg, want) != NULL;
        if (len == 500 || len == first)
            printf("truncated to %ld bytes: %s\n", len, err.msg);
    }
    printf("truncations: %d lengths, %d NN_ERR_FORMAT, %d name the file, %d say where\n",
           n_trunc, n_format, n_named, n_said);
    TU_CHECK(n_format == n_trunc && n_named == n_trunc && n_said == n_trunc,
             "every truncation is a format error saying where");

    /* random edits behind a recomputed checksum: whatever the reader accepts
     * must be a valid model that the inference runs without harm */
    uint64_t rng = 2024;
    int n_accepted = 0, n_refused = 0, n_other = 0, n_ran = 0;
    uint8_t *img = calloc((size_t)m.in_h * m.in_w * m.in_c, 1);
    for (int t = 0; t < 3000; t++) {
        memcpy(b, good, (size_t)size);
        int n_edits = rng_int(&rng, 1, 4);
        for (int e = 0; e < n_edits; e++) {
            long pos = rng_int(&rng, 0, (int)size - 5);
            /* mostly the header and field blocks, where the counts live */
            if (rng_int(&rng, 0, 1))
                pos = rng_int(&rng, 8, 40 + (int)strlen(m.meta) + 116);
            b[pos] = (uint8_t)(rng_int(&rng, 0, 3) == 0 ? 0xff : rng_next(&rng));
        }
        fix_crc(b, size);
        save(bad_path, b, size);
        enum nn_status s = nn_qnn_read(&r, bad_path, &err);
        if (s == NN_OK) {
            n_accepted++;
            struct nn_infer_ws ws;
            if (nn_qnn_validate(&r, &err) == NN_OK && nn_infer_ws_init(&ws, &r, &err) == NN_OK) {
                int pred = nn_infer_image(&r, &ws, img);
                n_ran += pred >= 0 && pred < r.n_class;
                nn_infer_ws_free(&ws);
            }
            nn_qnn_free(&r);
        } else if (s == NN_ERR_FORMAT && strstr(err.msg, bad_path) && is_zeroed(&r)) {
            n_refused++;
        } else {
            n_other++;
        }
    }
    free(img);
    printf("random edits with a good checksum: 3000 tried, %d refused, %d accepted (all valid, "
           "%d ran), %d otherwise\n", n_refused, n_accepted, n_ran, n_other);
    TU_CHECK(n_other == 0 && n_ran == n_accepted, "random edits behind a good checksum");

    /* one more byte after the checksum */
    memcpy(b, good, (size_t)size);
    uint8_t *longer = malloc((size_t)size + 1);
    memcpy(longer, good, (size_t)size);
    longer[size] = 0;
    save(bad_path, longer, size + 1);
    TU_CHECK(nn_qnn_read(&r, bad_path, &err) == NN_ERR_FORMAT, "a trailing byte accepted");
    printf("trailing byte: %s\n", err.msg);
    /* ... and extra bytes before a recomputed checksum */
    fix_crc(longer, size + 1);
    save(bad_path, longer, size + 1);
    TU_CHECK(nn_qnn_read(&r, bad_path, &err) == NN_ERR_FORMAT && strstr(err.msg, "unexpected"),
             "extra bytes behind a good checksum accepted");
    printf("extra bytes, good checksum: %s\n", err.msg);
    free(longer);
    free(b);
    free(good);
    nn_qnn_free(&m);
}

/* Edits behind a recomputed checksum: the checks after the CRC. */
struct edit {
    const char *what;
    long offset;     /* byte to overwrite */
    int width;       /* 1 or 4 bytes */
    uint32_t value;
    const char *want; /* substring of the message */
};

static void test_edits(void)
{
    char path[600], bad_path[600];
    struct nn_error err;
    struct nn_qnn m, r;
    path_in(path, sizeof path, "edit-src.qnn");
    path_in(bad_path, sizeof bad_path, "edit.qnn");
    build_zoo(&m, 4);
    TU_CHECK(nn_qnn_write(&m, path, &err) == NN_OK, "write: %s", err.msg);
    long size;
    uint8_t *good = load(path, &size);
    uint8_t *b = malloc((size_t)size);

    /* field f of layer li */
#define FIELD(li, f) (layer_offset(&m, (li)) + 4 * (f))
    const struct nn_qnn_layer *l3 = &m.layers[3], *l2 = &m.layers[2];
    long l3_thr = layer_offset(&m, 3) + 116 +
                  (1 + l3->w_mag_bits) * (((long)nn_qnn_fan_in(l3) * l3->out_c + 7) / 8);
    long l2_mux = layer_offset(&m, 2) + 116 +
                  (1 + l2->w_mag_bits) * (((long)nn_qnn_fan_in(l2) * l2->out_c + 7) / 8) +
                  4L * l2->out_c * l2->n_thr;
    /* the three thresholds of channel 0 of layer 3: make the middle one the largest */
    const struct edit edits[] = {
        {"bad magic", 0, 1, 'X', "not a logiq model (bad magic"},
        {"version 7", 8, 4, 7, "unsupported version 7 (this logiq reads versions 1 to 3)"},
        {"version 0", 8, 4, 0, "unsupported version 0 (this logiq reads versions 1 to 3)"},
        {"n_layers 1000", 12, 4, 1000, "n_layers = 1000 out of range"},
        {"meta length 9000", 32, 4, 9000, "metadata length 9000 out of range"},
        {"layer 5 out_c -5", FIELD(5, 6), 4, (uint32_t)-5,
         "layer 6: field out_c = -5 out of range"},
        {"layer 2 out_h 7", FIELD(2, 4), 4, 7, "layer 3: conv output"},
        {"layer 1 in_code sign", FIELD(1, 10), 4, NN_CODE_SIGN, "layer 2: input code"},
        {"layer 4 merge or", FIELD(4, 19), 4, NN_MERGE_OR, "layer 5: or merge needs binary"},
        {"layer 6 pool 2", FIELD(6, 25), 4, 2, "layer 7: field pool = 2 out of range"},
        {"layer 7 out_kind thresh", FIELD(7, 15), 4, NN_OUT_THRESH, "unexpected bytes"},
        {"layer 3 rq_shift 63", FIELD(3, 24), 4, 63, "layer 4: field rq_shift = 63"},
        {"layer 0 w_max 2", FIELD(0, 14), 4, 2, "layer 1: weight"},
        {"layer 0 w_mag_bits 3", FIELD(0, 13), 4, 3, "layer "}, /* shifts the layout */
        {"layer 3 thresholds", l3_thr + 4, 4, 0x7fffffff, "layer 4: thresholds of channel 0 not "
         "ascending"},
        {"layer 2 mux_sel 2", l2_mux, 1, 2, "layer 3: mux_sel[0] = 2"},
    };
#undef FIELD
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        const struct edit *e = &edits[i];
        memcpy(b, good, (size_t)size);
        if (e->width == 1)
            b[e->offset] = (uint8_t)e->value;
        else
            put32(b + e->offset, e->value);
        fix_crc(b, size);
        save(bad_path, b, size);
        enum nn_status s = nn_qnn_read(&r, bad_path, &err);
        int ok = s == NN_ERR_FORMAT && strstr(err.msg, bad_path) && strstr(err.msg, e->want) &&
                 is_zeroed(&r);
        printf("  %-24s -> %s\n", e->what, err.msg);
        TU_CHECK(ok, "%s: expected a format error with \"%s\"", e->what, e->want);
        if (s == NN_OK)
            nn_qnn_free(&r);
    }
    /* the same edit without fixing the checksum is a checksum mismatch */
    memcpy(b, good, (size_t)size);
    put32(b + layer_offset(&m, 2) + 16, 7);
    save(bad_path, b, size);
    TU_CHECK(nn_qnn_read(&r, bad_path, &err) == NN_ERR_FORMAT &&
             strstr(err.msg, "checksum mismatch (file corrupted)"), "CRC not checked: %s",
             err.msg);
    printf("  %-24s -> %s\n", "same, checksum kept", err.msg);

    char missing[600];
    path_in(missing, sizeof missing, "no-such.qnn");
    enum nn_status s = nn_qnn_read(&r, missing, &err);
    printf("  %-24s -> %s\n", "missing file", err.msg);
    TU_CHECK(s == NN_ERR_IO && strstr(err.msg, missing) && is_zeroed(&r), "missing file");
    free(b);
    free(good);
    nn_qnn_free(&m);
}

/* Failing writes: an invalid model, a missing folder, a rename onto a folder. */
static void test_write_errors(void)
{
    char path[600];
    struct nn_error err;
    struct nn_qnn m;
    build_zoo(&m, 5);

    path_in(path, sizeof path, "invalid.qnn");
    m.layers[3].thr[1] = m.layers[3].thr[0] - 1;
    m.layers[3].thr[2] = m.layers[3].thr[0] - 1;
    enum nn_status s = nn_qnn_write(&m, path, &err);
    printf("write of an invalid model: %s\n", err.msg);
    TU_CHECK(s == NN_ERR_FORMAT && strstr(err.msg, "layer 4") && access(path, F_OK) != 0,
             "an invalid model was written");
    nn_qnn_free(&m);
    build_zoo(&m, 5);

    path_in(path, sizeof path, "no-dir/x.qnn");
    s = nn_qnn_write(&m, path, &err);
    printf("write into a missing folder: %s\n", err.msg);
    TU_CHECK(s == NN_ERR_WRITE && strstr(err.msg, path), "write into a missing folder");

    path_in(path, sizeof path, "a-folder");
    mkdir(path, 0700);
    s = nn_qnn_write(&m, path, &err);
    printf("write over a folder: %s\n", err.msg);
    TU_CHECK(s == NN_ERR_WRITE && strstr(err.msg, path), "write over a folder");
    TU_CHECK(count_entries("a-folder.tmp") == 0, "a failed write left its temporary file");
    rmdir(path);

    /* a temporary file left by a writer killed with kill -9 (its process
     * gone, the file two minutes old) is removed by the next write; one of a
     * running process (the parent), or too young, is left alone */
    char stale[4200], live[4200], young[4200];
    path_in(path, sizeof path, "k.qnn");
    snprintf(stale, sizeof stale, "%s.tmp.%d", path, 4194305);  /* above Linux's pid_max */
    snprintf(live, sizeof live, "%s.tmp.%ld", path, (long)getppid());
    snprintf(young, sizeof young, "%s.tmp.%d", path, 4194306);
    const char *tmps[] = {stale, live, young};
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen(tmps[i], "w");
        fputs("half", f);
        fclose(f);
        if (i < 2) {
            struct timespec old[2] = {{time(NULL) - 120, 0}, {time(NULL) - 120, 0}};
            utimensat(AT_FDCWD, tmps[i], old, 0);
        }
    }
    s = nn_qnn_write(&m, path, &err);
    TU_CHECK(s == NN_OK, "write beside stale temporary files: %s", err.msg);
    TU_CHECK(access(stale, F_OK) != 0, "the stale temporary file %s was not removed", stale);
    TU_CHECK(access(live, F_OK) == 0 && access(young, F_OK) == 0,
             "a running writer's or a young temporary file was removed");
    remove(live);
    remove(young);
    remove(path);
    nn_qnn_free(&m);
}

/* In-memory validation: each edit must fail naming its layer. */
static void test_validate(void)
{
    struct nn_error err;
    struct nn_qnn m;
    build_zoo(&m, 6);
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_OK, "zoo: %s", err.msg);
    struct {
        const char *what;
        int layer;
        size_t offset;
        int32_t value;
        const char *want;
    } edits[] = {
        {"pixels as bits", 0, offsetof(struct nn_qnn_layer, in_code), NN_CODE_BIN01, "layer 1"},
        {"in_bits 7", 0, offsetof(struct nn_qnn_layer, in_bits), 7, "layer 1: input code"},
        {"in_h 7", 0, offsetof(struct nn_qnn_layer, in_h), 7, "layer 1: conv output"},
        {"in_c 2", 0, offsetof(struct nn_qnn_layer, in_c), 2, "layer 1: input shape"},
        {"k 0", 1, offsetof(struct nn_qnn_layer, k), 0, "layer 2: field k = 0"},
        {"stride 0", 1, offsetof(struct nn_qnn_layer, stride), 0, "layer 2: field stride"},
        {"pad 3", 1, offsetof(struct nn_qnn_layer, pad), 3, "layer 2: field pad = 3"},
        {"out_w 3", 3, offsetof(struct nn_qnn_layer, out_w), 3, "layer 4: conv output"},
        {"op 5", 2, offsetof(struct nn_qnn_layer, op), 5, "layer 3: field op"},
        {"or on signs", 1, offsetof(struct nn_qnn_layer, out_code), NN_CODE_SIGN,
         "layer 2: or merge"},
        {"mux variant 2", 2, offsetof(struct nn_qnn_layer, mux_variant), 2,
         "layer 3: field mux_variant"},
        {"add off-stream", 3, offsetof(struct nn_qnn_layer, res), 0, "layer 5: add merge needs its "
         "skip, layer 4, on"},
        {"add not on stream", 4, offsetof(struct nn_qnn_layer, res), 0, "layer 5"},
        {"add after a pool", 3, offsetof(struct nn_qnn_layer, pool), 2, "layer 5"},
        {"add, other res_bits", 4, offsetof(struct nn_qnn_layer, res_bits), 9,
         "layer 5: add merge of streams"},
        {"res_bits 1", 3, offsetof(struct nn_qnn_layer, res_bits), 1, "layer 4: field res_bits"},
        {"res_frac 8", 3, offsetof(struct nn_qnn_layer, res_frac), 8, "layer 4: field res_frac"},
        {"res 2", 3, offsetof(struct nn_qnn_layer, res), 2, "layer 4: field res = 2"},
        {"n_thr 1 for 2 bits", 3, offsetof(struct nn_qnn_layer, n_thr), 1,
         "layer 4: field n_thr = 1"},
        {"out_bits 9", 5, offsetof(struct nn_qnn_layer, out_bits), 9, "layer 6: field out_bits"},
        {"uint of 1 bit", 5, offsetof(struct nn_qnn_layer, out_bits), 1, "layer 6: field out_bits"},
        {"w_mag_bits 3 for 3", 0, offsetof(struct nn_qnn_layer, w_mag_bits), 3,
         "layer 1: field w_mag_bits"},
        {"binary w_max 2", 1, offsetof(struct nn_qnn_layer, w_max), 2, "layer 2: field w_max"},
        {"w_code 5", 1, offsetof(struct nn_qnn_layer, w_code), 5, "layer 2: field w_code"},
        {"pow2 w_max 3", 0, offsetof(struct nn_qnn_layer, w_code), NN_WCODE_POW2,
         "layer 1: field w_max = 3 out of range (expected 2 = 2^(w_mag_bits - 1)"},
        {"offset w_max 3 of 2 bits", 0, offsetof(struct nn_qnn_layer, w_code), NN_WCODE_OFFSET,
         "layer 1: weight"},
        {"scores early", 6, offsetof(struct nn_qnn_layer, out_kind), NN_OUT_SCORES,
         "layer 7: only the last layer (8)"},
        {"last thresholds", 7, offsetof(struct nn_qnn_layer, out_kind), NN_OUT_THRESH,
         "layer 8: the last layer"},
        {"scores pooled", 7, offsetof(struct nn_qnn_layer, pool), 1, "layer 8: field pool"},
        {"scores merged", 7, offsetof(struct nn_qnn_layer, merge), NN_MERGE_OR,
         "layer 8: field merge"},
        {"scores on a stream", 7, offsetof(struct nn_qnn_layer, res), 1, "layer 8: field res"},
        {"pool 5", 0, offsetof(struct nn_qnn_layer, pool), 9, "layer 1: field pool"},
        {"rq_shift -1", 2, offsetof(struct nn_qnn_layer, rq_shift), -1, "layer 3: field rq_shift"},
        {"merge 4", 2, offsetof(struct nn_qnn_layer, merge), 4, "layer 3: field merge"},
    };
    int n_ok = 0, n = (int)(sizeof edits / sizeof edits[0]);
    for (int i = 0; i < n; i++) {
        int32_t *f = (int32_t *)((char *)&m.layers[edits[i].layer] + edits[i].offset);
        int32_t old = *f;
        *f = edits[i].value;
        enum nn_status s = nn_qnn_validate(&m, &err);
        *f = old;
        int ok = s == NN_ERR_FORMAT && strstr(err.msg, edits[i].want) != NULL;
        n_ok += ok;
        TU_CHECK(ok, "%s: got \"%s\", expected \"%s\"", edits[i].what,
                 s == NN_OK ? "OK" : err.msg, edits[i].want);
    }
    printf("validate: %d of %d field edits refused naming the layer and field\n", n_ok, n);
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_OK, "edits restored: %s", err.msg);

    /* array contents */
    struct nn_qnn_layer *l0 = &m.layers[0], *l1 = &m.layers[1], *l2 = &m.layers[2];
    struct nn_qnn_layer *l3 = &m.layers[3];
    int8_t w0 = l0->w[5], w1 = l1->w[0];
    l0->w[5] = 4;
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_ERR_FORMAT && strstr(err.msg, "layer 1: weight"),
             "a weight beyond w_max: %s", err.msg);
    printf("  %s\n", err.msg);
    l0->w[5] = w0;
    l1->w[0] = 0;
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_ERR_FORMAT && strstr(err.msg, "layer 2: weight"),
             "a zero binary weight: %s", err.msg);
    printf("  %s\n", err.msg);
    l1->w[0] = w1;
    l2->mux_sel[3] = 7;
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_ERR_FORMAT && strstr(err.msg, "layer 3: mux_sel"),
             "a select of 7: %s", err.msg);
    l2->mux_sel[3] = 1;
    int32_t t = l3->thr[3 * 5 + 2];
    l3->thr[3 * 5 + 2] = l3->thr[3 * 5 + 1] - 1;
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_ERR_FORMAT &&
             strstr(err.msg, "layer 4: thresholds of channel 5 not ascending"),
             "descending thresholds: %s", err.msg);
    printf("  %s\n", err.msg);
    l3->thr[3 * 5 + 2] = t;
    int64_t mul = l3->rq_mul[1];
    l3->rq_mul[1] = INT64_MAX / 4;
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_ERR_FORMAT && strstr(err.msg, "layer 4: rq_mul"),
             "an overflowing requantizer: %s", err.msg);
    printf("  %s\n", err.msg);
    l3->rq_mul[1] = mul;
    m.n_class = 5;
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_ERR_FORMAT && strstr(err.msg, "layer 8: field "
             "out_c = 4 out of range (expected n_class = 5)"), "n_class: %s", err.msg);
    m.n_class = 4;
    memset(m.meta, 'x', sizeof m.meta);
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_ERR_FORMAT && strstr(err.msg, "metadata"),
             "unterminated metadata: %s", err.msg);
    m.meta[0] = '\0';
    int nl = m.n_layers;
    m.n_layers = 0;
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_ERR_FORMAT && strstr(err.msg, "n_layers"),
             "no layers: %s", err.msg);
    m.n_layers = nl;
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_OK, "restored: %s", err.msg);
    nn_qnn_free(&m);
    TU_CHECK(is_zeroed(&m), "nn_qnn_free zeroes the model");

    /* the accumulator must fit 32 bits: 66564 pixels x 127 x 255 > 2^31 - 1 */
    uint64_t rng = 9;
    model_init(&m, 258, 258, 1, 2);
    add_layer(&m, (struct lspec){.op = NN_QNN_DENSE, .out_c = 2, .w_code = NN_WCODE_SIGNMAG,
                                 .w_max = 127, .out_kind = NN_OUT_SCORES}, &rng);
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_ERR_FORMAT && strstr(err.msg, "layer 1: "
             "accumulator bound"), "accumulator overflow: %s", err.msg);
    printf("  %s\n", err.msg);
    m.layers[0].w_max = 126; /* 66564 x 126 x 255 = 2138702 ... < 2^31 */
    for (int i = 0; i < 2 * 66564; i++)
        if (m.layers[0].w[i] == 127 || m.layers[0].w[i] == -127)
            m.layers[0].w[i] = 0;
    TU_CHECK(nn_qnn_validate(&m, &err) == NN_OK, "w_max 126: %s", err.msg);
    nn_qnn_free(&m);
}

static void test_meta(void)
{
    struct nn_qnn m;
    char buf[64];
    memset(&m, 0, sizeof m);
    TU_CHECK(nn_qnn_meta_get(&m, "arch", buf, sizeof buf) == 0, "empty metadata has a key");
    TU_CHECK(nn_qnn_meta_set(&m, "arch", "vgg11-or") == 0, "set arch");
    TU_CHECK(nn_qnn_meta_set(&m, "wq", "heq3") == 0, "set wq");
    TU_CHECK(nn_qnn_meta_set(&m, "ar", "x") == 0, "set ar (a prefix of arch)");
    TU_CHECK(strcmp(m.meta, "arch=vgg11-or\nwq=heq3\nar=x\n") == 0, "meta text: %s", m.meta);
    TU_CHECK(nn_qnn_meta_get(&m, "arch", buf, sizeof buf) == 1 && strcmp(buf, "vgg11-or") == 0,
             "get arch: %s", buf);
    TU_CHECK(nn_qnn_meta_get(&m, "ar", buf, sizeof buf) == 1 && strcmp(buf, "x") == 0,
             "get ar: %s", buf);
    TU_CHECK(nn_qnn_meta_get(&m, "a", buf, sizeof buf) == 0, "a key prefix matched");
    TU_CHECK(nn_qnn_meta_set(&m, "arch", "resnet-add") == 0, "replace arch");
    TU_CHECK(strcmp(m.meta, "arch=resnet-add\nwq=heq3\nar=x\n") == 0, "replaced: %s", m.meta);
    TU_CHECK(nn_qnn_meta_set(&m, "ar", "") == 0 && nn_qnn_meta_get(&m, "ar", buf, sizeof buf) == 1
             && buf[0] == '\0', "empty value");
    TU_CHECK(nn_qnn_meta_get(&m, "arch", buf, 4) == 1 && strcmp(buf, "res") == 0,
             "value cut to the buffer: %s", buf);
    TU_CHECK(nn_qnn_meta_set(&m, "a=b", "1") == -1 && nn_qnn_meta_set(&m, "k", "x\ny") == -1 &&
             nn_qnn_meta_set(&m, "", "1") == -1, "malformed keys and values refused");
    printf("metadata: \"%s\"\n", m.meta);
    char big[NN_QNN_META_MAX];
    memset(big, 'v', sizeof big);
    big[sizeof big - 20] = '\0';
    char before[NN_QNN_META_MAX];
    strcpy(before, m.meta);
    TU_CHECK(nn_qnn_meta_set(&m, "big", big) == -1 && strcmp(m.meta, before) == 0,
             "a full metadata block is refused unchanged");
    /* fill to 3 bytes short of the limit (8191 characters and the NUL) */
    big[NN_QNN_META_MAX - 1 - strlen(before) - strlen("big=\n") - 3] = '\0';
    TU_CHECK(nn_qnn_meta_set(&m, "big", big) == 0, "a large value fits");
    TU_CHECK(nn_qnn_meta_set(&m, "seed", "1") == -1, "then seed=1 does not fit");
    TU_CHECK(nn_qnn_meta_set(&m, "s", "") == 0 && strlen(m.meta) == NN_QNN_META_MAX - 1,
             "but s= fills it exactly");
    TU_CHECK(nn_qnn_meta_set(&m, "s", "1") == -1, "and s=1 no longer fits");
    TU_CHECK(nn_qnn_meta_set(&m, "big", "small") == 0 && nn_qnn_meta_set(&m, "seed", "1") == 0,
             "replacing frees room");
    TU_CHECK(strcmp(m.meta, "arch=resnet-add\nwq=heq3\nar=\nbig=small\ns=\nseed=1\n") == 0,
             "meta text: %s", m.meta);
    /* a last line without its newline */
    strcpy(m.meta, "a=1\nb=2");
    TU_CHECK(nn_qnn_meta_get(&m, "b", buf, sizeof buf) == 1 && strcmp(buf, "2") == 0, "get b");
    TU_CHECK(nn_qnn_meta_set(&m, "c", "3") == 0 && strcmp(m.meta, "a=1\nb=2\nc=3\n") == 0,
             "append after an unterminated line: %s", m.meta);
}

int main(void)
{
    tu_scratch_path(scratch, sizeof scratch, "qnn");
    if (mkdir(scratch, 0700) != 0) {
        perror(scratch);
        return 1;
    }
    test_roundtrip();
    test_weight_codes();
    test_bit_planes();
    test_exact_codes();
    test_act_codes();
    test_corruption();
    test_edits();
    test_write_errors();
    test_validate();
    test_meta();

    const char *names[] = {"zoo.qnn", "codes.qnn", "planes.qnn", "good.qnn", "bad.qnn",
                           "edit-src.qnn", "edit.qnn"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[600];
        path_in(p, sizeof p, names[i]);
        remove(p);
    }
    TU_CHECK(count_entries("") == 2, "the scratch folder holds only . and .. at the end");
    rmdir(scratch);
    return tu_exit("test_qnn");
}
