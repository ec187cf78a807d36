/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "grpc-call.h"
#include "grpc-connection.h"
#include "log.h"

/* Drop the send queue's buffer once drained when it grew beyond this, to keep idle memory low. */
#define GRPC_CALL_OUT_KEEP (64U * 1024U)

#define MAKE_NV(n, v, vlen)                                                             \
        {                                                                               \
                .name = (uint8_t *) (n), .value = (uint8_t *) (v), .namelen = sizeof(n) - 1, \
                .valuelen = (vlen), .flags = NGHTTP2_NV_FLAG_NO_COPY_NAME,              \
        }
#define MAKE_NV_STATIC(n, v)                                                            \
        {                                                                               \
                .name = (uint8_t *) (n), .value = (uint8_t *) (v), .namelen = sizeof(n) - 1, \
                .valuelen = sizeof(v) - 1,                                              \
                .flags = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE,  \
        }

static GrpcCall *grpc_call_free(GrpcCall *c) {
        if (!c)
                return NULL;
        assert(!c->connection);
        c->deadline_source = sd_event_source_disable_unref(c->deadline_source);
        grpc_frame_decoder_done(&c->decoder);
        if (c->path_owned)
                free(c->path);
        free(c->encoding);
        free(c->bad_method);
        free(c->bad_content_type);
        free(c->status_message);
        free(c->out);
        return mfree(c);
}

GrpcCall *grpc_call_ref(GrpcCall *c) {
        if (!c)
                return NULL;
        assert(c->n_ref > 0);
        c->n_ref++;
        return c;
}

GrpcCall *grpc_call_unref(GrpcCall *c) {
        if (!c)
                return NULL;
        assert(c->n_ref > 0);
        if (--c->n_ref > 0)
                return NULL;
        return grpc_call_free(c);
}

int grpc_call_new(GrpcConnection *conn, int32_t stream_id, GrpcCall **ret) {
        GrpcCall *c;

        c = calloc(1, sizeof(GrpcCall));
        if (!c)
                return -ENOMEM;
        *c = (GrpcCall) {
                .n_ref = 1,
                .server = conn->server,
                .connection = conn,
                .stream_id = stream_id,
                .deadline = UINT64_MAX,
        };
        grpc_frame_decoder_init(&c->decoder, conn->server->limits.max_recv_message_size);

        c->next = conn->calls;
        if (conn->calls)
                conn->calls->prev = c;
        conn->calls = c;
        conn->server->n_calls++;

        *ret = c;
        return 0;
}

static void grpc_call_unlink(GrpcCall *c) {
        GrpcConnection *conn = c->connection;

        if (!conn)
                return;
        if (c->prev)
                c->prev->next = c->next;
        else
                conn->calls = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->prev = c->next = NULL;
        c->connection = NULL;
        c->server->n_calls--;
}

static void grpc_call_fire_cancel(GrpcCall *c) {
        GrpcCallCancelHandler handler;

        if (c->cancelled)
                return;
        c->cancelled = true;
        c->deadline_source = sd_event_source_disable_unref(c->deadline_source);

        handler = c->cancel_handler;
        c->cancel_handler = NULL;
        if (handler)
                handler(c, c->cancel_userdata);
}

void grpc_call_detach(GrpcCall *c) {
        bool unfinished = !c->finished;

        grpc_call_unlink(c);
        /* Hold the connection's reference across the handler, which may drop its own. */
        if (unfinished)
                grpc_call_fire_cancel(c);
        c->cancelled = true;
        grpc_call_unref(c);
}

const char *grpc_call_get_path(GrpcCall *c) {
        return c->path;
}

GrpcServer *grpc_call_get_server(GrpcCall *c) {
        return c->server;
}

uint64_t grpc_call_get_deadline(GrpcCall *c) {
        return c->deadline;
}

bool grpc_call_is_cancelled(GrpcCall *c) {
        return c->cancelled || !c->connection;
}

