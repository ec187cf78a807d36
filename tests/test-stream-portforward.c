/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "stream-portforward.h"
#include "tap.h"

/* A listener on the loopback of the given family; its port in *ret_port. */
static int listen_on(int family, int backlog, uint16_t *ret_port) {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } addr = {};
        socklen_t len;
        int fd;

        if (family == AF_INET) {
                addr.in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                len = sizeof(addr.in);
        } else {
                addr.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
                len = sizeof(addr.in6);
        }
        fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, &addr.sa, len) < 0 || listen(fd, backlog) < 0 || getsockname(fd, &addr.sa, &len) < 0) {
                safe_close(fd);
                return -errno;
        }
        *ret_port = ntohs(family == AF_INET ? addr.in.sin_port : addr.in6.sin6_port);
        return fd;
}

static unsigned count_fds(void);

/* The fds counted once the threads that hold some of them ended (a loaded machine runs them late). */
static unsigned count_fds_settled(unsigned want) {
        unsigned n = 0;

        for (unsigned k = 0; k < 500; k++) {
                n = count_fds();
                if (n == want)
                        break;
                usleep(10000);
        }
        return n;
}

static unsigned count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        unsigned n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

typedef struct Result {
        bool done;
        int fd;
        char *message;
} Result;

static void on_done(StreamPortForward *pf, int fd, const char *message, void *userdata) {
        Result *res = userdata;

        res->done = true;
        res->fd = fd;
        res->message = message ? strdup(message) : NULL;
}

/* Runs the loop until the connection is made or failed; returns its fd or negative errno. */
static int connect_with_loop(sd_event *e, const char *netns_path, uint16_t port, char **ret_message) {
        StreamPortForward *pf = NULL;
        Result res = { .fd = -EBADF };
        int r;

        r = stream_port_forward_start(e, netns_path, port, on_done, &res, &pf, ret_message);
        if (r < 0)
                return r;
        TAP_OK(!res.done, "port %u: nothing answered from within the start", port);
        for (unsigned k = 0; k < 1000 && !res.done; k++)
                (void) sd_event_run(e, 10000);
        if (!res.done) {
                stream_port_forward_free(pf);
                return -ETIME;
        }
        *ret_message = res.message;
        return res.fd;
}

static void test_loopback(sd_event *e, const char *netns_path, const char *what) {
        _cleanup_close_ int listener = -EBADF, fd = -EBADF, peer = -EBADF;
        _cleanup_free_ char *message = NULL;
        uint16_t port = 0;
        char buf[8] = {};

        listener = listen_on(AF_INET, 4, &port);
        TAP_OK(listener >= 0, "IPv4 listener");
        fd = connect_with_loop(e, netns_path, port, &message);
        TAP_OK(fd >= 0, "%s: connects to 127.0.0.1:%u (%s)", what, port, message ?: "no message");
        if (fd < 0)
                return;
        TAP_OK(fcntl(fd, F_GETFL) & O_NONBLOCK, "%s: the socket is non-blocking", what);
        TAP_OK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "%s: the socket is O_CLOEXEC", what);
        peer = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        TAP_OK(peer >= 0, "%s: the listener sees it", what);
        TAP_IS_INT(write(peer, "ping", 4), 4, "%s: data from the pod side", what);
        usleep(10000);
        TAP_IS_INT(read(fd, buf, sizeof(buf)), 4, "%s: arrives", what);
        TAP_IS_STR(buf, "ping", "%s: intact", what);
}

static void test_refused(sd_event *e, const char *netns_path) {
        _cleanup_free_ char *message = NULL;
        uint16_t port = 0;
        int listener, r;

        /* A port that was just free: nobody listens on either loopback. */
        listener = listen_on(AF_INET, 4, &port);
        safe_close(listener);
        r = connect_with_loop(e, netns_path, port, &message);
        TAP_IS_INT(r, -ECONNREFUSED, "a closed port is refused (%s)", netns_path ?: "our namespace");
        TAP_OK(message && strstr(message, "connecting to localhost:") && strstr(message, "refused"), "says so: %s",
               message ?: "(null)");
}

static void test_ipv6_fallback(sd_event *e) {
        _cleanup_close_ int listener = -EBADF, fd = -EBADF;
        _cleanup_free_ char *message = NULL;
        uint16_t port = 0;

        listener = listen_on(AF_INET6, 4, &port);
        if (listener < 0) {
                printf("ok %u - # SKIP no IPv6 loopback\n", ++tap_count);
                return;
        }
        fd = connect_with_loop(e, NULL, port, &message);
        TAP_OK(fd >= 0, "a port only on ::1 is reached after 127.0.0.1 refused");
}

