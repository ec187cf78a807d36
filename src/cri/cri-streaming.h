/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "grpc-server.h"

/* RuntimeService Exec, Attach and PortForward: validate, then answer with a single-use URL on the
 * streaming server (src/streaming/). */
int cri_streaming_exec(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_streaming_attach(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_streaming_port_forward(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
