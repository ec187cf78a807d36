/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The container RPCs of the RuntimeService. */

#include "grpc-server.h"

int cri_container_create(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_container_start(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_container_stop(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_container_remove(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_container_list(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_container_stream(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_container_status(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_container_update_resources(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_container_reopen_log(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_container_exec_sync(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_container_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_container_list_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_container_stream_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