static void test_bad_netns(sd_event *e) {
        _cleanup_free_ char *message = NULL;
        StreamPortForward *pf = NULL;
        Result res = {};

        TAP_IS_INT(stream_port_forward_start(e, "/nonexistent/netns", 80, on_done, &res, &pf, &message), -ENOENT,
                   "a missing namespace pin");
        TAP_OK(message && strstr(message, "/nonexistent/netns"), "named: %s", message ?: "(null)");
        TAP_OK(!pf && !res.done, "nothing started");
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}

/* A listener whose backlog is full drops our SYN: the connection hangs, the loop must not. */
static void test_never_blocks(sd_event *e, const char *netns_path) {
        _cleanup_close_ int listener = -EBADF;
        int fillers[4] = { -EBADF, -EBADF, -EBADF, -EBADF };
        _cleanup_free_ char *message = NULL;
        StreamPortForward *pf = NULL;
        sd_event_source *tick = NULL;
        Result res = { .fd = -EBADF };
        unsigned ticks = 0, fds_before;
        uint16_t port = 0;
        struct timespec t0, t1;

        listener = listen_on(AF_INET, 0, &port);
        for (unsigned k = 0; k < ELEMENTSOF(fillers); k++) {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

                fillers[k] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                (void) connect(fillers[k], (struct sockaddr *) &sa, sizeof(sa));
        }
        usleep(50000);
        fds_before = count_fds();
        (void) clock_gettime(CLOCK_MONOTONIC, &t0);
        TAP_IS_INT(stream_port_forward_start(e, netns_path, port, on_done, &res, &pf, &message), 0,
                   "connecting to a listener with a full backlog (%s)", netns_path ?: "our namespace");
        (void) sd_event_add_time_relative(e, &tick, CLOCK_MONOTONIC, 300000, 0, on_tick, &ticks);
        for (unsigned k = 0; k < 100 && ticks == 0; k++)
                (void) sd_event_run(e, 50000);
        (void) clock_gettime(CLOCK_MONOTONIC, &t1);
        TAP_OK(ticks == 1 && !res.done, "the loop ran a timer while the connection hung");
        TAP_OK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 5000,
               "without waiting for it (the connect timeout is 10 s)");
        pf = stream_port_forward_free(pf);
        sd_event_source_unref(tick);
        TAP_IS_INT(count_fds_settled(fds_before), fds_before, "cancelling leaves no fd behind");
        for (unsigned k = 0; k < ELEMENTSOF(fillers); k++)
                safe_close(fillers[k]);
}

/* Cancelled while the thread in the namespace still works: its sockets go with it. */
static void test_cancel_during_thread(sd_event *e) {
        _cleanup_free_ char *message = NULL;
        unsigned fds_before = count_fds();
        Result res = {};

        for (unsigned k = 0; k < 20; k++) {
                StreamPortForward *pf = NULL;

                if (stream_port_forward_start(e, "/proc/self/ns/net", 9, on_done, &res, &pf, &message) < 0)
                        break;
                stream_port_forward_free(pf);
        }
        TAP_IS_INT(count_fds_settled(fds_before), fds_before, "no fd left by 20 cancelled connections");
        (void) sd_event_run(e, 0);
        TAP_OK(!res.done, "no answer after a cancel");
}

int main(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;

        if (sd_event_new(&e) < 0)
                return 1;
        test_loopback(e, NULL, "our namespace");
        /* The same namespace through its pin: the thread enters it and hands the sockets back. */
        if (access("/proc/self/ns/net", R_OK) == 0 && geteuid() == 0)
                test_loopback(e, "/proc/self/ns/net", "through a namespace pin");
        else
                printf("ok %u - # SKIP entering a network namespace needs root\n", ++tap_count);
        test_refused(e, NULL);
        if (geteuid() == 0)
                test_refused(e, "/proc/self/ns/net");
        test_ipv6_fallback(e);
        test_bad_netns(e);
        test_never_blocks(e, NULL);
        if (geteuid() == 0) {
                test_never_blocks(e, "/proc/self/ns/net");
                test_cancel_during_thread(e);
        }
        return tap_done();
}
