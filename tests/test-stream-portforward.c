/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "stream-container.h"
#include "tap.h"

/* A listener on the loopback of the given family; its port in *ret_port. */
static int listen_on(int family, uint16_t *ret_port) {
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
        if (bind(fd, &addr.sa, len) < 0 || listen(fd, 4) < 0 || getsockname(fd, &addr.sa, &len) < 0) {
                safe_close(fd);
                return -errno;
        }
        *ret_port = ntohs(family == AF_INET ? addr.in.sin_port : addr.in6.sin6_port);
        return fd;
}

static void test_host_loopback(void) {
        _cleanup_close_ int listener = -EBADF, fd = -EBADF, peer = -EBADF;
        _cleanup_free_ char *message = NULL;
        uint16_t port = 0;
        char buf[8] = {};

        listener = listen_on(AF_INET, &port);
        TAP_OK(listener >= 0, "IPv4 listener");
        TAP_IS_INT(stream_port_forward_connect(NULL, port, &fd, &message), 0, "connects to 127.0.0.1:%u", port);
        TAP_OK(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK), "the socket is non-blocking");
        TAP_OK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "the socket is O_CLOEXEC");
        peer = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        TAP_OK(peer >= 0, "the listener sees it");
        TAP_IS_INT(write(peer, "ping", 4), 4, "data from the pod side");
        usleep(10000);
        TAP_IS_INT(read(fd, buf, sizeof(buf)), 4, "arrives");
        TAP_IS_STR(buf, "ping", "intact");
}

static void test_refused(void) {
        _cleanup_free_ char *message = NULL;
        uint16_t port = 0;
        int listener, fd = -EBADF, r;

        /* A port that was just free: nobody listens on either loopback. */
        listener = listen_on(AF_INET, &port);
        safe_close(listener);
        r = stream_port_forward_connect(NULL, port, &fd, &message);
        TAP_IS_INT(r, -ECONNREFUSED, "a closed port is refused");
        TAP_IS_INT(fd, -EBADF, "no fd then");
        TAP_OK(message && strstr(message, "localhost:") && strstr(message, "refused"), "says so: %s",
               message ?: "(null)");
}

static void test_ipv6_fallback(void) {
        _cleanup_close_ int listener = -EBADF, fd = -EBADF;
        _cleanup_free_ char *message = NULL;
        uint16_t port = 0;

        listener = listen_on(AF_INET6, &port);
        if (listener < 0) {
                printf("ok %u - # SKIP no IPv6 loopback\n", ++tap_count);
                return;
        }
        TAP_IS_INT(stream_port_forward_connect(NULL, port, &fd, &message), 0,
                   "a port only on ::1 is reached after 127.0.0.1 refused");
}

static void test_bad_netns(void) {
        _cleanup_free_ char *message = NULL;
        int fd = -EBADF;

        TAP_IS_INT(stream_port_forward_connect("/nonexistent/netns", 80, &fd, &message), -ENOENT,
                   "a missing namespace pin");
        TAP_OK(message && strstr(message, "/nonexistent/netns"), "named: %s", message ?: "(null)");
}

int main(void) {
        test_host_loopback();
        test_refused();
        test_ipv6_fallback();
        test_bad_netns();
        return tap_done();
}
