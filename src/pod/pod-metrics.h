/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The counters behind CRI's pod metrics (ListPodSandboxMetrics, included_pod_metrics): a container's
 * cgroup read from cgroupfs, v1 (legacy or hybrid: one hierarchy per controller) or v2, the processes
 * in it, and the network interfaces of a pod as /proc/<pid>/net/dev of a process inside it shows
 * them. Plain numbers in the kernel's units converted to bytes and nanoseconds; what a host does not
 * account stays 0. */

#include <stdbool.h>
#include <stdint.h>

#include "cgroup-util.h"

typedef struct CgroupHugetlb {
        char pagesize[16];              /* "2MB", "1GB", as cAdvisor names them */
        uint64_t usage, max_usage;
} CgroupHugetlb;

typedef struct CgroupCounters {
        bool have_cpu, have_memory, have_pids;

        uint64_t cpu_usage_nsec, cpu_user_nsec, cpu_system_nsec;
        uint64_t cpu_periods, cpu_throttled_periods, cpu_throttled_nsec;

        uint64_t memory_usage, memory_max_usage;
        uint64_t memory_cache, memory_rss, memory_kernel, memory_mapped_file, memory_swap;
        uint64_t memory_inactive_file, memory_failcnt, memory_pgfault, memory_pgmajfault;
        uint64_t oom_kills;

        uint64_t processes, threads, threads_max;       /* threads_max 0: no limit */
        uint64_t file_descriptors, sockets;

        CgroupHugetlb *hugetlb;
        size_t n_hugetlb;
} CgroupCounters;

void cgroup_counters_done(CgroupCounters *c);

/* Reads the cgroup at path (below the hierarchy, "/a.slice/b.scope") under cgroup_root (normally
 * /sys/fs/cgroup) for the host's mode, and counts the open files of its processes under proc_root
 * (normally /proc). Missing files leave their counters 0; -ENOENT when no controller knows the
 * cgroup at all. */
int cgroup_counters_read(const char *cgroup_root, CGroupMode mode, const char *path, const char *proc_root,
                         CgroupCounters *ret);

/* The working set as kubelet counts it: usage less inactive file pages. */
static inline uint64_t cgroup_counters_working_set(const CgroupCounters *c) {
        return c->memory_usage > c->memory_inactive_file ? c->memory_usage - c->memory_inactive_file : 0;
}

typedef struct NetDevCounters {
        char *name;
        uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
        uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
} NetDevCounters;

/* Parses /proc/net/dev, every interface (lo too, as CRI-O reports it). */
int net_dev_counters_parse(const char *text, NetDevCounters **ret, size_t *ret_n);
void net_dev_counters_free(NetDevCounters *l, size_t n);
