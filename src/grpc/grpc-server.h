/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A gRPC server over HTTP/2 (nghttp2) on sd-event. It knows nothing of CRI: it routes each call by
 * its path ("/runtime.v1.RuntimeService/Version") to a GrpcMethod, hands the handler the request
 * message bytes, and sends back what the handler replies. The same listening socket also answers
 * plain HTTP/1.1 GET requests through a GrpcHttpHandler (CRI-O's /info, /config for cAdvisor). */

#include <stdint.h>
#include <systemd/sd-event.h>

#include "grpc-status.h"
#include "macro.h"

typedef struct GrpcServer GrpcServer;
typedef struct GrpcCall GrpcCall;

/* Called once the whole request message has arrived (both unary and server-streaming calls take
 * exactly one request message). The handler answers now or later: with grpc_call_reply() (unary),
 * grpc_call_send() then grpc_call_finish() (streaming), or grpc_call_finish() with an error. To
 * answer later it keeps a reference (grpc_call_ref()). A negative return finishes the call with the
 * status grpc_status_from_errno() gives, unless the handler already finished it. */
typedef int (*GrpcMethodHandler)(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);

typedef struct GrpcMethod {
        const char *path;             /* full path, "/package.Service/Method" */
        GrpcMethodHandler handler;
        bool server_streaming;
} GrpcMethod;

/* An HTTP/1.1 answer. body is owned by the server after return and freed with free(). */
typedef struct GrpcHttpResponse {
        unsigned status;              /* 200, 404, ... */
        const char *content_type;     /* static string */
        char *body;
        size_t body_size;
} GrpcHttpResponse;

/* Answers an HTTP/1.1 request; returning a negative errno answers 500. */
typedef int (*GrpcHttpHandler)(const char *method, const char *path, GrpcHttpResponse *ret, void *userdata);

typedef struct GrpcServerLimits {
        size_t max_recv_message_size; /* larger requests are answered RESOURCE_EXHAUSTED */
        size_t max_send_message_size; /* larger replies are answered RESOURCE_EXHAUSTED */
} GrpcServerLimits;

/* CRI-O's default for both limits: 80 MiB. */
#define GRPC_DEFAULT_MAX_MESSAGE_SIZE (80U * 1024U * 1024U)

int grpc_server_new(sd_event *event, const GrpcMethod *methods, size_t n_methods, void *userdata, GrpcServer **ret);
GrpcServer *grpc_server_free(GrpcServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(GrpcServer *, grpc_server_free);

void grpc_server_set_limits(GrpcServer *s, const GrpcServerLimits *limits);
void grpc_server_set_http_handler(GrpcServer *s, GrpcHttpHandler handler);

/* Serve on an already bound and listening SOCK_STREAM socket; the server takes the fd. */
int grpc_server_add_listener(GrpcServer *s, int fd);

/* Binds a unix socket at path (replacing a stale one) with the given mode and serves it. The socket
 * file is removed again when the server is freed. */
int grpc_server_listen_unix(GrpcServer *s, const char *path, mode_t mode);

/* Stops accepting; existing connections get GOAWAY and finish their calls. done() is called once
 * every connection is closed (at once when there are none). Calls still open after timeout_usec are
 * cancelled. */
typedef void (*GrpcServerDrainedHandler)(GrpcServer *s, void *userdata);
int grpc_server_shutdown(GrpcServer *s, uint64_t timeout_usec, GrpcServerDrainedHandler done);

unsigned grpc_server_n_connections(GrpcServer *s);
unsigned grpc_server_n_calls(GrpcServer *s);

/* Calls. */
GrpcCall *grpc_call_ref(GrpcCall *c);
GrpcCall *grpc_call_unref(GrpcCall *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(GrpcCall *, grpc_call_unref);

const char *grpc_call_get_path(GrpcCall *c);
GrpcServer *grpc_call_get_server(GrpcCall *c);
/* The absolute CLOCK_MONOTONIC deadline from grpc-timeout, or UINT64_MAX if none. */
uint64_t grpc_call_get_deadline(GrpcCall *c);
/* True once the client is gone, the call was cancelled or its deadline passed. */
bool grpc_call_is_cancelled(GrpcCall *c);

/* Called once if the call ends before the handler finished it (client reset, connection lost,
 * deadline exceeded, server shutdown): the handler should drop its work and its reference. */
typedef void (*GrpcCallCancelHandler)(GrpcCall *c, void *userdata);
void grpc_call_set_cancel_handler(GrpcCall *c, GrpcCallCancelHandler handler, void *userdata);

/* Called once when the server begins to shut down, for a call that would never end by itself (an event
 * stream): the handler ends it now (grpc_call_finish()), so that the shutdown need not wait for its
 * timeout. */
typedef void (*GrpcCallDrainHandler)(GrpcCall *c, void *userdata);
void grpc_call_set_drain_handler(GrpcCall *c, GrpcCallDrainHandler handler, void *userdata);

/* Queue one response message (gRPC length-prefixed framing is added here). Flow control is the
 * server's business: the message is buffered until the peer's windows allow it. */
int grpc_call_send(GrpcCall *c, const uint8_t *message, size_t size);
/* Bytes of response messages queued by grpc_call_send() that the peer's flow control has not let out
 * yet (framing included): a streaming handler bounds what a slow reader may hold with it. */
size_t grpc_call_get_queued_bytes(GrpcCall *c) _pure_;
/* Ends the call with grpc-status/grpc-message trailers. Safe on an already cancelled call. */
int grpc_call_finish(GrpcCall *c, GrpcStatus status, const char *message);
int grpc_call_finishf(GrpcCall *c, GrpcStatus status, const char *format, ...) _printf_(3, 4);
/* send + finish(OK). */
int grpc_call_reply(GrpcCall *c, const uint8_t *message, size_t size);
