/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <openssl/err.h>

#include "base64.h"
#include "log.h"
#include "stream-http.h"
#include "stream-internal.h"
#include "strv.h"

/* Subprotocols in the server's order of preference. */
static const char *const spdy_exec_protocols[] = {
        "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io",
};
static const char *const spdy_port_forward_protocols[] = { "portforward.k8s.io" };

typedef struct WebSocketProtocol {
        const char *name;
        unsigned version;
        bool base64;
} WebSocketProtocol;

static const WebSocketProtocol ws_exec_protocols[] = {
        { "v5.channel.k8s.io", 5, false },
        { "v4.channel.k8s.io", 4, false },
        { "v4.base64.channel.k8s.io", 4, true },
        { "channel.k8s.io", 1, false },
        { "base64.channel.k8s.io", 1, true },
};
static const WebSocketProtocol ws_port_forward_protocols[] = {
        { "portforward.k8s.io", 4, false },
        { "v4.channel.k8s.io", 4, false },
        { "v4.base64.channel.k8s.io", 4, true },
        { "channel.k8s.io", 1, false },
        { "base64.channel.k8s.io", 1, true },
};

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

static void connection_schedule(StreamConnection *c) {
        (void) sd_event_source_set_enabled(c->defer, SD_EVENT_ONESHOT);
}

static void connection_close_soon(StreamConnection *c) {
        c->close_now = true;
        connection_schedule(c);
}

static void connection_update_events(StreamConnection *c) {
        uint32_t events = 0;

        if (!c->io)
                return;
        if (!c->read_paused && !c->peer_eof)
                events |= EPOLLIN;
        if ((stream_buffer_size(&c->out) > 0 && !c->ssl_write_wants_read) || c->ssl_want_write)
                events |= EPOLLOUT;
        /* Also while reading is paused: TLS output may wait for a record from the client. */
        if (c->ssl_write_wants_read && !c->peer_eof)
                events |= EPOLLIN;
        if (events == 0)
                (void) sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
        else {
                (void) sd_event_source_set_io_events(c->io, events);
                (void) sd_event_source_set_enabled(c->io, SD_EVENT_ON);
        }
}

/* Raw I/O, through TLS when the server has it. Returns bytes, 0 at EOF, -EAGAIN, or an error. */
static ssize_t connection_recv(StreamConnection *c, void *buf, size_t size) {
        ssize_t n;

        if (c->ssl) {
                int k;

                ERR_clear_error();
                k = SSL_read(c->ssl, buf, (int) MIN(size, (size_t) INT32_MAX));
                if (k > 0)
                        return k;
                switch (SSL_get_error(c->ssl, k)) {
                case SSL_ERROR_WANT_READ:
                        return -EAGAIN;
                case SSL_ERROR_WANT_WRITE:
                        c->ssl_want_write = true;
                        return -EAGAIN;
                case SSL_ERROR_ZERO_RETURN:
                        return 0;
                default:
                        return -ECONNRESET;
                }
        }
        n = recv(c->fd, buf, size, 0);
        if (n < 0)
                return IN_SET(errno, EAGAIN, EINTR) ? -EAGAIN : -errno;
        return n;
}

static ssize_t connection_xmit(StreamConnection *c, const void *buf, size_t size) {
        ssize_t n;

        if (c->ssl) {
                int k;

                ERR_clear_error();
                k = SSL_write(c->ssl, buf, (int) MIN(size, (size_t) INT32_MAX));
                if (k > 0)
                        return k;
                switch (SSL_get_error(c->ssl, k)) {
                case SSL_ERROR_WANT_READ:
                        c->ssl_write_wants_read = true;
                        return -EAGAIN;
                case SSL_ERROR_WANT_WRITE:
                        return -EAGAIN;
                default:
                        return -EPIPE;
                }
        }
        n = send(c->fd, buf, size, MSG_NOSIGNAL);
        if (n < 0)
                return IN_SET(errno, EAGAIN, EINTR) ? -EAGAIN : -errno;
        return n;
}

static int connection_flush(StreamConnection *c) {
        bool was_full = stream_buffer_size(&c->out) >= STREAM_OUTPUT_LOW_WATER;

        while (stream_buffer_size(&c->out) > 0) {
                ssize_t n = connection_xmit(c, stream_buffer_head(&c->out), stream_buffer_size(&c->out));

                if (n == -EAGAIN)
                        break;
                if (n < 0) {
                        log_debug_errno((int) n, "Writing to a streaming client failed: %m");
                        stream_buffer_consume(&c->out, stream_buffer_size(&c->out));
                        connection_close_soon(c);
                        return (int) n;
                }
                c->last_activity_usec = now_usec();
                stream_buffer_consume(&c->out, (size_t) n);
        }
        if (c->close_after_flush && stream_buffer_size(&c->out) == 0)
                connection_close_soon(c);
        else if (was_full && stream_buffer_size(&c->out) < STREAM_OUTPUT_LOW_WATER && c->session)
                stream_session_resume_output(c->session);
        connection_update_events(c);
        return 0;
}