void grpc_call_set_cancel_handler(GrpcCall *c, GrpcCallCancelHandler handler, void *userdata) {
        c->cancel_handler = handler;
        c->cancel_userdata = userdata;
}

void grpc_call_set_drain_handler(GrpcCall *c, GrpcCallDrainHandler handler, void *userdata) {
        c->drain_handler = handler;
        c->drain_userdata = userdata;
}

void grpc_call_drain(GrpcCall *c) {
        GrpcCallDrainHandler handler = c->drain_handler;

        c->drain_handler = NULL;
        if (!handler || c->finished || c->cancelled)
                return;
        grpc_call_ref(c);
        handler(c, c->drain_userdata);
        grpc_call_unref(c);
}

int grpc_timeout_parse(const char *s, size_t size, uint64_t *ret_usec) {
        uint64_t v = 0, usec;

        if (size < 2 || size > 9)
                return -EINVAL;
        for (size_t i = 0; i < size - 1; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }

        /* At most 99999999 hours: no overflow in µs. */
        switch (s[size - 1]) {
        case 'H':
                usec = v * 3600ULL * 1000000ULL;
                break;
        case 'M':
                usec = v * 60ULL * 1000000ULL;
                break;
        case 'S':
                usec = v * 1000000ULL;
                break;
        case 'm':
                usec = v * 1000ULL;
                break;
        case 'u':
                usec = v;
                break;
        case 'n':
                usec = (v + 999) / 1000;
                break;
        default:
                return -EINVAL;
        }
        *ret_usec = usec;
        return 0;
}

static bool content_type_is_grpc(const uint8_t *v, size_t n) {
        static const char prefix[] = "application/grpc";
        size_t l = sizeof(prefix) - 1;

        if (n < l || strncasecmp((const char *) v, prefix, l) != 0)
                return false;
        return n == l || v[l] == '+' || v[l] == ';';
}

#define HEADER_IS(name) (name_size == sizeof(name) - 1 && memcmp(name_ptr, name, sizeof(name) - 1) == 0)

int grpc_call_on_header(GrpcCall *c, const uint8_t *name_ptr, size_t name_size, const uint8_t *value, size_t value_size) {
        if (c->finished)
                return 0;

        if (HEADER_IS(":path")) {
                if (c->path)
                        return 0;
                /* nghttp2 NUL-terminates values: look the method up without copying the path. */
                c->method = grpc_server_find_method(c->server, (const char *) value);
                if (c->method) {
                        c->path = (char *) c->method->path;
                        return 0;
                }
                c->path = strndup((const char *) value, value_size);
                if (!c->path)
                        return -ENOMEM;
                c->path_owned = true;
        } else if (HEADER_IS(":method")) {
                if (value_size == 4 && memcmp(value, "POST", 4) == 0)
                        return 0;
                free(c->bad_method);
                c->bad_method = strndup((const char *) value, value_size);
                if (!c->bad_method)
                        return -ENOMEM;
        } else if (HEADER_IS("content-type")) {
                c->have_content_type = true;
                if (content_type_is_grpc(value, value_size))
                        return 0;
                free(c->bad_content_type);
                c->bad_content_type = strndup((const char *) value, value_size);
                if (!c->bad_content_type)
                        return -ENOMEM;
        } else if (HEADER_IS("grpc-timeout")) {
                uint64_t usec, now;

                if (grpc_timeout_parse((const char *) value, value_size, &usec) < 0) {
                        c->bad_timeout = true;
                        return 0;
                }
                if (sd_event_now(c->server->event, CLOCK_MONOTONIC, &now) < 0)
                        return 0;
                c->deadline = usec > UINT64_MAX - now - 1 ? UINT64_MAX - 1 : now + usec;
        } else if (HEADER_IS("grpc-encoding")) {
                if (value_size == 8 && memcmp(value, "identity", 8) == 0)
                        return 0;
                free(c->encoding);
                c->encoding = strndup((const char *) value, value_size);
                if (!c->encoding)
                        return -ENOMEM;
        }
        return 0;
}

