/* nn/data.c: the data set loaders (IDX, CIFAR-10, STL-10, synthetic), views,
 * per-channel statistics and the batch builder of nn/data.h.
 *
 * Every loader turns its file format into uint8 NHWC pixels and uint8
 * labels with one allocation each, checks sizes before allocating, and on
 * any failure frees what it holds, leaves *ds zeroed and returns a status
 * with a one-line message naming the file. This file does not decide
 * training policy (which split, which normalization): callers do. The random
 * generator itself lives in nn/rng.c. */
#include "nn/data.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nn/binfile.h"

enum {
    IDX_IMAGE_MAGIC = 0x00000803, /* unsigned byte, 3 dims */
    IDX_LABEL_MAGIC = 0x00000801, /* unsigned byte, 1 dim */
    IDX_N_CLASS = 10,
    CIFAR_SIDE = 32,
    CIFAR_PLANE = CIFAR_SIDE * CIFAR_SIDE,
    CIFAR_RECORD = 1 + 3 * CIFAR_PLANE, /* 3073 bytes: label, R, G, B */
    STL_SIDE = 96,
    STL_PLANE = STL_SIDE * STL_SIDE,
    STL_IMAGE = 3 * STL_PLANE, /* 27648 bytes */
    N_CLASS_10 = 10,
    PATH_BUF = 4096,
    GZ_BUFFER = 1 << 20,
    GZ_CHUNK = 1 << 26, /* bytes per gzread call; gzread takes an unsigned int */
};

/* No data set may hold more pixel bytes than this: IDX headers are checked
 * against it before allocating, so a corrupt header cannot ask for 2^96
 * bytes. */
static const uint64_t max_pixel_bytes = (uint64_t)1 << 31;

static void dataset_clear(struct nn_dataset *ds)
{
    free(ds->x);
    free(ds->y);
    memset(ds, 0, sizeof *ds);
}

/* ---- gzip-or-plain reading (IDX) ---------------------------------------- */

static enum nn_status gz_open(gzFile *f, const char *path, struct nn_error *err)
{
    FILE *file;
    *f = NULL;
    enum nn_status s = nn_file_open_read(path, &file, err);
    if (s != NN_OK)
        return s;
    errno = 0;
    int fd = dup(fileno(file));
    fclose(file);
    *f = fd >= 0 ? gzdopen(fd, "rb") : NULL;
    if (!*f) {
        if (fd >= 0)
            close(fd);
        return nn_fail(err, NN_ERR_IO, "%s: cannot open: %s", path,
                       errno ? strerror(errno) : "out of memory");
    }
    gzbuffer(*f, GZ_BUFFER);
    return NN_OK;
}

/* Reads up to size bytes, stopping early only at the end of the data
 * (including a gzip stream cut short); *got tells how many arrived. A read
 * error or corrupt gzip data is a failure. */
static enum nn_status gz_read_full(gzFile f, const char *path, uint8_t *buf, size_t size,
                                   size_t *got, struct nn_error *err)
{
    *got = 0;
    while (*got < size) {
        size_t want = size - *got;
        unsigned chunk = want > GZ_CHUNK ? GZ_CHUNK : (unsigned)want;
        int r = gzread(f, buf + *got, chunk);
        if (r < 0) {
            int code;
            const char *what = gzerror(f, &code);
            if (code == Z_BUF_ERROR) /* stream cut short: a truncation */
                return NN_OK;
            if (code == Z_ERRNO)
                return nn_fail(err, NN_ERR_IO, "%s: read error: %s", path, strerror(errno));
            /* zlib prefixes its message with the path; say it only once. */
            size_t len = strlen(path);
            if (strncmp(what, path, len) == 0 && strncmp(what + len, ": ", 2) == 0)
                what += len + 2;
            return nn_fail(err, NN_ERR_FORMAT, "%s: corrupt gzip data: %s", path, what);
        }
        if (r == 0)
            return NN_OK;
        *got += (size_t)r;
    }
    return NN_OK;
}

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Reads a header of n_words big-endian 32-bit words and checks its magic.
 * The magic is checked as soon as its 4 bytes are in, so a file of the
 * other IDX kind reports "bad magic" rather than a short header. */