static void connection_queued(StreamConnection *c) {
        /* Try at once: most writes go through without waiting for EPOLLOUT. */
        if (stream_buffer_size(&c->out) > 0)
                (void) connection_flush(c);
}

static int respond(StreamConnection *c, unsigned status, const char *reason, const char *extra_headers,
                   const char *body) {
        _cleanup_free_ char *head = NULL;
        int r;

        body = body ?: "";
        r = asprintf(&head,
                     "HTTP/1.1 %u %s\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n"
                     "X-Content-Type-Options: nosniff\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n"
                     "%s"
                     "\r\n%s",
                     status, reason, strlen(body), extra_headers ?: "", body);
        if (r < 0)
                return -ENOMEM;
        r = stream_buffer_append(&c->out, head, strlen(head));
        if (r < 0)
                return r;
        c->close_after_flush = true;
        /* Nothing more is read from a client we are answering with an error. */
        c->read_paused = true;
        connection_queued(c);
        return 0;
}

/* ---- sending on channels ---- */

size_t stream_connection_send_budget(StreamConnection *c, StreamChannel *ch) {
        size_t queued = stream_buffer_size(&c->out), budget;

        if (c->close_now || c->close_after_flush || queued >= STREAM_OUTPUT_HIGH_WATER)
                return 0;
        budget = STREAM_OUTPUT_HIGH_WATER - queued;
        if (c->protocol == STREAM_PROTOCOL_SPDY && c->spdy_flow_control)
                budget = ch->send_window > 0 ? MIN(budget, (size_t) ch->send_window) : 0;
        return budget;
}

static int websocket_send_channel(StreamConnection *c, StreamChannel *ch, const void *data, size_t size) {
        uint8_t h[WEBSOCKET_MAX_HEADER_SIZE];
        size_t n;
        int r;

        if (c->ws_base64) {
                _cleanup_free_ char *encoded = NULL;
                size_t l;

                r = base64_encode(data, size, &encoded, &l);
                if (r < 0)
                        return r;
                n = websocket_frame_header(h, true, WEBSOCKET_TEXT, l + 1, NULL);
                r = stream_buffer_reserve(&c->out, n + 1 + l);
                if (r < 0)
                        return r;
                (void) stream_buffer_append(&c->out, h, n);
                (void) stream_buffer_append(&c->out, &(char) { (char) ('0' + ch->id) }, 1);
                (void) stream_buffer_append(&c->out, encoded, l);
                return 0;
        }
        n = websocket_frame_header(h, true, WEBSOCKET_BINARY, size + 1, NULL);
        r = stream_buffer_reserve(&c->out, n + 1 + size);
        if (r < 0)
                return r;
        (void) stream_buffer_append(&c->out, h, n);
        (void) stream_buffer_append(&c->out, &(uint8_t) { (uint8_t) ch->id }, 1);
        (void) stream_buffer_append(&c->out, data, size);
        return 0;
}

int stream_connection_send(StreamConnection *c, StreamChannel *ch, const void *data, size_t size, bool fin) {
        int r = 0;

        if (c->close_now || c->close_after_flush)
                return -ESHUTDOWN;
        c->last_activity_usec = now_usec();
        if (c->protocol == STREAM_PROTOCOL_SPDY) {
                r = spdy_write_data(&c->out, ch->id, fin ? SPDY_FLAG_FIN : 0, data, size);
                ch->send_window -= (int64_t) size;
        } else if (c->protocol == STREAM_PROTOCOL_WEBSOCKET && size > 0)
                r = websocket_send_channel(c, ch, data, size);
        if (r < 0) {
                log_debug_errno(r, "Failed to queue stream data: %m");
                connection_close_soon(c);
                return r;
        }
        connection_queued(c);
        return 0;
}

void stream_connection_consumed(StreamConnection *c, StreamChannel *ch, size_t n) {
        /* The client's window for this stream opens by what left our hands: a client that honours
         * windows never has more than one window waiting here, and we keep reading its frames. */
        if (c->protocol != STREAM_PROTOCOL_SPDY || n == 0 || c->close_now || c->close_after_flush)
                return;
        while (n > 0) {
                uint32_t k = (uint32_t) MIN(n, (size_t) 0x7fffffff);

                if (spdy_write_window_update(&c->out, ch->id, k) < 0)
                        return;
                n -= k;
        }
        connection_queued(c);
}

