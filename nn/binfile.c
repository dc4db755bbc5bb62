/* nn/binfile.c: CRC-32, whole-file reads and atomic writes (binfile.h). */
#include "nn/binfile.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

uint32_t nn_crc32(const uint8_t *p, uint64_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)c;
}

enum nn_status nn_file_open_read(const char *path, FILE **out, struct nn_error *err)
{
    *out = NULL;
    /* O_NONBLOCK: opening a FIFO without a writer returns at once */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return nn_fail(err, NN_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return nn_fail(err, NN_ERR_IO, "%s: cannot open (%s)", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return nn_fail(err, NN_ERR_IO, "%s: %s, not a regular file (expected a file)", path,
                       S_ISDIR(sb.st_mode)                          ? "a folder"
                       : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device"
                       : S_ISFIFO(sb.st_mode)                       ? "a FIFO"
                                                                    : "a special file");
    }
    int flags = fcntl(fd, F_GETFL);
    FILE *f = NULL;
    if (flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0)
        f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        return nn_fail(err, NN_ERR_IO, "%s: cannot open (%s)", path, strerror(e));
    }
    *out = f;
    return NN_OK;
}

enum nn_status nn_file_read_all(const char *path, uint8_t **out, uint64_t *size,
                                struct nn_error *err)
{
    FILE *f;
    enum nn_status os = nn_file_open_read(path, &f, err);
    if (os != NN_OK)
        return os;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            uint8_t *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    enum nn_status s = NN_OK;
    if (!buf)
        s = nn_fail(err, NN_ERR_NOMEM, "%s: out of memory reading the file", path);
    else if (ferror(f))
        s = nn_fail(err, NN_ERR_IO, "%s: cannot read (%s)", path, strerror(errno));
    fclose(f);
    if (s != NN_OK) {
        free(buf);
        return s;
    }
    *out = buf;
    *size = n;
    return NN_OK;
}

const char *nn_path_dir(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, size, ".");
    else if (slash == path)
        snprintf(dir, size, "/");
    else
        snprintf(dir, size, "%.*s", (int)(slash - path), path);
    return slash ? slash + 1 : path;
}

/* Fsyncs the folder holding path so the rename itself is durable (best effort). */
static void sync_parent(const char *path)
{
    char dir[4096];
    nn_path_dir(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Removes PATH.tmp.PID files that a writer killed before its rename left
 * behind: those of a process that no longer runs, at least a minute old
 * (a writer on another machine sharing the folder has its minute). */
static void remove_stale_tmp(const char *path)
{
    char pattern[4200];
    if (snprintf(pattern, sizeof pattern, "%s.tmp.*", path) >= (int)sizeof pattern)
        return;
    glob_t g;
    if (glob(pattern, GLOB_NOSORT | GLOB_NOESCAPE, NULL, &g) != 0)
        return;
    size_t plen = strlen(path) + 5;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *pid_s = g.gl_pathv[i] + plen;
        char *end;
        long pid = strtol(pid_s, &end, 10);
        struct stat sb;
        if (*end || pid <= 0 || pid == (long)getpid() || stat(g.gl_pathv[i], &sb) != 0 ||
            !S_ISREG(sb.st_mode) || time(NULL) - sb.st_mtime < 60)
            continue;
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            remove(g.gl_pathv[i]);
    }
    globfree(&g);
}

enum nn_status nn_file_write_atomic(const char *path, const uint8_t *buf, uint64_t size,
                                    struct nn_error *err)
{
    remove_stale_tmp(path);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return nn_fail(err, NN_ERR_IO, "%s: path too long", path);
    int saved = 0;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        saved = errno;
    } else {
        if (fwrite(buf, 1, (size_t)size, f) != (size_t)size || fflush(f) != 0 ||
            fsync(fileno(f)) != 0)
            saved = errno ? errno : EIO;
        if (fclose(f) != 0 && !saved)
            saved = errno ? errno : EIO;
        if (!saved && rename(tmp, path) != 0)
            saved = errno ? errno : EIO;
        if (saved)
            remove(tmp);
    }
    if (saved)
        return nn_fail(err, NN_ERR_WRITE, "%s: cannot write (%s)", path, strerror(saved));
    sync_parent(path);
    return NN_OK;
}
