/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "grpc-call.h"
#include "grpc-connection.h"
#include "log.h"

#define GRPC_LISTEN_BACKLOG 4096
/* When out of file descriptors, pause accepting for this long instead of spinning. */
#define GRPC_ACCEPT_RETRY_USEC (100U * 1000U)

static int method_compare(const void *a, const void *b) {
        return strcmp(((const GrpcMethod *) a)->path, ((const GrpcMethod *) b)->path);
}

int grpc_server_new(sd_event *event, const GrpcMethod *methods, size_t n_methods, void *userdata, GrpcServer **ret) {
        _cleanup_(grpc_server_freep) GrpcServer *s = NULL;
        int r;

        if (!event || !ret || (n_methods > 0 && !methods))
                return -EINVAL;

        s = calloc(1, sizeof(GrpcServer));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->userdata = userdata;
        s->limits = (GrpcServerLimits) {
                .max_recv_message_size = GRPC_DEFAULT_MAX_MESSAGE_SIZE,
                .max_send_message_size = GRPC_DEFAULT_MAX_MESSAGE_SIZE,
        };

        if (n_methods > 0) {
                s->methods = calloc(n_methods, sizeof(GrpcMethod));
                if (!s->methods)
                        return -ENOMEM;
                memcpy(s->methods, methods, n_methods * sizeof(GrpcMethod));
                s->n_methods = n_methods;
                /* Sorted once, so each call finds its method with a binary search. */
                qsort(s->methods, n_methods, sizeof(GrpcMethod), method_compare);
        }

        r = grpc_connection_callbacks_new(&s->h2_callbacks);
        if (r < 0)
                return r;
        if (nghttp2_option_new(&s->h2_option) < 0)
                return -ENOMEM;
        /* Closed streams are kept only for priority bookkeeping, which gRPC does not use. */
        nghttp2_option_set_no_closed_streams(s->h2_option, 1);

        *ret = TAKE_PTR(s);
        return 0;
}

static GrpcListener *grpc_listener_free(GrpcListener *l) {
        if (!l)
                return NULL;
        l->source = sd_event_source_disable_unref(l->source);
        safe_close(l->fd);
        if (l->path)
                (void) unlink(l->path);
        free(l->path);
        return mfree(l);
}

static void grpc_listener_stop(GrpcListener *l) {
        l->source = sd_event_source_disable_unref(l->source);
        l->fd = safe_close(l->fd);
}

GrpcServer *grpc_server_free(GrpcServer *s) {
        if (!s)
                return NULL;

        s->freeing = true;
        while (s->connections)
                grpc_connection_free(s->connections);
        for (size_t i = 0; i < s->n_listeners; i++)
                grpc_listener_free(s->listeners[i]);
        free(s->listeners);
        free(s->methods);
        s->shutdown_timer = sd_event_source_disable_unref(s->shutdown_timer);
        if (s->h2_callbacks)
                nghttp2_session_callbacks_del(s->h2_callbacks);
        if (s->h2_option)
                nghttp2_option_del(s->h2_option);
        sd_event_unref(s->event);
        return mfree(s);
}

void grpc_server_set_limits(GrpcServer *s, const GrpcServerLimits *limits) {
        s->limits = *limits;
        if (s->limits.max_recv_message_size == 0)
                s->limits.max_recv_message_size = GRPC_DEFAULT_MAX_MESSAGE_SIZE;
        if (s->limits.max_send_message_size == 0)
                s->limits.max_send_message_size = GRPC_DEFAULT_MAX_MESSAGE_SIZE;
}

void grpc_server_set_http_handler(GrpcServer *s, GrpcHttpHandler handler) {
        s->http_handler = handler;
}

const GrpcMethod *grpc_server_find_method(GrpcServer *s, const char *path) {
        GrpcMethod key = { .path = path };

        if (s->n_methods == 0)
                return NULL;
        return bsearch(&key, s->methods, s->n_methods, sizeof(GrpcMethod), method_compare);
}

int grpc_server_add_connection(GrpcServer *s, int fd) {
        GrpcConnection *c;

        if (s->shutting_down) {
                safe_close(fd);
                return -ESHUTDOWN;
        }
        return grpc_connection_new(s, fd, &c);
}

static int grpc_listener_on_retry(sd_event_source *source, uint64_t usec, void *userdata) {
        GrpcListener *l = userdata;

        if (l->source)
                (void) sd_event_source_set_enabled(l->source, SD_EVENT_ON);
        return 0;
}

static int grpc_listener_on_accept(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        GrpcListener *l = userdata;
        GrpcServer *s = l->server;
        int r;

        /* Several at once under load, but give the loop back now and then. */
        for (unsigned i = 0; i < 64; i++) {
                int cfd;

                cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        if (IN_SET(errno, EMFILE, ENFILE, ENOBUFS, ENOMEM)) {
                                log_warning_errno(errno, "Failed to accept connection, pausing: %m");
                                (void) sd_event_source_set_enabled(l->source, SD_EVENT_OFF);
                                r = sd_event_add_time_relative(s->event, NULL, CLOCK_MONOTONIC,
                                                               GRPC_ACCEPT_RETRY_USEC, 0,
                                                               grpc_listener_on_retry, l);
                                if (r < 0)
                                        (void) sd_event_source_set_enabled(l->source, SD_EVENT_ON);
                                break;
                        }
                        log_warning_errno(errno, "Failed to accept connection, ignoring: %m");
                        break;
                }

                r = grpc_server_add_connection(s, cfd);
                if (r < 0)
                        log_warning_errno(r, "Failed to set up connection, dropping it: %m");
        }
        return 0;
}