void stream_connection_finish(StreamConnection *c) {
        if (c->close_after_flush || c->close_now)
                return;
        if (c->protocol == STREAM_PROTOCOL_SPDY)
                (void) spdy_write_goaway(&c->out, c->spdy_last_stream_id, 0);
        else if (c->protocol == STREAM_PROTOCOL_WEBSOCKET && !c->ws_close_sent) {
                (void) websocket_write_close(&c->out, WEBSOCKET_CLOSE_NORMAL, NULL);
                c->ws_close_sent = true;
        }
        c->close_after_flush = true;
        connection_queued(c);
        connection_schedule(c);
}

void stream_connection_resume_input(StreamConnection *c) {
        if (!c->read_paused || c->close_after_flush)
                return;
        c->read_paused = false;
        c->process_pending = true;
        connection_update_events(c);
        connection_schedule(c);
}

/* ---- the upgrade ---- */

static const char *negotiate_spdy(char *const *offered, const char *const *supported, size_t n_supported) {
        /* The client's order decides, as kubelet's negotiation does. */
        for (char *const *o = offered; o && *o; o++)
                for (size_t k = 0; k < n_supported; k++)
                        if (streq(*o, supported[k]))
                                return supported[k];
        return NULL;
}

static int upgrade_spdy(StreamConnection *c, StreamHttpRequest *http, StreamRequest **req) {
        bool port_forward = (*req)->type == STREAM_REQUEST_PORT_FORWARD;
        const char *const *supported = port_forward ? spdy_port_forward_protocols : spdy_exec_protocols;
        size_t n_supported = port_forward ? ELEMENTSOF(spdy_port_forward_protocols) : ELEMENTSOF(spdy_exec_protocols);
        _cleanup_strv_free_ char **offered = NULL;
        _cleanup_free_ char *head = NULL;
        const char *chosen;
        unsigned version;
        int r;

        r = stream_http_header_list(http, "X-Stream-Protocol-Version", &offered);
        if (r < 0)
                return r;
        if (strv_isempty(offered))
                return respond(c, 400, "Bad Request", NULL,
                               "unable to upgrade: X-Stream-Protocol-Version is required\n");
        chosen = negotiate_spdy(offered, supported, n_supported);
        if (!chosen) {
                _cleanup_free_ char *accepted = NULL;

                for (size_t k = 0; k < n_supported; k++) {
                        char *t;

                        if (asprintf(&t, "%sX-Accepted-Stream-Protocol-Versions: %s\r\n",
                                     accepted ?: "", supported[k]) < 0)
                                return -ENOMEM;
                        free_and_replace(accepted, t);
                }
                return respond(c, 403, "Forbidden", accepted,
                               "unable to upgrade: unable to negotiate protocol\n");
        }
        if (!stream_http_header_has_token(http, "Connection", "upgrade") ||
            !stream_http_header_has_token(http, "Upgrade", "SPDY/3.1"))
                return respond(c, 400, "Bad Request", NULL,
                               "unable to upgrade: missing upgrade headers in request\n");

        version = port_forward ? 1 :
                  streq(chosen, "v4.channel.k8s.io") ? 4 :
                  streq(chosen, "v3.channel.k8s.io") ? 3 :
                  streq(chosen, "v2.channel.k8s.io") ? 2 : 1;

        r = spdy_inflater_new(&c->inflater);
        if (r < 0)
                return r;
        r = spdy_deflater_new(&c->deflater);
        if (r < 0)
                return r;
        r = stream_session_new(c, TAKE_PTR(*req), version, &c->session);
        if (r < 0)
                return r;

        if (asprintf(&head, "HTTP/1.1 101 Switching Protocols\r\n"
                            "Connection: Upgrade\r\n"
                            "Upgrade: SPDY/3.1\r\n"
                            "X-Stream-Protocol-Version: %s\r\n"
                            "\r\n", chosen) < 0)
                return -ENOMEM;
        r = stream_buffer_append(&c->out, head, strlen(head));
        if (r < 0)
                return r;
        c->protocol = STREAM_PROTOCOL_SPDY;
        c->spdy_initial_window = SPDY_INITIAL_WINDOW_SIZE;
        c->created_usec = now_usec();
        connection_queued(c);
        return 0;
}

