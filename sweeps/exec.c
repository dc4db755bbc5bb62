/* sweeps/exec.c: child processes and the job pool (exec.h). Linux: the
 * parent-death signal is prctl(PR_SET_PDEATHSIG). */
#define _GNU_SOURCE
#include "sweeps/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double sw_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int sw_run_capture(char *const argv[], const char *dir, int flags, char *out, size_t size)
{
    out[0] = 0;
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    fflush(NULL);  /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fd[0]);
        close(fd[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            if (flags & SW_CAP_QUIET_STDERR)
                dup2(null, 2);
        }
        dup2(fd[1], 1);
        if (flags & SW_CAP_STDERR)
            dup2(fd[1], 2);
        close(fd[0]);
        close(fd[1]);
        if (dir && chdir(dir) != 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    size_t len = 0;
    char buf[4096];
    for (;;) {
        ssize_t got = read(fd[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        for (ssize_t i = 0; i < got; i++) {
            if (len == size - 1) {
                if (!(flags & SW_CAP_KEEP_TAIL))
                    break;  /* keep the first bytes; read on to the end */
                const size_t half = (size - 1) / 2;  /* keep the newer half */
                memmove(out, out + (size - 1 - half), half);
                len = half;
            }
            out[len++] = buf[i];
        }
    }
    out[len] = 0;
    close(fd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

enum sw_status sw_proc_spawn(struct sw_proc *p, char *const argv[], const char *log_path,
                             enum sw_group group, struct sw_error *err)
{
    memset(p, 0, sizeof *p);
    int fd = -1;
    if (log_path) {
        fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            return sw_fail(err, SW_ERR_IO, "%s: cannot open: %s", log_path, strerror(errno));
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return sw_fail(err, SW_ERR_PROC, "%s: cannot fork: %s", argv[0], strerror(e));
    }
    if (pid == 0) {
        /* the child: only async-signal-safe calls until exec */
        if (group == SW_GROUP_NEW)
            setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)   /* the parent died before prctl */
            _exit(127);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, 0);
            close(null);
        }
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        static const char msg[] = "cannot execute the point's program\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(127);
    }
    if (group == SW_GROUP_NEW)
        setpgid(pid, pid);  /* also here: no race with a kill right after */
    if (fd >= 0)
        close(fd);
    p->pid = pid;
    p->t0 = sw_now();
    p->group = group;
    return SW_OK;
}

static void fill_end(const struct sw_proc *p, int status, struct sw_end *end)
{
    end->seconds = sw_now() - p->t0;
    if (WIFEXITED(status)) {
        end->kind = SW_END_EXIT;
        end->code = WEXITSTATUS(status);
    } else {
        end->kind = SW_END_SIGNAL;
        end->code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
}

int sw_proc_poll(struct sw_proc *p, struct sw_end *end)
{
    int status;
    pid_t r = waitpid(p->pid, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR))
        return 0;
    if (r < 0) {  /* not our child any more: report it as gone */
        end->kind = SW_END_SIGNAL;
        end->code = 0;
        end->seconds = sw_now() - p->t0;
        return 1;
    }
    fill_end(p, status, end);
    return 1;
}

void sw_proc_wait(struct sw_proc *p, struct sw_end *end)
{
    int status;
    pid_t r;
    while ((r = waitpid(p->pid, &status, 0)) < 0 && errno == EINTR)
        ;
    if (r < 0) {
        end->kind = SW_END_SIGNAL;
        end->code = 0;
        end->seconds = sw_now() - p->t0;
        return;
    }
    fill_end(p, status, end);
}

void sw_proc_kill(struct sw_proc *p)
{
    if (p->pid <= 0)
        return;
    if (p->group == SW_GROUP_NEW)
        kill(-p->pid, SIGKILL);
    kill(p->pid, SIGKILL);
}

struct slot {
    int job;            /* -1 = free */
    struct sw_proc proc;
    int timed_out;
};

enum sw_status sw_pool_run(const struct sw_pool_opts *o, struct sw_error *err)
{
    int par = o->parallel > 0 ? o->parallel : 1;
    struct slot *slots = calloc((size_t)par, sizeof *slots);
    if (!slots)
        return sw_fail(err, SW_ERR_NOMEM, "out of memory");
    for (int i = 0; i < par; i++)
        slots[i].job = -1;
    enum sw_status status = SW_OK;
    int next = 0, running = 0;
    const struct timespec tick = {0, 100 * 1000 * 1000};
    for (;;) {
        int stopping = o->stop && *o->stop;
        /* start jobs into free slots */
        for (int s = 0; s < par && !stopping && status == SW_OK && next < o->n_jobs; s++) {
            if (slots[s].job >= 0)
                continue;
            while (next < o->n_jobs) {
                char **argv;
                const char *log;
                int job = next++;
                if (o->argv(o->ctx, job, &argv, &log) != 0)
                    continue;
                status = sw_proc_spawn(&slots[s].proc, argv, log, SW_GROUP_NEW, err);
                if (status != SW_OK)
                    break;
                slots[s].job = job;
                slots[s].timed_out = 0;
                running++;
                if (o->on_start)
                    o->on_start(o->ctx, job);
                break;
            }
        }
        if (running == 0 && (stopping || status != SW_OK || next >= o->n_jobs))
            break;
        nanosleep(&tick, NULL);
        stopping = o->stop && *o->stop;
        for (int s = 0; s < par; s++) {
            struct slot *sl = &slots[s];
            if (sl->job < 0)
                continue;
            if (stopping && !sl->timed_out) {
                sw_proc_kill(&sl->proc);
                sl->timed_out = -1;  /* stopped, not timed out */
            } else if (!sl->timed_out && o->timeout_s > 0 &&
                       sw_now() - sl->proc.t0 > o->timeout_s) {
                sw_proc_kill(&sl->proc);
                sl->timed_out = 1;
            }
            struct sw_end end;
            if (!sw_proc_poll(&sl->proc, &end))
                continue;
            /* the rest of its group too (a grandchild left behind) */
            kill(-sl->proc.pid, SIGKILL);
            if (sl->timed_out > 0) {
                end.kind = SW_END_TIMEOUT;
                end.code = 0;
            }
            if (sl->timed_out < 0) {
                if (o->on_stopped)
                    o->on_stopped(o->ctx, sl->job);
            } else if (o->on_end) {
                o->on_end(o->ctx, sl->job, &end);
            }
            sl->job = -1;
            running--;
        }
        if (o->on_tick)
            o->on_tick(o->ctx, running);
    }
    free(slots);
    return status;
}

void sw_last_line(const char *path, char *buf, size_t size)
{
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = 0;
        /* a progress line redrawn with \r: keep its last part */
        char *cr = strrchr(line, '\r');
        const char *l = cr ? cr + 1 : line;
        if (*l)
            sw_fmt(buf, size, "%s", l);
    }
    fclose(f);
}

int sw_mkdirs(const char *path)
{
    char buf[4096];
    sw_fmt(buf, sizeof buf, "%s", path);
    for (char *c = buf + 1; *c; c++)
        if (*c == '/') {
            *c = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -1;
            *c = '/';
        }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}