static enum nn_status idx_read_header(gzFile f, const char *path, uint32_t magic,
                                      const char *kind, uint32_t *words, int n_words,
                                      struct nn_error *err)
{
    uint8_t raw[16];
    size_t size = (size_t)n_words * 4, got, got_rest;
    assert(n_words <= 4);
    enum nn_status s = gz_read_full(f, path, raw, 4, &got, err);
    if (s != NN_OK)
        return s;
    if (got == 4 && load_be32(raw) != magic)
        return nn_fail(err, NN_ERR_FORMAT, "%s: bad magic 0x%08x, expected 0x%08x (%s)", path,
                       (unsigned)load_be32(raw), (unsigned)magic, kind);
    s = gz_read_full(f, path, raw + got, size - got, &got_rest, err);
    if (s != NN_OK)
        return s;
    got += got_rest;
    if (got < size)
        return nn_fail(err, NN_ERR_FORMAT,
                       "%s: truncated header: file holds %zu bytes, expected %zu (%s header)",
                       path, got, size, kind);
    for (int i = 0; i < n_words; i++)
        words[i] = load_be32(raw + 4 * i);
    return NN_OK;
}

/* The image file: fills ds->n, h, w, c and ds->x. */
static enum nn_status idx_load_images(struct nn_dataset *ds, const char *path,
                                      struct nn_error *err)
{
    gzFile f;
    enum nn_status s = gz_open(&f, path, err);
    if (s != NN_OK)
        return s;
    uint32_t hdr[4];
    s = idx_read_header(f, path, IDX_IMAGE_MAGIC, "IDX image file", hdr, 4, err);
    if (s != NN_OK)
        goto done;
    uint64_t n = hdr[1], rows = hdr[2], cols = hdr[3];
    if (n == 0 || rows == 0 || cols == 0) {
        s = nn_fail(err, NN_ERR_FORMAT,
                    "%s: header says %llu images of %llux%llu, expected a non-empty set", path,
                    (unsigned long long)n, (unsigned long long)rows, (unsigned long long)cols);
        goto done;
    }
    /* rows * cols < 2^64 always; the division test keeps n * rows * cols from
     * overflowing. */
    uint64_t image_bytes = rows * cols;
    if (image_bytes > max_pixel_bytes || n > max_pixel_bytes / image_bytes) {
        s = nn_fail(err, NN_ERR_FORMAT,
                    "%s: header says %llu images of %llux%llu, more than the %llu-byte limit",
                    path, (unsigned long long)n, (unsigned long long)rows,
                    (unsigned long long)cols, (unsigned long long)max_pixel_bytes);
        goto done;
    }
    size_t total = (size_t)(n * image_bytes), got;
    ds->x = malloc(total);
    if (!ds->x) {
        s = nn_fail(err, NN_ERR_NOMEM, "%s: cannot allocate %zu bytes for the images", path,
                    total);
        goto done;
    }
    s = gz_read_full(f, path, ds->x, total, &got, err);
    if (s != NN_OK)
        goto done;
    if (got < total) {
        s = nn_fail(err, NN_ERR_FORMAT,
                    "%s: truncated: header says %llu images of %llux%llu, file holds %llu of them",
                    path, (unsigned long long)n, (unsigned long long)rows,
                    (unsigned long long)cols, (unsigned long long)(got / image_bytes));
        goto done;
    }
    ds->n = (int)n;
    ds->h = (int)rows;
    ds->w = (int)cols;
    ds->c = 1;
done:
    gzclose(f);
    return s;
}