#undef HEADER_IS

static void grpc_call_reset_if_open(GrpcCall *c) {
        /* We ended our side while the client is still sending: tell it to stop, as grpc-go does. */
        if (c->connection && !c->remote_closed)
                (void) nghttp2_submit_rst_stream(c->connection->session, NGHTTP2_FLAG_NONE, c->stream_id,
                                                 NGHTTP2_NO_ERROR);
}

void grpc_call_on_end_stream_sent(GrpcCall *c) {
        grpc_call_reset_if_open(c);
}

static int grpc_call_submit_trailers_only(GrpcCall *c, unsigned http_status, GrpcStatus status, const char *encoded) {
        char status_str[16], http_str[8];
        nghttp2_nv nva[4];
        size_t n = 0;
        int r;

        (void) snprintf(http_str, sizeof(http_str), "%u", http_status);
        (void) snprintf(status_str, sizeof(status_str), "%d", (int) status);
        nva[n++] = (nghttp2_nv) MAKE_NV(":status", http_str, strlen(http_str));
        nva[n++] = (nghttp2_nv) MAKE_NV_STATIC("content-type", "application/grpc");
        nva[n++] = (nghttp2_nv) MAKE_NV("grpc-status", status_str, strlen(status_str));
        if (encoded && *encoded)
                nva[n++] = (nghttp2_nv) MAKE_NV("grpc-message", encoded, strlen(encoded));

        r = nghttp2_submit_response(c->connection->session, c->stream_id, nva, n, NULL);
        if (r < 0)
                return log_debug_errno(EPROTO, "Failed to submit response on stream %d: %s",
                                       c->stream_id, nghttp2_strerror(r));
        return 0;
}

static ssize_t grpc_call_read_data(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
                                   uint32_t *data_flags, nghttp2_data_source *source, void *userdata) {
        GrpcCall *c = source->ptr;
        size_t n;

        n = MIN(length, c->out_size - c->out_start);
        if (n > 0) {
                memcpy(buf, c->out + c->out_start, n);
                c->out_start += n;
                if (c->out_start == c->out_size) {
                        c->out_start = c->out_size = 0;
                        if (c->out_allocated > GRPC_CALL_OUT_KEEP) {
                                c->out = mfree(c->out);
                                c->out_allocated = 0;
                        }
                }
        }

        if (c->out_size == 0 && c->finished) {
                char status_str[16];
                nghttp2_nv nva[2];
                size_t k = 0;
                int r;

                (void) snprintf(status_str, sizeof(status_str), "%d", (int) c->status);
                nva[k++] = (nghttp2_nv) MAKE_NV("grpc-status", status_str, strlen(status_str));
                if (c->status_message && *c->status_message)
                        nva[k++] = (nghttp2_nv) MAKE_NV("grpc-message", c->status_message,
                                                        strlen(c->status_message));
                r = nghttp2_submit_trailer(session, stream_id, nva, k);
                if (r < 0)
                        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
                *data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
                return (ssize_t) n;
        }

        if (n == 0)
                return NGHTTP2_ERR_DEFERRED;
        return (ssize_t) n;
}

static int grpc_call_submit_headers(GrpcCall *c) {
        static const nghttp2_nv nva[] = {
                MAKE_NV_STATIC(":status", "200"),
                MAKE_NV_STATIC("content-type", "application/grpc"),
        };
        nghttp2_data_provider provider = {
                .source.ptr = c,
                .read_callback = grpc_call_read_data,
        };
        int r;

        r = nghttp2_submit_response(c->connection->session, c->stream_id, nva, ELEMENTSOF(nva), &provider);
        if (r < 0)
                return log_debug_errno(EPROTO, "Failed to submit response on stream %d: %s",
                                       c->stream_id, nghttp2_strerror(r));
        c->headers_sent = true;
        return 0;
}

