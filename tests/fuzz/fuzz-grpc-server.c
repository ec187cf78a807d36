/* SPDX-License-Identifier: Apache-2.0 */

/* Writes arbitrary bytes into a server connection over a socketpair, as a client would, and runs the
 * loop until the server has nothing left to do. Whatever comes in, the server must not crash or leak. */

#include <string.h>
#include <sys/socket.h>

#include "grpc-server-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int handle_unary(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        return grpc_call_reply(call, message, size);
}

static int handle_stream(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        for (unsigned i = 0; i < 4; i++)
                if (grpc_call_send(call, message, size) < 0)
                        return 0;
        return grpc_call_finish(call, GRPC_STATUS_OK, NULL);
}

static int handle_fail(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        return -EINVAL;
}

static const GrpcMethod methods[] = {
        { "/runtime.v1.RuntimeService/Version", handle_unary, false },
        { "/test.Echo/Unary", handle_unary, false },
        { "/test.Echo/Stream", handle_stream, true },
        { "/test.Echo/Fail", handle_fail, false },
};

static int http_handler(const char *method, const char *path, GrpcHttpResponse *ret, void *userdata) {
        if (strcmp(path, "/info") != 0)
                return -ENOENT;
        *ret = (GrpcHttpResponse) {
                .status = 200,
                .content_type = "application/json",
                .body = strdup("{}"),
                .body_size = 2,
        };
        return ret->body ? 0 : -ENOMEM;
}

static void drain(int fd) {
        uint8_t buf[65536];

        while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
                ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(grpc_server_freep) GrpcServer *s = NULL;
        _cleanup_close_ int client = -EBADF;
        GrpcServerLimits limits = {
                .max_recv_message_size = 4096,
                .max_send_message_size = 4096,
        };
        int sv[2];

        if (sd_event_new(&e) < 0)
                return 0;
        if (grpc_server_new(e, methods, ELEMENTSOF(methods), NULL, &s) < 0)
                return 0;
        grpc_server_set_limits(s, &limits);
        grpc_server_set_http_handler(s, http_handler);

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
                return 0;
        client = sv[0];
        if (grpc_server_add_connection(s, sv[1]) < 0)
                return 0;

        /* Write it all, letting the server read whenever the socket is full. */
        while (size > 0) {
                ssize_t n = send(client, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0) {
                        if (errno != EAGAIN)
                                break;
                        (void) sd_event_run(e, 0);
                        drain(client);
                        continue;
                }
                data += n;
                size -= (size_t) n;
        }
        (void) shutdown(client, SHUT_WR);

        /* Until idle: the client half-closed, so the server finishes and closes. */
        for (unsigned i = 0; i < 10000; i++) {
                int r = sd_event_run(e, 0);

                drain(client);
                if (r <= 0 && grpc_server_n_connections(s) == 0)
                        break;
                if (r <= 0)
                        (void) sd_event_run(e, 1000);
        }
        return 0;
}