static int upgrade_websocket(StreamConnection *c, StreamHttpRequest *http, StreamRequest **req) {
        bool port_forward = (*req)->type == STREAM_REQUEST_PORT_FORWARD;
        const WebSocketProtocol *supported = port_forward ? ws_port_forward_protocols : ws_exec_protocols;
        size_t n_supported = port_forward ? ELEMENTSOF(ws_port_forward_protocols) : ELEMENTSOF(ws_exec_protocols);
        _cleanup_strv_free_ char **offered = NULL;
        _cleanup_free_ char *head = NULL, *proto_header = NULL;
        const WebSocketProtocol *chosen = NULL;
        const char *version;
        char accept[29];
        int r;

        version = stream_http_header(http, "Sec-WebSocket-Version");
        if (!streq_ptr(version, "13"))
                return respond(c, 426, "Upgrade Required", "Sec-WebSocket-Version: 13\r\n",
                               "unsupported WebSocket version\n");
        if (websocket_accept_key(stream_http_header(http, "Sec-WebSocket-Key"), accept) < 0)
                return respond(c, 400, "Bad Request", NULL, "invalid Sec-WebSocket-Key\n");

        r = stream_http_header_list(http, "Sec-WebSocket-Protocol", &offered);
        if (r < 0)
                return r;
        if (strv_isempty(offered))
                chosen = &supported[port_forward ? 0 : 3];      /* binary channels, as with "" */
        else
                for (char **o = offered; !chosen && *o; o++)
                        for (size_t k = 0; k < n_supported; k++)
                                if (streq(*o, supported[k].name)) {
                                        chosen = &supported[k];
                                        break;
                                }
        if (!chosen)
                return respond(c, 400, "Bad Request", NULL, "requested protocol(s) are not supported\n");

        if (port_forward && (*req)->n_ports == 0) {
                _cleanup_free_ char *ports = NULL;

                /* The WebSocket flavour names its ports in the query: ?ports=80,443 */
                r = stream_http_query_get(http, "ports", &ports);
                if (r < 0)
                        return r;
                for (char *p = ports; p && *p;) {
                        size_t n = strcspn(p, ",");
                        unsigned long v;
                        char *end;
                        uint16_t *a;

                        errno = 0;
                        v = strtoul(p, &end, 10);
                        if (errno != 0 || end != p + n || v == 0 || v > 65535 || (*req)->n_ports >= 64)
                                return respond(c, 400, "Bad Request", NULL, "invalid port\n");
                        a = reallocarray((*req)->ports, (*req)->n_ports + 1, sizeof(uint16_t));
                        if (!a)
                                return -ENOMEM;
                        (*req)->ports = a;
                        a[(*req)->n_ports++] = (uint16_t) v;
                        p += n;
                        if (*p == ',')
                                p++;
                }
                if ((*req)->n_ports == 0)
                        return respond(c, 400, "Bad Request", NULL, "query parameter \"ports\" is required\n");
        }

        if (!strv_isempty(offered) && asprintf(&proto_header, "Sec-WebSocket-Protocol: %s\r\n", chosen->name) < 0)
                return -ENOMEM;
        if (asprintf(&head, "HTTP/1.1 101 Switching Protocols\r\n"
                            "Upgrade: websocket\r\n"
                            "Connection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: %s\r\n"
                            "%s"
                            "\r\n", accept, proto_header ?: "") < 0)
                return -ENOMEM;
        r = stream_buffer_append(&c->out, head, strlen(head));
        if (r < 0)
                return r;
        c->protocol = STREAM_PROTOCOL_WEBSOCKET;
        c->ws_base64 = chosen->base64;
        r = stream_session_new(c, TAKE_PTR(*req), chosen->version, &c->session);
        if (r < 0)
                return r;
        connection_queued(c);
        return stream_session_websocket_start(c->session);
}

static int handle_request(StreamConnection *c, StreamHttpRequest *http) {
        _cleanup_(stream_request_freep) StreamRequest *req = NULL;
        const char *p = http->path, *slash, *token;
        _cleanup_free_ char *kind = NULL;
        StreamRequestType type;

        if (!streq(http->method, "GET") && !streq(http->method, "POST"))
                return respond(c, 405, "Method Not Allowed", NULL, "method not allowed\n");
        slash = strchr(p + 1, '/');
        if (!slash || strchr(slash + 1, '/'))
                return respond(c, 404, "Not Found", NULL, "404 page not found\n");
        kind = strndup(p + 1, slash - p - 1);
        if (!kind)
                return -ENOMEM;
        type = stream_request_type_from_string(kind);
        token = slash + 1;
        if (type < 0 || strlen(token) != STREAM_TOKEN_LENGTH)
                return respond(c, 404, "Not Found", NULL, "404 page not found\n");

        /* Single use: whatever happens next, the token is spent. */
        req = stream_token_store_consume(c->server->tokens, token, now_usec());
        if (!req)
                return respond(c, 404, "Not Found", NULL, "404 page not found\n");
        if (req->type != type)
                return respond(c, 400, "Bad Request", NULL, "invalid request\n");

        log_debug("Streaming %s for %s.", kind, req->container_id ?: req->pod_sandbox_id ?: "?");
        if (stream_http_header_has_token(http, "Connection", "upgrade") &&
            stream_http_header_has_token(http, "Upgrade", "websocket"))
                return upgrade_websocket(c, http, &req);
        return upgrade_spdy(c, http, &req);
}

/* ---- SPDY ---- */