/* The label file: its count must match ds->n (already loaded). Fills ds->y. */
static enum nn_status idx_load_labels(struct nn_dataset *ds, const char *images_path,
                                      const char *path, struct nn_error *err)
{
    gzFile f;
    enum nn_status s = gz_open(&f, path, err);
    if (s != NN_OK)
        return s;
    uint32_t hdr[2] = {0};
    s = idx_read_header(f, path, IDX_LABEL_MAGIC, "IDX label file", hdr, 2, err);
    if (s != NN_OK)
        goto done;
    if (hdr[1] != (uint32_t)ds->n) {
        s = nn_fail(err, NN_ERR_FORMAT, "%s: image count %d does not match label count %lu in %s",
                    images_path, ds->n, (unsigned long)hdr[1], path);
        goto done;
    }
    size_t total = (size_t)ds->n, got;
    ds->y = malloc(total);
    if (!ds->y) {
        s = nn_fail(err, NN_ERR_NOMEM, "%s: cannot allocate %zu bytes for the labels", path,
                    total);
        goto done;
    }
    s = gz_read_full(f, path, ds->y, total, &got, err);
    if (s != NN_OK)
        goto done;
    if (got < total) {
        s = nn_fail(err, NN_ERR_FORMAT, "%s: truncated: header says %d labels, file holds %zu",
                    path, ds->n, got);
        goto done;
    }
    for (size_t i = 0; i < total; i++) {
        if (ds->y[i] >= IDX_N_CLASS) {
            s = nn_fail(err, NN_ERR_FORMAT, "%s: label %d at index %zu is out of range 0..%d",
                        path, ds->y[i], i, IDX_N_CLASS - 1);
            goto done;
        }
    }
    ds->n_class = IDX_N_CLASS;
done:
    gzclose(f);
    return s;
}

enum nn_status nn_data_load_idx(struct nn_dataset *ds, const char *images_path,
                                const char *labels_path, struct nn_error *err)
{
    assert(ds && images_path && labels_path);
    memset(ds, 0, sizeof *ds);
    enum nn_status s = idx_load_images(ds, images_path, err);
    if (s == NN_OK)
        s = idx_load_labels(ds, images_path, labels_path, err);
    if (s != NN_OK)
        dataset_clear(ds);
    return s;
}

/* dir/name.gz if it exists, else dir/name (whose absence the loader reports). */
static enum nn_status idx_dir_path(char *buf, const char *dir, const char *name,
                                   struct nn_error *err)
{
    int len = snprintf(buf, PATH_BUF, "%s/%s.gz", dir, name);
    if (len < 0 || len >= PATH_BUF)
        return nn_fail(err, NN_ERR_ARG, "%s: path too long (limit %d bytes)", dir, PATH_BUF - 1);
    if (access(buf, F_OK) != 0)
        buf[len - 3] = '\0';
    return NN_OK;
}

enum nn_status nn_data_load_idx_dir(struct nn_dataset *ds, const char *dir,
                                    enum nn_split split, struct nn_error *err)
{
    assert(ds && dir);
    memset(ds, 0, sizeof *ds);
    const char *prefix = split == NN_SPLIT_TRAIN ? "train" : "t10k";
    char name[64], images[PATH_BUF], labels[PATH_BUF];
    enum nn_status s;
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    if ((s = idx_dir_path(images, dir, name, err)) != NN_OK)
        return s;
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    if ((s = idx_dir_path(labels, dir, name, err)) != NN_OK)
        return s;
    return nn_data_load_idx(ds, images, labels, err);
}

/* ---- plain binary files (CIFAR-10, STL-10) ------------------------------ */

/* Opens a regular file and tells its size in bytes. */
static enum nn_status bin_open(FILE **f, const char *path, uint64_t *size, struct nn_error *err)
{
    *size = 0;
    enum nn_status s = nn_file_open_read(path, f, err);
    if (s != NN_OK)
        return s;
    struct stat st;
    if (fstat(fileno(*f), &st) != 0) {
        fclose(*f);
        *f = NULL;
        return nn_fail(err, NN_ERR_IO, "%s: cannot read its size", path);
    }
    *size = (uint64_t)st.st_size;
    return NN_OK;
}

static enum nn_status bin_read(FILE *f, const char *path, void *buf, size_t size,
                               struct nn_error *err)
{
    size_t got = fread(buf, 1, size, f);
    if (got == size)
        return NN_OK;
    if (ferror(f))
        return nn_fail(err, NN_ERR_IO, "%s: read error: %s", path, strerror(errno));
    return nn_fail(err, NN_ERR_FORMAT, "%s: truncated: file shrank while being read", path);
}

