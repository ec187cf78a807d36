/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "stream-container.h"

/* A connect to the loopback is answered at once; this only bounds a listener whose backlog is full,
 * since the connect runs while the loop waits. */
#define CONNECT_TIMEOUT_SEC 2

typedef struct ConnectJob {
        int netns_fd;                   /* -EBADF: stay where we are */
        uint16_t port;
        int fd;
        int error;                      /* a negative errno */
        const char *step;               /* what failed */
} ConnectJob;

static int connect_to(int family, uint16_t port, int *ret) {
        _cleanup_close_ int fd = -EBADF;
        struct timeval tv = { .tv_sec = CONNECT_TIMEOUT_SEC };
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } addr = {};
        socklen_t len;

        if (family == AF_INET) {
                addr.in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons(port),
                                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                len = sizeof(addr.in);
        } else {
                addr.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_port = htons(port),
                                                   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
                len = sizeof(addr.in6);
        }
        fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, &addr.sa, len) < 0)
                return -errno;
        *ret = TAKE_FD(fd);
        return 0;
}

static void *connect_thread(void *userdata) {
        ConnectJob *job = userdata;
        int r;

        /* Only this thread enters the pod's namespace; it ends right after. */
        if (job->netns_fd >= 0 && setns(job->netns_fd, CLONE_NEWNET) < 0) {
                job->error = -errno;
                job->step = "entering the network namespace";
                return NULL;
        }
        /* localhost as kubelet means it: IPv4 first, IPv6 when nothing listens there. */
        r = connect_to(AF_INET, job->port, &job->fd);
        if (r < 0) {
                int r6 = connect_to(AF_INET6, job->port, &job->fd);

                if (r6 >= 0)
                        r = 0;
        }
        if (r < 0) {
                job->error = r;
                job->step = "connecting";
        }
        return NULL;
}

int stream_port_forward_connect(const char *netns_path, uint16_t port, int *ret_fd, char **ret_message) {
        _cleanup_close_ int netns_fd = -EBADF;
        ConnectJob job = { .netns_fd = -EBADF, .port = port, .fd = -EBADF };
        pthread_t thread;
        int r;

        if (netns_path) {
                netns_fd = open(netns_path, O_RDONLY | O_CLOEXEC);
                if (netns_fd < 0) {
                        r = -errno;
                        (void) asprintf(ret_message, "failed to open the network namespace %s: %s", netns_path,
                                        strerror(-r));
                        return r;
                }
                job.netns_fd = netns_fd;
                r = pthread_create(&thread, NULL, connect_thread, &job);
                if (r != 0)
                        return log_error_errno(r, "Failed to start a thread for port forwarding: %m");
                r = pthread_join(thread, NULL);
                if (r != 0)
                        return log_error_errno(r, "Failed to join the port forwarding thread: %m");
        } else
                (void) connect_thread(&job);

        if (job.error < 0) {
                /* kubelet's and CRI-O's words after "error forwarding port N to pod ID: ". */
                (void) asprintf(ret_message, "%s to localhost:%u failed: %s",
                                job.step, (unsigned) port, strerror(-job.error));
                return job.error;
        }
        if (fcntl(job.fd, F_SETFL, fcntl(job.fd, F_GETFL) | O_NONBLOCK) < 0) {
                r = -errno;
                safe_close(job.fd);
                return r;
        }
        *ret_fd = job.fd;
        return 0;
}
