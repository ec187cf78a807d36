/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child-run.h"
#include "container-util.h"
#include "log.h"

extern char **environ;

typedef struct OutputStream {
        int fd;
        sd_event_source *source;
        char *data;
        size_t size;
        size_t allocated;
} OutputStream;

struct ChildRun {
        pid_t pid;
        bool exited;
        bool timed_out;
        bool truncated;
        int exit_status;
        int signal;
        size_t output_max;
        size_t output_total;
        OutputStream out[2];            /* stdout, stderr */
        sd_event_source *child_source;
        sd_event_source *timer_source;
        ChildRunTimeoutHook timeout_hook;
        ChildRunHandler handler;
        void *userdata;
};

static void stream_close(OutputStream *s) {
        s->source = sd_event_source_disable_unref(s->source);
        s->fd = safe_close(s->fd);
}

ChildRun *child_run_free(ChildRun *run) {
        if (!run)
                return NULL;
        if (run->pid > 0 && !run->exited) {
                siginfo_t si;

                /* Cancelled: nothing may outlive us, so the whole group goes, then we reap. */
                (void) kill(-run->pid, SIGKILL);
                (void) kill(run->pid, SIGKILL);
                (void) waitid(P_PID, run->pid, &si, WEXITED);
        }
        sd_event_source_disable_unref(run->child_source);
        sd_event_source_disable_unref(run->timer_source);
        for (size_t i = 0; i < ELEMENTSOF(run->out); i++) {
                stream_close(&run->out[i]);
                free(run->out[i].data);
        }
        return mfree(run);
}

/* Reads what is there now; 0 at EOF (the stream is closed then), 1 when more may come. */
static int stream_read(ChildRun *run, OutputStream *s) {
        char buf[16384];

        while (s->fd >= 0) {
                ssize_t n = read(s->fd, buf, sizeof(buf));
                size_t keep;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 1;
                        log_debug_errno(errno, "Failed to read child output, closing it: %m");
                        n = 0;
                }
                if (n == 0) {
                        stream_close(s);
                        return 0;
                }

                keep = run->output_total < run->output_max ?
                        MIN((size_t) n, run->output_max - run->output_total) : 0;
                if (keep < (size_t) n)
                        run->truncated = true;
                if (keep > 0) {
                        if (s->size + keep + 1 > s->allocated) {
                                size_t a = MAX(s->allocated * 2, s->size + keep + 1);
                                char *d = realloc(s->data, a);

                                if (!d)
                                        return -ENOMEM;
                                s->data = d;
                                s->allocated = a;
                        }
                        memcpy(s->data + s->size, buf, keep);
                        s->size += keep;
                        s->data[s->size] = '\0';
                        run->output_total += keep;
                }
        }
        return 0;
}

static int on_output(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        ChildRun *run = userdata;

        for (size_t i = 0; i < ELEMENTSOF(run->out); i++)
                if (run->out[i].source == source) {
                        if (stream_read(run, &run->out[i]) == -ENOMEM)
                                /* Keep going without the rest rather than spin on a full pipe. */
                                run->truncated = true, stream_close(&run->out[i]);
                        break;
                }
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        ChildRun *run = userdata;
        int r;

        run->exited = true;
        run->timer_source = sd_event_source_disable_unref(run->timer_source);

        /* Whatever the program wrote before it exited is in the pipes; what its own children still
         * write later is not waited for (they may live on, holding the pipes open). */
        for (size_t i = 0; i < ELEMENTSOF(run->out); i++) {
                (void) stream_read(run, &run->out[i]);
                stream_close(&run->out[i]);
        }

        if (si->si_code == CLD_EXITED) {
                run->exit_status = si->si_status;
                r = si->si_status == 0 ? 0 : -EPROTO;
        } else {
                run->signal = si->si_status;
                r = -ECHILD;
        }
        if (run->timed_out)
                r = -ETIMEDOUT;

        run->handler(run, r, run->userdata);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        ChildRun *run = userdata;

        log_debug("Child process %d did not finish in time, killing it.", (int) run->pid);
        run->timed_out = true;
        if (run->timeout_hook)
                run->timeout_hook(run, run->userdata);
        /* Not reaped before our child handler runs, so the group ID is still ours to kill. */
        (void) kill(-run->pid, SIGKILL);
        (void) sd_event_source_send_child_signal(run->child_source, SIGKILL, NULL, 0);
        return 0;
}

