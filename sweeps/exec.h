/* sweeps/exec.h: the local executor: child processes that cannot take the
 * sweep down with them.
 *
 * Each job is a process (fork + exec) with its output appended to a log
 * file. A job started with SW_GROUP_NEW leads its own process group, so a
 * timeout kills it with everything it started; every child asks the kernel
 * for SIGKILL when its parent dies (PR_SET_PDEATHSIG), so a runner killed
 * with kill -9 leaves no orphan still computing or writing.
 *
 *     struct sw_pool_opts o = {.n_jobs = 12, .parallel = 2, .timeout_s = 600,
 *                              .argv = my_argv, .on_end = my_end, .ctx = me};
 *     sw_pool_run(&o, &err);
 *
 * Memory: none kept; argv arrays belong to the caller. */
#ifndef LOGIQ_SW_EXEC_H
#define LOGIQ_SW_EXEC_H

#include <signal.h>
#include <sys/types.h>

#include "sweeps/status.h"

enum sw_group { SW_GROUP_SAME, SW_GROUP_NEW };

struct sw_proc {
    pid_t pid;
    double t0;          /* start, seconds (monotonic) */
    enum sw_group group;
};

enum sw_end_kind {
    SW_END_EXIT,        /* exited with code */
    SW_END_SIGNAL,      /* killed by signal `code` */
    SW_END_TIMEOUT,     /* ran past its timeout and was killed */
};

struct sw_end {
    enum sw_end_kind kind;
    int code;
    double seconds;
};

/* Monotonic seconds. */
double sw_now(void);

/* Starts argv[0] (a path) with stdin from /dev/null and stdout and stderr
 * appended to log_path (NULL: inherited). */
enum sw_status sw_proc_spawn(struct sw_proc *p, char *const argv[], const char *log_path,
                             enum sw_group group, struct sw_error *err);
/* Non-blocking: 1 and *end filled when the process has ended, else 0. */
int sw_proc_poll(struct sw_proc *p, struct sw_end *end);
/* Blocks until the process ends. */
void sw_proc_wait(struct sw_proc *p, struct sw_end *end);
/* SIGKILL to the process (and its group, if it leads one). */
void sw_proc_kill(struct sw_proc *p);

/* How sw_run_capture treats the child's output. */
enum sw_capture_flags {
    SW_CAP_STDERR = 1,        /* its standard error into out too (else inherited) */
    SW_CAP_QUIET_STDERR = 2,  /* its standard error to /dev/null */
    SW_CAP_KEEP_TAIL = 4,     /* out keeps the newest output when it fills (else the first) */
};

/* Runs argv[0] (a path) with argv, no shell, in dir (NULL: here), stdin
 * from /dev/null, and waits for it: its standard output into out
 * (NUL-terminated, at most size - 1 bytes; flags as above). Returns its exit
 * code, 128 + the signal that killed it, or -1 when it could not be started
 * (errno set; an execv failure is exit code 127, a chdir failure 126). */
int sw_run_capture(char *const argv[], const char *dir, int flags, char *out, size_t size);

/* Runs jobs 0..n_jobs-1, `parallel` at a time. */
struct sw_pool_opts {
    int n_jobs;
    int parallel;
    double timeout_s;   /* per job, 0 = none */
    /* job i's command (NULL-terminated) and log file; return non-zero to
     * skip the job (on_end is not called) */
    int (*argv)(void *ctx, int i, char ***argv, const char **log_path);
    void (*on_start)(void *ctx, int i);
    void (*on_end)(void *ctx, int i, const struct sw_end *end);
    /* called about 10 times a second with the count of running jobs */
    void (*on_tick)(void *ctx, int running);
    void *ctx;
    /* set (e.g. by a signal handler) to stop: running jobs are killed and
     * reported to on_stopped, not to on_end */
    volatile sig_atomic_t *stop;
    void (*on_stopped)(void *ctx, int i);
};

/* SW_OK when every job ran (whatever their ends) or the pool was stopped;
 * SW_ERR_PROC if a job could not be started (the running ones are waited
 * for first). */
enum sw_status sw_pool_run(const struct sw_pool_opts *o, struct sw_error *err);

/* The last non-empty line of a text file (a child's log; of a progress line
 * redrawn with \r, its last part), "" if none. */
void sw_last_line(const char *path, char *buf, size_t size);

/* mkdir -p path (mode 0755): 0, or -1 with errno set. */
int sw_mkdirs(const char *path);

#endif
