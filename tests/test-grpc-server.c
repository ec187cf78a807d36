/* SPDX-License-Identifier: Apache-2.0 */

/* Runs a GrpcServer on an sd-event loop and drives it with a raw nghttp2 client session living on the
 * same loop, over socketpairs and a unix socket. */

#include <fcntl.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "grpc-frame.h"
#include "grpc-server-internal.h"
#include "tap.h"

#define assert_se(expr)                                                                 \
        do {                                                                            \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #expr); \
                        abort();                                                        \
                }                                                                       \
        } while (0)

/* Server side */

static GrpcCall *slow_call;
static unsigned n_cancelled;

static int handle_unary(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        return grpc_call_reply(call, message, size);
}

static int handle_fail(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        return -ENOENT;
}

static int handle_stream(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        static uint8_t chunk[20000];
        int r;

        for (unsigned i = 0; i < 100; i++) {
                memset(chunk, 'a' + i % 26, sizeof(chunk));
                r = grpc_call_send(call, chunk, sizeof(chunk));
                if (r < 0)
                        return r;
        }
        return grpc_call_finish(call, GRPC_STATUS_OK, NULL);
}

static int handle_too_big_reply(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        static uint8_t big[2 * 1024 * 1024];

        TAP_IS_INT(grpc_call_send(call, big, sizeof(big)), -EMSGSIZE, "oversized reply refused");
        return 0;
}

static void slow_cancelled(GrpcCall *call, void *userdata) {
        TAP_OK(call == slow_call, "cancel handler gets its call");
        TAP_OK(grpc_call_is_cancelled(call), "call reports cancelled");
        n_cancelled++;
        slow_call = grpc_call_unref(slow_call);
}

static int handle_slow(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        /* Answers later (or never): keeps a reference. */
        slow_call = grpc_call_ref(call);
        grpc_call_set_cancel_handler(call, slow_cancelled, NULL);
        return 0;
}

static const GrpcMethod methods[] = {
        { "/test.Echo/Unary", handle_unary, false },
        { "/test.Echo/Stream", handle_stream, true },
        { "/test.Echo/Slow", handle_slow, false },
        { "/test.Echo/Fail", handle_fail, false },
        { "/test.Echo/TooBig", handle_too_big_reply, false },
};

static int http_handler(const char *method, const char *path, GrpcHttpResponse *ret, void *userdata) {
        if (strcmp(path, "/info") == 0) {
                *ret = (GrpcHttpResponse) {
                        .status = 200,
                        .content_type = "application/json",
                        .body = strdup("{\"storage_driver\":\"overlay\"}"),
                        .body_size = strlen("{\"storage_driver\":\"overlay\"}"),
                };
                return ret->body ? 0 : -ENOMEM;
        }
        *ret = (GrpcHttpResponse) {
                .status = 404,
                .body = strdup("404 page not found\n"),
                .body_size = strlen("404 page not found\n"),
        };
        return ret->body ? 0 : -ENOMEM;
}

/* Client side */

typedef struct Stream {
        int32_t id;
        int http_status;
        int grpc_status;
        char *grpc_message;
        uint8_t *data;
        size_t data_size;
        uint8_t *body;
        size_t body_size, body_sent;
        bool closed;
        uint32_t error_code;
} Stream;

typedef struct Client {
        sd_event *event;
        int fd;
        sd_event_source *io;
        nghttp2_session *session;
        Stream streams[16];
        size_t n_streams;
        bool eof;
        bool goaway;
} Client;

static Stream *client_stream(Client *c, int32_t id) {
        for (size_t i = 0; i < c->n_streams; i++)
                if (c->streams[i].id == id)
                        return c->streams + i;
        return NULL;
}

static void client_flush(Client *c) {
        for (;;) {
                const uint8_t *data;
                ssize_t n = nghttp2_session_mem_send(c->session, &data);

                if (n <= 0)
                        return;
                while (n > 0) {
                        ssize_t w = send(c->fd, data, n, MSG_NOSIGNAL);

                        if (w < 0) {
                                if (errno == EAGAIN) {
                                        /* Let the server read: it lives on this very loop. */
                                        (void) sd_event_run(c->event, 0);
                                        continue;
                                }
                                return;
                        }
                        data += w;
                        n -= w;
                }
        }
}

