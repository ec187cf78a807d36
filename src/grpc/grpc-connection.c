/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <malloc.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "grpc-call.h"
#include "grpc-connection.h"
#include "http1.h"
#include "log.h"

#define GRPC_READ_BUFFER_SIZE (64U * 1024U)
/* Stop pulling frames out of nghttp2 once this much waits for the kernel. */
#define GRPC_OUT_HIGH_WATER (64U * 1024U)
/* Larger output buffers are given back once drained. */
#define GRPC_OUT_KEEP (64U * 1024U)

#define HTTP2_CLIENT_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define SNIFF_MAX 32U

#define GRPC_MAX_CONCURRENT_STREAMS 1000U
#define GRPC_STREAM_WINDOW (1U << 20)
#define GRPC_CONNECTION_WINDOW (16U << 20)

static int grpc_connection_update_events(GrpcConnection *c) {
        uint32_t events;
        int r;

        /* While the peer does not take our output, stop reading its input: that bounds what we queue. */
        if (c->out_size > c->out_start)
                events = EPOLLOUT;
        else if (c->close_after_flush)
                events = 0;
        else
                events = EPOLLIN;

        if (events == c->io_events)
                return 0;
        r = sd_event_source_set_io_events(c->io, events);
        if (r < 0)
                return r;
        c->io_events = events;
        return 0;
}

static int grpc_connection_out_append(GrpcConnection *c, const void *data, size_t size) {
        if (c->out_size + size > c->out_allocated) {
                size_t a;
                uint8_t *p;

                if (c->out_start > 0) {
                        memmove(c->out, c->out + c->out_start, c->out_size - c->out_start);
                        c->out_size -= c->out_start;
                        c->out_start = 0;
                }
                if (c->out_size + size > c->out_allocated) {
                        a = MAX(MAX(c->out_size + size, c->out_allocated * 2), (size_t) 4096);
                        p = realloc(c->out, a);
                        if (!p)
                                return -ENOMEM;
                        c->out = p;
                        c->out_allocated = a;
                }
        }
        memcpy(c->out + c->out_size, data, size);
        c->out_size += size;
        return 0;
}

int grpc_connection_flush(GrpcConnection *c) {
        int r;

        for (;;) {
                ssize_t n;

                while (c->session && c->out_size - c->out_start < GRPC_OUT_HIGH_WATER) {
                        const uint8_t *data;

                        n = nghttp2_session_mem_send(c->session, &data);
                        if (n < 0)
                                return log_debug_errno(EPROTO, "HTTP/2 session failed: %s",
                                                       nghttp2_strerror((int) n));
                        if (n == 0)
                                break;
                        r = grpc_connection_out_append(c, data, (size_t) n);
                        if (r < 0)
                                return r;
                }

                if (c->out_size == c->out_start)
                        break;

                n = send(c->fd, c->out + c->out_start, c->out_size - c->out_start, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return log_debug_errno(errno, "Failed to write to connection: %m");
                }
                c->out_start += (size_t) n;
                if (c->out_start < c->out_size)
                        break; /* the kernel buffer is full, wait for EPOLLOUT */
                c->out_start = c->out_size = 0;
        }

        /* Idle connections keep no output buffer; busy ones keep a moderate one for the next reply. */
        if (c->out_size == c->out_start && c->out && (!c->calls || c->out_allocated > GRPC_OUT_KEEP)) {
                c->out = mfree(c->out);
                c->out_start = c->out_size = c->out_allocated = 0;
        }

        return grpc_connection_update_events(c);
}

bool grpc_connection_is_done(GrpcConnection *c) {
        if (c->out_size > c->out_start)
                return false;
        if (c->close_after_flush)
                return true;
        return c->session && !nghttp2_session_want_read(c->session) && !nghttp2_session_want_write(c->session);
}

bool grpc_connection_maybe_close(GrpcConnection *c) {
        if (!grpc_connection_is_done(c))
                return false;
        grpc_connection_free(c);
        return true;
}

static int grpc_connection_on_defer(sd_event_source *s, void *userdata) {
        GrpcConnection *c = userdata;

        if (grpc_connection_flush(c) < 0)
                grpc_connection_free(c);
        else
                (void) grpc_connection_maybe_close(c);
        return 0;
}