static int make_input(const char *input, size_t size) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!input) {
                fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                return fd < 0 ? -errno : TAKE_FD(fd);
        }
        fd = memfd_create("child-stdin", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = loop_write(fd, input, size);
        if (r < 0)
                return r;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int child_run_start(sd_event *event, char *const *argv, const ChildRunOptions *options,
                    ChildRunHandler handler, void *userdata, ChildRun **ret) {
        _cleanup_(child_run_freep) ChildRun *run = NULL;
        _cleanup_close_ int stdin_fd = -EBADF, out_w = -EBADF, err_w = -EBADF;
        const ChildRunOptions empty = {};
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        sigset_t mask, defaults;
        int pipes[2][2], r;

        if (!argv || !argv[0])
                return -EINVAL;
        if (!options)
                options = &empty;

        run = calloc(1, sizeof(ChildRun));
        if (!run)
                return -ENOMEM;
        *run = (ChildRun) {
                .exit_status = -1,
                .output_max = options->output_max ?: CHILD_RUN_OUTPUT_MAX_DEFAULT,
                .out = { { .fd = -EBADF }, { .fd = -EBADF } },
                .timeout_hook = options->timeout_hook,
                .handler = handler,
                .userdata = userdata,
        };

        stdin_fd = make_input(options->input, options->input_size);
        if (stdin_fd < 0)
                return stdin_fd;

        if (pipe2(pipes[0], O_CLOEXEC) < 0)
                return -errno;
        run->out[0].fd = pipes[0][0];
        out_w = pipes[0][1];
        if (pipe2(pipes[1], O_CLOEXEC) < 0)
                return -errno;
        run->out[1].fd = pipes[1][0];
        err_w = pipes[1][1];
        for (size_t i = 0; i < 2; i++)
                if (fcntl(run->out[i].fd, F_SETFL, O_NONBLOCK) < 0)
                        return -errno;

        r = posix_spawn_file_actions_init(&actions);
        if (r != 0)
                return -r;
        r = posix_spawnattr_init(&attr);
        if (r != 0) {
                posix_spawn_file_actions_destroy(&actions);
                return -r;
        }
        /* A clean signal state (we block SIGCHLD for sd-event) and a process group of its own, so
         * that a timeout kills whatever it started too. */
        sigemptyset(&mask);
        sigfillset(&defaults);
        r = posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&actions, out_w, STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&actions, err_w, STDERR_FILENO);
        if (r == 0)
                r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                             POSIX_SPAWN_SETPGROUP);
        if (r == 0)
                r = posix_spawnattr_setsigmask(&attr, &mask);
        if (r == 0)
                r = posix_spawnattr_setsigdefault(&attr, &defaults);
        if (r == 0)
                r = posix_spawnattr_setpgroup(&attr, 0);
        if (r == 0)
                r = posix_spawn(&run->pid, argv[0], &actions, &attr, argv, options->env ?: environ);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (r != 0) {
                run->pid = 0;
                return log_debug_errno(r, "Failed to start %s: %m", argv[0]);
        }

        r = sd_event_add_child(event, &run->child_source, run->pid, WEXITED, on_child, run);
        if (r < 0)
                return log_error_errno(r, "Failed to watch %s (PID %d): %m", argv[0], (int) run->pid);
        for (size_t i = 0; i < 2; i++) {
                r = sd_event_add_io(event, &run->out[i].source, run->out[i].fd, EPOLLIN, on_output, run);
                if (r < 0)
                        return r;
                /* Output is read before the exit is handled. */
                (void) sd_event_source_set_priority(run->out[i].source, SD_EVENT_PRIORITY_IMPORTANT);
        }
        if (options->timeout_usec > 0 && options->timeout_usec != UINT64_MAX) {
                r = sd_event_add_time_relative(event, &run->timer_source, CLOCK_MONOTONIC,
                                               options->timeout_usec, /* accuracy= */ 0, on_timeout, run);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(run);
        return 0;
}

pid_t child_run_get_pid(const ChildRun *run) {
        return run->pid;
}

const char *child_run_get_stdout(const ChildRun *run, size_t *ret_size) {
        if (ret_size)
                *ret_size = run->out[0].size;
        return run->out[0].data ?: "";
}

const char *child_run_get_stderr(const ChildRun *run, size_t *ret_size) {
        if (ret_size)
                *ret_size = run->out[1].size;
        return run->out[1].data ?: "";
}

bool child_run_output_truncated(const ChildRun *run) {
        return run->truncated;
}

int child_run_get_exit_status(const ChildRun *run) {
        return run->exit_status;
}

int child_run_get_signal(const ChildRun *run) {
        return run->signal;
}

bool child_run_timed_out(const ChildRun *run) {
        return run->timed_out;
}

int child_run_stderr_summary(const ChildRun *run, char **ret) {
        size_t n;
        const char *e = child_run_get_stderr(run, &n);
        char *s;

        while (n > 0 && strchr("\n\r\t ", e[n - 1]))
                n--;
        n = MIN(n, (size_t) 1024);
        s = strndup(e, n);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