/* Ends the call with the given status, whoever asks (handler or us). */
static int grpc_call_end(GrpcCall *c, unsigned http_status, GrpcStatus status, const char *message) {
        _cleanup_free_ char *encoded = NULL;
        int r;

        if (!c->connection || c->cancelled)
                return -ECONNRESET;
        if (c->finished)
                return -EALREADY;

        if (message && *message) {
                encoded = grpc_message_encode(message);
                if (!encoded)
                        return -ENOMEM;
        }

        c->finished = true;
        c->deadline_source = sd_event_source_disable_unref(c->deadline_source);

        if (!c->headers_sent) {
                r = grpc_call_submit_trailers_only(c, http_status, status, encoded);
                if (r < 0)
                        return r;
        } else {
                c->status = status;
                c->status_message = TAKE_PTR(encoded);
                (void) nghttp2_session_resume_data(c->connection->session, c->stream_id);
        }

        grpc_connection_schedule_flush(c->connection);
        return 0;
}

int grpc_call_finish(GrpcCall *c, GrpcStatus status, const char *message) {
        if (status < 0 || status >= _GRPC_STATUS_MAX)
                status = GRPC_STATUS_UNKNOWN;
        return grpc_call_end(c, 200, status, message);
}

int grpc_call_finishf(GrpcCall *c, GrpcStatus status, const char *format, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&message, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return grpc_call_finish(c, status, message);
}

size_t grpc_call_get_queued_bytes(GrpcCall *c) {
        return c->out_size - c->out_start;
}

int grpc_call_send(GrpcCall *c, const uint8_t *message, size_t size) {
        size_t need;
        int r;

        if (!c->connection || c->cancelled)
                return -ECONNRESET;
        if (c->finished)
                return -EALREADY;

        if (size > c->server->limits.max_send_message_size || size > UINT32_MAX) {
                (void) grpc_call_finishf(c, GRPC_STATUS_RESOURCE_EXHAUSTED,
                                         "grpc: trying to send message larger than max (%zu vs. %zu)",
                                         size, c->server->limits.max_send_message_size);
                return -EMSGSIZE;
        }

        need = c->out_size + GRPC_FRAME_HEADER_SIZE + size;
        if (need > c->out_allocated) {
                /* Move the unsent rest to the front before growing. */
                if (c->out_start > 0) {
                        memmove(c->out, c->out + c->out_start, c->out_size - c->out_start);
                        c->out_size -= c->out_start;
                        c->out_start = 0;
                        need = c->out_size + GRPC_FRAME_HEADER_SIZE + size;
                }
                if (need > c->out_allocated) {
                        size_t a = MAX(need, c->out_allocated * 2);
                        uint8_t *p = realloc(c->out, a);

                        if (!p)
                                return -ENOMEM;
                        c->out = p;
                        c->out_allocated = a;
                }
        }
        grpc_frame_write_header(c->out + c->out_size, /* compressed= */ false, (uint32_t) size);
        if (size > 0)
                memcpy(c->out + c->out_size + GRPC_FRAME_HEADER_SIZE, message, size);
        c->out_size += GRPC_FRAME_HEADER_SIZE + size;

        if (!c->headers_sent) {
                r = grpc_call_submit_headers(c);
                if (r < 0)
                        return r;
        } else
                (void) nghttp2_session_resume_data(c->connection->session, c->stream_id);

        grpc_connection_schedule_flush(c->connection);
        return 0;
}

int grpc_call_reply(GrpcCall *c, const uint8_t *message, size_t size) {
        int r;

        r = grpc_call_send(c, message, size);
        if (r < 0)
                return r;
        return grpc_call_finish(c, GRPC_STATUS_OK, NULL);
}

void grpc_call_abort(GrpcCall *c) {
        if (c->finished || c->cancelled)
                return;
        (void) grpc_call_end(c, 200, GRPC_STATUS_CANCELLED, "server shutting down");
        grpc_call_fire_cancel(c);
}

