/* tests/test_data.c: the data loaders, the synthetic set, batches and the
 * PRNG of nn/data.h.
 *
 * Writes small IDX (plain and gzipped), CIFAR-10 and STL-10 files into a
 * scratch directory, reads them back and compares every byte, then drives
 * every error path and checks both the status and that the message names
 * the file. Loads the real Fashion-MNIST if it is installed. Does not test
 * training or the model format.
 *
 * Tolerance policy: pixels, labels and NN_NORM_SCALE values must be exact
 * (pixel / 255.0f is what the integer export assumes); NN_NORM_MEANSTD
 * values and channel statistics are compared against a double-precision
 * reference with a relative bound of 1e-5; statistical checks of the PRNG
 * use bounds of about five standard errors. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "nn/data.h"
#include "testutil.h"

enum { MAX_FILES = 64, PATH_LEN = 512 };

/* The scratch directory and every file written into it, for cleanup. */
struct scratch {
    char dir[PATH_LEN];
    char files[MAX_FILES][PATH_LEN];
    int n_files;
};

/* dir/name into buf (PATH_LEN bytes); a test setup failure if too long. */
static void scratch_join(char *buf, const struct scratch *s, const char *name)
{
    int len = snprintf(buf, PATH_LEN, "%s/%s", s->dir, name);
    if (len < 0 || len >= PATH_LEN) {
        fprintf(stderr, "test_data: scratch path too long: %s/%s\n", s->dir, name);
        exit(1);
    }
}

