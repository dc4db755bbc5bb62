/* nn/binfile.h: what logiq's binary files (the .qnn model, the .lqc
 * checkpoint) share: little-endian fields, the zlib CRC-32 of a buffer of any
 * size, reading a whole file, and writing one atomically (a temporary file,
 * fsync, rename, then the folder's fsync), so a reader sees the old file or
 * the new one, never a part.
 *
 *     uint8_t *buf; uint64_t n;
 *     if (nn_file_read_all(path, &buf, &n, &err) != NN_OK) ... err.msg
 *     ... nn_crc32(buf, n - 4) == nn_get_u32(buf + n - 4) ...
 *     free(buf);
 *     st = nn_file_write_atomic(path, out, size, &err);
 *
 * Errors name the file ("PATH: cannot open (No such file or directory)").
 * Memory: nn_file_read_all allocates *out (free it). */
#ifndef LOGIQ_NN_BINFILE_H
#define LOGIQ_NN_BINFILE_H

#include <stdint.h>
#include <stdio.h>

#include "nn/status.h"

static inline void nn_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t nn_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The CRC-32 (zlib's) of p[0..n). */
uint32_t nn_crc32(const uint8_t *p, uint64_t n);

/* Opens path for reading if it is a regular file. A folder, a device
 * (/dev/zero), a FIFO or a socket is refused (NN_ERR_IO, "PATH: a folder,
 * not a regular file"), without blocking on a FIFO that has no writer:
 * every input file of logiq is read through here. */
enum nn_status nn_file_open_read(const char *path, FILE **out, struct nn_error *err);

/* Reads the whole (regular) file into a fresh buffer. */
enum nn_status nn_file_read_all(const char *path, uint8_t **out, uint64_t *size,
                                struct nn_error *err);

/* The folder of path ("." for a bare name, "/" for a file of the root) into
 * dir; returns path's last component. */
const char *nn_path_dir(const char *path, char *dir, size_t size);

/* Writes buf[0..size) to path atomically (PATH.tmp.PID, fsync, rename).
 * On failure (a full disk, a read-only folder) the temporary file is
 * removed and path is left as it was. A PATH.tmp.PID left by a writer that
 * was killed (its process gone, the file a minute old) is removed. */
enum nn_status nn_file_write_atomic(const char *path, const uint8_t *buf, uint64_t size,
                                    struct nn_error *err);

#endif
