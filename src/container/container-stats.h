/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A container's usage and its live limits: CPU, memory and tasks from systemd's accounting of
 * crio-<id>.scope over D-Bus (the working set is the usage less inactive file pages, from the
 * scope's memory.stat, as kubelet counts it), the writable layer from its upper directory; and
 * UpdateContainerResources, which sets the scope's properties with SetUnitProperties and then has
 * the runtime apply the same resources ("<runtime> update"). */

#include <stdbool.h>
#include <stdint.h>

#include "container.h"
#include "unit-properties.h"

typedef struct ContainerStats {
        int64_t timestamp;              /* nanoseconds since the epoch */
        bool have_cpu, have_memory, have_tasks, have_layer;
        uint64_t cpu_usage_nsec;
        uint64_t memory_current;
        uint64_t memory_working_set;
        uint64_t tasks_current;
        uint64_t layer_bytes, layer_inodes;
} ContainerStats;

typedef struct ContainerStatsRequest ContainerStatsRequest;
/* stats is valid during the call only. */
typedef void (*ContainerStatsCallback)(Container *c, int r, const ContainerStats *stats, void *userdata);

int container_stats_collect(Container *c, ContainerStatsCallback callback, void *userdata,
                            ContainerStatsRequest **ret);
ContainerStatsRequest *container_stats_request_free(ContainerStatsRequest *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ContainerStatsRequest *, container_stats_request_free);

/* inactive_file of a memory.stat text, 0 when absent. */
uint64_t container_memory_stat_inactive_file(const char *text);

/* The scope properties that carry resources, as systemd names them for the host's cgroup mode. */
int container_scope_properties(const OciResources *r, UnitPropertyList **ret);

typedef void (*ContainerUpdateCallback)(Container *c, int r, const char *error, void *userdata);
/* Takes nothing: r is copied. The container keeps the new resources on success. */
int container_update_resources(Container *c, const OciResources *r, ContainerUpdateCallback callback,
                               void *userdata);