void grpc_connection_schedule_flush(GrpcConnection *c) {
        int r;

        if (c->dispatching > 0)
                return;

        if (!c->defer) {
                r = sd_event_add_defer(c->server->event, &c->defer, grpc_connection_on_defer, c);
                if (r < 0) {
                        log_debug_errno(r, "Failed to add defer event source, flushing now: %m");
                        if (grpc_connection_flush(c) < 0)
                                c->close_after_flush = true;
                        return;
                }
        }
        (void) sd_event_source_set_enabled(c->defer, SD_EVENT_ONESHOT);
}

/* HTTP/1.1 */

static int grpc_connection_http1_answer(GrpcConnection *c, unsigned status, const char *content_type,
                                        const void *body, size_t body_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = http1_format_response(status, content_type, body, body_size, !c->close_after_flush, &buf, &size);
        if (r < 0)
                return r;
        return grpc_connection_out_append(c, buf, size);
}

static int grpc_connection_http1_request(GrpcConnection *c, const Http1Request *req) {
        GrpcHttpResponse resp = {};
        int r;

        if (!req->keep_alive || req->has_body || c->server->shutting_down)
                c->close_after_flush = true;

        if (strcmp(req->method, "GET") != 0)
                return grpc_connection_http1_answer(c, 405, NULL, "405 method not allowed\n",
                                                    strlen("405 method not allowed\n"));

        if (!c->server->http_handler)
                return grpc_connection_http1_answer(c, 404, NULL, "404 page not found\n",
                                                    strlen("404 page not found\n"));

        r = c->server->http_handler(req->method, req->path, &resp, c->server->userdata);
        if (r < 0) {
                free(resp.body);
                log_debug_errno(r, "HTTP handler failed for %s: %m", req->path);
                return grpc_connection_http1_answer(c, 500, NULL, "500 internal server error\n",
                                                    strlen("500 internal server error\n"));
        }
        r = grpc_connection_http1_answer(c, resp.status ?: 200, resp.content_type, resp.body,
                                         resp.body ? resp.body_size : 0);
        free(resp.body);
        return r;
}

static int grpc_connection_http1_feed(GrpcConnection *c, const uint8_t *data, size_t size) {
        int r;

        if (size > 0) {
                if (c->in_size + size > c->in_allocated) {
                        size_t a = MAX(c->in_size + size, (size_t) 1024);
                        char *p = realloc(c->in, a);

                        if (!p)
                                return -ENOMEM;
                        c->in = p;
                        c->in_allocated = a;
                }
                memcpy(c->in + c->in_size, data, size);
                c->in_size += size;
        }

        while (!c->close_after_flush && c->in_size > 0) {
                Http1Request req = {};
                int n;

                n = http1_parse_request(c->in, c->in_size, &req);
                if (n == 0)
                        break;
                if (n == -ENOMEM)
                        return n;
                if (n < 0) {
                        c->close_after_flush = true;
                        if (n == -E2BIG)
                                return grpc_connection_http1_answer(c, 431, NULL, "431 request header fields too large\n",
                                                                    strlen("431 request header fields too large\n"));
                        return grpc_connection_http1_answer(c, 400, NULL, "400 bad request\n",
                                                            strlen("400 bad request\n"));
                }

                r = grpc_connection_http1_request(c, &req);
                http1_request_done(&req);
                if (r < 0)
                        return r;

                memmove(c->in, c->in + n, c->in_size - (size_t) n);
                c->in_size -= (size_t) n;
        }

        if (c->in_size == 0 || c->close_after_flush) {
                c->in = mfree(c->in);
                c->in_size = c->in_allocated = 0;
        }
        return 0;
}

/* HTTP/2 */

static int grpc_connection_http2_feed(GrpcConnection *c, const uint8_t *data, size_t size) {
        ssize_t n;

        n = nghttp2_session_mem_recv(c->session, data, size);
        if (n < 0) {
                log_debug("Closing HTTP/2 connection after protocol error: %s", nghttp2_strerror((int) n));
                /* Tell the peer why (GOAWAY PROTOCOL_ERROR), then close. */
                (void) nghttp2_session_terminate_session(c->session, NGHTTP2_PROTOCOL_ERROR);
                c->close_after_flush = true;
        }
        return 0;
}

