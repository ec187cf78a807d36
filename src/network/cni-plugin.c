/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cni-plugin.h"
#include "fileio.h"
#include "log.h"

/* Results are small; a plugin printing more than this is broken. */
#define CNI_OUTPUT_MAX (16 * 1024 * 1024)

struct CniPluginRun {
        pid_t pid;
        bool exited;
        bool timed_out;
        int exit_status;
        int stdout_fd;
        int stderr_fd;
        char *stdout_data;
        size_t stdout_size;
        char *stderr_data;
        sd_event_source *child_source;
        sd_event_source *timer_source;
        CniPluginRunHandler handler;
        void *userdata;
};

CniPluginRun *cni_plugin_run_free(CniPluginRun *run) {
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
        safe_close(run->stdout_fd);
        safe_close(run->stderr_fd);
        free(run->stdout_data);
        free(run->stderr_data);
        return mfree(run);
}

static int memfd_new(const char *name) {
        int fd = memfd_create(name, MFD_CLOEXEC);

        return fd < 0 ? -errno : fd;
}

static int read_all(int fd, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t size, done = 0;

        if (fstat(fd, &st) < 0)
                return -errno;
        size = (size_t) st.st_size;
        if (size > CNI_OUTPUT_MAX)
                return -EFBIG;
        buf = malloc(size + 1);
        if (!buf)
                return -ENOMEM;
        while (done < size) {
                ssize_t n = pread(fd, buf + done, size - done, done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                done += n;
        }
        buf[done] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = done;
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        CniPluginRun *run = userdata;
        int r;

        run->exited = true;
        run->timer_source = sd_event_source_disable_unref(run->timer_source);

        r = read_all(run->stdout_fd, &run->stdout_data, &run->stdout_size);
        if (r >= 0)
                r = read_all(run->stderr_fd, &run->stderr_data, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to read the output of CNI plugin (PID %d): %m", (int) run->pid);
        else if (run->timed_out)
                r = -ETIMEDOUT;
        else if (si->si_code == CLD_EXITED) {
                run->exit_status = si->si_status;
                r = si->si_status == 0 ? 0 : -EPROTO;
        } else
                r = -ECHILD;

        run->handler(run, r, run->userdata);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        CniPluginRun *run = userdata;

        log_warning("CNI plugin (PID %d) did not finish in time, killing it.", (int) run->pid);
        run->timed_out = true;
        /* The process is not reaped before our child handler runs, so its group ID is still ours. */
        (void) kill(-run->pid, SIGKILL);
        (void) sd_event_source_send_child_signal(run->child_source, SIGKILL, NULL, 0);
        return 0;
}

int cni_plugin_run_start(sd_event *event, const char *binary, char *const *env, const char *input,
                         size_t input_size, uint64_t timeout_usec, CniPluginRunHandler handler,
                         void *userdata, CniPluginRun **ret) {
        _cleanup_(cni_plugin_run_freep) CniPluginRun *run = NULL;
        _cleanup_close_ int stdin_fd = -EBADF;
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        char *argv[] = { (char *) binary, NULL };
        sigset_t mask, defaults;
        int r;

        run = calloc(1, sizeof(CniPluginRun));
        if (!run)
                return -ENOMEM;
        *run = (CniPluginRun) {
                .exit_status = -1,
                .stdout_fd = -EBADF,
                .stderr_fd = -EBADF,
                .handler = handler,
                .userdata = userdata,
        };

        stdin_fd = memfd_new("cni-stdin");
        if (stdin_fd < 0)
                return stdin_fd;
        r = loop_write(stdin_fd, input, input_size);
        if (r < 0)
                return r;
        if (lseek(stdin_fd, 0, SEEK_SET) < 0)
                return -errno;
        run->stdout_fd = memfd_new("cni-stdout");
        if (run->stdout_fd < 0)
                return run->stdout_fd;
        run->stderr_fd = memfd_new("cni-stderr");
        if (run->stderr_fd < 0)
                return run->stderr_fd;

        r = posix_spawn_file_actions_init(&actions);
        if (r != 0)
                return -r;
        r = posix_spawnattr_init(&attr);
        if (r != 0) {
                posix_spawn_file_actions_destroy(&actions);
                return -r;
        }
        /* Our memfds are O_CLOEXEC; dup2() onto 0-2 gives the plugin its own copies. The plugin gets
         * a clean signal state (we block SIGCHLD for sd-event) and a process group of its own, so
         * that a timeout kills whatever it started too. */
        sigemptyset(&mask);
        sigfillset(&defaults);
        r = posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&actions, run->stdout_fd, STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&actions, run->stderr_fd, STDERR_FILENO);
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
                r = posix_spawn(&run->pid, binary, &actions, &attr, argv, env);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (r != 0) {
                run->pid = 0;
                return log_error_errno(r, "Failed to start CNI plugin %s: %m", binary);
        }

        r = sd_event_add_child(event, &run->child_source, run->pid, WEXITED, on_child, run);
        if (r < 0)
                return log_error_errno(r, "Failed to watch CNI plugin %s (PID %d): %m", binary, (int) run->pid);
        if (timeout_usec > 0 && timeout_usec != UINT64_MAX) {
                r = sd_event_add_time_relative(event, &run->timer_source, CLOCK_MONOTONIC, timeout_usec,
                                               /* accuracy= */ 0, on_timeout, run);
                if (r < 0)
                        return log_error_errno(r, "Failed to arm the CNI plugin timeout: %m");
        }

        log_debug("Started CNI plugin %s as PID %d.", binary, (int) run->pid);
        *ret = TAKE_PTR(run);
        return 0;
}

const char *cni_plugin_run_get_stdout(const CniPluginRun *run, size_t *ret_size) {
        if (ret_size)
                *ret_size = run->stdout_data ? run->stdout_size : 0;
        return run->stdout_data ?: "";
}

const char *cni_plugin_run_get_stderr(const CniPluginRun *run) {
        return run->stderr_data ?: "";
}

int cni_plugin_run_get_exit_status(const CniPluginRun *run) {
        return run->exit_status;
}