static int grpc_server_add_listener_full(GrpcServer *s, int fd, char *path) {
        _cleanup_free_ GrpcListener *l = NULL;
        GrpcListener **a;
        int r, flags;

        if (s->shutting_down)
                return -ESHUTDOWN;

        flags = fcntl(fd, F_GETFL);
        if (flags < 0)
                return -errno;
        if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;

        a = realloc(s->listeners, (s->n_listeners + 1) * sizeof(GrpcListener *));
        if (!a)
                return -ENOMEM;
        s->listeners = a;

        l = calloc(1, sizeof(GrpcListener));
        if (!l)
                return -ENOMEM;
        l->server = s;
        l->fd = -EBADF;

        r = sd_event_add_io(s->event, &l->source, fd, EPOLLIN, grpc_listener_on_accept, l);
        if (r < 0)
                return r;

        l->fd = fd;
        l->path = path;
        s->listeners[s->n_listeners++] = TAKE_PTR(l);
        return 0;
}

int grpc_server_add_listener(GrpcServer *s, int fd) {
        int r;

        if (!s || fd < 0)
                return -EINVAL;
        r = grpc_server_add_listener_full(s, fd, NULL);
        if (r < 0)
                return r;
        return 0;
}

int grpc_server_listen_unix(GrpcServer *s, const char *path, mode_t mode) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *p = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct stat st;
        int r;

        if (!s || !path || strlen(path) >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, path, strlen(path));

        p = strdup(path);
        if (!p)
                return -ENOMEM;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create socket: %m");

        /* A stale socket from an earlier run is replaced; anything else at that path is not ours. */
        if (lstat(path, &st) >= 0) {
                if (!S_ISSOCK(st.st_mode))
                        return log_error_errno(EEXIST, "Refusing to replace %s, not a socket.", path);
                if (unlink(path) < 0 && errno != ENOENT)
                        return log_error_errno(errno, "Failed to remove stale socket %s: %m", path);
        }

        if (bind(fd, (const struct sockaddr *) &sa, sizeof(sa)) < 0)
                return log_error_errno(errno, "Failed to bind %s: %m", path);
        if (chmod(path, mode) < 0) {
                r = log_error_errno(errno, "Failed to set mode of %s: %m", path);
                (void) unlink(path);
                return r;
        }
        if (listen(fd, GRPC_LISTEN_BACKLOG) < 0) {
                r = log_error_errno(errno, "Failed to listen on %s: %m", path);
                (void) unlink(path);
                return r;
        }

        r = grpc_server_add_listener_full(s, fd, p);
        if (r < 0) {
                (void) unlink(path);
                return r;
        }
        TAKE_FD(fd);
        TAKE_PTR(p);
        return 0;
}

void grpc_server_check_drained(GrpcServer *s) {
        GrpcServerDrainedHandler done;

        if (!s->shutting_down || s->freeing || s->n_connections > 0 || !s->drained)
                return;

        s->shutdown_timer = sd_event_source_disable_unref(s->shutdown_timer);
        done = s->drained;
        s->drained = NULL;
        done(s, s->userdata);
}

static int grpc_server_on_shutdown_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        GrpcServer *s = userdata;

        s->shutdown_timer = sd_event_source_disable_unref(s->shutdown_timer);
        log_debug("Shutdown timeout reached, cancelling %u calls on %u connections.",
                  s->n_calls, s->n_connections);

        /* Cancel what is left, write what we can without waiting, then drop every connection. */
        for (GrpcConnection *c = s->connections; c; c = c->next) {
                GrpcCall *next;

                for (GrpcCall *call = c->calls; call; call = next) {
                        next = call->next;
                        grpc_call_abort(call);
                }
                c->dispatching++;
        }
        while (s->connections) {
                GrpcConnection *c = s->connections;

                c->dispatching--;
                (void) grpc_connection_flush(c);
                grpc_connection_free(c);
        }
        return 0;
}

int grpc_server_shutdown(GrpcServer *s, uint64_t timeout_usec, GrpcServerDrainedHandler done) {
        GrpcConnection *next;
        int r;

        if (!s)
                return -EINVAL;
        if (s->shutting_down)
                return -EALREADY;

        s->shutting_down = true;
        s->drained = done;

        for (size_t i = 0; i < s->n_listeners; i++)
                grpc_listener_stop(s->listeners[i]);

        /* Streams that never end by themselves end now, ahead of the GOAWAY; the output waits for the
         * deferred flush, so no connection goes away under us. */
        for (GrpcConnection *c = s->connections; c; c = c->next) {
                GrpcCall *next_call;

                for (GrpcCall *call = c->calls; call; call = next_call) {
                        next_call = call->next;
                        grpc_call_drain(call);
                }
        }

        for (GrpcConnection *c = s->connections; c; c = next) {
                next = c->next;
                grpc_connection_shutdown(c);
        }

        if (s->n_connections > 0 && timeout_usec != UINT64_MAX) {
                r = sd_event_add_time_relative(s->event, &s->shutdown_timer, CLOCK_MONOTONIC, timeout_usec,
                                               /* accuracy= */ 0, grpc_server_on_shutdown_timeout, s);
                if (r < 0)
                        return log_error_errno(r, "Failed to arm shutdown timer: %m");
        }

        grpc_server_check_drained(s);
        return 0;
}

unsigned grpc_server_n_connections(GrpcServer *s) {
        return s->n_connections;
}

unsigned grpc_server_n_calls(GrpcServer *s) {
        return s->n_calls;
}
