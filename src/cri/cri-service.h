/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "grpc-server.h"

/* Every RPC of runtime.v1's RuntimeService and ImageService, routed to its handler; userdata of the
 * handlers is the Manager. */
extern const GrpcMethod cri_methods[];
extern const size_t cri_methods_count;

/* The HTTP/1.1 side of the CRI socket (GET /info, /config, /containers/{id}), as CRI-O serves it. */
int cri_http_handler(const char *method, const char *path, GrpcHttpResponse *ret, void *userdata);