static int spdy_protocol_error(StreamConnection *c, const char *why) {
        log_debug("SPDY protocol error from a streaming client: %s", why);
        stream_buffer_consume(&c->in, stream_buffer_size(&c->in));
        if (c->session)
                stream_session_abort(c->session);
        (void) spdy_write_goaway(&c->out, c->spdy_last_stream_id, 1);
        c->close_after_flush = true;
        c->read_paused = true;
        connection_queued(c);
        connection_schedule(c);
        return -EPROTO;
}

static int spdy_syn_stream(StreamConnection *c, const SpdyFrame *f) {
        _cleanup_strv_free_ char **headers = NULL;
        StreamChannel *ch = NULL;
        int r;

        r = spdy_inflate_headers(c->inflater, f->data, f->data_size, 64 * 1024, &headers);
        if (r < 0)
                return spdy_protocol_error(c, "bad header block");
        if (f->stream_id % 2 == 0 || f->stream_id <= c->spdy_last_stream_id) {
                r = spdy_write_rst_stream(&c->out, f->stream_id, SPDY_RST_PROTOCOL_ERROR);
                connection_queued(c);
                return r;
        }
        c->spdy_last_stream_id = f->stream_id;
        if (c->spdy_goaway_received)
                return 0;

        /* The reply goes first: starting the session may already send on this stream. */
        r = spdy_write_syn_reply(&c->out, c->deflater, f->stream_id, 0, (char *[]) { NULL });
        if (r < 0)
                return r;
        r = stream_session_spdy_stream(c->session, f->stream_id, headers, &ch);
        if (r < 0 && !ch) {
                log_debug_errno(r, "Refusing SPDY stream %u: %m", f->stream_id);
                r = spdy_write_rst_stream(&c->out, f->stream_id,
                                          r == -EEXIST ? SPDY_RST_STREAM_IN_USE : SPDY_RST_REFUSED_STREAM);
                connection_queued(c);
                return r;
        }
        if (ch && (f->flags & SPDY_FLAG_FIN))
                stream_session_channel_fin(c->session, ch);
        connection_queued(c);
        return 0;
}

static int spdy_process_frame(StreamConnection *c, const SpdyFrame *f) {
        _cleanup_strv_free_ char **ignored = NULL;
        StreamChannel *ch;
        int r;

        switch (f->type) {
        case SPDY_SYN_STREAM:
                return spdy_syn_stream(c, f);
        case SPDY_DATA:
                ch = stream_session_find_channel(c->session, f->stream_id);
                if (!ch)
                        return 0;       /* a stream we already closed */
                if (ch->remote_fin && f->data_size > 0) {
                        r = spdy_write_rst_stream(&c->out, f->stream_id, SPDY_RST_STREAM_ALREADY_CLOSED);
                        connection_queued(c);
                        return r;
                }
                if (f->data_size > 0) {
                        r = stream_session_channel_data(c->session, ch, f->data, f->data_size);
                        if (r < 0)
                                return r;
                }
                if (f->flags & SPDY_FLAG_FIN)
                        stream_session_channel_fin(c->session, ch);
                return 0;
        case SPDY_RST_STREAM:
                ch = stream_session_find_channel(c->session, f->stream_id);
                if (ch)
                        stream_session_channel_reset(c->session, ch);
                return 0;
        case SPDY_SETTINGS:
                if (f->has_initial_window_size && f->initial_window_size <= 0x7fffffffU) {
                        int64_t delta = (int64_t) f->initial_window_size - c->spdy_initial_window;

                        for (ch = c->session->channels; ch; ch = ch->next)
                                ch->send_window += delta;
                        c->spdy_initial_window = f->initial_window_size;
                        stream_session_resume_output(c->session);
                }
                return 0;
        case SPDY_PING:
                /* Client pings have odd ids; an even one would be an answer to us. */
                if (f->ping_id % 2 == 1) {
                        r = spdy_write_ping(&c->out, f->ping_id);
                        connection_queued(c);
                        return r;
                }
                return 0;
        case SPDY_GOAWAY:
                c->spdy_goaway_received = true;
                return 0;
        case SPDY_HEADERS:
        case SPDY_SYN_REPLY:
                /* Decompressed all the same, to keep the zlib stream in step. */
                r = spdy_inflate_headers(c->inflater, f->data, f->data_size, 64 * 1024, &ignored);
                if (r < 0)
                        return spdy_protocol_error(c, "bad header block");
                return 0;
        case SPDY_WINDOW_UPDATE:
                c->spdy_flow_control = true;
                ch = stream_session_find_channel(c->session, f->stream_id);
                if (ch) {
                        if (ch->send_window + f->delta_window_size > 0x7fffffff) {
                                r = spdy_write_rst_stream(&c->out, f->stream_id, SPDY_RST_FLOW_CONTROL_ERROR);
                                connection_queued(c);
                                return r;
                        }
                        ch->send_window += f->delta_window_size;
                        stream_session_resume_output(c->session);
                }
                return 0;
        default:
                return 0;
        }
}