static int client_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Client *c = userdata;
        uint8_t buf[16384];
        ssize_t n;

        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && errno == EAGAIN)
                return 0;
        if (n <= 0) {
                c->eof = true;
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
                return 0;
        }
        if (nghttp2_session_mem_recv(c->session, buf, n) < 0) {
                c->eof = true;
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
                return 0;
        }
        client_flush(c);
        return 0;
}

static int client_on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                            const uint8_t *value, size_t valuelen, uint8_t flags, void *userdata) {
        Stream *st = client_stream(userdata, frame->hd.stream_id);

        if (!st)
                return 0;
        if (strcmp((const char *) name, ":status") == 0)
                st->http_status = atoi((const char *) value);
        else if (strcmp((const char *) name, "grpc-status") == 0)
                st->grpc_status = atoi((const char *) value);
        else if (strcmp((const char *) name, "grpc-message") == 0) {
                free(st->grpc_message);
                st->grpc_message = grpc_message_decode((const char *) value, valuelen);
        }
        return 0;
}

static int client_on_data(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data,
                          size_t len, void *userdata) {
        Stream *st = client_stream(userdata, stream_id);

        if (!st)
                return 0;
        st->data = realloc(st->data, st->data_size + len);
        memcpy(st->data + st->data_size, data, len);
        st->data_size += len;
        return 0;
}

static int client_on_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code, void *userdata) {
        Stream *st = client_stream(userdata, stream_id);

        if (st) {
                st->closed = true;
                st->error_code = error_code;
        }
        return 0;
}

static int client_on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *userdata) {
        Client *c = userdata;

        if (frame->hd.type == NGHTTP2_GOAWAY)
                c->goaway = true;
        return 0;
}

static ssize_t client_read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
                                uint32_t *data_flags, nghttp2_data_source *source, void *userdata) {
        Stream *st = client_stream(userdata, stream_id);
        size_t n = MIN(length, st->body_size - st->body_sent);

        memcpy(buf, st->body + st->body_sent, n);
        st->body_sent += n;
        if (st->body_sent == st->body_size)
                *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        return n;
}

static void client_init(Client *c, sd_event *e, int fd) {
        nghttp2_session_callbacks *cb;

        *c = (Client) { .event = e, .fd = fd };
        assert_se(nghttp2_session_callbacks_new(&cb) == 0);
        nghttp2_session_callbacks_set_on_header_callback(cb, client_on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, client_on_data);
        nghttp2_session_callbacks_set_on_stream_close_callback(cb, client_on_close);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, client_on_frame_recv);
        assert_se(nghttp2_session_client_new(&c->session, cb, c) == 0);
        nghttp2_session_callbacks_del(cb);
        assert_se(nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, NULL, 0) == 0);
        assert_se(sd_event_add_io(e, &c->io, fd, EPOLLIN, client_on_io, c) >= 0);
        client_flush(c);
}

static void client_done(Client *c) {
        for (size_t i = 0; i < c->n_streams; i++) {
                free(c->streams[i].grpc_message);
                free(c->streams[i].data);
                free(c->streams[i].body);
        }
        nghttp2_session_del(c->session);
        sd_event_source_disable_unref(c->io);
        safe_close(c->fd);
}

static Stream *client_call(Client *c, const char *path, const void *msg, size_t size, uint8_t flag,
                           const char *timeout, const char *encoding) {
        nghttp2_nv nva[8];
        size_t n = 0;
        Stream *st;
        nghttp2_data_provider provider = { .read_callback = client_read_body };

#define NV(name, value) (nghttp2_nv) { (uint8_t *) name, (uint8_t *) value, strlen(name), strlen(value), 0 }
        nva[n++] = NV(":method", "POST");
        nva[n++] = NV(":scheme", "http");
        nva[n++] = NV(":path", path);
        nva[n++] = NV(":authority", "localhost");
        nva[n++] = NV("content-type", "application/grpc");
        nva[n++] = NV("te", "trailers");
        if (timeout)
                nva[n++] = NV("grpc-timeout", timeout);
        if (encoding)
                nva[n++] = NV("grpc-encoding", encoding);
#undef NV

        assert_se(c->n_streams < ELEMENTSOF(c->streams));
        st = c->streams + c->n_streams++;
        *st = (Stream) { .grpc_status = -1 };
        st->body_size = GRPC_FRAME_HEADER_SIZE + size;
        st->body = malloc(st->body_size);
        grpc_frame_write_header(st->body, false, (uint32_t) size);
        st->body[0] = flag;
        if (size > 0)
                memcpy(st->body + GRPC_FRAME_HEADER_SIZE, msg, size);

        st->id = nghttp2_submit_request(c->session, NULL, nva, n, &provider, NULL);
        assert_se(st->id > 0);
        client_flush(c);
        return st;
}

