/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "container-json.h"
#include "container-util.h"
#include "fileio.h"
#include "log.h"
#include "manager.h"
#include "oci-runtime.h"
#include "stream-container.h"
#include "strv.h"

/* How often a cancelled exec looks for the runtime's pid file again. */
#define CANCEL_RETRY_USEC (100 * 1000ULL)

struct StreamExec {
        StreamRequestType type;         /* STREAM_REQUEST_EXEC */
        StreamSession *session;         /* NULL once released */
        sd_event *event;
        pid_t pid;                      /* "<runtime> exec" */
        sd_event_source *child_source;
        sd_event_source *cancel_timer;
        int pty_master;                 /* a dup for TIOCSWINSZ; -EBADF without a tty */
        char *dir;                      /* process.json and the pid file */
        char *process_file;
        char *pid_file;
        bool exited;
        StreamExec *next;               /* every exec still running, for the shutdown */
};

static StreamExec *running_execs;

static void unlink_running(StreamExec *e) {
        for (StreamExec **p = &running_execs; *p; p = &(*p)->next)
                if (*p == e) {
                        *p = e->next;
                        break;
                }
        e->next = NULL;
}

static StreamExec *stream_exec_free(StreamExec *e) {
        if (!e)
                return NULL;
        unlink_running(e);
        sd_event_source_disable_unref(e->child_source);
        sd_event_source_disable_unref(e->cancel_timer);
        safe_close(e->pty_master);
        if (e->process_file)
                (void) unlink(e->process_file);
        if (e->pid_file)
                (void) unlink(e->pid_file);
        if (e->dir)
                (void) rmdir(e->dir);
        free(e->process_file);
        free(e->pid_file);
        free(e->dir);
        sd_event_unref(e->event);
        return mfree(e);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(StreamExec *, stream_exec_free);

static int on_runtime_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        StreamExec *e = userdata;
        StreamSession *session = e->session;
        int code;

        code = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
        e->exited = true;
        e->child_source = sd_event_source_disable_unref(e->child_source);
        e->cancel_timer = sd_event_source_disable_unref(e->cancel_timer);
        unlink_running(e);
        if (!session) {
                /* Released already: nobody waits for the code. */
                stream_exec_free(e);
                return 0;
        }
        /* May end the session and release e right here: e is not touched afterwards. */
        stream_session_process_exited(session, code);
        return 0;
}

/* The environment of the runtime: ours without NOTIFY_SOCKET, which runc and crun would use to
 * talk to systemd on crio's behalf. */
