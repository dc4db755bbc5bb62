/* reports/gnuplot.c: gnuplot as a child process (gnuplot.h), run by
 * sw_run_capture (sweeps/exec.h): an argument vector, no shell, so no
 * quoting of paths; its output (stdout and stderr) comes back through a
 * pipe, of which the last 8 KB are kept to name the error. */
#include "reports/gnuplot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweeps/exec.h"

enum { OUT_KEEP = 8192 };

/* The executable prog names: itself when it holds a '/', else the first on
 * PATH. Returns 0, or -1 when there is none. */
static int find_prog(const char *prog, char *out, size_t size)
{
    struct stat sb;
    if (strchr(prog, '/')) {
        snprintf(out, size, "%s", prog);
        return stat(out, &sb) == 0 && S_ISREG(sb.st_mode) && access(out, X_OK) == 0 ? 0 : -1;
    }
    const char *path = getenv("PATH");
    path = path ? path : "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(out, size, "%.*s/%s", (int)n, n ? path : ".", prog);
        if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode) && access(out, X_OK) == 0)
            return 0;
        path += n + (path[n] == ':');
    }
    return -1;
}

/* The line of gnuplot's output that names the error: the first holding
 * `" line N:` (its script and line), else the last non-empty one. */
static void error_line(const char *out, char *line, size_t size)
{
    line[0] = 0;
    const char *s = out;
    while (*s) {
        size_t n = strcspn(s, "\n");
        if (n > 0) {
            snprintf(line, size, "%.*s", (int)n, s);
            const char *l = strstr(line, "\" line ");
            if (l && strchr(l, ':'))
                return;
        }
        s += n + (s[n] == '\n');
    }
}

enum rp_status rp_gnuplot_check(const char *prog, struct rp_error *err)
{
    char path[4096];
    if (find_prog(prog, path, sizeof path) != 0) {
        if (strchr(prog, '/'))
            return rp_fail(err, RP_ERR_GNUPLOT, "%s: gnuplot not found or not executable", prog);
        return rp_fail(err, RP_ERR_GNUPLOT, "%s not found on PATH: install gnuplot (Debian: "
                       "apt-get install gnuplot-nox) or name it with --gnuplot", prog);
    }
    char *out = malloc(OUT_KEEP);
    if (!out)
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    char *argv[] = {path, "-e", "set terminal pngcairo; set terminal svg", NULL};
    int rc = sw_run_capture(argv, NULL, SW_CAP_STDERR | SW_CAP_KEEP_TAIL, out, OUT_KEEP);
    enum rp_status s = RP_OK;
    if (rc != 0) {
        char line[512];
        error_line(out, line, sizeof line);
        s = rp_fail(err, RP_ERR_GNUPLOT, "%s: cannot draw PNG (pngcairo) and SVG figures: %s",
                    path, rc < 0 ? strerror(errno) : line[0] ? line : "exited with an error");
    }
    free(out);
    return s;
}

enum rp_status rp_gnuplot_run(const char *prog, const char *dir, const char *const *scripts,
                              int n, struct rp_error *err)
{
    char path[4096];
    if (find_prog(prog, path, sizeof path) != 0)
        return rp_fail(err, RP_ERR_GNUPLOT, "%s: gnuplot not found", prog);
    char **argv = calloc((size_t)n + 2, sizeof *argv);
    char *out = malloc(OUT_KEEP);
    if (!argv || !out) {
        free(argv);
        free(out);
        return rp_fail(err, RP_ERR_NOMEM, "out of memory");
    }
    argv[0] = path;
    for (int i = 0; i < n; i++)
        argv[i + 1] = (char *)scripts[i];
    int rc = sw_run_capture(argv, dir, SW_CAP_STDERR | SW_CAP_KEEP_TAIL, out, OUT_KEEP);
    enum rp_status s = RP_OK;
    if (rc != 0) {
        char line[512];
        error_line(out, line, sizeof line);
        s = rp_fail(err, RP_ERR_GNUPLOT, "gnuplot in %s %s: %s", dir,
                    rc < 0 ? "could not start" : "failed",
                    rc < 0 ? strerror(errno) : line[0] ? line : "exited with an error");
    }
    free(argv);
    free(out);
    return s;
}
