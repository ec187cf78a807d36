/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* CRI's pod metrics, as CRI-O serves them for the groups named in [crio.stats] included_pod_metrics:
 * the descriptors of those groups, and the samples of every pod (network, at the pod's level) and of
 * its running containers (the rest, from their cgroups). Nothing when no group is named. */

#include "grpc-server.h"

int cri_metrics_list_descriptors(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_metrics_list(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
int cri_metrics_stream(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
