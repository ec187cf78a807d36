/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "stream-internal.h"

static int on_accept(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        StreamServer *s = userdata;

        for (unsigned k = 0; k < 16; k++) {
                int cfd, r;

                cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (!IN_SET(errno, EAGAIN, EINTR, ECONNABORTED))
                                log_warning_errno(errno, "Failed to accept a streaming connection, ignoring: %m");
                        return 0;
                }
                /* Interactive sessions want their keystrokes out at once. */
                (void) setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &(int) { 1 }, sizeof(int));
                r = stream_connection_new(s, cfd, NULL);
                if (r < 0)
                        log_warning_errno(r, "Failed to set up a streaming connection, ignoring: %m");
        }
        return 0;
}

static int bind_listener(StreamServer *s, const char *address, uint16_t port) {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        socklen_t salen;
        _cleanup_close_ int fd = -EBADF;

        if (!address || !*address || streq(address, "0.0.0.0")) {
                sa.in.sin_family = AF_INET;
                sa.in.sin_addr.s_addr = htonl(INADDR_ANY);
                sa.in.sin_port = htons(port);
                salen = sizeof(sa.in);
        } else if (inet_pton(AF_INET, address, &sa.in.sin_addr) == 1) {
                sa.in.sin_family = AF_INET;
                sa.in.sin_port = htons(port);
                salen = sizeof(sa.in);
        } else if (inet_pton(AF_INET6, address, &sa.in6.sin6_addr) == 1) {
                sa.in6.sin6_family = AF_INET6;
                sa.in6.sin6_port = htons(port);
                salen = sizeof(sa.in6);
        } else
                return log_error_errno(EINVAL, "Streaming address \"%s\" is not an IP address.", address);

        fd = socket(sa.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int) { 1 }, sizeof(int));
        if (bind(fd, &sa.sa, salen) < 0)
                return log_error_errno(errno, "Failed to bind the streaming server to %s:%u: %m",
                                       address ?: "", port);
        if (listen(fd, SOMAXCONN) < 0)
                return -errno;
        salen = sizeof(sa);
        if (getsockname(fd, &sa.sa, &salen) < 0)
                return -errno;
        s->port = ntohs(sa.sa.sa_family == AF_INET ? sa.in.sin_port : sa.in6.sin6_port);
        s->listen_fd = TAKE_FD(fd);
        return 0;
}

int stream_server_new(sd_event *event, const StreamServerSettings *settings, const StreamBackend *backend,
                      void *userdata, StreamServer **ret) {
        _cleanup_(stream_server_freep) StreamServer *s = NULL;
        const char *address = settings->address && *settings->address ? settings->address : "0.0.0.0";
        int r;

        s = calloc(1, sizeof(StreamServer));
        if (!s)
                return -ENOMEM;
        s->listen_fd = -EBADF;
        s->inotify_fd = -EBADF;
        s->event = sd_event_ref(event);
        s->backend = backend;
        s->userdata = userdata;
        s->idle_timeout_usec = settings->idle_timeout_usec;

        /* An IPv6 literal goes in brackets in URLs. */
        if (strchr(address, ':') ? asprintf(&s->address, "[%s]", address) < 0 :
                                   !(s->address = strdup(address)))
                return -ENOMEM;
        r = stream_token_store_new(&s->tokens);
        if (r < 0)
                return r;

        if (settings->enable_tls) {
                s->tls_cert = strdup(settings->tls_cert ?: "");
                s->tls_key = strdup(settings->tls_key ?: "");
                s->tls_ca = settings->tls_ca && *settings->tls_ca ? strdup(settings->tls_ca) : NULL;
                if (!s->tls_cert || !s->tls_key || (settings->tls_ca && *settings->tls_ca && !s->tls_ca))
                        return -ENOMEM;
                r = stream_tls_setup(s);
                if (r < 0)
                        return r;
        }

        r = bind_listener(s, settings->address, settings->port);
        if (r < 0)
                return r;
        r = sd_event_add_io(event, &s->listen_source, s->listen_fd, EPOLLIN, on_accept, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->listen_source, "stream-listen");

        log_debug("Streaming server listening on %s:%u%s.", s->address, s->port, s->ssl_ctx ? " (TLS)" : "");
        *ret = TAKE_PTR(s);
        return 0;
}

StreamServer *stream_server_free(StreamServer *s) {
        if (!s)
                return NULL;
        while (s->connections)
                stream_connection_free(s->connections);
        sd_event_source_disable_unref(s->listen_source);
        safe_close(s->listen_fd);
        stream_tls_done(s);
        stream_token_store_free(s->tokens);
        free(s->address);
        free(s->tls_cert);
        free(s->tls_key);
        free(s->tls_ca);
        sd_event_unref(s->event);
        return mfree(s);
}

uint16_t stream_server_get_port(const StreamServer *s) {
        return s->port;
}

unsigned stream_server_get_n_connections(const StreamServer *s) {
        return s->n_connections;
}

void stream_server_get_tls_reloads(const StreamServer *s, unsigned *ret_reloads, unsigned *ret_failures) {
        *ret_reloads = s->n_tls_reloads;
        *ret_failures = s->n_tls_reload_failures;
}

int stream_server_get_url(StreamServer *s, StreamRequest *req, char **ret_url) {
        _cleanup_free_ char *token = NULL;
        StreamRequestType type = req->type;
        struct timespec ts;
        int r;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        r = stream_token_store_insert(s->tokens, req,
                                      (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U, &token);
        if (r < 0)
                return r;
        if (asprintf(ret_url, "%s://%s:%u/%s/%s", s->ssl_ctx ? "https" : "http", s->address, s->port,
                     stream_request_type_to_string(type), token) < 0)
                return -ENOMEM;
        return 0;
}
