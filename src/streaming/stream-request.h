/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What an Exec, Attach or PortForward RPC asked for, kept behind a token until the client comes
 * to the streaming server with it. Plain data: the CRI edge fills it from the protobuf request. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef enum StreamRequestType {
        STREAM_REQUEST_EXEC,
        STREAM_REQUEST_ATTACH,
        STREAM_REQUEST_PORT_FORWARD,
        _STREAM_REQUEST_TYPE_MAX,
        _STREAM_REQUEST_TYPE_INVALID = -EINVAL,
} StreamRequestType;

/* The URL path component: "exec", "attach", "portforward". */
const char *stream_request_type_to_string(StreamRequestType t) _const_;
StreamRequestType stream_request_type_from_string(const char *s) _pure_;

typedef struct StreamRequest {
        StreamRequestType type;
        char *container_id;             /* exec, attach */
        char *pod_sandbox_id;           /* port-forward */
        char **cmd;                     /* exec */
        bool tty;
        bool stdin;
        bool stdout;
        bool stderr;
        uint16_t *ports;                /* port-forward; may be empty (the client names ports) */
        size_t n_ports;
} StreamRequest;

int stream_request_new(StreamRequestType type, StreamRequest **ret);
StreamRequest *stream_request_free(StreamRequest *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(StreamRequest *, stream_request_free);
