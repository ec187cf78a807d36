/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "grpc-server.h"

/* RuntimeService RPCs about the runtime itself: Version, Status, RuntimeConfig, UpdateRuntimeConfig. */
int cri_runtime_version(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_runtime_status(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_runtime_config(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_runtime_update_config(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);

/* What CRI-O reports: the runtime name kubelet shows, and the CRI "version" of the kubelet API. */
#define CRI_RUNTIME_NAME "cri-o"
#define CRI_KUBE_API_VERSION "0.1.0"
#define CRI_RUNTIME_API_VERSION "v1"
