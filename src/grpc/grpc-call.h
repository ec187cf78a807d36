/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One gRPC call, i.e. one HTTP/2 stream. The connection holds a reference while the stream is open;
 * a handler answering asynchronously holds its own. */

#include <nghttp2/nghttp2.h>

#include "grpc-frame.h"
#include "grpc-server-internal.h"

struct GrpcCall {
        unsigned n_ref;
        GrpcServer *server;
        GrpcConnection *connection;   /* NULL once the stream is gone */
        GrpcCall *prev, *next;
        int32_t stream_id;

        const GrpcMethod *method;
        char *path;                   /* the method's own path, or a copy for an unknown one */
        bool path_owned;
        char *encoding;               /* grpc-encoding, unless identity */
        char *bad_method;             /* :method, if not POST */
        char *bad_content_type;       /* content-type, if not gRPC */
        bool bad_timeout;
        bool have_content_type;

        uint64_t deadline;
        sd_event_source *deadline_source;

        GrpcFrameDecoder decoder;

        /* Response messages, framed, waiting for flow control. */
        uint8_t *out;
        size_t out_start, out_size, out_allocated;

        GrpcStatus status;
        char *status_message;         /* percent-encoded, for the trailers */

        GrpcCallCancelHandler cancel_handler;
        void *cancel_userdata;
        GrpcCallDrainHandler drain_handler;
        void *drain_userdata;

        bool dispatched;              /* the handler was called */
        bool headers_sent;            /* response HEADERS submitted with a data provider */
        bool finished;                /* trailers queued (by the handler or by us) */
        bool cancelled;
        bool remote_closed;           /* the client sent END_STREAM */
};

int grpc_call_new(GrpcConnection *conn, int32_t stream_id, GrpcCall **ret);

/* The stream is gone: drop the connection's reference; fires the cancel handler if unfinished. */
void grpc_call_detach(GrpcCall *c);

/* nghttp2 callbacks routed to the call. */
int grpc_call_on_header(GrpcCall *c, const uint8_t *name, size_t name_size, const uint8_t *value, size_t value_size);
int grpc_call_on_headers_complete(GrpcCall *c);
int grpc_call_on_data(GrpcCall *c, const uint8_t *data, size_t size);
int grpc_call_on_remote_end(GrpcCall *c);
void grpc_call_on_end_stream_sent(GrpcCall *c);

/* The server begins to shut down: runs the call's drain handler, if any. */
void grpc_call_drain(GrpcCall *c);

/* Ends the call CANCELLED (server shutdown timed out). */
void grpc_call_abort(GrpcCall *c);

/* Parses a grpc-timeout value ("100m", "5S": up to 8 digits and a unit of H M S m u n) into µs. */
int grpc_timeout_parse(const char *s, size_t size, uint64_t *ret_usec);
