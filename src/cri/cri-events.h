/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* GetContainerEvents: the container lifecycle events of container-events.c, as CRI's
 * ContainerEventResponse, streamed to every caller while enable_pod_events is on. */

#include "grpc-server.h"

/* What one subscriber may have queued and not yet taken before further events are dropped for it
 * (CRI-O drops them when its channel of 1000 events is full). */
#define CRI_EVENTS_MAX_QUEUED_BYTES (4U * 1024U * 1024U)

int cri_events_get(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);
