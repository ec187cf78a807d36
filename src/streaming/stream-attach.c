/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "stream-container.h"

/* conmon's attach protocol: SOCK_SEQPACKET, packets of at most 8192 bytes of data; from conmon the
 * first byte names the stream (the values of conmon's stdpipe_t). */
#define ATTACH_PACKET_MAX 8192U
#define ATTACH_PIPE_STDOUT 2
#define ATTACH_PIPE_STDERR 3

struct StreamAttach {
        StreamRequestType type;         /* STREAM_REQUEST_ATTACH */
        StreamSession *session;
        Container *container;           /* a reference */
        char *ctl_path;

        int conmon_fd;
        sd_event_source *conmon_source;

        /* Output: a packet from conmon, written to the pipe of its stream; while it is not all
         * written, conmon is not read. */
        int out_fd, err_fd;             /* write ends of the pipes the session reads */
        sd_event_source *out_source, *err_source;
        uint8_t out_buf[ATTACH_PACKET_MAX + 1];
        size_t out_off, out_size;
        int out_target;                 /* out_fd or err_fd while out_size > 0 */

        /* Input: read from the pipe the session writes, sent to conmon as one packet. */
        int in_fd;
        sd_event_source *in_source;
        uint8_t in_buf[ATTACH_PACKET_MAX];
        size_t in_size;

        bool conmon_eof;
        sd_event_source *exit_source;   /* tells the session, from the loop */
};

static void attach_update(StreamAttach *a);