static int runtime_env(char ***ret) {
        _cleanup_(strv_freep) char **env = NULL;
        int r;

        for (char **e = environ; e && *e; e++)
                if (strncmp(*e, "NOTIFY_SOCKET=", 14) != 0) {
                        r = strv_push(&env, *e);
                        if (r < 0)
                                return r;
                }
        if (!env) {
                env = calloc(1, sizeof(char *));
                if (!env)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(env);
        return 0;
}

static int open_pty(int *ret_master, int *ret_slave) {
        _cleanup_close_ int master = -EBADF;
        struct termios t;
        char name[64];
        int slave, r;

        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return -errno;
        if (grantpt(master) < 0 || unlockpt(master) < 0)
                return -errno;
        if (ptsname_r(master, name, sizeof(name)) != 0)
                return -errno;
        slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return -errno;
        /* The terminal the process sees is the runtime's pty in the container; ours only carries
         * bytes, so it must not echo, translate or eat ^D itself (runc makes it raw, crun not). */
        if (tcgetattr(slave, &t) < 0) {
                r = -errno;
                safe_close(slave);
                return r;
        }
        cfmakeraw(&t);
        if (tcsetattr(slave, TCSANOW, &t) < 0) {
                r = -errno;
                safe_close(slave);
                return r;
        }
        *ret_master = TAKE_FD(master);
        *ret_slave = slave;
        return 0;
}

static int read_config_json(const Container *c, char **ret, size_t *ret_size) {
        _cleanup_free_ char *path = NULL;

        if (!c->bundle_dir || asprintf(&path, "%s/config.json", c->bundle_dir) < 0)
                return -ENOMEM;
        return read_full_file_at(AT_FDCWD, path, 16 * 1024 * 1024, 0, ret, ret_size);
}

static int write_process_file(StreamExec *e, const Container *c, const StreamRequest *req) {
        _cleanup_free_ char *config_json = NULL, *process = NULL;
        char template[] = "/tmp/crio-exec-XXXXXX";
        size_t config_size;
        int r;

        r = read_config_json(c, &config_json, &config_size);
        if (r < 0)
                return r;
        r = container_exec_process_json_full(config_json, config_size, req->cmd, req->tty, &process);
        if (r < 0)
                return r;
        if (!mkdtemp(template))
                return -errno;
        e->dir = strdup(template);
        if (!e->dir || asprintf(&e->process_file, "%s/process.json", e->dir) < 0 ||
            asprintf(&e->pid_file, "%s/pid", e->dir) < 0)
                return -ENOMEM;
        return write_file_atomic_at(AT_FDCWD, e->process_file, process, strlen(process), 0600);
}

static int build_argv(const Container *c, const StreamExec *e, char ***ret) {
        char *args[] = { (char *) "exec", (char *) "--process", e->process_file, (char *) "--pid-file",
                         e->pid_file, c->id, NULL };

        return oci_runtime_build_argv(c->runtime, args, ret);
}

int stream_exec_start(Container *c, StreamSession *session, const StreamRequest *req, StreamProcessIO *ret_io,
                      StreamExec **ret, char **ret_message) {
        _cleanup_(stream_exec_freep) StreamExec *e = NULL;
        _cleanup_(strv_freep) char **argv = NULL, **env = NULL;
        _cleanup_close_ int in_r = -EBADF, in_w = -EBADF, out_r = -EBADF, out_w = -EBADF, err_r = -EBADF,
                            err_w = -EBADF, master = -EBADF, slave = -EBADF, null_fd = -EBADF;
        int fds[2], child_in, child_out, child_err;
        pid_t pid;
        int r;

        if (strv_isempty(req->cmd))
                return -EINVAL;
        e = calloc(1, sizeof(StreamExec));
        if (!e)
                return -ENOMEM;
        e->type = STREAM_REQUEST_EXEC;
        e->pty_master = -EBADF;
        e->event = sd_event_ref(c->manager->event);

        r = write_process_file(e, c, req);
        if (r < 0) {
                (void) asprintf(ret_message, "failed to prepare the exec in container %s: %s", c->id, strerror(-r));
                return r;
        }
        r = build_argv(c, e, &argv);
        if (r >= 0)
                r = runtime_env(&env);
        if (r < 0)
                return r;

        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (null_fd < 0)
                return -errno;
        if (req->tty) {
                r = open_pty(&master, &slave);
                if (r < 0)
                        return log_error_errno(r, "Failed to allocate a pty for an exec: %m");
                child_in = child_out = child_err = slave;
        } else {
                if (req->stdin) {
                        if (pipe2(fds, O_CLOEXEC) < 0)
                                return -errno;
                        in_r = fds[0], in_w = fds[1];
                }
                if (req->stdout) {
                        if (pipe2(fds, O_CLOEXEC) < 0)
                                return -errno;
                        out_r = fds[0], out_w = fds[1];
                }
                if (req->stderr) {
                        if (pipe2(fds, O_CLOEXEC) < 0)
                                return -errno;
                        err_r = fds[0], err_w = fds[1];
                }
                child_in = in_r >= 0 ? in_r : null_fd;
                child_out = out_w >= 0 ? out_w : null_fd;
                child_err = err_w >= 0 ? err_w : null_fd;
        }

        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Failed to fork for an exec: %m");
        if (pid == 0) {
                /* Only async-signal-safe calls from here on: the daemon may have threads. */
                sigset_t mask;

                sigemptyset(&mask);
                (void) sigprocmask(SIG_SETMASK, &mask, NULL);
                (void) signal(SIGPIPE, SIG_DFL);
                (void) setsid();
                /* Our pty becomes the runtime's controlling terminal: resizing it sends it
                 * SIGWINCH, and it resizes the pty in the container to match. */
                if (req->tty && ioctl(slave, TIOCSCTTY, 0) < 0)
                        _exit(126);
                if (dup2(child_in, 0) < 0 || dup2(child_out, 1) < 0 || dup2(child_err, 2) < 0)
                        _exit(126);
                execve(argv[0], argv, env);
                _exit(127);
        }
        e->pid = pid;
        r = sd_event_add_child(e->event, &e->child_source, pid, WEXITED, on_runtime_exit, e);
        if (r < 0) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return log_error_errno(r, "Failed to watch the exec of container %s: %m", c->id);
        }
        (void) sd_event_source_set_description(e->child_source, "stream-exec");
        e->session = session;
        e->next = running_execs;
        running_execs = e;

        *ret_io = (StreamProcessIO) { .stdin_fd = -EBADF, .stdout_fd = -EBADF, .stderr_fd = -EBADF };
        if (req->tty) {
                e->pty_master = fcntl(master, F_DUPFD_CLOEXEC, 3);
                if (e->pty_master < 0)
                        log_warning_errno(errno, "Failed to keep the pty of an exec for resizing, ignoring: %m");
                if (req->stdin) {
                        ret_io->stdin_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
                        if (ret_io->stdin_fd < 0)
                                log_warning_errno(errno, "Failed to duplicate the pty of an exec, ignoring: %m");
                }
                ret_io->stdout_fd = TAKE_FD(master);
        } else {
                ret_io->stdin_fd = TAKE_FD(in_w);
                ret_io->stdout_fd = TAKE_FD(out_r);
                ret_io->stderr_fd = TAKE_FD(err_r);
        }
        log_debug("Exec %d in container %s started (%s).", (int) pid, c->id, req->tty ? "tty" : "pipes");
        *ret = TAKE_PTR(e);
        return 0;
}

