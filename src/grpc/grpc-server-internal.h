/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The server object as its connections and calls see it. Not for users of grpc-server.h. */

#include <nghttp2/nghttp2.h>

#include "grpc-server.h"

typedef struct GrpcConnection GrpcConnection;

typedef struct GrpcListener {
        GrpcServer *server;
        int fd;
        sd_event_source *source;
        char *path;                   /* unix socket file we created, removed on free */
} GrpcListener;

struct GrpcServer {
        sd_event *event;
        void *userdata;

        GrpcMethod *methods;          /* sorted by path */
        size_t n_methods;

        GrpcServerLimits limits;
        GrpcHttpHandler http_handler;

        GrpcListener **listeners;
        size_t n_listeners;

        GrpcConnection *connections;  /* doubly linked list */
        unsigned n_connections;
        /* Most connections open at once since the heap was last trimmed. */
        unsigned n_connections_peak;
        unsigned n_calls;

        nghttp2_session_callbacks *h2_callbacks;
        nghttp2_option *h2_option;

        bool shutting_down;
        bool freeing;
        sd_event_source *shutdown_timer;
        GrpcServerDrainedHandler drained;
};

const GrpcMethod *grpc_server_find_method(GrpcServer *s, const char *path);

/* Called by a connection when it goes away, to see whether a shutdown is complete. */
void grpc_server_check_drained(GrpcServer *s);

/* Serve an already connected stream socket (a socketpair in tests and the fuzzer); takes the fd. */
int grpc_server_add_connection(GrpcServer *s, int fd);