/* Allocates x and y for n images of h x w x c. */
static enum nn_status dataset_alloc(struct nn_dataset *ds, int n, int h, int w, int c,
                                    int n_class, const char *what, struct nn_error *err)
{
    size_t bytes = (size_t)n * (size_t)h * (size_t)w * (size_t)c;
    ds->x = malloc(bytes);
    ds->y = malloc((size_t)n);
    if (!ds->x || !ds->y) {
        dataset_clear(ds);
        return nn_fail(err, NN_ERR_NOMEM, "%s: cannot allocate %zu bytes for %d images", what,
                       bytes, n);
    }
    ds->n = n;
    ds->h = h;
    ds->w = w;
    ds->c = c;
    ds->n_class = n_class;
    return NN_OK;
}

/* Reads one CIFAR-10 file of n records into images [first, first + n). */
static enum nn_status cifar_read_file(struct nn_dataset *ds, const char *path, FILE *f,
                                      int first, int n, struct nn_error *err)
{
    uint8_t rec[CIFAR_RECORD];
    for (int i = 0; i < n; i++) {
        enum nn_status s = bin_read(f, path, rec, sizeof rec, err);
        if (s != NN_OK)
            return s;
        if (rec[0] >= N_CLASS_10)
            return nn_fail(err, NN_ERR_FORMAT,
                           "%s: label %d in record %d is out of range 0..%d", path, rec[0], i,
                           N_CLASS_10 - 1);
        ds->y[first + i] = rec[0];
        uint8_t *out = ds->x + (size_t)(first + i) * 3 * CIFAR_PLANE;
        for (int p = 0; p < CIFAR_PLANE; p++)
            for (int ch = 0; ch < 3; ch++)
                out[3 * p + ch] = rec[1 + ch * CIFAR_PLANE + p];
    }
    return NN_OK;
}

enum nn_status nn_data_load_cifar10(struct nn_dataset *ds, const char *const *paths,
                                    int n_paths, struct nn_error *err)
{
    assert(ds && (paths || n_paths == 0));
    memset(ds, 0, sizeof *ds);
    if (n_paths < 1)
        return nn_fail(err, NN_ERR_ARG, "CIFAR-10: no files given, expected at least one");
    /* Sizes first, so one allocation holds every file. */
    uint64_t n_total = 0;
    for (int k = 0; k < n_paths; k++) {
        FILE *f;
        uint64_t size = 0;
        enum nn_status s = bin_open(&f, paths[k], &size, err);
        if (s != NN_OK)
            return s;
        fclose(f);
        if (size == 0 || size % CIFAR_RECORD != 0)
            return nn_fail(err, NN_ERR_FORMAT,
                           "%s: size %llu bytes is not a positive multiple of %d "
                           "(CIFAR-10 record: 1 label byte + 3072 pixel bytes)",
                           paths[k], (unsigned long long)size, CIFAR_RECORD);
        n_total += size / CIFAR_RECORD;
    }
    if (n_total > INT_MAX)
        return nn_fail(err, NN_ERR_FORMAT, "%s: %llu CIFAR-10 records in all, more than %d",
                       paths[0], (unsigned long long)n_total, INT_MAX);
    enum nn_status s = dataset_alloc(ds, (int)n_total, CIFAR_SIDE, CIFAR_SIDE, 3, N_CLASS_10,
                                     paths[0], err);
    if (s != NN_OK)
        return s;
    int first = 0;
    for (int k = 0; k < n_paths && s == NN_OK; k++) {
        FILE *f;
        uint64_t size = 0;
        s = bin_open(&f, paths[k], &size, err);
        if (s != NN_OK)
            break;
        int n = (int)(size / CIFAR_RECORD);
        if (first + (uint64_t)n > n_total)
            s = nn_fail(err, NN_ERR_FORMAT, "%s: file grew while being read", paths[k]);
        else
            s = cifar_read_file(ds, paths[k], f, first, n, err);
        first += n;
        fclose(f);
    }
    if (s == NN_OK && (uint64_t)first != n_total)
        s = nn_fail(err, NN_ERR_FORMAT, "%s: files changed while being read", paths[0]);
    if (s != NN_OK)
        dataset_clear(ds);
    return s;
}