static int spdy_process(StreamConnection *c) {
        while (!c->read_paused && !c->close_now && !c->close_after_flush) {
                SpdyFrame f;
                size_t n;
                int r;

                r = spdy_frame_parse(stream_buffer_head(&c->in), stream_buffer_size(&c->in), STREAM_MAX_FRAME_SIZE, &f);
                if (r == 0)
                        return 0;
                if (r < 0)
                        return spdy_protocol_error(c, r == -E2BIG ? "frame too large" :
                                                      r == -EPROTONOSUPPORT ? "wrong version" : "malformed frame");
                n = (size_t) r;
                r = spdy_process_frame(c, &f);
                stream_buffer_consume(&c->in, n);
                if (r < 0)
                        return r;
                if (c->session && stream_session_input_blocked(c->session)) {
                        c->read_paused = true;
                        connection_update_events(c);
                }
        }
        return 0;
}

/* ---- WebSocket ---- */

static int websocket_fail(StreamConnection *c, uint16_t code, const char *why) {
        log_debug("WebSocket protocol error from a streaming client: %s", why);
        stream_buffer_consume(&c->in, stream_buffer_size(&c->in));
        if (c->session)
                stream_session_abort(c->session);
        if (!c->ws_close_sent) {
                (void) websocket_write_close(&c->out, code, why);
                c->ws_close_sent = true;
        }
        c->close_after_flush = true;
        c->read_paused = true;
        connection_queued(c);
        connection_schedule(c);
        return -EPROTO;
}

static int websocket_message(StreamConnection *c, WebSocketOpcode opcode, uint8_t *data, size_t size) {
        _cleanup_free_ uint8_t *decoded = NULL;
        StreamChannel *ch;
        unsigned channel;

        if (size == 0)
                return 0;
        if (c->ws_base64 != (opcode == WEBSOCKET_TEXT))
                return websocket_fail(c, WEBSOCKET_CLOSE_UNSUPPORTED, "wrong message type for the protocol");
        channel = c->ws_base64 ? (unsigned) (data[0] - '0') : data[0];

        /* v5: [255, channel] closes the client's side of a channel. */
        if (c->session->version >= 5 && data[0] == 255) {
                if (size != 2)
                        return websocket_fail(c, WEBSOCKET_CLOSE_PROTOCOL_ERROR, "bad close signal");
                ch = stream_session_find_channel(c->session, data[1]);
                if (ch)
                        stream_session_channel_fin(c->session, ch);
                return 0;
        }
        ch = stream_session_find_channel(c->session, channel);
        if (!ch)
                return 0;               /* unknown channels are ignored, as kubelet does */
        data++;
        size--;
        if (c->ws_base64) {
                ssize_t n;

                decoded = malloc(BASE64_DECODED_MAX(size));
                if (!decoded)
                        return -ENOMEM;
                n = base64_decode_into((const char *) data, size, decoded);
                if (n < 0)
                        return websocket_fail(c, WEBSOCKET_CLOSE_INVALID_DATA, "bad base64");
                data = decoded;
                size = (size_t) n;
        }
        return stream_session_channel_data(c->session, ch, data, size);
}

static int websocket_control(StreamConnection *c, const WebSocketFrame *f) {
        uint16_t code;
        int r;

        switch (f->opcode) {
        case WEBSOCKET_PING:
                r = websocket_write_frame(&c->out, true, WEBSOCKET_PONG, f->payload, f->payload_size);
                connection_queued(c);
                return r;
        case WEBSOCKET_PONG:
                return 0;
        case WEBSOCKET_CLOSE:
                if (websocket_parse_close(f->payload, f->payload_size, &code) < 0)
                        return websocket_fail(c, WEBSOCKET_CLOSE_PROTOCOL_ERROR, "bad close frame");
                /* The client leaves: whatever still runs is cancelled when the connection goes. */
                if (c->session && !c->session->finished)
                        stream_session_abort(c->session);
                if (!c->ws_close_sent) {
                        (void) websocket_write_close(&c->out, code == 1005 ? WEBSOCKET_CLOSE_NORMAL : code, NULL);
                        c->ws_close_sent = true;
                }
                c->close_after_flush = true;
                c->read_paused = true;
                connection_queued(c);
                connection_schedule(c);
                return 0;
        default:
                return 0;
        }
}

