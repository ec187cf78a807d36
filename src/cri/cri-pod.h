/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The pod sandbox RPCs of the RuntimeService. */

#include "api.pb-c.h"
#include "grpc-server.h"
#include "pod.h"

int cri_pod_run(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_stop(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_remove(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_status(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_list(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_stream(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_list_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_stream_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_pod_update_resources(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);

/* A pod's PodSandboxStatus, borrowing the pod's strings; the struct holds what was allocated for it.
 * Filled in place (it points into itself): keep it where it is until cri_pod_status_done(). */
typedef struct CriPodStatus {
        Runtime__V1__PodSandboxStatus status;
        Runtime__V1__PodSandboxMetadata metadata;
        Runtime__V1__PodSandboxNetworkStatus network;
        Runtime__V1__LinuxPodSandboxStatus linux_status;
        Runtime__V1__Namespace ns;
        Runtime__V1__NamespaceOption options;
        Runtime__V1__PodSandboxStatus__LabelsEntry **labels;
        Runtime__V1__PodSandboxStatus__AnnotationsEntry **annotations;
        Runtime__V1__PodIP *ips;
        Runtime__V1__PodIP **ip_pointers;
} CriPodStatus;

int cri_pod_status_fill(CriPodStatus *s, const Pod *p);
void cri_pod_status_done(CriPodStatus *s);