static void run_until(sd_event *e, bool *flag, Stream *st) {
        for (unsigned i = 0; i < 2000; i++) {
                if ((flag && *flag) || (st && st->closed))
                        return;
                assert_se(sd_event_run(e, 10 * 1000) >= 0);
        }
}

static void run_idle(sd_event *e) {
        while (sd_event_run(e, 20 * 1000) > 0)
                ;
}

static int connect_pair(GrpcServer *s, int *ret_client) {
        int sv[2];

        assert_se(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
        *ret_client = sv[0];
        return grpc_server_add_connection(s, sv[1]);
}

static bool reply_is(const Stream *st, const void *msg, size_t size) {
        return st->data_size == GRPC_FRAME_HEADER_SIZE + size && st->data[0] == 0 &&
               memcmp(st->data + GRPC_FRAME_HEADER_SIZE, msg, size) == 0;
}

static void test_grpc(sd_event *e, GrpcServer *s) {
        uint8_t big[2000] = {};
        Client c;
        Stream *st;
        int fd;

        TAP_IS_INT(connect_pair(s, &fd), 0, "connection added");
        client_init(&c, e, fd);

        st = client_call(&c, "/test.Echo/Unary", "hello", 5, 0, "10S", NULL);
        run_until(e, NULL, st);
        TAP_IS_INT(st->http_status, 200, "unary: HTTP 200");
        TAP_IS_INT(st->grpc_status, 0, "unary: OK");
        TAP_OK(reply_is(st, "hello", 5), "unary: echoed");

        st = client_call(&c, "/test.Echo/Nope", "x", 1, 0, NULL, NULL);
        run_until(e, NULL, st);
        TAP_IS_INT(st->grpc_status, GRPC_STATUS_UNIMPLEMENTED, "unknown method: UNIMPLEMENTED");
        TAP_IS_STR(st->grpc_message, "unknown method /test.Echo/Nope", "unknown method: names the path");
        TAP_IS_INT(st->data_size, 0, "unknown method: trailers only");

        st = client_call(&c, "/test.Echo/Unary", big, sizeof(big), 0, NULL, NULL);
        run_until(e, NULL, st);
        TAP_IS_INT(st->grpc_status, GRPC_STATUS_RESOURCE_EXHAUSTED, "oversize: RESOURCE_EXHAUSTED");
        TAP_OK(st->grpc_message && strstr(st->grpc_message, "received message larger than max (2000 vs. 1024)"),
               "oversize: message %s", st->grpc_message);

        st = client_call(&c, "/test.Echo/Unary", "zz", 2, 1, NULL, "gzip");
        run_until(e, NULL, st);
        TAP_IS_INT(st->grpc_status, GRPC_STATUS_UNIMPLEMENTED, "compressed: UNIMPLEMENTED");
        TAP_OK(st->grpc_message && strstr(st->grpc_message, "gzip"), "compressed: names the encoding");

        st = client_call(&c, "/test.Echo/Fail", "", 0, 0, NULL, NULL);
        run_until(e, NULL, st);
        TAP_IS_INT(st->grpc_status, GRPC_STATUS_NOT_FOUND, "handler -ENOENT: NOT_FOUND");

        st = client_call(&c, "/test.Echo/TooBig", "", 0, 0, NULL, NULL);
        run_until(e, NULL, st);
        TAP_IS_INT(st->grpc_status, GRPC_STATUS_RESOURCE_EXHAUSTED, "oversized reply: RESOURCE_EXHAUSTED");

        st = client_call(&c, "/test.Echo/Stream", "", 0, 0, NULL, NULL);
        run_until(e, NULL, st);
        TAP_IS_INT(st->grpc_status, 0, "stream: OK");
        TAP_IS_INT(st->data_size, 100 * (GRPC_FRAME_HEADER_SIZE + 20000), "stream: all messages past flow control");
        TAP_OK(st->data_size > 0 && st->data[st->data_size - 1] == 'a' + 99 % 26, "stream: last message intact");

        /* Deadline: the handler never answers. */
        n_cancelled = 0;
        st = client_call(&c, "/test.Echo/Slow", "", 0, 0, "50m", NULL);
        run_until(e, NULL, st);
        TAP_IS_INT(st->grpc_status, GRPC_STATUS_DEADLINE_EXCEEDED, "deadline: DEADLINE_EXCEEDED");
        TAP_IS_INT(n_cancelled, 1, "deadline: cancel handler ran once");
        TAP_OK(!slow_call, "deadline: handler dropped its reference");

        /* The client resets the stream while the handler holds the call. */
        n_cancelled = 0;
        st = client_call(&c, "/test.Echo/Slow", "", 0, 0, NULL, NULL);
        while (!slow_call)
                assert_se(sd_event_run(e, 10 * 1000) >= 0);
        {
                GrpcCall *held = grpc_call_ref(slow_call);

                TAP_IS_INT(grpc_server_n_calls(s), 1, "reset: call open");
                TAP_OK(grpc_call_get_deadline(held) == UINT64_MAX, "reset: no deadline without grpc-timeout");
                TAP_IS_STR(grpc_call_get_path(held), "/test.Echo/Slow", "reset: path");
                nghttp2_submit_rst_stream(c.session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
                client_flush(&c);
                run_until(e, NULL, st);
                for (unsigned i = 0; i < 100 && n_cancelled == 0; i++)
                        assert_se(sd_event_run(e, 10 * 1000) >= 0);
                TAP_IS_INT(n_cancelled, 1, "reset: cancel handler ran");
                TAP_IS_INT(grpc_server_n_calls(s), 0, "reset: call gone from the server");
                TAP_IS_INT(grpc_call_send(held, (const uint8_t *) "x", 1), -ECONNRESET, "reset: send is a no-op");
                TAP_IS_INT(grpc_call_finish(held, GRPC_STATUS_OK, NULL), -ECONNRESET, "reset: finish is a no-op");
                grpc_call_unref(held);
        }

        /* Several calls at once on one connection. */
        {
                Stream *many[6];

                for (unsigned i = 0; i < ELEMENTSOF(many); i++)
                        many[i] = client_call(&c, "/test.Echo/Unary", "abc", 3, 0, NULL, NULL);
                run_until(e, NULL, many[ELEMENTSOF(many) - 1]);
                run_idle(e);
                for (unsigned i = 0; i < ELEMENTSOF(many); i++)
                        TAP_OK(many[i]->grpc_status == 0 && reply_is(many[i], "abc", 3), "concurrent call %u", i);
        }

        /* A client vanishing mid-call frees it. */
        n_cancelled = 0;
        st = client_call(&c, "/test.Echo/Slow", "", 0, 0, NULL, NULL);
        while (!slow_call)
                assert_se(sd_event_run(e, 10 * 1000) >= 0);
        client_done(&c);
        for (unsigned i = 0; i < 100 && grpc_server_n_connections(s) > 0; i++)
                assert_se(sd_event_run(e, 10 * 1000) >= 0);
        TAP_IS_INT(grpc_server_n_connections(s), 0, "vanished client: connection closed");
        TAP_IS_INT(n_cancelled, 1, "vanished client: call cancelled");
        TAP_IS_INT(grpc_server_n_calls(s), 0, "vanished client: no calls left");
}

static size_t exchange_size;

static char *http_exchange(sd_event *e, GrpcServer *s, const char *request, size_t request_size) {
        char *buf = NULL;
        size_t size = 0;
        int fd;

        assert_se(connect_pair(s, &fd) == 0);
        assert_se(send(fd, request, request_size, MSG_NOSIGNAL) == (ssize_t) request_size);
        for (unsigned i = 0; i < 500; i++) {
                char tmp[4096];
                ssize_t n;

                (void) sd_event_run(e, 1000);
                n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno != EAGAIN))
                        break;
                if (n > 0) {
                        buf = realloc(buf, size + n + 1);
                        memcpy(buf + size, tmp, n);
                        size += n;
                        buf[size] = 0;
                }
        }
        safe_close(fd);
        run_idle(e);
        exchange_size = size;
        return buf ?: strdup("");
}