/* Reorders one STL-10 image in place: from [channel][column][row] to
 * [row][column][channel]. */
static void stl_reorder(uint8_t *img, uint8_t *tmp)
{
    memcpy(tmp, img, STL_IMAGE);
    for (int ch = 0; ch < 3; ch++)
        for (int col = 0; col < STL_SIDE; col++)
            for (int row = 0; row < STL_SIDE; row++)
                img[(row * STL_SIDE + col) * 3 + ch] = tmp[ch * STL_PLANE + col * STL_SIDE + row];
}

enum nn_status nn_data_load_stl10(struct nn_dataset *ds, const char *images_path,
                                  const char *labels_path, struct nn_error *err)
{
    assert(ds && images_path && labels_path);
    memset(ds, 0, sizeof *ds);
    FILE *fi = NULL, *fl = NULL;
    uint64_t isize, lsize;
    uint8_t *tmp = NULL;
    enum nn_status s = bin_open(&fi, images_path, &isize, err);
    if (s != NN_OK)
        return s;
    s = bin_open(&fl, labels_path, &lsize, err);
    if (s != NN_OK)
        goto done;
    if (isize == 0 || isize % STL_IMAGE != 0) {
        s = nn_fail(err, NN_ERR_FORMAT,
                    "%s: size %llu bytes is not a positive multiple of %d (one 3x96x96 STL-10 image)",
                    images_path, (unsigned long long)isize, STL_IMAGE);
        goto done;
    }
    uint64_t n = isize / STL_IMAGE;
    if (lsize != n) {
        s = nn_fail(err, NN_ERR_FORMAT, "%s: image count %llu does not match label count %llu in %s",
                    images_path, (unsigned long long)n, (unsigned long long)lsize, labels_path);
        goto done;
    }
    if (n > INT_MAX) {
        s = nn_fail(err, NN_ERR_FORMAT, "%s: %llu images, more than %d", images_path,
                    (unsigned long long)n, INT_MAX);
        goto done;
    }
    tmp = malloc(STL_IMAGE);
    if (!tmp) {
        s = nn_fail(err, NN_ERR_NOMEM, "%s: cannot allocate a %d-byte image buffer", images_path,
                    STL_IMAGE);
        goto done;
    }
    s = dataset_alloc(ds, (int)n, STL_SIDE, STL_SIDE, 3, N_CLASS_10, images_path, err);
    if (s != NN_OK)
        goto done;
    if ((s = bin_read(fl, labels_path, ds->y, (size_t)n, err)) != NN_OK)
        goto done;
    for (int i = 0; i < ds->n; i++) {
        if (ds->y[i] < 1 || ds->y[i] > N_CLASS_10) {
            s = nn_fail(err, NN_ERR_FORMAT, "%s: label %d at index %d is out of range 1..%d",
                        labels_path, ds->y[i], i, N_CLASS_10);
            goto done;
        }
        ds->y[i] -= 1;
    }
    if ((s = bin_read(fi, images_path, ds->x, (size_t)n * STL_IMAGE, err)) != NN_OK)
        goto done;
    for (int i = 0; i < ds->n; i++)
        stl_reorder(ds->x + (size_t)i * STL_IMAGE, tmp);
done:
    free(tmp);
    if (fi)
        fclose(fi);
    if (fl)
        fclose(fl);
    if (s != NN_OK)
        dataset_clear(ds);
    return s;
}

/* ---- synthetic ---------------------------------------------------------- */

