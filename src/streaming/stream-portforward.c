/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "stream-portforward.h"

enum {
        FAMILY_IPV4,
        FAMILY_IPV6,
        _FAMILY_MAX,
};

/* What the thread in the namespace sends back, with the sockets it made attached. */
typedef struct SocketReply {
        int setns_error;                /* negative errnos */
        int socket_error;               /* of the IPv4 socket */
        bool have[_FAMILY_MAX];         /* which sockets are attached, in this order */
} SocketReply;

struct StreamPortForward {
        sd_event *event;
        uint16_t port;
        StreamPortForwardDone done;
        void *userdata;

        int reply_fd;                   /* our end of the socketpair the thread answers on */
        int fds[_FAMILY_MAX];
        unsigned family;                /* the one being connected */
        int error;                      /* of the first family that failed */
        const char *step;               /* what failed */
        sd_event_source *reply_source, *connect_source, *defer_source, *timer_source;
};

/* ---- the thread in the pod's namespace ---- */

typedef struct SocketJob {
        int netns_fd;
        int reply_fd;
} SocketJob;

static void *socket_thread(void *userdata) {
        SocketJob *job = userdata;
        SocketReply reply = {};
        int fds[_FAMILY_MAX] = { -EBADF, -EBADF }, attached[_FAMILY_MAX];
        union {
                struct cmsghdr cmsg;
                uint8_t buf[CMSG_SPACE(sizeof(int) * _FAMILY_MAX)];
        } control = {};
        struct iovec iov = { .iov_base = &reply, .iov_len = sizeof(reply) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        size_t n = 0;

        /* Only this thread enters the namespace, and it ends right after: nothing else of ours
         * ever runs there. */
        if (setns(job->netns_fd, CLONE_NEWNET) < 0)
                reply.setns_error = -errno;
        else {
                fds[FAMILY_IPV4] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fds[FAMILY_IPV4] < 0)
                        reply.socket_error = -errno;
                /* A namespace without IPv6 just has no fallback. */
                fds[FAMILY_IPV6] = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        }
        for (unsigned k = 0; k < _FAMILY_MAX; k++)
                if (fds[k] >= 0) {
                        reply.have[k] = true;
                        attached[n++] = fds[k];
                }
        if (n > 0) {
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
                control.cmsg.cmsg_level = SOL_SOCKET;
                control.cmsg.cmsg_type = SCM_RIGHTS;
                control.cmsg.cmsg_len = CMSG_LEN(sizeof(int) * n);
                memcpy(CMSG_DATA(&control.cmsg), attached, sizeof(int) * n);
        }
        /* If the loop gave up meanwhile its end is closed and this fails: our copies go below either
         * way, and sockets in flight to a closed end are dropped by the kernel. */
        (void) sendmsg(job->reply_fd, &mh, MSG_NOSIGNAL);
        for (unsigned k = 0; k < _FAMILY_MAX; k++)
                safe_close(fds[k]);
        safe_close(job->reply_fd);
        safe_close(job->netns_fd);
        free(job);
        return NULL;
}