static int grpc_connection_http2_start(GrpcConnection *c) {
        const nghttp2_settings_entry settings[] = {
                { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, GRPC_MAX_CONCURRENT_STREAMS },
                { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, GRPC_STREAM_WINDOW },
        };
        int r;

        r = nghttp2_session_server_new2(&c->session, c->server->h2_callbacks, c, c->server->h2_option);
        if (r < 0)
                return -ENOMEM;

        r = nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings, ELEMENTSOF(settings));
        if (r < 0)
                return -ENOMEM;
        r = nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0, GRPC_CONNECTION_WINDOW);
        if (r < 0)
                return -ENOMEM;

        if (c->server->shutting_down)
                grpc_connection_shutdown(c);
        return 0;
}

int grpc_connection_feed(GrpcConnection *c, const uint8_t *data, size_t size) {
        int r;

        if (c->close_after_flush)
                return 0; /* we are only writing out what is left */

        if (c->kind == GRPC_CONNECTION_SNIFF) {
                size_t n = MIN(size, SNIFF_MAX - c->in_size);

                if (!c->in) {
                        c->in = malloc(SNIFF_MAX);
                        if (!c->in)
                                return -ENOMEM;
                        c->in_allocated = SNIFF_MAX;
                }
                memcpy(c->in + c->in_size, data, n);
                c->in_size += n;
                data += n;
                size -= n;

                r = http1_sniff(c->in, c->in_size);
                if (r == -EAGAIN && c->in_size < SNIFF_MAX)
                        return 0;

                if (r > 0)
                        c->kind = GRPC_CONNECTION_HTTP1;
                else {
                        /* Everything else is handed to nghttp2: the preface, or garbage it refuses. */
                        _cleanup_free_ char *prefix = TAKE_PTR(c->in);
                        size_t prefix_size = c->in_size;

                        c->in_size = c->in_allocated = 0;
                        c->kind = GRPC_CONNECTION_HTTP2;
                        r = grpc_connection_http2_start(c);
                        if (r < 0)
                                return r;
                        r = grpc_connection_http2_feed(c, (const uint8_t *) prefix, prefix_size);
                        if (r < 0 || c->close_after_flush)
                                return r;
                }
        }

        if (c->kind == GRPC_CONNECTION_HTTP1)
                return grpc_connection_http1_feed(c, data, size);
        if (size == 0)
                return 0;
        return grpc_connection_http2_feed(c, data, size);
}

static int grpc_connection_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        GrpcConnection *c = userdata;
        uint8_t buf[GRPC_READ_BUFFER_SIZE];
        int r = 0;

        c->dispatching++;

        if ((c->io_events & EPOLLIN) && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                /* A few reads in a row when the peer sends fast, but keep it fair for the others. */
                for (unsigned i = 0; i < 4; i++) {
                        ssize_t n;

                        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                        if (n < 0) {
                                if (errno == EINTR)
                                        continue;
                                if (errno != EAGAIN)
                                        r = log_debug_errno(errno, "Failed to read from connection: %m");
                                break;
                        }
                        if (n == 0) {
                                /* The client is gone (or half-closed): finish writing, then close. */
                                c->close_after_flush = true;
                                break;
                        }

                        r = grpc_connection_feed(c, buf, (size_t) n);
                        if (r < 0 || (size_t) n < sizeof(buf) || c->close_after_flush)
                                break;
                        /* Stop reading while output is piling up. */
                        if (c->out_size - c->out_start >= GRPC_OUT_HIGH_WATER)
                                break;
                }

        c->dispatching--;

        if (r >= 0)
                r = grpc_connection_flush(c);
        if (r < 0) {
                grpc_connection_free(c);
                return 0;
        }
        (void) grpc_connection_maybe_close(c);
        return 0;
}

void grpc_connection_shutdown(GrpcConnection *c) {
        if (c->kind == GRPC_CONNECTION_HTTP2) {
                if (c->goaway_sent)
                        return;
                c->goaway_sent = true;
                (void) nghttp2_submit_goaway(c->session, NGHTTP2_FLAG_NONE,
                                             nghttp2_session_get_last_proc_stream_id(c->session),
                                             NGHTTP2_NO_ERROR, NULL, 0);
        } else if (c->kind == GRPC_CONNECTION_SNIFF || c->in_size == 0)
                /* Idle: nothing is lost by closing. A request head still arriving is answered first. */
                c->close_after_flush = true;

        grpc_connection_schedule_flush(c);
}