static int websocket_process(StreamConnection *c) {
        while (!c->read_paused && !c->close_now && !c->close_after_flush) {
                WebSocketOpcode opcode;
                WebSocketFrame f;
                size_t n;
                int r;

                r = websocket_frame_parse(stream_buffer_head(&c->in), stream_buffer_size(&c->in),
                                          STREAM_MAX_FRAME_SIZE, /* require_mask= */ true, &f);
                if (r == 0)
                        return 0;
                if (r < 0)
                        return websocket_fail(c, r == -E2BIG ? WEBSOCKET_CLOSE_TOO_BIG : WEBSOCKET_CLOSE_PROTOCOL_ERROR,
                                              r == -E2BIG ? "frame too large" : "malformed frame");
                n = (size_t) r;
                if (f.opcode >= WEBSOCKET_CLOSE)
                        r = websocket_control(c, &f);
                else if (f.fin && f.opcode != WEBSOCKET_CONTINUATION && !c->ws_message.active)
                        r = websocket_message(c, f.opcode, f.payload, f.payload_size);
                else {
                        r = websocket_assembler_add(&c->ws_message, &f, STREAM_MAX_FRAME_SIZE, &opcode);
                        if (r == -EBADMSG)
                                r = websocket_fail(c, WEBSOCKET_CLOSE_PROTOCOL_ERROR, "bad fragmentation");
                        else if (r == -E2BIG)
                                r = websocket_fail(c, WEBSOCKET_CLOSE_TOO_BIG, "message too large");
                        else if (r > 0) {
                                r = websocket_message(c, opcode, stream_buffer_head(&c->ws_message.message),
                                                      stream_buffer_size(&c->ws_message.message));
                                websocket_assembler_reset(&c->ws_message);
                        }
                }
                stream_buffer_consume(&c->in, n);
                if (r < 0)
                        return r;
                if (c->session && stream_session_input_blocked(c->session)) {
                        c->read_paused = true;
                        connection_update_events(c);
                }
        }
        return 0;
}

/* ---- the connection ---- */

static int connection_process_input(StreamConnection *c) {
        int r;

        if (c->protocol == STREAM_PROTOCOL_HTTP) {
                _cleanup_(stream_http_request_done) StreamHttpRequest http = {};

                r = stream_http_parse_request((const char *) stream_buffer_head(&c->in), stream_buffer_size(&c->in), &http);
                if (r == 0)
                        return 0;
                if (r < 0) {
                        stream_buffer_consume(&c->in, stream_buffer_size(&c->in));
                        return r == -E2BIG ? respond(c, 431, "Request Header Fields Too Large", NULL, "request head too large\n") :
                                             respond(c, 400, "Bad Request", NULL, "malformed request\n");
                }
                stream_buffer_consume(&c->in, (size_t) r);
                r = handle_request(c, &http);
                if (r < 0)
                        return r;
                if (c->protocol == STREAM_PROTOCOL_HTTP)
                        return 0;
        }
        if (c->protocol == STREAM_PROTOCOL_SPDY)
                return spdy_process(c);
        return websocket_process(c);
}

static void connection_peer_gone(StreamConnection *c) {
        c->peer_eof = true;
        if (c->session && !c->session->finished) {
                log_debug("Streaming client went away mid-stream.");
                stream_session_abort(c->session);
        }
        connection_close_soon(c);
}

static int connection_do_handshake(StreamConnection *c) {
        int k;

        ERR_clear_error();
        k = SSL_accept(c->ssl);
        if (k == 1) {
                c->ssl_handshaken = true;
                return 1;
        }
        switch (SSL_get_error(c->ssl, k)) {
        case SSL_ERROR_WANT_READ:
                c->ssl_want_write = false;
                return 0;
        case SSL_ERROR_WANT_WRITE:
                c->ssl_want_write = true;
                return 0;
        default:
                log_debug("TLS handshake with a streaming client failed.");
                return -EPROTO;
        }
}

/* Reads what the client sent, a bounded amount so one busy client does not starve the others, and
 * handles it. */
static void connection_read_input(StreamConnection *c) {
        size_t total = 0;
        int r;

        for (;;) {
                ssize_t n;

                r = stream_buffer_reserve(&c->in, 64 * 1024);
                if (r < 0) {
                        connection_close_soon(c);
                        return;
                }
                n = connection_recv(c, stream_buffer_tail(&c->in), c->in.allocated - c->in.end);
                if (n == -EAGAIN)
                        break;
                if (n <= 0) {
                        if (n < 0)
                                log_debug_errno((int) n, "Reading from a streaming client failed: %m");
                        connection_peer_gone(c);
                        return;
                }
                stream_buffer_commit(&c->in, (size_t) n);
                c->last_activity_usec = now_usec();
                total += (size_t) n;
                /* A short read drained the socket; TLS hands out one record (16 KiB) at a time. */
                if ((!c->ssl && (size_t) n < 64 * 1024) || total >= 256 * 1024)
                        break;
        }
        /* Bytes OpenSSL read from the socket but did not hand out yet wake no epoll: come back
         * for them from the loop. */
        if (c->ssl && SSL_has_pending(c->ssl))
                connection_schedule(c);
        r = connection_process_input(c);
        if (r < 0 && r != -EPROTO) {
                log_debug_errno(r, "Streaming connection failed: %m");
                connection_close_soon(c);
        }
}