static int start_socket_thread(int netns_fd, int reply_fd) {
        SocketJob *job;
        pthread_attr_t attr;
        pthread_t thread;
        sigset_t all, old;
        int r;

        job = malloc(sizeof(SocketJob));
        if (!job)
                return -ENOMEM;
        *job = (SocketJob) { .netns_fd = netns_fd, .reply_fd = reply_fd };
        r = pthread_attr_init(&attr);
        if (r != 0) {
                free(job);
                return -r;
        }
        (void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* The thread takes no signal meant for the loop. */
        sigfillset(&all);
        (void) pthread_sigmask(SIG_SETMASK, &all, &old);
        r = pthread_create(&thread, &attr, socket_thread, job);
        (void) pthread_sigmask(SIG_SETMASK, &old, NULL);
        (void) pthread_attr_destroy(&attr);
        if (r != 0) {
                free(job);
                return -r;
        }
        return 0;
}

/* ---- connecting, on the loop ---- */

static void finish(StreamPortForward *pf, int fd_or_error) {
        _cleanup_free_ char *message = NULL;

        if (fd_or_error < 0 &&
            asprintf(&message, "%s to localhost:%u failed: %s", pf->step ?: "connecting", (unsigned) pf->port,
                     strerror(-fd_or_error)) < 0)
                message = NULL;
        pf->done(pf, fd_or_error, message, pf->userdata);
        stream_port_forward_free(pf);
}

static int on_connected(sd_event_source *source, int fd, uint32_t revents, void *userdata);

/* Connects the current family's socket, moving on to the next when it fails at once. */
static void connect_next(StreamPortForward *pf) {
        for (; pf->family < _FAMILY_MAX; pf->family++) {
                union {
                        struct sockaddr sa;
                        struct sockaddr_in in;
                        struct sockaddr_in6 in6;
                } addr = {};
                socklen_t len;
                int fd = pf->fds[pf->family], r;

                if (fd < 0)
                        continue;
                if (pf->family == FAMILY_IPV4) {
                        addr.in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons(pf->port),
                                                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                        len = sizeof(addr.in);
                } else {
                        addr.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_port = htons(pf->port),
                                                           .sin6_addr = IN6ADDR_LOOPBACK_INIT };
                        len = sizeof(addr.in6);
                }
                if (connect(fd, &addr.sa, len) == 0) {
                        pf->fds[pf->family] = -EBADF;
                        finish(pf, fd);
                        return;
                }
                if (errno == EINPROGRESS) {
                        r = sd_event_add_io(pf->event, &pf->connect_source, fd, EPOLLOUT, on_connected, pf);
                        if (r < 0) {
                                finish(pf, r);
                                return;
                        }
                        (void) sd_event_source_set_description(pf->connect_source, "stream-port-forward-connect");
                        return;
                }
                if (pf->error == 0)
                        pf->error = -errno;
                pf->fds[pf->family] = safe_close(fd);
        }
        finish(pf, pf->error ?: -ECONNREFUSED);
}

static int on_connected(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        StreamPortForward *pf = userdata;
        int error = 0;
        socklen_t len = sizeof(error);

        pf->connect_source = sd_event_source_disable_unref(pf->connect_source);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
                error = errno;
        if (error == 0) {
                pf->fds[pf->family] = -EBADF;
                finish(pf, fd);
                return 0;
        }
        if (pf->error == 0)
                pf->error = -error;
        pf->fds[pf->family] = safe_close(fd);
        pf->family++;
        connect_next(pf);
        return 0;
}

static int on_defer(sd_event_source *source, void *userdata) {
        StreamPortForward *pf = userdata;

        pf->defer_source = sd_event_source_disable_unref(pf->defer_source);
        connect_next(pf);
        return 0;
}

