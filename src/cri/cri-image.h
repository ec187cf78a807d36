/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "grpc-server.h"

/* The ImageService RPCs over the manager's image store and puller. */
int cri_image_list(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_image_stream(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_image_status(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_image_pull(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_image_remove(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_image_fs_info(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