static int grpc_call_on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        GrpcCall *c = userdata;

        c->deadline_source = sd_event_source_disable_unref(c->deadline_source);
        if (c->finished || c->cancelled)
                return 0;

        grpc_call_ref(c);
        (void) grpc_call_end(c, 200, GRPC_STATUS_DEADLINE_EXCEEDED, "context deadline exceeded");
        grpc_call_fire_cancel(c);
        grpc_call_unref(c);
        return 0;
}

int grpc_call_on_headers_complete(GrpcCall *c) {
        int r;

        if (c->finished)
                return 0;

        if (c->bad_method)
                return grpc_call_end(c, 405, GRPC_STATUS_INTERNAL,
                                     "invalid gRPC request method");
        if (!c->have_content_type || c->bad_content_type) {
                _cleanup_free_ char *m = NULL;

                if (asprintf(&m, "invalid gRPC request content-type \"%s\"", c->bad_content_type ?: "") < 0)
                        return -ENOMEM;
                return grpc_call_end(c, 415, GRPC_STATUS_INTERNAL, m);
        }
        if (c->bad_timeout)
                return grpc_call_end(c, 200, GRPC_STATUS_INTERNAL, "malformed grpc-timeout");

        if (!c->method) {
                _cleanup_free_ char *m = NULL;

                if (asprintf(&m, "unknown method %s", c->path ?: "") < 0)
                        return -ENOMEM;
                return grpc_call_end(c, 200, GRPC_STATUS_UNIMPLEMENTED, m);
        }

        if (c->deadline != UINT64_MAX) {
                r = sd_event_add_time(c->server->event, &c->deadline_source, CLOCK_MONOTONIC, c->deadline,
                                      /* accuracy= */ 1000, grpc_call_on_deadline, c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int grpc_call_dispatch(GrpcCall *c, const GrpcFrame *frame) {
        int r;

        c->dispatched = true;

        if (frame->compressed) {
                if (c->encoding)
                        return grpc_call_finishf(c, GRPC_STATUS_UNIMPLEMENTED,
                                                 "grpc: Decompressor is not installed for grpc-encoding \"%s\"",
                                                 c->encoding);
                return grpc_call_finish(c, GRPC_STATUS_INTERNAL,
                                        "grpc: compressed flag set with identity or empty encoding");
        }

        grpc_call_ref(c);
        r = c->method->handler(c, frame->data, frame->size, c->server->userdata);
        if (r < 0 && !c->finished && !c->cancelled)
                (void) grpc_call_finish(c, grpc_status_from_errno(r), strerror(-r));
        grpc_call_unref(c);
        return 0;
}

int grpc_call_on_data(GrpcCall *c, const uint8_t *data, size_t size) {
        while (size > 0 && !c->finished && !c->cancelled && !c->dispatched) {
                GrpcFrame frame;
                size_t consumed = 0;
                int r;

                r = grpc_frame_decoder_feed(&c->decoder, data, size, &consumed, &frame);
                if (r == -EMSGSIZE)
                        return grpc_call_finishf(c, GRPC_STATUS_RESOURCE_EXHAUSTED,
                                                 "grpc: received message larger than max (%" PRIu32 " vs. %zu)",
                                                 c->decoder.length, c->decoder.max_size);
                if (r == -EBADMSG)
                        return grpc_call_finish(c, GRPC_STATUS_INTERNAL,
                                                "grpc: received unexpected payload format");
                if (r < 0)
                        return grpc_call_finish(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
                data += consumed;
                size -= consumed;
                if (r == 0)
                        break;

                r = grpc_call_dispatch(c, &frame);
                if (r < 0)
                        return r;
        }

        /* Both kinds of calls take one request message; anything after it is ignored. */
        if (c->dispatched)
                grpc_frame_decoder_done(&c->decoder);
        return 0;
}

int grpc_call_on_remote_end(GrpcCall *c) {
        c->remote_closed = true;
        if (c->dispatched || c->finished || c->cancelled)
                return 0;
        return grpc_call_finish(c, GRPC_STATUS_INTERNAL, "grpc: unexpected EOF, no request message");
}