static int on_reply(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        StreamPortForward *pf = userdata;
        SocketReply reply = {};
        union {
                struct cmsghdr cmsg;
                uint8_t buf[CMSG_SPACE(sizeof(int) * _FAMILY_MAX)];
        } control = {};
        struct iovec iov = { .iov_base = &reply, .iov_len = sizeof(reply) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        int received[_FAMILY_MAX] = { -EBADF, -EBADF };
        size_t n = 0;
        ssize_t k;

        k = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (k < 0 && IN_SET(errno, EAGAIN, EINTR))
                return 0;
        pf->reply_source = sd_event_source_disable_unref(pf->reply_source);
        pf->reply_fd = safe_close(pf->reply_fd);
        for (struct cmsghdr *c = k >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        n = MIN((c->cmsg_len - CMSG_LEN(0)) / sizeof(int), (size_t) _FAMILY_MAX);
                        memcpy(received, CMSG_DATA(c), n * sizeof(int));
                }
        if (k != (ssize_t) sizeof(reply) || (mh.msg_flags & MSG_CTRUNC)) {
                for (size_t i = 0; i < n; i++)
                        safe_close(received[i]);
                pf->step = "creating a socket in the network namespace";
                finish(pf, k < 0 ? -errno : -EIO);
                return 0;
        }
        for (unsigned f = 0, i = 0; f < _FAMILY_MAX; f++)
                if (reply.have[f] && i < n)
                        pf->fds[f] = received[i++];
        if (reply.setns_error < 0) {
                pf->step = "entering the network namespace";
                finish(pf, reply.setns_error);
                return 0;
        }
        if (pf->fds[FAMILY_IPV4] < 0 && pf->fds[FAMILY_IPV6] < 0) {
                pf->step = "creating a socket";
                finish(pf, reply.socket_error ?: -EIO);
                return 0;
        }
        connect_next(pf);
        return 0;
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        StreamPortForward *pf = userdata;

        pf->timer_source = sd_event_source_disable_unref(pf->timer_source);
        finish(pf, -ETIMEDOUT);
        return 0;
}

int stream_port_forward_start(sd_event *event, const char *netns_path, uint16_t port, StreamPortForwardDone done,
                              void *userdata, StreamPortForward **ret, char **ret_message) {
        _cleanup_(stream_port_forward_freep) StreamPortForward *pf = NULL;
        int r;

        pf = calloc(1, sizeof(StreamPortForward));
        if (!pf)
                return -ENOMEM;
        *pf = (StreamPortForward) {
                .event = sd_event_ref(event),
                .port = port,
                .done = done,
                .userdata = userdata,
                .reply_fd = -EBADF,
                .fds = { -EBADF, -EBADF },
        };

        r = sd_event_add_time_relative(event, &pf->timer_source, CLOCK_MONOTONIC,
                                       STREAM_PORT_FORWARD_CONNECT_TIMEOUT_USEC, /* accuracy= */ 0, on_timeout, pf);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(pf->timer_source, "stream-port-forward-timeout");

        if (netns_path) {
                _cleanup_close_ int netns_fd = -EBADF, theirs = -EBADF;
                int pair[2];

                /* Opening the pin is quick; it fails here at once when the pod's namespace is gone. */
                netns_fd = open(netns_path, O_RDONLY | O_CLOEXEC);
                if (netns_fd < 0) {
                        r = -errno;
                        (void) asprintf(ret_message, "failed to open the network namespace %s: %s", netns_path,
                                        strerror(-r));
                        return r;
                }
                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0)
                        return -errno;
                pf->reply_fd = pair[0];
                theirs = pair[1];
                r = sd_event_add_io(event, &pf->reply_source, pf->reply_fd, EPOLLIN, on_reply, pf);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_description(pf->reply_source, "stream-port-forward-socket");
                r = start_socket_thread(netns_fd, theirs);
                if (r < 0)
                        return log_error_errno(r, "Failed to start a thread for port forwarding: %m");
                /* The thread owns them now. */
                netns_fd = theirs = -EBADF;
        } else {
                /* Our own namespace: the sockets are made here, the connect waits for the loop. */
                pf->fds[FAMILY_IPV4] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (pf->fds[FAMILY_IPV4] < 0)
                        return -errno;
                pf->fds[FAMILY_IPV6] = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                r = sd_event_add_defer(event, &pf->defer_source, on_defer, pf);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(pf);
        return 0;
}

StreamPortForward *stream_port_forward_free(StreamPortForward *pf) {
        if (!pf)
                return NULL;
        sd_event_source_disable_unref(pf->reply_source);
        sd_event_source_disable_unref(pf->connect_source);
        sd_event_source_disable_unref(pf->defer_source);
        sd_event_source_disable_unref(pf->timer_source);
        safe_close(pf->reply_fd);
        for (unsigned k = 0; k < _FAMILY_MAX; k++)
                safe_close(pf->fds[k]);
        sd_event_unref(pf->event);
        return mfree(pf);
}
