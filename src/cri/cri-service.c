/* SPDX-License-Identifier: Apache-2.0 */
#include "cri-call.h"
#include "cri-container.h"
#include "cri-events.h"
#include "cri-image.h"
#include "cri-metrics.h"
#include "cri-pod.h"
#include "cri-runtime.h"
#include "cri-service.h"
#include "cri-streaming.h"

#define RUNTIME(name) "/runtime.v1.RuntimeService/" name
#define IMAGE(name) "/runtime.v1.ImageService/" name

const GrpcMethod cri_methods[] = {
        { RUNTIME("Version"), cri_runtime_version, false },
        { RUNTIME("RunPodSandbox"), cri_pod_run, false },
        { RUNTIME("StopPodSandbox"), cri_pod_stop, false },
        { RUNTIME("RemovePodSandbox"), cri_pod_remove, false },
        { RUNTIME("PodSandboxStatus"), cri_pod_status, false },
        { RUNTIME("ListPodSandbox"), cri_pod_list, false },
        { RUNTIME("StreamPodSandboxes"), cri_pod_stream, true },
        { RUNTIME("CreateContainer"), cri_container_create, false },
        { RUNTIME("StartContainer"), cri_container_start, false },
        { RUNTIME("StopContainer"), cri_container_stop, false },
        { RUNTIME("RemoveContainer"), cri_container_remove, false },
        { RUNTIME("ListContainers"), cri_container_list, false },
        { RUNTIME("StreamContainers"), cri_container_stream, true },
        { RUNTIME("ContainerStatus"), cri_container_status, false },
        { RUNTIME("UpdateContainerResources"), cri_container_update_resources, false },
        { RUNTIME("ReopenContainerLog"), cri_container_reopen_log, false },
        { RUNTIME("ExecSync"), cri_container_exec_sync, false },
        { RUNTIME("Exec"), cri_streaming_exec, false },
        { RUNTIME("Attach"), cri_streaming_attach, false },
        { RUNTIME("PortForward"), cri_streaming_port_forward, false },
        { RUNTIME("ContainerStats"), cri_container_stats, false },
        { RUNTIME("ListContainerStats"), cri_container_list_stats, false },
        { RUNTIME("StreamContainerStats"), cri_container_stream_stats, true },
        { RUNTIME("PodSandboxStats"), cri_pod_stats, false },
        { RUNTIME("ListPodSandboxStats"), cri_pod_list_stats, false },
        { RUNTIME("StreamPodSandboxStats"), cri_pod_stream_stats, true },
        { RUNTIME("UpdateRuntimeConfig"), cri_runtime_update_config, false },
        { RUNTIME("Status"), cri_runtime_status, false },
        { RUNTIME("CheckpointContainer"), cri_container_checkpoint, false },
        { RUNTIME("GetContainerEvents"), cri_events_get, true },
        { RUNTIME("ListMetricDescriptors"), cri_metrics_list_descriptors, false },
        { RUNTIME("ListPodSandboxMetrics"), cri_metrics_list, false },
        { RUNTIME("StreamPodSandboxMetrics"), cri_metrics_stream, true },
        { RUNTIME("RuntimeConfig"), cri_runtime_config, false },
        { RUNTIME("UpdatePodSandboxResources"), cri_pod_update_resources, false },
        { IMAGE("ListImages"), cri_image_list, false },
        { IMAGE("StreamImages"), cri_image_stream, true },
        { IMAGE("ImageStatus"), cri_image_status, false },
        { IMAGE("PullImage"), cri_image_pull, false },
        { IMAGE("RemoveImage"), cri_image_remove, false },
        { IMAGE("ImageFsInfo"), cri_image_fs_info, false },
};

const size_t cri_methods_count = ELEMENTSOF(cri_methods);
