/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The pod sandbox RPCs of the RuntimeService. */

#include "grpc-server.h"

int cri_pod_run(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_stop(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_remove(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_status(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_list(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_stream(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_list_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_update_resources(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