static void test_http1(sd_event *e, GrpcServer *s) {
        char *r;

#define EXCHANGE(req) http_exchange(e, s, req, sizeof(req) - 1)
        r = EXCHANGE("GET /info HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        TAP_OK(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "HTTP/1.1 GET /info: 200");
        TAP_OK(strstr(r, "\r\n\r\n{\"storage_driver\":\"overlay\"}"), "HTTP/1.1 GET /info: body");
        TAP_OK(strstr(r, "Content-Type: application/json\r\n"), "HTTP/1.1 GET /info: content type");
        free(r);

        r = EXCHANGE("GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n");
        TAP_OK(strncmp(r, "HTTP/1.1 404 ", 13) == 0 && strstr(r, "404 page not found"), "HTTP/1.1 unknown path: 404");
        free(r);

        /* Keep-alive: two requests on one connection, the second closes. */
        r = EXCHANGE("GET /info HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\nConnection: close\r\n\r\n");
        TAP_OK(strncmp(r, "HTTP/1.1 200 ", 13) == 0 && strstr(r, "HTTP/1.1 404 "), "HTTP/1.1 keep-alive: both answered");
        free(r);

        r = EXCHANGE("POST /info HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        TAP_OK(strncmp(r, "HTTP/1.1 405 ", 13) == 0, "HTTP/1.1 POST: 405");
        free(r);

        r = EXCHANGE("GET /info HTTP/1.1\r\nBad Header\r\n\r\n");
        TAP_OK(strncmp(r, "HTTP/1.1 400 ", 13) == 0, "HTTP/1.1 malformed: 400");
        free(r);

        r = EXCHANGE("\x01\x02\x03 random garbage that is not a protocol at all\r\n\r\n");
        TAP_OK(strstr(r, "HTTP/1.1") == NULL, "garbage: connection closed without an HTTP answer");
        free(r);

        r = EXCHANGE("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\nabcdefgh");
        {
                bool goaway = false;

                /* Walk the frames that came back: SETTINGS, then GOAWAY with PROTOCOL_ERROR. */
                for (size_t i = 0; i + 9 <= exchange_size;) {
                        const uint8_t *f = (const uint8_t *) r + i;
                        size_t len = (size_t) f[0] << 16 | (size_t) f[1] << 8 | f[2];

                        if (f[3] == NGHTTP2_GOAWAY && len >= 8 && i + 9 + len <= exchange_size)
                                goaway = f[9 + 7] == NGHTTP2_PROTOCOL_ERROR;
                        i += 9 + len;
                }
                TAP_OK(goaway, "bad HTTP/2 preface: GOAWAY PROTOCOL_ERROR, then closed");
        }
        free(r);
#undef EXCHANGE

        grpc_server_set_http_handler(s, NULL);
        r = http_exchange(e, s, "GET /info HTTP/1.0\r\n\r\n", strlen("GET /info HTTP/1.0\r\n\r\n"));
        TAP_OK(strncmp(r, "HTTP/1.1 404 ", 13) == 0 && strstr(r, "404 page not found"), "no handler: 404");
        free(r);
        grpc_server_set_http_handler(s, http_handler);
        TAP_IS_INT(grpc_server_n_connections(s), 0, "HTTP/1.1 connections all closed");
}

static bool drained;

static void done(GrpcServer *srv, void *userdata) {
        drained = true;
}

static void test_unix(sd_event *e) {
        _cleanup_(grpc_server_freep) GrpcServer *s = NULL;
        char dir[] = "/tmp/test-grpc-server-XXXXXX", path[64];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct stat st;
        Stream *stream;
        Client c;
        int fd;

        assert_se(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/crio.sock", dir);
        assert_se(grpc_server_new(e, methods, ELEMENTSOF(methods), NULL, &s) == 0);

        /* A stale socket file is replaced. */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        strcpy(sa.sun_path, path);
        assert_se(bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
        safe_close(fd);

        TAP_IS_INT(grpc_server_listen_unix(s, path, 0660), 0, "unix: listening");
        TAP_OK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0660, "unix: mode 0660");

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        TAP_IS_INT(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0, "unix: connected");
        client_init(&c, e, fd);
        stream = client_call(&c, "/test.Echo/Unary", "unix", 4, 0, NULL, NULL);
        run_until(e, NULL, stream);
        TAP_OK(stream->grpc_status == 0 && reply_is(stream, "unix", 4), "unix: echo");

        /* Graceful shutdown: GOAWAY, the connection closes once the client is done. */
        {
                drained = false;
                TAP_IS_INT(grpc_server_shutdown(s, 5 * 1000 * 1000, done), 0, "unix: shutdown started");
                run_until(e, &c.goaway, NULL);
                TAP_OK(c.goaway, "unix: GOAWAY received");
                client_done(&c);
                run_until(e, &drained, NULL);
                TAP_OK(drained, "unix: drained after the client left");
        }

        s = grpc_server_free(s);
        TAP_OK(access(path, F_OK) < 0 && errno == ENOENT, "unix: socket file removed");
        (void) rmdir(dir);
}

static void test_shutdown_timeout(sd_event *e) {
        _cleanup_(grpc_server_freep) GrpcServer *s = NULL;
        Stream *st;
        Client c;
        int fd;

        drained = false;

        assert_se(grpc_server_new(e, methods, ELEMENTSOF(methods), NULL, &s) == 0);
        assert_se(connect_pair(s, &fd) == 0);
        client_init(&c, e, fd);
        n_cancelled = 0;
        st = client_call(&c, "/test.Echo/Slow", "", 0, 0, NULL, NULL);
        while (!slow_call)
                assert_se(sd_event_run(e, 10 * 1000) >= 0);

        TAP_IS_INT(grpc_server_shutdown(s, 50 * 1000, done), 0, "timeout: shutdown started");
        run_until(e, &drained, NULL);
        TAP_OK(drained, "timeout: drained");
        TAP_IS_INT(n_cancelled, 1, "timeout: open call cancelled");
        run_until(e, NULL, st);
        TAP_IS_INT(st->grpc_status, GRPC_STATUS_CANCELLED, "timeout: client told CANCELLED");
        client_done(&c);

        /* Freeing a server with a call in flight cancels it too. */
        s = grpc_server_free(s);
        assert_se(grpc_server_new(e, methods, ELEMENTSOF(methods), NULL, &s) == 0);
        assert_se(connect_pair(s, &fd) == 0);
        client_init(&c, e, fd);
        n_cancelled = 0;
        (void) client_call(&c, "/test.Echo/Slow", "", 0, 0, NULL, NULL);
        while (!slow_call)
                assert_se(sd_event_run(e, 10 * 1000) >= 0);
        s = grpc_server_free(s);
        TAP_IS_INT(n_cancelled, 1, "free: open call cancelled");
        client_done(&c);
}

int main(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(grpc_server_freep) GrpcServer *s = NULL;
        GrpcServerLimits limits = {
                .max_recv_message_size = 1024,
                .max_send_message_size = 1024 * 1024,
        };

        assert_se(sd_event_new(&e) >= 0);
        TAP_IS_INT(grpc_server_new(e, methods, ELEMENTSOF(methods), NULL, &s), 0, "server created");
        grpc_server_set_limits(s, &limits);
        grpc_server_set_http_handler(s, http_handler);

        test_grpc(e, s);
        limits.max_send_message_size = 1024;
        grpc_server_set_limits(s, &limits);
        test_http1(e, s);
        s = grpc_server_free(s);

        test_unix(e);
        test_shutdown_timeout(e);
        return tap_done();
}