int stream_exec_resize(StreamExec *e, uint16_t width, uint16_t height) {
        struct winsize ws = { .ws_row = height, .ws_col = width };

        if (e->pty_master < 0)
                return -ENOTTY;
        if (ioctl(e->pty_master, TIOCSWINSZ, &ws) < 0)
                return -errno;
        return 0;
}

static bool kill_process(StreamExec *e) {
        pid_t pid;

        if (container_read_pid_file(e->pid_file, &pid) < 0 || pid <= 0)
                return false;
        if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
                log_debug_errno(errno, "Failed to kill exec'd process %d: %m", (int) pid);
        return true;
}

static int on_cancel_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        StreamExec *e = userdata;

        if (kill_process(e)) {
                e->cancel_timer = sd_event_source_disable_unref(e->cancel_timer);
                return 0;
        }
        (void) sd_event_source_set_time_relative(s, CANCEL_RETRY_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

void stream_exec_cancel(StreamExec *e) {
        int r;

        if (!e || e->exited || e->cancel_timer)
                return;
        log_debug("Client gone, killing exec %d.", (int) e->pid);
        if (kill_process(e))
                return;
        /* The runtime has not started the process yet: look again shortly, until it exits. */
        r = sd_event_add_time_relative(e->event, &e->cancel_timer, CLOCK_MONOTONIC, CANCEL_RETRY_USEC, 0,
                                       on_cancel_retry, e);
        if (r < 0) {
                log_warning_errno(r, "Failed to wait for the exec's pid file, killing the runtime: %m");
                (void) kill(e->pid, SIGKILL);
        }
}

void stream_exec_release(StreamExec *e) {
        if (!e)
                return;
        e->session = NULL;
        e->pty_master = safe_close(e->pty_master);
        if (e->exited)
                stream_exec_free(e);
}

void stream_exec_reap_all(void) {
        while (running_execs) {
                StreamExec *e = running_execs;

                (void) kill_process(e);
                (void) kill(e->pid, SIGKILL);
                (void) waitpid(e->pid, NULL, 0);
                e->exited = true;
                if (e->session)
                        unlink_running(e);      /* the session releases it */
                else
                        stream_exec_free(e);
        }
}