int grpc_connection_new(GrpcServer *s, int fd, GrpcConnection **ret) {
        _cleanup_(grpc_connection_freep) GrpcConnection *c = NULL;
        int r;

        c = calloc(1, sizeof(GrpcConnection));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->server = s;
        c->fd = fd;
        c->kind = GRPC_CONNECTION_SNIFF;

        c->next = s->connections;
        if (s->connections)
                s->connections->prev = c;
        s->connections = c;
        s->n_connections++;
        s->n_connections_peak = MAX(s->n_connections_peak, s->n_connections);

        r = sd_event_add_io(s->event, &c->io, fd, EPOLLIN, grpc_connection_on_io, c);
        if (r < 0)
                return r;
        c->io_events = EPOLLIN;

        *ret = TAKE_PTR(c);
        return 0;
}

GrpcConnection *grpc_connection_free(GrpcConnection *c) {
        GrpcServer *s;

        if (!c)
                return NULL;
        s = c->server;

        /* Calls first: their cancel handlers run while the server still counts this connection. */
        while (c->calls) {
                GrpcCall *call = c->calls;

                if (c->session)
                        nghttp2_session_set_stream_user_data(c->session, call->stream_id, NULL);
                grpc_call_detach(call);
        }

        if (c->session)
                nghttp2_session_del(c->session);
        c->io = sd_event_source_disable_unref(c->io);
        c->defer = sd_event_source_disable_unref(c->defer);
        safe_close(c->fd);
        free(c->in);
        free(c->out);

        if (c->prev)
                c->prev->next = c->next;
        else if (s->connections == c)
                s->connections = c->next;
        if (c->next)
                c->next->prev = c->prev;
        s->n_connections--;
        free(c);

        /* After a burst of connections, give the freed heap back so an idle daemon stays small. */
        if (s->n_connections == 0 && s->n_connections_peak >= 64) {
                (void) malloc_trim(0);
                s->n_connections_peak = 0;
        }

        grpc_server_check_drained(s);
        return NULL;
}

/* nghttp2 callbacks */

static GrpcCall *stream_call(nghttp2_session *session, int32_t stream_id) {
        return nghttp2_session_get_stream_user_data(session, stream_id);
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *userdata) {
        GrpcConnection *c = userdata;
        GrpcCall *call;

        if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
                return 0;
        if (grpc_call_new(c, frame->hd.stream_id, &call) < 0)
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        if (nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, call) < 0) {
                grpc_call_detach(call);
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *userdata) {
        GrpcCall *call;

        if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
                return 0;
        call = stream_call(session, frame->hd.stream_id);
        if (!call)
                return 0;
        if (grpc_call_on_header(call, name, namelen, value, valuelen) == -ENOMEM)
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *userdata) {
        GrpcCall *call;

        if (!IN_SET(frame->hd.type, NGHTTP2_HEADERS, NGHTTP2_DATA))
                return 0;
        call = stream_call(session, frame->hd.stream_id);
        if (!call)
                return 0;

        if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
                if (grpc_call_on_headers_complete(call) == -ENOMEM)
                        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
                (void) grpc_call_on_remote_end(call);
        return 0;
}

static int on_data_chunk_recv(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data,
                              size_t len, void *userdata) {
        GrpcCall *call;

        call = stream_call(session, stream_id);
        if (!call)
                return 0;
        (void) grpc_call_on_data(call, data, len);
        return 0;
}

static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *userdata) {
        GrpcCall *call;

        if (!IN_SET(frame->hd.type, NGHTTP2_HEADERS, NGHTTP2_DATA) || !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
                return 0;
        call = stream_call(session, frame->hd.stream_id);
        if (call)
                grpc_call_on_end_stream_sent(call);
        return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code, void *userdata) {
        GrpcCall *call;

        call = stream_call(session, stream_id);
        if (!call)
                return 0;
        (void) nghttp2_session_set_stream_user_data(session, stream_id, NULL);
        grpc_call_detach(call);
        return 0;
}

int grpc_connection_callbacks_new(nghttp2_session_callbacks **ret) {
        nghttp2_session_callbacks *cb;

        if (nghttp2_session_callbacks_new(&cb) < 0)
                return -ENOMEM;
        nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
        nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk_recv);
        nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
        nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
        *ret = cb;
        return 0;
}
