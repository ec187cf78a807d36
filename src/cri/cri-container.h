/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The container RPCs of the RuntimeService. */

#include "api.pb-c.h"
#include "container.h"
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
int cri_container_checkpoint(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);

/* A container's ContainerStatus, borrowing the container's strings; the struct holds what was
 * allocated for it. Filled in place (it points into itself): keep it where it is until
 * cri_container_status_done(). */
typedef struct CriContainerStatus {
        Runtime__V1__ContainerStatus status;
        Runtime__V1__ContainerMetadata metadata;
        Runtime__V1__ImageSpec image;
        Runtime__V1__ContainerResources resources;
        Runtime__V1__LinuxContainerResources linux_resources;
        Runtime__V1__ContainerStatus__LabelsEntry **labels;
        Runtime__V1__ContainerStatus__AnnotationsEntry **annotations;
        Runtime__V1__Mount *mounts;
        Runtime__V1__Mount **mount_pointers;
        Runtime__V1__HugepageLimit *hugepages;
        Runtime__V1__HugepageLimit **hugepage_pointers;
        Runtime__V1__LinuxContainerResources__UnifiedEntry **unified;
} CriContainerStatus;

int cri_container_status_fill(CriContainerStatus *s, const Container *c);
void cri_container_status_done(CriContainerStatus *s);
