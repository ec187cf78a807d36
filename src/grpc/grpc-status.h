/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "macro.h"

/* The gRPC status codes, as numbered by the gRPC protocol. */
typedef enum GrpcStatus {
        GRPC_STATUS_OK = 0,
        GRPC_STATUS_CANCELLED = 1,
        GRPC_STATUS_UNKNOWN = 2,
        GRPC_STATUS_INVALID_ARGUMENT = 3,
        GRPC_STATUS_DEADLINE_EXCEEDED = 4,
        GRPC_STATUS_NOT_FOUND = 5,
        GRPC_STATUS_ALREADY_EXISTS = 6,
        GRPC_STATUS_PERMISSION_DENIED = 7,
        GRPC_STATUS_RESOURCE_EXHAUSTED = 8,
        GRPC_STATUS_FAILED_PRECONDITION = 9,
        GRPC_STATUS_ABORTED = 10,
        GRPC_STATUS_OUT_OF_RANGE = 11,
        GRPC_STATUS_UNIMPLEMENTED = 12,
        GRPC_STATUS_INTERNAL = 13,
        GRPC_STATUS_UNAVAILABLE = 14,
        GRPC_STATUS_DATA_LOSS = 15,
        GRPC_STATUS_UNAUTHENTICATED = 16,
        _GRPC_STATUS_MAX,
        _GRPC_STATUS_INVALID = -EINVAL,
} GrpcStatus;

const char *grpc_status_to_string(GrpcStatus s) _const_;
GrpcStatus grpc_status_from_string(const char *s) _pure_;

/* The status that best describes a negative errno from our core (-ENOENT → NOT_FOUND, ...). */
GrpcStatus grpc_status_from_errno(int error) _const_;

/* grpc-message is percent-encoded: bytes outside printable ASCII and '%' become "%XX". Both
 * return NULL when out of memory. */
char *grpc_message_encode(const char *s);
char *grpc_message_decode(const char *s, size_t size);