/* Writes bytes to dir/name, gzipped or plain; returns the path (in s). */
static const char *write_file(struct scratch *s, const char *name, const uint8_t *bytes,
                              size_t len, int gz)
{
    if (s->n_files >= MAX_FILES) {
        fprintf(stderr, "test_data: too many scratch files\n");
        exit(1);
    }
    char *path = s->files[s->n_files];
    scratch_join(path, s, name);
    /* A name may be written twice; keep one entry for it. */
    for (int k = 0; k < s->n_files; k++)
        if (strcmp(s->files[k], path) == 0) {
            path = s->files[k];
            break;
        }
    if (path == s->files[s->n_files])
        s->n_files++;
    int ok;
    if (gz) {
        gzFile f = gzopen(path, "wb");
        ok = f && (len == 0 || gzwrite(f, bytes, (unsigned)len) == (int)len);
        ok = f && gzclose(f) == Z_OK && ok;
    } else {
        FILE *f = fopen(path, "wb");
        ok = f && fwrite(bytes, 1, len, f) == len;
        ok = f && fclose(f) == 0 && ok;
    }
    if (!ok) {
        fprintf(stderr, "test_data: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return path;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* An IDX image file of n images of rows x cols, pixel (i, q) = idx_pixel. */
static uint8_t idx_pixel(int i, int q) { return (uint8_t)(i * 37 + q * 11 + 5); }

static uint8_t *make_idx_images(uint32_t magic, int n, int rows, int cols, size_t *len)
{
    *len = 16 + (size_t)n * rows * cols;
    uint8_t *b = malloc(*len);
    put_be32(b, magic);
    put_be32(b + 4, (uint32_t)n);
    put_be32(b + 8, (uint32_t)rows);
    put_be32(b + 12, (uint32_t)cols);
    for (int i = 0; i < n; i++)
        for (int q = 0; q < rows * cols; q++)
            b[16 + (size_t)i * rows * cols + q] = idx_pixel(i, q);
    return b;
}

static uint8_t *make_idx_labels(uint32_t magic, int n, const uint8_t *labels, size_t *len)
{
    *len = 8 + (size_t)n;
    uint8_t *b = malloc(*len);
    put_be32(b, magic);
    put_be32(b + 4, (uint32_t)n);
    memcpy(b + 8, labels, (size_t)n);
    return b;
}

static int is_zeroed(const struct nn_dataset *ds)
{
    return ds->n == 0 && ds->h == 0 && ds->w == 0 && ds->c == 0 && ds->n_class == 0 && !ds->x &&
           !ds->y;
}

/* A failing load: the status, the file named in the message, *ds zeroed. */
static void check_fail(const char *what, enum nn_status got, enum nn_status want,
                       const struct nn_dataset *ds, const struct nn_error *err, const char *path,
                       const char *phrase)
{
    printf("  %-34s status %d (want %d): %s\n", what, got, want, got == NN_OK ? "-" : err->msg);
    TU_CHECK(got == want, "%s: status %d, expected %d", what, got, want);
    TU_CHECK(got == NN_OK || strstr(err->msg, path), "%s: message '%s' does not name %s", what,
             err->msg, path);
    TU_CHECK(got == NN_OK || !phrase || strstr(err->msg, phrase),
             "%s: message '%s' does not say '%s'", what, err->msg, phrase);
    TU_CHECK(is_zeroed(ds), "%s: *ds not left zeroed", what);
}

static void check_idx_set(const char *what, const struct nn_dataset *ds, int n, int rows,
                          int cols, const uint8_t *labels)
{
    TU_CHECK(ds->n == n && ds->h == rows && ds->w == cols && ds->c == 1 && ds->n_class == 10,
             "%s: shape n=%d %dx%dx%d classes %d, expected n=%d %dx%dx1 classes 10", what, ds->n,
             ds->h, ds->w, ds->c, ds->n_class, n, rows, cols);
    if (ds->n != n || ds->h != rows || ds->w != cols)
        return;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        for (int q = 0; q < rows * cols; q++)
            bad += ds->x[(size_t)i * rows * cols + q] != idx_pixel(i, q);
        bad += ds->y[i] != labels[i];
    }
    printf("  %-34s n=%d %dx%dx%d, %d bytes + %d labels compared, %d differ\n", what, ds->n,
           ds->h, ds->w, ds->c, n * rows * cols, n, bad);
    TU_CHECK(bad == 0, "%s: %d pixels or labels differ", what, bad);
}

static void test_idx(struct scratch *s)
{
    printf("IDX\n");
    enum { N = 7, ROWS = 5, COLS = 4 };
    const uint8_t labels[N] = {3, 0, 9, 5, 1, 9, 2};
    size_t ilen, llen;
    uint8_t *img = make_idx_images(0x803, N, ROWS, COLS, &ilen);
    uint8_t *lab = make_idx_labels(0x801, N, labels, &llen);
    struct nn_dataset ds;
    struct nn_error err = {{0}};

    const char *ip = write_file(s, "plain-images", img, ilen, 0);
    const char *lp = write_file(s, "plain-labels", lab, llen, 0);
    enum nn_status st = nn_data_load_idx(&ds, ip, lp, &err);
    TU_CHECK(st == NN_OK, "plain IDX: status %d: %s", st, err.msg);
    check_idx_set("plain IDX", &ds, N, ROWS, COLS, labels);
    nn_data_free(&ds);
    TU_CHECK(is_zeroed(&ds), "nn_data_free does not leave the struct zeroed");

    const char *igz = write_file(s, "gz-images.gz", img, ilen, 1);
    const char *lgz = write_file(s, "gz-labels.gz", lab, llen, 1);
    st = nn_data_load_idx(&ds, igz, lgz, &err);
    TU_CHECK(st == NN_OK, "gzipped IDX: status %d: %s", st, err.msg);
    check_idx_set("gzipped IDX", &ds, N, ROWS, COLS, labels);
    nn_data_free(&ds);

    /* Gzipped images with plain labels: told apart by content. */
    st = nn_data_load_idx(&ds, igz, lp, &err);
    TU_CHECK(st == NN_OK, "mixed IDX: status %d: %s", st, err.msg);
    check_idx_set("gzipped images + plain labels", &ds, N, ROWS, COLS, labels);
    nn_data_free(&ds);

    /* A folder: train gzipped, t10k plain (the .gz fallback). */
    char dir[PATH_LEN];
    scratch_join(dir, s, "mnist");
    TU_CHECK(mkdir(dir, 0700) == 0, "mkdir %s: %s", dir, strerror(errno));
    write_file(s, "mnist/train-images-idx3-ubyte.gz", img, ilen, 1);
    write_file(s, "mnist/train-labels-idx1-ubyte.gz", lab, llen, 1);
    size_t tilen, tllen;
    uint8_t *timg = make_idx_images(0x803, 3, ROWS, COLS, &tilen);
    uint8_t *tlab = make_idx_labels(0x801, 3, labels, &tllen);
    write_file(s, "mnist/t10k-images-idx3-ubyte", timg, tilen, 0);
    write_file(s, "mnist/t10k-labels-idx1-ubyte", tlab, tllen, 0);
    st = nn_data_load_idx_dir(&ds, dir, NN_SPLIT_TRAIN, &err);
    TU_CHECK(st == NN_OK, "idx dir train: status %d: %s", st, err.msg);
    check_idx_set("folder, train split (.gz)", &ds, N, ROWS, COLS, labels);
    nn_data_free(&ds);
    st = nn_data_load_idx_dir(&ds, dir, NN_SPLIT_TEST, &err);
    TU_CHECK(st == NN_OK, "idx dir test: status %d: %s", st, err.msg);
    check_idx_set("folder, test split (plain)", &ds, 3, ROWS, COLS, labels);
    nn_data_free(&ds);

    printf("IDX error paths\n");
    char missing[PATH_LEN];
    scratch_join(missing, s, "no-such-file");
    st = nn_data_load_idx(&ds, missing, lp, &err);
    check_fail("nonexistent image file", st, NN_ERR_IO, &ds, &err, missing, "cannot open");
    st = nn_data_load_idx(&ds, ip, missing, &err);
    check_fail("nonexistent label file", st, NN_ERR_IO, &ds, &err, missing, "cannot open");
    st = nn_data_load_idx_dir(&ds, missing, NN_SPLIT_TRAIN, &err);
    check_fail("nonexistent folder", st, NN_ERR_IO, &ds, &err, missing, "train-images");
    st = nn_data_load_idx(&ds, s->dir, lp, &err);
    check_fail("a directory as image file", st, NN_ERR_IO, &ds, &err, s->dir, NULL);

    /* Files swapped: each has the other's magic. */
    st = nn_data_load_idx(&ds, lp, ip, &err);
    check_fail("label file as images", st, NN_ERR_FORMAT, &ds, &err, lp, "bad magic 0x00000801");
    st = nn_data_load_idx(&ds, ip, ip, &err);
    check_fail("image file as labels", st, NN_ERR_FORMAT, &ds, &err, ip, "expected 0x00000801");

    /* Truncated image data, plain and gzipped. */
    const char *tp = write_file(s, "trunc-images", img, ilen - ROWS * COLS - 3, 0);
    st = nn_data_load_idx(&ds, tp, lp, &err);
    check_fail("truncated images (plain)", st, NN_ERR_FORMAT, &ds, &err, tp,
               "header says 7 images of 5x4, file holds 5 of them");
    const char *tgz = write_file(s, "trunc-images.gz", img, ilen - 1, 1);
    st = nn_data_load_idx(&ds, tgz, lp, &err);
    check_fail("truncated images (gzipped)", st, NN_ERR_FORMAT, &ds, &err, tgz, "truncated");

    /* A gzip stream cut in the middle (the compressed bytes, not the data). */
    {
        FILE *f = fopen(igz, "rb");
        uint8_t buf[4096];
        size_t got = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f)
            fclose(f);
        const char *cut = write_file(s, "cut-stream.gz", buf, got / 2, 0);
        st = nn_data_load_idx(&ds, cut, lp, &err);
        check_fail("gzip stream cut in half", st, NN_ERR_FORMAT, &ds, &err, cut, NULL);
        /* Flipped bits inside the deflate data (past the 10-byte gzip
         * header): a data error or a CRC mismatch, either way malformed. */
        for (size_t k = 12; k < got - 8; k++)
            buf[k] ^= 0x5a;
        const char *bad = write_file(s, "corrupt-stream.gz", buf, got, 0);
        st = nn_data_load_idx(&ds, bad, lp, &err);
        check_fail("corrupt gzip stream", st, NN_ERR_FORMAT, &ds, &err, bad, NULL);
    }

    const char *th = write_file(s, "trunc-header", img, 10, 0);
    st = nn_data_load_idx(&ds, th, lp, &err);
    check_fail("truncated image header", st, NN_ERR_FORMAT, &ds, &err, th, "truncated header");
    const char *tlh = write_file(s, "trunc-label-header", lab, 6, 0);
    st = nn_data_load_idx(&ds, ip, tlh, &err);
    check_fail("truncated label header", st, NN_ERR_FORMAT, &ds, &err, tlh, "truncated header");
    const char *tl = write_file(s, "trunc-labels.gz", lab, llen - 2, 1);
    st = nn_data_load_idx(&ds, ip, tl, &err);
    check_fail("truncated labels", st, NN_ERR_FORMAT, &ds, &err, tl, "truncated");
    const char *empty = write_file(s, "empty", img, 0, 0);
    st = nn_data_load_idx(&ds, empty, lp, &err);
    check_fail("empty image file", st, NN_ERR_FORMAT, &ds, &err, empty, "truncated header");

    uint8_t bad_labels[N];
    memcpy(bad_labels, labels, N);
    bad_labels[5] = 12;
    size_t blen;
    uint8_t *blab = make_idx_labels(0x801, N, bad_labels, &blen);
    const char *bl = write_file(s, "bad-labels", blab, blen, 0);
    st = nn_data_load_idx(&ds, ip, bl, &err);
    check_fail("label out of range", st, NN_ERR_FORMAT, &ds, &err, bl,
               "label 12 at index 5 is out of range 0..9");
    bad_labels[5] = labels[5];
    bad_labels[0] = 10; /* the first value past the range */
    free(blab);
    blab = make_idx_labels(0x801, N, bad_labels, &blen);
    bl = write_file(s, "bad-labels-10.gz", blab, blen, 1);
    st = nn_data_load_idx(&ds, ip, bl, &err);
    check_fail("label 10", st, NN_ERR_FORMAT, &ds, &err, bl,
               "label 10 at index 0 is out of range 0..9");

    size_t mlen;
    uint8_t *mlab = make_idx_labels(0x801, N - 1, labels, &mlen);
    const char *ml = write_file(s, "short-labels", mlab, mlen, 0);
    st = nn_data_load_idx(&ds, ip, ml, &err);
    check_fail("count mismatch", st, NN_ERR_FORMAT, &ds, &err, ip,
               "image count 7 does not match label count 6");
    TU_CHECK(strstr(err.msg, ml), "count mismatch: message '%s' does not name %s", err.msg, ml);

    /* Absurd headers: rejected before any allocation. */
    uint8_t huge[16];
    put_be32(huge, 0x803);
    put_be32(huge + 4, 0x7fffffffu);
    put_be32(huge + 8, 28);
    put_be32(huge + 12, 28);
    const char *hp = write_file(s, "huge-header", huge, sizeof huge, 0);
    st = nn_data_load_idx(&ds, hp, lp, &err);
    check_fail("header of 2^31 images", st, NN_ERR_FORMAT, &ds, &err, hp, "limit");
    put_be32(huge + 4, 0xffffffffu);
    put_be32(huge + 8, 0xffffffffu);
    put_be32(huge + 12, 0xffffffffu);
    hp = write_file(s, "overflow-header", huge, sizeof huge, 0);
    st = nn_data_load_idx(&ds, hp, lp, &err);
    check_fail("header overflowing 64 bits", st, NN_ERR_FORMAT, &ds, &err, hp, "limit");
    put_be32(huge + 4, 0);
    hp = write_file(s, "zero-header", huge, sizeof huge, 0);
    st = nn_data_load_idx(&ds, hp, lp, &err);
    check_fail("header of 0 images", st, NN_ERR_FORMAT, &ds, &err, hp, NULL);

    free(img);
    free(lab);
    free(timg);
    free(tlab);
    free(blab);
    free(mlab);
}

/* CIFAR-10: record k of the concatenation has label k % 10 and channel ch
 * pixel p = cifar_pixel(k, ch, p). */
static uint8_t cifar_pixel(int k, int ch, int p) { return (uint8_t)(k * 7 + ch * 50 + p * 3); }

static uint8_t *make_cifar(int first, int n, size_t *len)
{
    *len = (size_t)n * 3073;
    uint8_t *b = malloc(*len);
    for (int i = 0; i < n; i++) {
        uint8_t *r = b + (size_t)i * 3073;
        r[0] = (uint8_t)((first + i) % 10);
        for (int ch = 0; ch < 3; ch++)
            for (int p = 0; p < 1024; p++)
                r[1 + ch * 1024 + p] = cifar_pixel(first + i, ch, p);
    }
    return b;
}

static void test_cifar(struct scratch *s)
{
    printf("CIFAR-10\n");
    size_t len1, len2;
    uint8_t *b1 = make_cifar(0, 2, &len1);
    uint8_t *b2 = make_cifar(2, 3, &len2);
    const char *paths[3];
    paths[0] = write_file(s, "data_batch_1.bin", b1, len1, 0);
    paths[1] = write_file(s, "data_batch_2.bin", b2, len2, 0);
    struct nn_dataset ds;
    struct nn_error err = {{0}};
    enum nn_status st = nn_data_load_cifar10(&ds, paths, 2, &err);
    TU_CHECK(st == NN_OK, "CIFAR-10: status %d: %s", st, err.msg);
    TU_CHECK(ds.n == 5 && ds.h == 32 && ds.w == 32 && ds.c == 3 && ds.n_class == 10,
             "CIFAR-10: shape n=%d %dx%dx%d classes %d, expected 5 32x32x3 10", ds.n, ds.h, ds.w,
             ds.c, ds.n_class);
    if (st == NN_OK && ds.n == 5) {
        int bad = 0;
        for (int k = 0; k < 5; k++) {
            bad += ds.y[k] != k % 10;
            for (int r = 0; r < 32; r++)
                for (int c = 0; c < 32; c++)
                    for (int ch = 0; ch < 3; ch++)
                        bad += ds.x[(((size_t)k * 32 + r) * 32 + c) * 3 + ch] !=
                               cifar_pixel(k, ch, r * 32 + c);
        }
        /* One pixel by hand: record 3 (second file), row 2, column 5, G. */
        uint8_t g = ds.x[((3 * 32 + 2) * 32 + 5) * 3 + 1];
        printf("  2 files, 5 records: %d NHWC bytes + labels compared, %d differ; "
               "x[3][2][5][G] = %d (want %d)\n",
               5 * 3072, bad, g, cifar_pixel(3, 1, 2 * 32 + 5));
        TU_CHECK(bad == 0, "CIFAR-10: %d pixels or labels differ", bad);
        TU_CHECK(g == cifar_pixel(3, 1, 69), "CIFAR-10: x[3][2][5][G] = %d", g);
    }
    nn_data_free(&ds);

    const char *odd = write_file(s, "odd_size.bin", b1, len1 - 5, 0);
    paths[2] = odd;
    st = nn_data_load_cifar10(&ds, paths, 3, &err);
    check_fail("CIFAR-10 size not multiple of 3073", st, NN_ERR_FORMAT, &ds, &err, odd, "3073");
    b1[3073] = 10;
    const char *bad = write_file(s, "bad_label.bin", b1, len1, 0);
    paths[2] = bad;
    st = nn_data_load_cifar10(&ds, paths, 3, &err);
    check_fail("CIFAR-10 label 10", st, NN_ERR_FORMAT, &ds, &err, bad, "label 10");
    char missing[PATH_LEN];
    scratch_join(missing, s, "no-such-batch.bin");
    paths[2] = missing;
    st = nn_data_load_cifar10(&ds, paths, 3, &err);
    check_fail("CIFAR-10 nonexistent file", st, NN_ERR_IO, &ds, &err, missing, "cannot open");
    free(b1);
    free(b2);
}

/* STL-10: the file stores pixel (row, col) of channel ch of image i at
 * ch*9216 + col*96 + row (column-major), value stl_pixel(i, ch, row, col);
 * row*3 + col*5 tells a transposed read apart. */
static uint8_t stl_pixel(int i, int ch, int row, int col)
{
    return (uint8_t)(i * 31 + ch * 77 + row * 3 + col * 5);
}

static void test_stl(struct scratch *s)
{
    printf("STL-10\n");
    enum { N = 3, SIDE = 96, IMG = 3 * 96 * 96 };
    uint8_t *b = malloc((size_t)N * IMG);
    for (int i = 0; i < N; i++)
        for (int ch = 0; ch < 3; ch++)
            for (int col = 0; col < SIDE; col++)
                for (int row = 0; row < SIDE; row++)
                    b[(size_t)i * IMG + ch * SIDE * SIDE + col * SIDE + row] =
                        stl_pixel(i, ch, row, col);
    uint8_t labels[N + 1] = {1, 10, 4, 2};
    const char *ip = write_file(s, "stl_X.bin", b, (size_t)N * IMG, 0);
    const char *lp = write_file(s, "stl_y.bin", labels, N, 0);
    struct nn_dataset ds;
    struct nn_error err = {{0}};
    enum nn_status st = nn_data_load_stl10(&ds, ip, lp, &err);
    TU_CHECK(st == NN_OK, "STL-10: status %d: %s", st, err.msg);
    TU_CHECK(ds.n == N && ds.h == 96 && ds.w == 96 && ds.c == 3 && ds.n_class == 10,
             "STL-10: shape n=%d %dx%dx%d classes %d", ds.n, ds.h, ds.w, ds.c, ds.n_class);
    if (st == NN_OK && ds.n == N) {
        int bad = 0;
        for (int i = 0; i < N; i++) {
            bad += ds.y[i] != labels[i] - 1;
            for (int row = 0; row < SIDE; row++)
                for (int col = 0; col < SIDE; col++)
                    for (int ch = 0; ch < 3; ch++)
                        bad += ds.x[(((size_t)i * SIDE + row) * SIDE + col) * 3 + ch] !=
                               stl_pixel(i, ch, row, col);
        }
        /* One pixel by hand: image 1, row 2, column 7, blue is stored at
         * byte 2*9216 + 7*96 + 2 of that image. */
        uint8_t v = ds.x[(((size_t)1 * SIDE + 2) * SIDE + 7) * 3 + 2];
        uint8_t want = b[IMG + 2 * 9216 + 7 * 96 + 2];
        printf("  %d images: %d NHWC bytes + labels compared, %d differ; x[1][2][7][B] = %d "
               "(want %d), labels %d %d %d\n",
               N, N * IMG, bad, v, want, ds.y[0], ds.y[1], ds.y[2]);
        TU_CHECK(bad == 0, "STL-10: %d pixels or labels differ", bad);
        TU_CHECK(v == want, "STL-10: x[1][2][7][B] = %d, expected %d", v, want);
    }
    nn_data_free(&ds);

    const char *lp4 = write_file(s, "stl_y4.bin", labels, N + 1, 0);
    st = nn_data_load_stl10(&ds, ip, lp4, &err);
    check_fail("STL-10 count mismatch", st, NN_ERR_FORMAT, &ds, &err, ip,
               "image count 3 does not match label count 4");
    uint8_t bad_labels[N] = {1, 0, 3};
    const char *l0 = write_file(s, "stl_y0.bin", bad_labels, N, 0);
    st = nn_data_load_stl10(&ds, ip, l0, &err);
    check_fail("STL-10 label 0", st, NN_ERR_FORMAT, &ds, &err, l0, "label 0 at index 1");
    bad_labels[1] = 2;
    bad_labels[2] = 11;
    const char *l11 = write_file(s, "stl_y11.bin", bad_labels, N, 0);
    st = nn_data_load_stl10(&ds, ip, l11, &err);
    check_fail("STL-10 label 11", st, NN_ERR_FORMAT, &ds, &err, l11, "label 11 at index 2");
    const char *odd = write_file(s, "stl_odd.bin", b, (size_t)N * IMG - 1, 0);
    st = nn_data_load_stl10(&ds, odd, lp, &err);
    check_fail("STL-10 size not multiple of 27648", st, NN_ERR_FORMAT, &ds, &err, odd, "27648");
    char missing[PATH_LEN];
    scratch_join(missing, s, "no-such-stl.bin");
    st = nn_data_load_stl10(&ds, ip, missing, &err);
    check_fail("STL-10 nonexistent labels", st, NN_ERR_IO, &ds, &err, missing, "cannot open");
    free(b);
}

static void test_synthetic(void)
{
    printf("synthetic\n");
    enum { N = 400, H = 12, W = 10, C = 2, K = 5 };
    const size_t bytes = (size_t)N * H * W * C;
    struct nn_dataset a, b, o;
    struct nn_error err = {{0}};
    TU_CHECK(nn_data_synthetic(&a, N, H, W, C, K, 42, &err) == NN_OK, "synthetic: %s", err.msg);
    TU_CHECK(nn_data_synthetic(&b, N, H, W, C, K, 42, &err) == NN_OK, "synthetic: %s", err.msg);
    TU_CHECK(nn_data_synthetic(&o, N, H, W, C, K, 43, &err) == NN_OK, "synthetic: %s", err.msg);
    TU_CHECK(a.n == N && a.h == H && a.w == W && a.c == C && a.n_class == K,
             "synthetic: shape n=%d %dx%dx%d classes %d", a.n, a.h, a.w, a.c, a.n_class);
    int same = memcmp(a.x, b.x, bytes) == 0 && memcmp(a.y, b.y, N) == 0;
    size_t differ = 0;
    for (size_t q = 0; q < bytes; q++)
        differ += a.x[q] != o.x[q];
    printf("  seed 42 twice: %s; seed 42 vs 43: %zu of %zu bytes differ\n",
           same ? "identical" : "DIFFERENT", differ, bytes);
    TU_CHECK(same, "synthetic: the same seed gives different data");
    TU_CHECK(differ > bytes / 2, "synthetic: seeds 42 and 43 differ in only %zu bytes", differ);

    int count[K] = {0};
    for (int i = 0; i < N; i++)
        count[a.y[i] < K ? a.y[i] : 0]++;
    int balanced = 1;
    for (int k = 0; k < K; k++)
        balanced &= count[k] == N / K;
    TU_CHECK(balanced, "synthetic: class counts %d %d %d %d %d, expected %d each", count[0],
             count[1], count[2], count[3], count[4], N / K);

    /* Learnable: the nearest class mean of the first half classifies the
     * second half. */
    const int half = N / 2, per = H * W * C;
    double *mean = calloc((size_t)K * per, sizeof *mean);
    int mcount[K] = {0};
    for (int i = 0; i < half; i++) {
        mcount[a.y[i]]++;
        for (int q = 0; q < per; q++)
            mean[a.y[i] * per + q] += a.x[(size_t)i * per + q];
    }
    for (int k = 0; k < K; k++)
        for (int q = 0; q < per; q++)
            mean[k * per + q] /= mcount[k] ? mcount[k] : 1;
    int correct = 0;
    for (int i = half; i < N; i++) {
        int best = 0;
        double best_d = INFINITY;
        for (int k = 0; k < K; k++) {
            double d = 0;
            for (int q = 0; q < per; q++) {
                double e = a.x[(size_t)i * per + q] - mean[k * per + q];
                d += e * e;
            }
            if (d < best_d) {
                best_d = d;
                best = k;
            }
        }
        correct += best == a.y[i];
    }
    printf("  nearest-class-mean accuracy on held-out half: %d / %d\n", correct, N - half);
    TU_CHECK(correct >= (N - half) * 95 / 100, "synthetic: only %d / %d held out correct", correct,
             N - half);
    free(mean);

    struct nn_dataset v = nn_data_slice(&a, 10, 20);
    TU_CHECK(v.n == 20 && v.x == a.x + 10 * per && v.y == a.y + 10 && v.h == H && v.c == C &&
                 v.n_class == K,
             "nn_data_slice: not a view of images 10..29");
    v = nn_data_slice(&a, N, 0);
    TU_CHECK(v.n == 0, "nn_data_slice: empty slice at the end");

    struct nn_dataset e;
    enum nn_status st = nn_data_synthetic(&e, 0, H, W, C, K, 1, &err);
    printf("  %-34s status %d: %s\n", "0 images", st, err.msg);
    TU_CHECK(st == NN_ERR_ARG && is_zeroed(&e), "synthetic with 0 images: status %d", st);
    st = nn_data_synthetic(&e, N, H, W, C, 300, 1, &err);
    printf("  %-34s status %d: %s\n", "300 classes", st, err.msg);
    TU_CHECK(st == NN_ERR_ARG && is_zeroed(&e), "synthetic with 300 classes: status %d", st);

    nn_data_free(&a);
    nn_data_free(&b);
    nn_data_free(&o);
}

static void test_stats(void)
{
    printf("channel statistics\n");
    struct nn_dataset ds;
    struct nn_error err = {{0}};
    TU_CHECK(nn_data_synthetic(&ds, 50, 6, 5, 3, 4, 7, &err) == NN_OK, "synthetic: %s", err.msg);
    float mean[3], std[3];
    nn_data_channel_stats(&ds, mean, std);
    double worst = 0;
    for (int ch = 0; ch < 3; ch++) {
        double s = 0, s2 = 0;
        size_t m = (size_t)ds.n * ds.h * ds.w;
        for (size_t q = 0; q < m; q++)
            s += ds.x[q * 3 + ch] / 255.0;
        s /= (double)m;
        for (size_t q = 0; q < m; q++) {
            double e = ds.x[q * 3 + ch] / 255.0 - s;
            s2 += e * e;
        }
        double sd = sqrt(s2 / (double)m);
        double em = fabs(mean[ch] - s) / s, es = fabs(std[ch] - sd) / sd;
        worst = fmax(worst, fmax(em, es));
        printf("  channel %d: mean %.6f (ref %.6f), std %.6f (ref %.6f)\n", ch, mean[ch], s,
               std[ch], sd);
    }
    printf("  largest relative difference %.2e (bound 1e-5)\n", worst);
    TU_CHECK(worst < 1e-5, "channel stats differ from the reference by %.2e", worst);
    nn_data_free(&ds);
}

/* Does image out (floats, NN_NORM_SCALE) equal src shifted by (dy, dx),
 * flipped if flip, with zeros outside? */
static int matches_shift(const float *out, const uint8_t *src, int h, int w, int c, int dy,
                         int dx, int flip)
{
    for (int r = 0; r < h; r++)
        for (int j = 0; j < w; j++)
            for (int ch = 0; ch < c; ch++) {
                int sr = r + dy, sc = (flip ? w - 1 - j : j) + dx;
                float want = sr >= 0 && sr < h && sc >= 0 && sc < w
                                 ? src[((size_t)sr * w + sc) * c + ch] / 255.0f
                                 : 0.0f;
                if (out[((size_t)r * w + j) * c + ch] != want)
                    return 0;
            }
    return 1;
}

static void test_batch(void)
{
    printf("batches\n");
    enum { N = 64, H = 9, W = 7, C = 3, B = 40, PAD = 2 };
    const int per = H * W * C;
    struct nn_dataset ds;
    struct nn_error err = {{0}};
    TU_CHECK(nn_data_synthetic(&ds, N, H, W, C, 6, 99, &err) == NN_OK, "synthetic: %s", err.msg);
    int idx[B];
    for (int i = 0; i < B; i++)
        idx[i] = (i * 13 + 5) % N;
    float *x = malloc(sizeof(float) * B * per), *x2 = malloc(sizeof(float) * B * per);
    int y[B], y2[B];

    /* Scale: exact. */
    nn_data_batch(&ds, idx, B, NN_NORM_SCALE, NULL, NULL, NULL, NULL, x, y);
    int bad = 0;
    for (int i = 0; i < B; i++) {
        bad += y[i] != ds.y[idx[i]];
        for (int q = 0; q < per; q++)
            bad += x[i * per + q] != ds.x[(size_t)idx[i] * per + q] / 255.0f;
    }
    printf("  scale: %d values + %d labels compared exactly, %d differ\n", B * per, B, bad);
    TU_CHECK(bad == 0, "NN_NORM_SCALE: %d values or labels differ", bad);

    /* Mean/std against a double reference. */
    const float mean[C] = {0.4f, 0.5f, 0.6f}, std[C] = {0.2f, 0.25f, 0.3f};
    nn_data_batch(&ds, idx, B, NN_NORM_MEANSTD, mean, std, NULL, NULL, x, y);
    double worst = 0;
    for (int i = 0; i < B; i++)
        for (int q = 0; q < per; q++) {
            int ch = q % C;
            double want = (ds.x[(size_t)idx[i] * per + q] / 255.0 - mean[ch]) / std[ch];
            worst = fmax(worst, fabs(x[i * per + q] - want) / fmax(1.0, fabs(want)));
        }
    printf("  mean/std: largest relative difference %.2e (bound 1e-5)\n", worst);
    TU_CHECK(worst < 1e-5, "NN_NORM_MEANSTD: relative difference %.2e", worst);

    /* Crop with pad 0 and no flip: identity, and no draws. */
    struct nn_augment none = {.crop_pad = 0, .hflip = 0};
    uint64_t st = 1234, st0 = 1234;
    nn_data_batch(&ds, idx, B, NN_NORM_SCALE, NULL, NULL, NULL, NULL, x, y);
    nn_data_batch(&ds, idx, B, NN_NORM_SCALE, NULL, NULL, &none, &st, x2, y2);
    int ident = memcmp(x, x2, sizeof(float) * B * per) == 0 && memcmp(y, y2, sizeof y) == 0;
    printf("  crop pad 0: %s the unaugmented batch\n", ident ? "equals" : "DIFFERS FROM");
    TU_CHECK(ident, "crop_pad 0 is not the identity");
    TU_CHECK(st == st0, "crop_pad 0, no flip: the rng state moved");

    /* Crop: every image is the input shifted by some (dy, dx) in
     * [-PAD, PAD], zeros outside; several offsets occur. */
    struct nn_augment crop = {.crop_pad = PAD, .hflip = 0};
    uint64_t state = 77;
    nn_data_batch(&ds, idx, B, NN_NORM_SCALE, NULL, NULL, &crop, &state, x, y);
    int seen[2 * PAD + 1][2 * PAD + 1] = {{0}}, unmatched = 0, distinct = 0;
    for (int i = 0; i < B; i++) {
        int found = 0;
        for (int dy = -PAD; dy <= PAD && !found; dy++)
            for (int dx = -PAD; dx <= PAD && !found; dx++)
                if (matches_shift(x + i * per, ds.x + (size_t)idx[i] * per, H, W, C, dy, dx, 0)) {
                    found = 1;
                    distinct += !seen[dy + PAD][dx + PAD]++;
                }
        unmatched += !found;
    }
    printf("  crop pad %d: %d of %d images are a shifted input, %d distinct offsets seen\n", PAD,
           B - unmatched, B, distinct);
    TU_CHECK(unmatched == 0, "crop: %d images are not a zero-padded shift", unmatched);
    TU_CHECK(distinct >= 10, "crop: only %d distinct offsets in %d images", distinct, B);

    /* Flip: every image is the input or its mirror; both occur. */
    struct nn_augment flip = {.crop_pad = 0, .hflip = 1};
    state = 5;
    nn_data_batch(&ds, idx, B, NN_NORM_SCALE, NULL, NULL, &flip, &state, x, y);
    int n_plain = 0, n_flip = 0;
    for (int i = 0; i < B; i++) {
        const uint8_t *src = ds.x + (size_t)idx[i] * per;
        if (matches_shift(x + i * per, src, H, W, C, 0, 0, 0))
            n_plain++;
        else if (matches_shift(x + i * per, src, H, W, C, 0, 0, 1))
            n_flip++;
    }
    printf("  flip: %d as is, %d mirrored, %d neither\n", n_plain, n_flip, B - n_plain - n_flip);
    TU_CHECK(n_plain + n_flip == B, "flip: %d images are neither", B - n_plain - n_flip);
    TU_CHECK(n_plain >= 5 && n_flip >= 5, "flip: %d as is, %d mirrored of %d", n_plain, n_flip, B);

    /* Both, and determinism: the same state gives the same batch and the
     * same next state; another state gives another batch. */
    struct nn_augment both = {.crop_pad = PAD, .hflip = 1};
    uint64_t s1 = 2024, s2 = 2024, s3 = 2025;
    nn_data_batch(&ds, idx, B, NN_NORM_SCALE, NULL, NULL, &both, &s1, x, y);
    nn_data_batch(&ds, idx, B, NN_NORM_SCALE, NULL, NULL, &both, &s2, x2, y2);
    int det = memcmp(x, x2, sizeof(float) * B * per) == 0 && s1 == s2;
    unmatched = 0;
    for (int i = 0; i < B; i++) {
        int found = 0;
        for (int f = 0; f < 2 && !found; f++)
            for (int dy = -PAD; dy <= PAD && !found; dy++)
                for (int dx = -PAD; dx <= PAD && !found; dx++)
                    found = matches_shift(x + i * per, ds.x + (size_t)idx[i] * per, H, W, C, dy,
                                          dx, f);
        unmatched += !found;
    }
    nn_data_batch(&ds, idx, B, NN_NORM_SCALE, NULL, NULL, &both, &s3, x2, y2);
    int other = memcmp(x, x2, sizeof(float) * B * per) != 0;
    printf("  crop+flip: same state %s, other state %s, %d images unexplained\n",
           det ? "identical" : "DIFFERENT", other ? "differs" : "IDENTICAL", unmatched);
    TU_CHECK(det, "nn_data_batch is not deterministic for a given state");
    TU_CHECK(other, "nn_data_batch gives the same batch for states 2024 and 2025");
    TU_CHECK(unmatched == 0, "crop+flip: %d images are no shifted (mirrored) input", unmatched);

    /* Under mean/std, padding is the normalized value of pixel 0. */
    uint64_t s4 = 3;
    struct nn_augment big = {.crop_pad = W, .hflip = 0};
    nn_data_batch(&ds, idx, 8, NN_NORM_MEANSTD, mean, std, &big, &s4, x, y);
    int pad_ok = 1, pad_seen = 0;
    for (int i = 0; i < 8; i++)
        for (int q = 0; q < per; q++) {
            int ch = q % C;
            float zero = (0.0f - mean[ch]) / std[ch];
            if (x[i * per + q] == zero)
                pad_seen++;
            else if (x[i * per + q] < zero)
                pad_ok = 0;
        }
    printf("  mean/std padding: %d values at (0 - mean) / std, none below: %s\n", pad_seen,
           pad_ok ? "yes" : "NO");
    TU_CHECK(pad_ok && pad_seen > 0, "mean/std padding is not the normalized pixel 0");

    free(x);
    free(x2);
    nn_data_free(&ds);
}

static void test_rng(void)
{
    printf("rng\n");
    /* The reference splitmix64 stream from state 0. */
    uint64_t s = 0;
    uint64_t r0 = nn_rng_next(&s), r1 = nn_rng_next(&s);
    printf("  splitmix64(0): %016llx %016llx\n", (unsigned long long)r0, (unsigned long long)r1);
    TU_CHECK(r0 == 0xe220a8397b1dcdafu && r1 == 0x6e789e6aa1b965f4u,
             "splitmix64 stream from 0 is not the reference one");

    enum { M = 200000 };
    double su = 0, sn = 0, sn2 = 0;
    float umin = 1, umax = 0;
    int n_bad = 0;
    s = 11;
    for (int i = 0; i < M; i++) {
        float u = nn_rng_uniform(&s);
        umin = fminf(umin, u);
        umax = fmaxf(umax, u);
        su += u;
        float z = nn_rng_normal(&s);
        n_bad += !isfinite(z);
        sn += z;
        sn2 += (double)z * z;
    }
    double mu = su / M, mn = sn / M, vn = sn2 / M - mn * mn;
    printf("  uniform: min %.7f max %.7f mean %.5f; normal: mean %.5f var %.5f (%d draws)\n",
           umin, umax, mu, mn, vn, M);
    TU_CHECK(n_bad == 0, "nn_rng_normal gave %d non-finite values", n_bad);
    TU_CHECK(umin >= 0.0f && umax < 1.0f, "uniform outside [0, 1)");
    TU_CHECK(fabs(mu - 0.5) < 5 * sqrt(1.0 / 12 / M), "uniform mean %.5f", mu);
    TU_CHECK(fabs(mn) < 5 / sqrt((double)M), "normal mean %.5f", mn);
    TU_CHECK(fabs(vn - 1) < 5 * sqrt(2.0 / M), "normal variance %.5f", vn);

    enum { P = 10 };
    int perm[P], perm2[P], hits[P] = {0};
    int ok = 1;
    uint64_t a = 8, b = 8;
    for (int t = 0; t < 20000; t++) {
        for (int i = 0; i < P; i++)
            perm[i] = perm2[i] = i;
        nn_rng_shuffle(perm, P, &a);
        nn_rng_shuffle(perm2, P, &b);
        int seen[P] = {0};
        for (int i = 0; i < P; i++) {
            ok &= perm[i] >= 0 && perm[i] < P && !seen[perm[i]]++;
            ok &= perm[i] == perm2[i];
        }
        hits[perm[0]]++;
    }
    int hmin = hits[0], hmax = hits[0];
    for (int i = 1; i < P; i++) {
        hmin = hits[i] < hmin ? hits[i] : hmin;
        hmax = hits[i] > hmax ? hits[i] : hmax;
    }
    printf("  shuffle: 20000 permutations of %d, deterministic and valid: %s; "
           "first-slot counts %d..%d (expect 2000 +- 150)\n",
           P, ok ? "yes" : "NO", hmin, hmax);
    TU_CHECK(ok, "nn_rng_shuffle: not a permutation or not deterministic");
    TU_CHECK(hmin > 1850 && hmax < 2150, "nn_rng_shuffle: first-slot counts %d..%d", hmin, hmax);
}

/* How long a training batch takes (128 images, crop and flip): printed for
 * the reader, not checked, since timings vary by machine. */
static void time_batches(const struct nn_dataset *ds)
{
    enum { B = 128, REPS = 200 };
    const size_t per = (size_t)ds->h * ds->w * ds->c;
    float *x = malloc(sizeof(float) * B * per);
    int idx[B], y[B];
    uint64_t state = 1;
    struct nn_augment aug = {.crop_pad = 2, .hflip = 1};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < REPS; r++) {
        for (int i = 0; i < B; i++)
            idx[i] = (int)(nn_rng_next(&state) % (uint64_t)ds->n);
        nn_data_batch(ds, idx, B, NN_NORM_SCALE, NULL, NULL, &aug, &state, x, y);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("  nn_data_batch: %.3f ms per batch of %d (crop 2, flip)\n", secs * 1e3 / REPS, B);
    free(x);
}

static void test_fashion_mnist(void)
{
    printf("Fashion-MNIST\n");
    struct stat st;
    if (stat(NN_FASHION_MNIST_DIR, &st) != 0) {
        printf("  %s absent: skipped\n", NN_FASHION_MNIST_DIR);
        return;
    }
    const struct {
        enum nn_split split;
        const char *name;
        int n;
    } splits[2] = {{NN_SPLIT_TRAIN, "train", 60000}, {NN_SPLIT_TEST, "test", 10000}};
    for (int k = 0; k < 2; k++) {
        struct nn_dataset ds;
        struct nn_error err = {{0}};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        enum nn_status s = nn_data_load_idx_dir(&ds, NN_FASHION_MNIST_DIR, splits[k].split, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
        TU_CHECK(s == NN_OK, "Fashion-MNIST %s: %s", splits[k].name, err.msg);
        if (s != NN_OK)
            continue;
        int count[10] = {0}, balanced = 1;
        for (int i = 0; i < ds.n; i++)
            count[ds.y[i]]++;
        for (int c = 0; c < 10; c++)
            balanced &= count[c] == splits[k].n / 10;
        printf("  %s: n=%d %dx%dx%d, %d classes, %d per class: %s, loaded in %.3f s\n",
               splits[k].name, ds.n, ds.h, ds.w, ds.c, ds.n_class, splits[k].n / 10,
               balanced ? "yes" : "NO", secs);
        TU_CHECK(ds.n == splits[k].n && ds.h == 28 && ds.w == 28 && ds.c == 1 &&
                     ds.n_class == 10,
                 "Fashion-MNIST %s: shape n=%d %dx%dx%d classes %d", splits[k].name, ds.n, ds.h,
                 ds.w, ds.c, ds.n_class);
        TU_CHECK(balanced, "Fashion-MNIST %s: classes not %d each", splits[k].name,
                 splits[k].n / 10);
        if (splits[k].split == NN_SPLIT_TRAIN)
            time_batches(&ds);
        nn_data_free(&ds);
    }
}

int main(void)
{
    struct scratch s = {.n_files = 0};
    tu_scratch_path(s.dir, sizeof s.dir, "data");
    if (mkdir(s.dir, 0700) != 0) {
        fprintf(stderr, "test_data: cannot create %s: %s\n", s.dir, strerror(errno));
        return 1;
    }
    test_rng();
    test_idx(&s);
    test_cifar(&s);
    test_stl(&s);
    test_synthetic();
    test_stats();
    test_batch();
    test_fashion_mnist();

    for (int k = 0; k < s.n_files; k++)
        TU_CHECK(unlink(s.files[k]) == 0, "cannot remove %s: %s", s.files[k], strerror(errno));
    char sub[PATH_LEN];
    scratch_join(sub, &s, "mnist");
    TU_CHECK(rmdir(sub) == 0, "cannot remove %s: %s", sub, strerror(errno));
    TU_CHECK(rmdir(s.dir) == 0, "cannot remove %s: %s", s.dir, strerror(errno));
    return tu_exit("test_data");
}
