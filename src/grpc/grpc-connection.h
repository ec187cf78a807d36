/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One accepted connection: sniffed as HTTP/2 (gRPC, driven by an nghttp2 server session) or as
 * HTTP/1.1 (GET requests answered by the server's GrpcHttpHandler). */

#include <nghttp2/nghttp2.h>
#include <systemd/sd-event.h>

#include "grpc-server-internal.h"

typedef enum GrpcConnectionKind {
        GRPC_CONNECTION_SNIFF,        /* too few bytes yet to tell */
        GRPC_CONNECTION_HTTP2,
        GRPC_CONNECTION_HTTP1,
        _GRPC_CONNECTION_KIND_MAX,
        _GRPC_CONNECTION_KIND_INVALID = -EINVAL,
} GrpcConnectionKind;

struct GrpcConnection {
        GrpcServer *server;
        GrpcConnection *prev, *next;

        int fd;
        sd_event_source *io;
        sd_event_source *defer;       /* flushes output queued outside of our own callbacks */
        uint32_t io_events;

        GrpcConnectionKind kind;
        nghttp2_session *session;

        /* Input kept between reads: the sniffed prefix, then an HTTP/1.1 request head. */
        char *in;
        size_t in_size, in_allocated;

        /* Output not yet taken by the kernel. */
        uint8_t *out;
        size_t out_start, out_size, out_allocated;

        GrpcCall *calls;              /* open streams, doubly linked list */

        unsigned dispatching;         /* >0 while inside our IO handler: flush happens at its end */
        bool close_after_flush;       /* HTTP/1.1 "Connection: close", or a fatal protocol error */
        bool goaway_sent;
};

int grpc_connection_new(GrpcServer *s, int fd, GrpcConnection **ret);
GrpcConnection *grpc_connection_free(GrpcConnection *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(GrpcConnection *, grpc_connection_free);

/* Processes input as if it had been read from the socket. Returns < 0 when the connection must be
 * closed. */
int grpc_connection_feed(GrpcConnection *c, const uint8_t *data, size_t size);

/* Writes what is queued. Returns < 0 when the connection is dead. */
int grpc_connection_flush(GrpcConnection *c);

/* Output was queued by a call: flush it now or, inside our own callbacks, when they return. */
void grpc_connection_schedule_flush(GrpcConnection *c);

/* Graceful shutdown: GOAWAY for HTTP/2, close for idle HTTP/1.1. */
void grpc_connection_shutdown(GrpcConnection *c);

/* True when nothing is left to do and the connection should be closed. */
bool grpc_connection_is_done(GrpcConnection *c);

/* Frees the connection if it is done. Returns true if it was freed. */
bool grpc_connection_maybe_close(GrpcConnection *c);

/* The nghttp2 callbacks every server session shares. */
int grpc_connection_callbacks_new(nghttp2_session_callbacks **ret);
