/* nn/data.h: image data sets, as the raw 8-bit pixels the hardware sees.
 *
 * A data set is held as uint8 pixels in NHWC order (image, row, column,
 * channel) with one uint8 label per image, whatever the file format was:
 * IDX (MNIST / Fashion-MNIST, gzipped or plain), CIFAR-10 binary batches,
 * STL-10 binary files, or the synthetic generator for fast tests.
 *
 *     struct nn_dataset train;
 *     struct nn_error err;
 *     if (nn_data_load_idx_dir(&train, "/usr/share/datasets/fashion-mnist",
 *                              NN_SPLIT_TRAIN, &err) != NN_OK)
 *         fprintf(stderr, "%s\n", err.msg);
 *     ...
 *     nn_data_free(&train);
 *
 * Memory: a loader allocates x and y once; nn_data_free releases them and
 * leaves the struct zeroed. On failure a loader leaves *ds zeroed and owns
 * nothing. Batches are written into caller-owned buffers: nothing here
 * allocates per batch. */
#ifndef LOGIQ_NN_DATA_H
#define LOGIQ_NN_DATA_H

#include <stdint.h>

#include "nn/status.h"

#define NN_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

struct nn_dataset {
    int n;          /* images */
    int h, w, c;    /* image shape: rows, columns, channels */
    int n_class;    /* labels are in [0, n_class) */
    uint8_t *x;     /* [n][h][w][c] pixels */
    uint8_t *y;     /* [n] labels */
};

enum nn_split { NN_SPLIT_TRAIN, NN_SPLIT_TEST };

/* One IDX image file (magic 0x00000803, u8, 3 dims) and its label file
 * (0x00000801, 1 dim); gzipped or plain, told apart by content, not name.
 * Errors name the file: wrong magic, truncated data, count mismatch between
 * images and labels, labels >= n_class (10). */
enum nn_status nn_data_load_idx(struct nn_dataset *ds, const char *images_path,
                                const char *labels_path, struct nn_error *err);

/* The four standard file names of an MNIST-format folder:
 * train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
 * t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]. */
enum nn_status nn_data_load_idx_dir(struct nn_dataset *ds, const char *dir,
                                    enum nn_split split, struct nn_error *err);

/* CIFAR-10 binary batches (records of 1 label byte + 3072 bytes: 1024 R, 1024
 * G, 1024 B, each row-major 32x32), concatenated in the order given. Output is
 * NHWC 32x32x3. A file whose size is not a multiple of 3073 is an error. */
enum nn_status nn_data_load_cifar10(struct nn_dataset *ds, const char *const *paths,
                                    int n_paths, struct nn_error *err);

/* STL-10 binary: images file of 96x96x3 uint8 per image stored channel-major
 * and column-major (as the STL-10 distribution), labels file of one byte per
 * image in 1..10 (mapped to 0..9). Output is NHWC 96x96x3. */
enum nn_status nn_data_load_stl10(struct nn_dataset *ds, const char *images_path,
                                  const char *labels_path, struct nn_error *err);

/* A synthetic, learnable data set: each class has a fixed random prototype
 * image; samples are the prototype plus noise, clipped to 0..255. The same
 * seed gives the same bytes. */
enum nn_status nn_data_synthetic(struct nn_dataset *ds, int n, int h, int w, int c,
                                 int n_class, uint64_t seed, struct nn_error *err);

/* A view of images [first, first + n) of src (no copy; do not free it). */
struct nn_dataset nn_data_slice(const struct nn_dataset *src, int first, int n);

void nn_data_free(struct nn_dataset *ds);

/* Which data set: a kind and its folder (the --data and --data-dir of the
 * commands), with the first images of each split only. */
struct nn_data_source {
    const char *kind;     /* fashion | idx | cifar10 | stl10 | synthetic */
    const char *dir;      /* folder; NULL = the kind's default */
    int limit_train;      /* use only the first N images (0 = all) */
    int limit_test;
    int synthetic_n;      /* synthetic: training images (the test split has n/4) */
};

/* kind fashion, no folder, no limits, 4096 synthetic training images. */
void nn_data_source_default(struct nn_data_source *d);
/* Loads the training split and the test split of d; either pointer may be
 * NULL to skip that split. Both loaded: NN_ERR_FORMAT unless they have the
 * same image shape and classes. */
enum nn_status nn_data_source_load(const struct nn_data_source *d, struct nn_dataset *train,
                                   struct nn_dataset *test, struct nn_error *err);

/* How pixels become the network's float input. */
enum nn_norm {
    NN_NORM_SCALE,   /* x = pixel / 255: exact under integer export (default) */
    NN_NORM_MEANSTD, /* x = (pixel/255 - mean_c) / std_c: float training only */
};

struct nn_augment {
    int crop_pad;    /* random crop after zero-padding by this many pixels; 0 = off */
    int hflip;       /* 1 = random horizontal flip with probability 1/2 */
};

/* The per-channel mean and std of pixel/255 over the whole set (for
 * NN_NORM_MEANSTD). mean and std have ds->c entries. */
void nn_data_channel_stats(const struct nn_dataset *ds, float *mean, float *std);

/* Fills x [n][h][w][c] (float) and y [n] with images idx[0..n) of ds,
 * normalized and, if aug is not NULL, augmented with random numbers drawn
 * from *rng_state (a splitmix64 state, advanced). mean/std are used only for
 * NN_NORM_MEANSTD. No allocation. */
void nn_data_batch(const struct nn_dataset *ds, const int *idx, int n,
                   enum nn_norm norm, const float *mean, const float *std,
                   const struct nn_augment *aug, uint64_t *rng_state,
                   float *x, int *y);

/* The project's one small PRNG (splitmix64), so every part draws the same
 * way: returns the next 64 bits and advances *state. */
uint64_t nn_rng_next(uint64_t *state);
/* Uniform in [0, 1) with 24 random bits. */
float nn_rng_uniform(uint64_t *state);
/* Standard normal (Box-Muller on two uniforms). */
float nn_rng_normal(uint64_t *state);
/* Fisher-Yates shuffle of idx[0..n). */
void nn_rng_shuffle(int *idx, int n, uint64_t *state);

#endif
