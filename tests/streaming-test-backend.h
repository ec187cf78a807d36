/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A StreamBackend for the tests: exec and attach run local processes (attach runs /bin/sh), with
 * pipes or a pty; port-forward connects to 127.0.0.1:<port>. Counts what the server asked of it,
 * so tests can check that a client leaving mid-stream cancels the process. SIGCHLD must be
 * blocked. Header-only: shared by test-streaming-server.c and streaming-testserver.c. */

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-event.h>
#include <termios.h>
#include <unistd.h>

#include "macro.h"
#include "stream-session.h"

typedef struct TestBackend {
        sd_event *event;
        unsigned n_started, n_cancelled, n_released, n_live;
        unsigned last_width, last_height;
} TestBackend;

typedef struct TestProcess {
        TestBackend *backend;
        StreamSession *session;         /* NULL once released */
        pid_t pid;
        int pty_master;
        sd_event_source *child;
        bool released, exited;
} TestProcess;

static void test_process_free(TestProcess *p) {
        sd_event_source_disable_unref(p->child);
        safe_close(p->pty_master);
        p->backend->n_live--;
        free(p);
}

static int test_on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        TestProcess *p = userdata;
        int code = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;

        p->exited = true;
        if (p->released) {
                test_process_free(p);
                return 0;
        }
        stream_session_process_exited(p->session, code);
        return 0;
}

static int test_backend_start(StreamSession *session, const StreamRequest *req, StreamProcessIO *ret_io,
                              void **ret_handle, char **ret_message, void *userdata) {
        TestBackend *b = userdata;
        static char *const shell[] = { (char *) "/bin/sh", NULL };
        char *const *argv = req->type == STREAM_REQUEST_ATTACH ? shell : req->cmd;
        int in[2] = { -EBADF, -EBADF }, out[2] = { -EBADF, -EBADF }, err[2] = { -EBADF, -EBADF };
        int master = -EBADF, devnull;
        const char *slave = NULL;
        TestProcess *p;
        pid_t pid;
        int r;

        if (req->container_id && strcmp(req->container_id, "missing") == 0) {
                *ret_message = strdup("container \"missing\" is not running");
                return -ENOENT;
        }
        if (!argv || !argv[0])
                return -EINVAL;
        if (req->tty) {
                master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || !(slave = ptsname(master)))
                        return -errno;
        } else if ((req->stdin && pipe2(in, O_CLOEXEC) < 0) || (req->stdout && pipe2(out, O_CLOEXEC) < 0) ||
                   (req->stderr && pipe2(err, O_CLOEXEC) < 0))
                return -errno;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                sigset_t mask;

                sigemptyset(&mask);
                (void) sigprocmask(SIG_SETMASK, &mask, NULL);
                (void) setsid();
                devnull = open("/dev/null", O_RDWR);
                if (req->tty) {
                        int fd = open(slave, O_RDWR);

                        if (fd < 0)
                                _exit(126);
                        (void) ioctl(fd, TIOCSCTTY, 0);
                        dup2(fd, 0);
                        dup2(fd, 1);
                        dup2(fd, 2);
                } else {
                        dup2(in[0] >= 0 ? in[0] : devnull, 0);
                        dup2(out[1] >= 0 ? out[1] : devnull, 1);
                        dup2(err[1] >= 0 ? err[1] : devnull, 2);
                }
                execv(argv[0], argv);
                _exit(127);
        }

        safe_close(in[0]);
        safe_close(out[1]);
        safe_close(err[1]);
        p = calloc(1, sizeof(TestProcess));
        if (!p)
                return -ENOMEM;
        p->backend = b;
        p->session = session;
        p->pid = pid;
        p->pty_master = -EBADF;
        b->n_live++;
        b->n_started++;
        r = sd_event_add_child(b->event, &p->child, pid, WEXITED, test_on_child, p);
        if (r < 0) {
                test_process_free(p);
                return r;
        }
        if (req->tty) {
                *ret_io = (StreamProcessIO) {
                        .stdin_fd = req->stdin ? fcntl(master, F_DUPFD_CLOEXEC, 3) : -EBADF,
                        .stdout_fd = master,
                        .stderr_fd = -EBADF,
                };
                p->pty_master = fcntl(master, F_DUPFD_CLOEXEC, 3);
        } else
                *ret_io = (StreamProcessIO) { .stdin_fd = in[1], .stdout_fd = out[0], .stderr_fd = err[0] };
        *ret_handle = p;
        return 0;
}

static int test_backend_resize(void *handle, uint16_t width, uint16_t height, void *userdata) {
        TestProcess *p = handle;
        struct winsize ws = { .ws_col = width, .ws_row = height };

        p->backend->last_width = width;
        p->backend->last_height = height;
        if (p->pty_master < 0)
                return -ENOTTY;
        return ioctl(p->pty_master, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

static void test_backend_cancel(void *handle, void *userdata) {
        TestProcess *p = handle;

        p->backend->n_cancelled++;
        if (!p->exited)
                (void) kill(p->pid, SIGKILL);
}

static void test_backend_release(void *handle, void *userdata) {
        TestProcess *p = handle;

        p->backend->n_released++;
        p->released = true;
        p->session = NULL;
        /* The child watch still reaps it. */
        if (p->exited)
                test_process_free(p);
}

/* The ports of the test pod are the host's: the server connects to them on our own loopback. */
static int test_backend_port_forward(const StreamRequest *req, char **ret_netns_path, char **ret_message,
                                     void *userdata) {
        *ret_netns_path = NULL;
        return 0;
}

static const StreamBackend test_backend_vtable = {
        .start = test_backend_start,
        .resize = test_backend_resize,
        .cancel = test_backend_cancel,
        .release = test_backend_release,
        .port_forward = test_backend_port_forward,
};
