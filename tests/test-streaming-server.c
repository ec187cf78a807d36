/* SPDX-License-Identifier: Apache-2.0 */
/* The streaming server in-process on loopback with the test backend; a client thread speaks raw
 * HTTP and WebSocket to it while the main thread runs the loop. The full matrix (SPDY, tty, port
 * forwarding, 100 MiB) is in tests/integration/test_streaming.py. */
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include "stream-server.h"
#include "streaming-test-backend.h"
#include "fileio.h"
#include "strv.h"
#include "tap.h"
#include "websocket.h"

static StreamServer *server;
static TestBackend backend;
static char *url_ok, *url_cancel;
static int client_results[8];

static int connect_server(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(stream_server_get_port(server)),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -1;
        return fd;
}

static ssize_t read_all(int fd, char *buf, size_t size) {
        size_t n = 0;

        while (n < size) {
                ssize_t k = read(fd, buf + n, size - n);

                if (k <= 0)
                        break;
                n += (size_t) k;
        }
        return (ssize_t) n;
}

static int http_status(const char *request) {
        char buf[512] = {};
        int fd = connect_server(), status = -1;

        if (fd < 0)
                return -1;
        (void) loop_write(fd, request, strlen(request));
        if (read(fd, buf, sizeof(buf) - 1) > 12)
                status = atoi(buf + 9);
        close(fd);
        return status;
}

static void *client(void *arg) {
        static const uint8_t mask[4] = { 1, 2, 3, 4 };
        _cleanup_(stream_buffer_done) StreamBuffer out = {};
        _cleanup_free_ char *req = NULL;
        char buf[65536];
        const char *path;
        ssize_t n;
        int fd;

        client_results[0] = http_status("GET /exec/AAAAAAAA HTTP/1.1\r\n\r\n");
        client_results[1] = http_status("GET /nothing HTTP/1.1\r\n\r\n");
        client_results[2] = http_status("\x01\x02\x03 garbage\r\n\r\n");

        /* exec "echo hi; exit 5" over WebSocket v5 */
        path = strstr(url_ok, "/exec/");
        fd = connect_server();
        if (asprintf(&req, "GET %s HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n", path) < 0)
                return NULL;
        (void) loop_write(fd, req, strlen(req));
        n = read_all(fd, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        client_results[3] = strstr(buf, "101 Switching") && strstr(buf, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        client_results[4] = memmem(buf, (size_t) MAX(n, 0), "\x82\x04\x01hi\n", 6) != NULL;
        client_results[5] = memmem(buf, (size_t) MAX(n, 0), "\"message\":\"5\"", 13) != NULL;
        close(fd);

        /* A client leaving mid-stream: its process is cancelled. */
        path = strstr(url_cancel, "/exec/");
        fd = connect_server();
        free(req);
        if (asprintf(&req, "GET %s HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n", path) < 0)
                return NULL;
        (void) loop_write(fd, req, strlen(req));
        (void) read(fd, buf, sizeof(buf));
        /* And a masked frame on stdin before leaving. */
        (void) websocket_write_masked_frame(&out, true, WEBSOCKET_BINARY, "\0x", 2, mask);
        (void) write(fd, stream_buffer_head(&out), stream_buffer_size(&out));
        usleep(200 * 1000);
        close(fd);
        usleep(300 * 1000);
        return NULL;
}

static int on_client_done(sd_event_source *s, uint64_t usec, void *userdata) {
        pthread_t *t = userdata;

        if (pthread_tryjoin_np(*t, NULL) == 0 && backend.n_live == 0 && stream_server_get_n_connections(server) == 0)
                return sd_event_exit(sd_event_source_get_event(s), 0);
        (void) sd_event_source_set_time_relative(s, 20000);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

int main(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(sd_event_source_unrefp) sd_event_source *timer = NULL;
        StreamRequest *req;
        pthread_t thread;
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGPIPE);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        TAP_OK(sd_event_new(&e) >= 0, "event loop");
        backend.event = e;
        TAP_OK(stream_server_new(e, &(StreamServerSettings) { .address = "127.0.0.1" }, &test_backend_vtable,
                                 &backend, &server) >= 0, "server on loopback");
        TAP_OK(stream_server_get_port(server) > 0, "bound port %u reported", stream_server_get_port(server));

        (void) stream_request_new(STREAM_REQUEST_EXEC, &req);
        req->stdout = req->stderr = true;
        (void) strv_new(&req->cmd, "/bin/sh", "-c", "echo hi; exit 5", NULL);
        TAP_OK(stream_server_get_url(server, req, &url_ok) >= 0 && strstr(url_ok, "http://127.0.0.1:") &&
               strstr(url_ok, "/exec/"), "URL %s", url_ok);
        (void) stream_request_new(STREAM_REQUEST_EXEC, &req);
        req->stdin = req->stdout = true;
        (void) strv_new(&req->cmd, "/bin/sleep", "100", NULL);
        TAP_OK(stream_server_get_url(server, req, &url_cancel) >= 0, "second URL");

        TAP_OK(pthread_create(&thread, NULL, client, NULL) == 0, "client thread");
        TAP_OK(sd_event_add_time_relative(e, &timer, CLOCK_MONOTONIC, 50000, 0, on_client_done, &thread) >= 0, "timer");
        TAP_OK(sd_event_loop(e) >= 0, "loop ran");

        TAP_IS_INT(client_results[0], 404, "unknown token: 404");
        TAP_IS_INT(client_results[1], 404, "unknown path: 404");
        TAP_IS_INT(client_results[2], 400, "garbage: 400");
        TAP_OK(client_results[3], "WebSocket upgrade with the RFC accept key");
        TAP_OK(client_results[4], "stdout on channel 1");
        TAP_OK(client_results[5], "exit code 5 in the v5 status");
        TAP_IS_INT(backend.n_started, 2, "two processes started");
        TAP_IS_INT(backend.n_cancelled, 1, "the abandoned one was cancelled");
        TAP_IS_INT(backend.n_released, 2, "both released");
        TAP_IS_INT(backend.n_live, 0, "none left");

        server = stream_server_free(server);
        free(url_ok);
        free(url_cancel);
        return tap_done();
}
