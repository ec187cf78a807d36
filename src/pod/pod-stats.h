/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A pod's usage: CPU, memory and tasks from systemd's accounting of its slice, network counters
 * of the interfaces in its network namespace (read by a short-lived child that joins it). */

#include <stdbool.h>
#include <stdint.h>

#include "pod.h"

typedef struct PodInterfaceStats {
        char *name;
        uint64_t rx_bytes, rx_errors, tx_bytes, tx_errors;
} PodInterfaceStats;

typedef struct PodStats {
        int64_t timestamp;      /* nanoseconds since the epoch */
        bool have_cpu, have_memory, have_tasks;
        uint64_t cpu_usage_nsec;
        uint64_t memory_current;
        uint64_t tasks_current;
        PodInterfaceStats *interfaces;  /* lo left out */
        size_t n_interfaces;
} PodStats;

void pod_stats_done(PodStats *s);

/* Parses /proc/net/dev. */
int pod_net_dev_parse(const char *text, PodInterfaceStats **ret, size_t *ret_n);

typedef struct PodStatsRequest PodStatsRequest;
/* stats is valid during the call only; r < 0 when the slice could not be read (network counters
 * may still be there). */
typedef void (*PodStatsCallback)(Pod *p, int r, const PodStats *stats, void *userdata);

int pod_stats_collect(Pod *p, PodStatsCallback callback, void *userdata, PodStatsRequest **ret);
/* Cancels: no callback. */
PodStatsRequest *pod_stats_request_free(PodStatsRequest *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(PodStatsRequest *, pod_stats_request_free);