enum nn_status nn_data_synthetic(struct nn_dataset *ds, int n, int h, int w, int c,
                                 int n_class, uint64_t seed, struct nn_error *err)
{
    assert(ds);
    memset(ds, 0, sizeof *ds);
    if (n < 1 || h < 1 || w < 1 || c < 1)
        return nn_fail(err, NN_ERR_ARG,
                       "synthetic data set: %d images of %dx%dx%d, expected positive sizes", n, h,
                       w, c);
    if (n_class < 1 || n_class > 256)
        return nn_fail(err, NN_ERR_ARG, "synthetic data set: %d classes, expected 1..256",
                       n_class);
    uint64_t image_bytes = (uint64_t)h * (uint64_t)w * (uint64_t)c;
    if (image_bytes > max_pixel_bytes || (uint64_t)n > max_pixel_bytes / image_bytes)
        return nn_fail(err, NN_ERR_ARG,
                       "synthetic data set: %d images of %dx%dx%d, more than the %llu-byte limit",
                       n, h, w, c, (unsigned long long)max_pixel_bytes);
    /* Prototypes are blocky (cells of about 1/7 of the image side) so that
     * small convolutional nets with pooling separate them as easily as
     * linear models do. Noise is integer (a sum of four 6-bit uniforms, std
     * about 37) so the bytes do not depend on the platform's libm. */
    size_t proto_bytes = (size_t)n_class * (size_t)image_bytes;
    uint8_t *proto = malloc(proto_bytes);
    int *order = malloc((size_t)n * sizeof *order);
    enum nn_status s = NN_OK;
    if (!proto || !order) {
        s = nn_fail(err, NN_ERR_NOMEM, "synthetic data set: cannot allocate %zu bytes",
                    proto_bytes + (size_t)n * sizeof *order);
        goto done;
    }
    s = dataset_alloc(ds, n, h, w, c, n_class, "synthetic data set", err);
    if (s != NN_OK)
        goto done;

    uint64_t rng = seed;
    int cell = (h < w ? h : w) / 7;
    if (cell < 1)
        cell = 1;
    int grid_h = (h + cell - 1) / cell, grid_w = (w + cell - 1) / cell;
    for (int k = 0; k < n_class; k++) {
        uint8_t *p = proto + (size_t)k * image_bytes;
        for (int gy = 0; gy < grid_h; gy++)
            for (int gx = 0; gx < grid_w; gx++)
                for (int ch = 0; ch < c; ch++) {
                    uint8_t v = (uint8_t)(nn_rng_next(&rng) >> 56);
                    for (int i = gy * cell; i < h && i < (gy + 1) * cell; i++)
                        for (int j = gx * cell; j < w && j < (gx + 1) * cell; j++)
                            p[((size_t)i * w + j) * c + ch] = v;
                }
    }
    for (int i = 0; i < n; i++)
        order[i] = i % n_class;
    nn_rng_shuffle(order, n, &rng);
    for (int i = 0; i < n; i++) {
        ds->y[i] = (uint8_t)order[i];
        const uint8_t *p = proto + (size_t)order[i] * image_bytes;
        uint8_t *out = ds->x + (size_t)i * image_bytes;
        for (uint64_t q = 0; q < image_bytes; q++) {
            uint64_t r = nn_rng_next(&rng);
            int noise = (int)((r & 63) + ((r >> 16) & 63) + ((r >> 32) & 63) + ((r >> 48) & 63)) - 126;
            int v = p[q] + noise;
            out[q] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
done:
    free(proto);
    free(order);
    if (s != NN_OK)
        dataset_clear(ds);
    return s;
}

/* ---- views, statistics, batches ----------------------------------------- */

struct nn_dataset nn_data_slice(const struct nn_dataset *src, int first, int n)
{
    assert(src && first >= 0 && n >= 0 && first <= src->n - n);
    size_t image_bytes = (size_t)src->h * (size_t)src->w * (size_t)src->c;
    struct nn_dataset v = *src;
    v.n = n;
    v.x = src->x + (size_t)first * image_bytes;
    v.y = src->y + first;
    return v;
}

void nn_data_free(struct nn_dataset *ds)
{
    if (ds)
        dataset_clear(ds);
}

void nn_data_channel_stats(const struct nn_dataset *ds, float *mean, float *std)
{
    assert(ds && mean && std);
    size_t pixels = (size_t)ds->n * (size_t)ds->h * (size_t)ds->w;
    const int c = ds->c;
    /* Integer sums are exact: 255^2 * 2^31 pixels fits easily in 64 bits. */
    for (int ch = 0; ch < c; ch++) {
        uint64_t sum = 0, sum_sq = 0;
        const uint8_t *p = ds->x + ch;
        for (size_t q = 0; q < pixels; q++) {
            uint64_t v = p[q * (size_t)c];
            sum += v;
            sum_sq += v * v;
        }
        if (pixels == 0) {
            mean[ch] = 0.0f;
            std[ch] = 1.0f;
            continue;
        }
        double m = (double)sum / (double)pixels / 255.0;
        double var = (double)sum_sq / (double)pixels / (255.0 * 255.0) - m * m;
        double sd = var > 0.0 ? sqrt(var) : 0.0;
        mean[ch] = (float)m;
        /* A constant channel would divide by zero under NN_NORM_MEANSTD;
         * std 1 keeps its inputs finite (and centered). */
        std[ch] = sd > 1e-6 ? (float)sd : 1.0f;
    }
}

/* A uniform integer in [0, bound) from one 64-bit draw (multiply-shift on
 * the top 32 bits; the bias, below bound / 2^32, is immaterial for the
 * small ranges used here). */
static int draw_below(uint64_t *state, int bound)
{
    return (int)(((nn_rng_next(state) >> 32) * (uint64_t)bound) >> 32);
}

void nn_data_batch(const struct nn_dataset *ds, const int *idx, int n,
                   enum nn_norm norm, const float *mean, const float *std,
                   const struct nn_augment *aug, uint64_t *rng_state,
                   float *x, int *y)
{
    assert(ds && idx && x && y && n >= 0);
    assert(norm == NN_NORM_SCALE || (mean && std));
    assert(!aug || (rng_state && aug->crop_pad >= 0));
    const int h = ds->h, w = ds->w, c = ds->c;
    const size_t image_bytes = (size_t)h * w * c;
    /* pixel / 255.0f exactly as the integer export computes it, once per
     * value rather than once per pixel. */
    float scale[256];
    for (int v = 0; v < 256; v++)
        scale[v] = (float)v / 255.0f;

    for (int i = 0; i < n; i++) {
        assert(idx[i] >= 0 && idx[i] < ds->n);
        const uint8_t *src = ds->x + (size_t)idx[i] * image_bytes;
        float *out = x + (size_t)i * image_bytes;
        y[i] = ds->y[idx[i]];

        /* Draws per image, always in this order: dy, dx (if cropping), flip
         * (if flipping). Output (r, j) is the zero-padded input at
         * (r + dy, j' + dx), where j' = w - 1 - j when flipped, else j. */
        int dy = 0, dx = 0, flip = 0;
        if (aug) {
            const int pad = aug->crop_pad;
            if (pad > 0) {
                dy = draw_below(rng_state, 2 * pad + 1) - pad;
                dx = draw_below(rng_state, 2 * pad + 1) - pad;
            }
            if (aug->hflip)
                flip = (int)(nn_rng_next(rng_state) >> 63);
        }

        for (int r = 0; r < h; r++) {
            const int sr = r + dy;
            const int row_in = sr >= 0 && sr < h;
            for (int j = 0; j < w; j++) {
                const int sc = (flip ? w - 1 - j : j) + dx;
                const uint8_t *px =
                    row_in && sc >= 0 && sc < w ? src + ((size_t)sr * w + sc) * c : NULL;
                float *o = out + ((size_t)r * w + j) * c;
                if (norm == NN_NORM_SCALE) {
                    for (int ch = 0; ch < c; ch++)
                        o[ch] = px ? scale[px[ch]] : 0.0f;
                } else {
                    for (int ch = 0; ch < c; ch++)
                        o[ch] = ((px ? scale[px[ch]] : 0.0f) - mean[ch]) / std[ch];
                }
            }
        }
    }
}

/* ---- a data set by kind and folder (the --data and --data-dir options) ---- */

void nn_data_source_default(struct nn_data_source *d)
{
    memset(d, 0, sizeof *d);
    d->kind = "fashion";
    d->synthetic_n = 4096;
}

static void join(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static enum nn_status load_split(const struct nn_data_source *d, enum nn_split split,
                                 struct nn_dataset *ds, struct nn_error *err)
{
    const char *dir = d->dir;
    char a[4096], b[4096];
    if (strcmp(d->kind, "fashion") == 0 || strcmp(d->kind, "idx") == 0) {
        if (!dir && strcmp(d->kind, "idx") == 0)
            return nn_fail(err, NN_ERR_ARG, "--data idx needs --data-dir DIR");
        return nn_data_load_idx_dir(ds, dir ? dir : NN_FASHION_MNIST_DIR, split, err);
    }
    if (strcmp(d->kind, "cifar10") == 0) {
        if (!dir)
            return nn_fail(err, NN_ERR_ARG, "--data cifar10 needs --data-dir DIR");
        char paths[5][4096];
        const char *pp[5];
        int n = 0;
        if (split == NN_SPLIT_TRAIN) {
            for (n = 0; n < 5; n++) {
                char name[32];
                snprintf(name, sizeof name, "data_batch_%d.bin", n + 1);
                join(paths[n], sizeof paths[n], dir, name);
                pp[n] = paths[n];
            }
        } else {
            join(paths[0], sizeof paths[0], dir, "test_batch.bin");
            pp[0] = paths[0];
            n = 1;
        }
        return nn_data_load_cifar10(ds, pp, n, err);
    }
    if (strcmp(d->kind, "stl10") == 0) {
        if (!dir)
            return nn_fail(err, NN_ERR_ARG, "--data stl10 needs --data-dir DIR");
        const char *s = split == NN_SPLIT_TRAIN ? "train" : "test";
        char xn[32], yn[32];
        snprintf(xn, sizeof xn, "%s_X.bin", s);
        snprintf(yn, sizeof yn, "%s_y.bin", s);
        join(a, sizeof a, dir, xn);
        join(b, sizeof b, dir, yn);
        return nn_data_load_stl10(ds, a, b, err);
    }
    if (strcmp(d->kind, "synthetic") == 0) {
        /* one generated set (its class prototypes depend on the seed): the
         * first synthetic_n images train, the next synthetic_n/4 test */
        int n_train = d->synthetic_n, n_test = d->synthetic_n / 4;
        enum nn_status st = nn_data_synthetic(ds, n_train + n_test, 28, 28, 1, 10, 11, err);
        if (st != NN_OK)
            return st;
        if (split == NN_SPLIT_TRAIN) {
            ds->n = n_train;
            return NN_OK;
        }
        size_t img = (size_t)ds->h * ds->w * ds->c;
        memmove(ds->x, ds->x + (size_t)n_train * img, (size_t)n_test * img);
        memmove(ds->y, ds->y + n_train, (size_t)n_test);
        ds->n = n_test;
        return NN_OK;
    }
    return nn_fail(err, NN_ERR_ARG,
                   "--data '%s': expected fashion, idx, cifar10, stl10 or synthetic", d->kind);
}

static void limit(struct nn_dataset *ds, int n)
{
    if (n > 0 && n < ds->n)
        ds->n = n; /* the buffers stay; nn_data_free releases them whole */
}

enum nn_status nn_data_source_load(const struct nn_data_source *d, struct nn_dataset *train,
                             struct nn_dataset *test, struct nn_error *err)
{
    enum nn_status st;
    if (train) {
        st = load_split(d, NN_SPLIT_TRAIN, train, err);
        if (st != NN_OK)
            return st;
        limit(train, d->limit_train);
    }
    if (test) {
        st = load_split(d, NN_SPLIT_TEST, test, err);
        if (st != NN_OK) {
            if (train)
                nn_data_free(train);
            return st;
        }
        limit(test, d->limit_test);
    }
    /* a model trained on one size cannot run the other: say so before training */
    if (train && test &&
        (train->h != test->h || train->w != test->w || train->c != test->c ||
         train->n_class != test->n_class)) {
        st = nn_fail(err, NN_ERR_FORMAT,
                     "%s: the test images are %dx%dx%d in %d classes, the training images "
                     "%dx%dx%d in %d classes (expected the same shape and classes)",
                     d->dir ? d->dir : d->kind, test->h, test->w, test->c, test->n_class,
                     train->h, train->w, train->c, train->n_class);
        nn_data_free(train);
        nn_data_free(test);
        return st;
    }
    return NN_OK;
}