static bool connection_may_read(StreamConnection *c) {
        return !c->read_paused && !c->peer_eof && !c->close_now;
}

static int on_connection_io(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        StreamConnection *c = userdata;
        bool retry_read, retry_write, handshaken = false;
        int r;

        if (c->session)
                stream_session_gc(c->session);

        if (c->ssl && !c->ssl_handshaken) {
                r = connection_do_handshake(c);
                if (r < 0) {
                        connection_close_soon(c);
                        return 0;
                }
                connection_update_events(c);
                if (r == 0)
                        return 0;
                handshaken = true;
        }
        /* A TLS read that wanted the socket writable, or a write that wanted it readable, is
         * retried on any wakeup; the request may have come with the end of the handshake, read
         * ahead by OpenSSL already. */
        retry_read = c->ssl_want_write || handshaken;
        retry_write = c->ssl_write_wants_read;
        c->ssl_want_write = c->ssl_write_wants_read = false;

        if ((revents & EPOLLOUT) || retry_write)
                (void) connection_flush(c);

        if (((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) || retry_read) && connection_may_read(c))
                connection_read_input(c);
        connection_update_events(c);
        return 0;
}

static int on_connection_defer(sd_event_source *source, void *userdata) {
        StreamConnection *c = userdata;
        int r;

        if (c->close_now) {
                stream_connection_free(c);
                return 0;
        }
        if (c->session)
                stream_session_gc(c->session);
        if (c->process_pending && !c->read_paused) {
                c->process_pending = false;
                r = connection_process_input(c);
                if (r < 0 && r != -EPROTO)
                        connection_close_soon(c);
        }
        if (c->ssl && c->ssl_handshaken && connection_may_read(c) && SSL_has_pending(c->ssl))
                connection_read_input(c);
        connection_update_events(c);
        return 0;
}

static int on_connection_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        StreamConnection *c = userdata;
        uint64_t now = now_usec(), deadline;

        if (c->protocol == STREAM_PROTOCOL_HTTP || (c->session && !c->session->started))
                deadline = c->created_usec + STREAM_CREATION_TIMEOUT_USEC;
        else if (c->server->idle_timeout_usec > 0)
                deadline = c->last_activity_usec + c->server->idle_timeout_usec;
        else
                deadline = UINT64_MAX;
        if (now >= deadline) {
                log_debug("Streaming connection timed out.");
                if (c->session)
                        stream_session_abort(c->session);
                connection_close_soon(c);
                return 0;
        }
        if (deadline == UINT64_MAX)
                (void) sd_event_source_set_enabled(source, SD_EVENT_OFF);
        else {
                /* At most every second, and never later than the deadline. */
                (void) sd_event_source_set_time(source, MIN(deadline, now + 1000000U));
                (void) sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
        }
        return 0;
}

int stream_connection_new(StreamServer *server, int fd, StreamConnection **ret) {
        StreamConnection *c;
        int r;

        c = calloc(1, sizeof(StreamConnection));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->server = server;
        c->fd = fd;
        c->created_usec = c->last_activity_usec = now_usec();
        c->next = server->connections;
        if (c->next)
                c->next->prev = c;
        server->connections = c;
        server->n_connections++;

        r = sd_event_add_io(server->event, &c->io, fd, EPOLLIN, on_connection_io, c);
        if (r >= 0)
                r = sd_event_add_defer(server->event, &c->defer, on_connection_defer, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->defer, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time(server->event, &c->timer, CLOCK_MONOTONIC, c->created_usec + 1000000U, 0,
                                      on_connection_timer, c);
        if (r >= 0 && server->ssl_ctx)
                r = stream_tls_new_session(server, fd, &c->ssl);
        if (r < 0) {
                stream_connection_free(c);
                return r;
        }
        (void) sd_event_source_set_description(c->io, "stream-connection");
        if (ret)
                *ret = c;
        return 0;
}

StreamConnection *stream_connection_free(StreamConnection *c) {
        if (!c)
                return NULL;
        if (c->prev)
                c->prev->next = c->next;
        else
                c->server->connections = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->server->n_connections--;

        stream_session_free(c->session);
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->defer);
        sd_event_source_disable_unref(c->timer);
        if (c->ssl) {
                /* A close_notify where the socket takes it, without waiting for the client's. */
                if (c->ssl_handshaken && !c->peer_eof) {
                        ERR_clear_error();
                        (void) SSL_shutdown(c->ssl);
                        ERR_clear_error();
                }
                SSL_free(c->ssl);
        }
        safe_close(c->fd);
        stream_buffer_done(&c->in);
        stream_buffer_done(&c->out);
        spdy_inflater_free(c->inflater);
        spdy_deflater_free(c->deflater);
        websocket_assembler_done(&c->ws_message);
        return mfree(c);
}