StreamAttach *stream_attach_free(StreamAttach *a) {
        if (!a)
                return NULL;
        sd_event_source_disable_unref(a->conmon_source);
        sd_event_source_disable_unref(a->out_source);
        sd_event_source_disable_unref(a->err_source);
        sd_event_source_disable_unref(a->in_source);
        sd_event_source_disable_unref(a->exit_source);
        safe_close(a->conmon_fd);
        safe_close(a->out_fd);
        safe_close(a->err_fd);
        safe_close(a->in_fd);
        container_unref(a->container);
        free(a->ctl_path);
        return mfree(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(StreamAttach *, stream_attach_free);

static void close_output(StreamAttach *a, int fd) {
        if (fd == a->out_fd) {
                a->out_source = sd_event_source_disable_unref(a->out_source);
                a->out_fd = safe_close(a->out_fd);
        } else if (fd == a->err_fd) {
                a->err_source = sd_event_source_disable_unref(a->err_source);
                a->err_fd = safe_close(a->err_fd);
        }
}

static int on_exit_defer(sd_event_source *s, void *userdata) {
        StreamAttach *a = userdata;
        StreamSession *session = a->session;

        a->exit_source = sd_event_source_disable_unref(a->exit_source);
        a->session = NULL;
        /* An attach that ran to the end is a success whatever the container's exit code, as with
         * CRI-O (conmon's exit file may come later anyway). May release a right here. */
        if (session)
                stream_session_process_exited(session, 0);
        return 0;
}

/* conmon hung up: the container's stdio is gone, and with it the session. */
static void conmon_gone(StreamAttach *a) {
        int r;

        a->conmon_eof = true;
        a->conmon_source = sd_event_source_disable_unref(a->conmon_source);
        a->conmon_fd = safe_close(a->conmon_fd);
        a->in_source = sd_event_source_disable_unref(a->in_source);
        a->in_fd = safe_close(a->in_fd);
        if (a->out_size > 0 || a->exit_source || !a->session)
                return;         /* after the rest is written */
        close_output(a, a->out_fd);
        close_output(a, a->err_fd);
        r = sd_event_add_defer(a->container->manager->event, &a->exit_source, on_exit_defer, a);
        if (r < 0)
                log_warning_errno(r, "Failed to end an attach session, ignoring: %m");
}

static void flush_output(StreamAttach *a) {
        while (a->out_size > 0) {
                ssize_t n = write(a->out_target, a->out_buf + a->out_off, a->out_size);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return;
                        /* The session does not want this stream (EPIPE): its data goes. */
                        close_output(a, a->out_target);
                        a->out_size = 0;
                        break;
                }
                a->out_off += (size_t) n;
                a->out_size -= (size_t) n;
        }
        if (a->conmon_eof)
                conmon_gone(a);
}

static void read_conmon(StreamAttach *a) {
        ssize_t n;
        int target;

        n = recv(a->conmon_fd, a->out_buf, sizeof(a->out_buf), MSG_DONTWAIT);
        if (n < 0) {
                if (IN_SET(errno, EAGAIN, EINTR))
                        return;
                log_debug_errno(errno, "Reading conmon's attach socket failed: %m");
                conmon_gone(a);
                return;
        }
        if (n == 0) {
                conmon_gone(a);
                return;
        }
        target = a->out_buf[0] == ATTACH_PIPE_STDOUT ? a->out_fd :
                 a->out_buf[0] == ATTACH_PIPE_STDERR ? a->err_fd : -EBADF;
        if (target < 0 || n == 1)
                return;         /* a stream nobody asked for */
        a->out_target = target;
        a->out_off = 1;
        a->out_size = (size_t) n - 1;
        flush_output(a);
}

static void send_input(StreamAttach *a) {
        ssize_t n;

        if (a->in_size == 0)
                return;
        n = send(a->conmon_fd, a->in_buf, a->in_size, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
                if (IN_SET(errno, EAGAIN, EINTR))
                        return;
                log_debug_errno(errno, "Writing to conmon's attach socket failed, dropping input: %m");
                a->in_source = sd_event_source_disable_unref(a->in_source);
                a->in_fd = safe_close(a->in_fd);
        }
        a->in_size = 0;
}

static void read_input(StreamAttach *a) {
        ssize_t n;

        n = read(a->in_fd, a->in_buf, sizeof(a->in_buf));
        if (n < 0 && IN_SET(errno, EAGAIN, EINTR))
                return;
        if (n <= 0) {
                /* stdin closed: conmon sees EOF on our side of the socket. */
                a->in_source = sd_event_source_disable_unref(a->in_source);
                a->in_fd = safe_close(a->in_fd);
                (void) shutdown(a->conmon_fd, SHUT_WR);
                return;
        }
        a->in_size = (size_t) n;
        send_input(a);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        StreamAttach *a = userdata;

        if (fd == a->conmon_fd) {
                if ((revents & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && a->in_size > 0)
                        send_input(a);
                if ((revents & (EPOLLIN | EPOLLERR | EPOLLHUP)) && a->out_size == 0 && !a->conmon_eof)
                        read_conmon(a);
        } else if (fd == a->in_fd) {
                if (a->in_size == 0)
                        read_input(a);
        } else if (a->out_size > 0 && fd == a->out_target)
                flush_output(a);
        attach_update(a);
        return 0;
}

static void set_events(sd_event_source *s, uint32_t events) {
        if (!s)
                return;
        if (events == 0) {
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_io_events(s, events);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static void attach_update(StreamAttach *a) {
        set_events(a->conmon_source, (a->out_size == 0 ? EPOLLIN : 0) | (a->in_size > 0 ? EPOLLOUT : 0));
        set_events(a->in_source, a->in_size == 0 ? EPOLLIN : 0);
        set_events(a->out_source, a->out_size > 0 && a->out_target == a->out_fd ? EPOLLOUT : 0);
        set_events(a->err_source, a->out_size > 0 && a->out_target == a->err_fd ? EPOLLOUT : 0);
}

static int connect_attach_socket(const char *socket_dir, const char *id, int *ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF, dir_fd = -EBADF;
        _cleanup_free_ char *dir = NULL;
        int n;

        if (asprintf(&dir, "%s/%s", socket_dir, id) < 0)
                return -ENOMEM;
        /* The path may be longer than sun_path holds: go through /proc/self/fd, as CRI-O does. */
        dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/attach", dir_fd);
        if (n < 0 || (size_t) n >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        *ret = TAKE_FD(fd);
        return 0;
}

static int add_io(StreamAttach *a, int fd, uint32_t events, sd_event_source **ret) {
        int r;

        r = sd_event_add_io(a->container->manager->event, ret, fd, events, on_io, a);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(*ret, "stream-attach");
        return 0;
}

int stream_attach_start(Container *c, const char *socket_dir, StreamSession *session, const StreamRequest *req,
                        StreamProcessIO *ret_io, StreamAttach **ret, char **ret_message) {
        _cleanup_(stream_attach_freep) StreamAttach *a = NULL;
        _cleanup_close_ int in_w = -EBADF, out_r = -EBADF, err_r = -EBADF;
        int fds[2], r;

        if (!socket_dir || !c->bundle_dir)
                return -EINVAL;
        a = calloc(1, sizeof(StreamAttach));
        if (!a)
                return -ENOMEM;
        a->type = STREAM_REQUEST_ATTACH;
        a->container = container_ref(c);
        a->conmon_fd = a->out_fd = a->err_fd = a->in_fd = -EBADF;
        if (asprintf(&a->ctl_path, "%s/ctl", c->bundle_dir) < 0)
                return -ENOMEM;

        r = connect_attach_socket(socket_dir, c->id, &a->conmon_fd);
        if (r < 0) {
                (void) asprintf(ret_message, "failed to connect to the attach socket of container %s: %s", c->id,
                                strerror(-r));
                return r;
        }
        if (req->stdin) {
                if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                        return -errno;
                a->in_fd = fds[0], in_w = fds[1];
                r = add_io(a, a->in_fd, EPOLLIN, &a->in_source);
                if (r < 0)
                        return r;
        }
        if (req->stdout) {
                if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                        return -errno;
                out_r = fds[0], a->out_fd = fds[1];
                r = add_io(a, a->out_fd, EPOLLOUT, &a->out_source);
                if (r < 0)
                        return r;
        }
        if (req->stderr && !req->tty) {
                if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                        return -errno;
                err_r = fds[0], a->err_fd = fds[1];
                r = add_io(a, a->err_fd, EPOLLOUT, &a->err_source);
                if (r < 0)
                        return r;
        }
        r = add_io(a, a->conmon_fd, EPOLLIN, &a->conmon_source);
        if (r < 0)
                return r;
        attach_update(a);
        a->session = session;

        *ret_io = (StreamProcessIO) {
                .stdin_fd = TAKE_FD(in_w),
                .stdout_fd = TAKE_FD(out_r),
                .stderr_fd = TAKE_FD(err_r),
        };
        log_debug("Attached to container %s.", c->id);
        *ret = TAKE_PTR(a);
        return 0;
}

int stream_attach_resize(StreamAttach *a, uint16_t width, uint16_t height) {
        _cleanup_close_ int fd = -EBADF;
        char line[64];
        int n;

        /* Without a reader (conmon is gone) a non-blocking open for writing fails with ENXIO. */
        fd = open(a->ctl_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        n = snprintf(line, sizeof(line), "1 %u %u\n", (unsigned) height, (unsigned) width);
        if (write(fd, line, (size_t) n) != n)
                return errno > 0 ? -errno : -EIO;
        return 0;
}
