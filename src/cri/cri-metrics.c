/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>

#include "api.pb-c.h"
#include "config.h"
#include "container-manager.h"
#include "cri-call.h"
#include "cri-metrics.h"
#include "fileio.h"
#include "log.h"
#include "manager.h"
#include "pod-metrics.h"
#include "pod-store.h"
#include "strv.h"
#include "unit-name.h"

/* The groups of included_pod_metrics, by CRI-O's names. */
typedef enum MetricGroup {
        METRIC_GROUP_CPU,
        METRIC_GROUP_DISK,
        METRIC_GROUP_HUGETLB,
        METRIC_GROUP_MEMORY,
        METRIC_GROUP_NETWORK,
        METRIC_GROUP_OOM,
        METRIC_GROUP_PROCESS,
        METRIC_GROUP_SPEC,
        _METRIC_GROUP_MAX,
        _METRIC_GROUP_INVALID = -EINVAL,
} MetricGroup;

static const char *const metric_group_table[_METRIC_GROUP_MAX] = {
        [METRIC_GROUP_CPU] = "cpu",
        [METRIC_GROUP_DISK] = "disk",
        [METRIC_GROUP_HUGETLB] = "hugetlb",
        [METRIC_GROUP_MEMORY] = "memory",
        [METRIC_GROUP_NETWORK] = "network",
        [METRIC_GROUP_OOM] = "oom",
        [METRIC_GROUP_PROCESS] = "process",
        [METRIC_GROUP_SPEC] = "spec",
};

static MetricGroup metric_group_from_string(const char *s) {
        for (MetricGroup g = 0; g < _METRIC_GROUP_MAX; g++)
                if (strcmp(metric_group_table[g], s) == 0)
                        return g;
        return _METRIC_GROUP_INVALID;
}

/* One metric: cAdvisor's name, which kubelet's /metrics/cadvisor keeps, and the label keys after the
 * three every sample has (id, name, image). */
typedef struct MetricSpec {
        MetricGroup group;
        const char *name;
        const char *help;
        const char *labels[2];
} MetricSpec;

static const char *const base_label_keys[] = { "id", "name", "image" };

static const MetricSpec metric_specs[] = {
        { METRIC_GROUP_CPU, "container_cpu_user_seconds_total", "CPU time spent in user mode, in seconds." },
        { METRIC_GROUP_CPU, "container_cpu_system_seconds_total", "CPU time spent in kernel mode, in seconds." },
        { METRIC_GROUP_CPU, "container_cpu_usage_seconds_total", "CPU time used, in seconds.", { "cpu" } },
        { METRIC_GROUP_CPU, "container_cpu_cfs_periods_total", "CFS enforcement periods elapsed." },
        { METRIC_GROUP_CPU, "container_cpu_cfs_throttled_periods_total", "CFS periods in which the quota ran out." },
        { METRIC_GROUP_CPU, "container_cpu_cfs_throttled_seconds_total", "Time spent throttled, in seconds." },
        { METRIC_GROUP_DISK, "container_fs_inodes_free", "Free inodes of the root file system." },
        { METRIC_GROUP_DISK, "container_fs_inodes_total", "Inodes of the root file system." },
        { METRIC_GROUP_DISK, "container_fs_limit_bytes", "Size of the root file system in bytes." },
        { METRIC_GROUP_DISK, "container_fs_usage_bytes", "Bytes used on the root file system." },
        { METRIC_GROUP_HUGETLB, "container_hugetlb_usage_bytes", "Huge page usage in bytes.", { "pagesize" } },
        { METRIC_GROUP_HUGETLB, "container_hugetlb_max_usage_bytes", "Highest huge page usage in bytes.",
          { "pagesize" } },
        { METRIC_GROUP_MEMORY, "container_memory_cache", "Page cache in bytes." },
        { METRIC_GROUP_MEMORY, "container_memory_rss", "Anonymous memory in bytes." },
        { METRIC_GROUP_MEMORY, "container_memory_kernel_usage", "Kernel memory in bytes." },
        { METRIC_GROUP_MEMORY, "container_memory_mapped_file", "Memory-mapped files in bytes." },
        { METRIC_GROUP_MEMORY, "container_memory_swap", "Swap in use, in bytes." },
        { METRIC_GROUP_MEMORY, "container_memory_failcnt", "Times the memory usage reached its limit." },
        { METRIC_GROUP_MEMORY, "container_memory_usage_bytes", "Memory in use in bytes, all of it." },
        { METRIC_GROUP_MEMORY, "container_memory_max_usage_bytes", "Highest memory usage in bytes." },
        { METRIC_GROUP_MEMORY, "container_memory_working_set_bytes",
          "Memory in use in bytes, less inactive file pages." },
        { METRIC_GROUP_MEMORY, "container_memory_failures_total", "Page faults.", { "failure_type", "scope" } },
        { METRIC_GROUP_NETWORK, "container_network_receive_bytes_total", "Bytes received.", { "interface" } },
        { METRIC_GROUP_NETWORK, "container_network_receive_packets_total", "Packets received.", { "interface" } },
        { METRIC_GROUP_NETWORK, "container_network_receive_packets_dropped_total", "Received packets dropped.",
          { "interface" } },
        { METRIC_GROUP_NETWORK, "container_network_receive_errors_total", "Errors while receiving.",
          { "interface" } },
        { METRIC_GROUP_NETWORK, "container_network_transmit_bytes_total", "Bytes sent.", { "interface" } },
        { METRIC_GROUP_NETWORK, "container_network_transmit_packets_total", "Packets sent.", { "interface" } },
        { METRIC_GROUP_NETWORK, "container_network_transmit_packets_dropped_total", "Sent packets dropped.",
          { "interface" } },
        { METRIC_GROUP_NETWORK, "container_network_transmit_errors_total", "Errors while sending.",
          { "interface" } },
        { METRIC_GROUP_OOM, "container_oom_events_total", "Processes the OOM killer killed." },
        { METRIC_GROUP_PROCESS, "container_file_descriptors", "Open file descriptors." },
        { METRIC_GROUP_PROCESS, "container_processes", "Processes." },
        { METRIC_GROUP_PROCESS, "container_sockets", "Open sockets." },
        { METRIC_GROUP_PROCESS, "container_threads", "Threads." },
        { METRIC_GROUP_PROCESS, "container_threads_max", "Limit on threads, 0 for none." },
        { METRIC_GROUP_SPEC, "container_spec_cpu_period", "CFS period in microseconds." },
        { METRIC_GROUP_SPEC, "container_spec_cpu_shares", "CPU shares." },
        { METRIC_GROUP_SPEC, "container_spec_cpu_quota", "CFS quota in microseconds." },
        { METRIC_GROUP_SPEC, "container_spec_memory_limit_bytes", "Memory limit in bytes." },
        { METRIC_GROUP_SPEC, "container_spec_memory_reservation_limit_bytes", "Memory reservation in bytes." },
        { METRIC_GROUP_SPEC, "container_spec_memory_swap_limit_bytes", "Memory and swap limit in bytes." },
};

/* The groups asked for; unknown names are left out, as CRI-O skips them. */
static void groups_enabled(const Manager *m, bool ret[static _METRIC_GROUP_MAX]) {
        for (MetricGroup g = 0; g < _METRIC_GROUP_MAX; g++)
                ret[g] = false;
        for (char **name = m->config->included_pod_metrics; name && *name; name++) {
                MetricGroup g = metric_group_from_string(*name);

                if (g >= 0)
                        ret[g] = true;
                else
                        log_debug("Unknown pod metric group \"%s\" in included_pod_metrics, ignoring.", *name);
        }
}

int cri_metrics_list_descriptors(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        Runtime__V1__ListMetricDescriptorsResponse reply = RUNTIME__V1__LIST_METRIC_DESCRIPTORS_RESPONSE__INIT;
        Runtime__V1__MetricDescriptor descriptors[ELEMENTSOF(metric_specs)];
        Runtime__V1__MetricDescriptor *pointers[ELEMENTSOF(metric_specs)];
        char *labels[ELEMENTSOF(metric_specs)][ELEMENTSOF(base_label_keys) + 2];
        bool enabled[_METRIC_GROUP_MAX];
        size_t n = 0;

        msg = cri_call_unpack(call, &runtime__v1__list_metric_descriptors_request__descriptor, message, size);
        if (!msg)
                return 0;

        groups_enabled(m, enabled);
        for (size_t i = 0; i < ELEMENTSOF(metric_specs); i++) {
                const MetricSpec *spec = &metric_specs[i];
                size_t k = 0;

                if (!enabled[spec->group])
                        continue;
                descriptors[n] = (Runtime__V1__MetricDescriptor) RUNTIME__V1__METRIC_DESCRIPTOR__INIT;
                descriptors[n].name = (char *) spec->name;
                descriptors[n].help = (char *) spec->help;
                for (size_t j = 0; j < ELEMENTSOF(base_label_keys); j++)
                        labels[n][k++] = (char *) base_label_keys[j];
                for (size_t j = 0; j < ELEMENTSOF(spec->labels) && spec->labels[j]; j++)
                        labels[n][k++] = (char *) spec->labels[j];
                descriptors[n].n_label_keys = k;
                descriptors[n].label_keys = labels[n];
                pointers[n] = &descriptors[n];
                n++;
        }
        reply.n_descriptors = n;
        reply.descriptors = pointers;
        return cri_call_reply(call, &reply.base);
}

/* Samples: everything below is malloc()ed, so protobuf_c_message_free_unpacked() frees a pod's tree. */

typedef struct MetricList {
        Runtime__V1__Metric **items;
        size_t n;
        int64_t timestamp;
        const char *base[ELEMENTSOF(base_label_keys)];
} MetricList;

static void metric_list_done(MetricList *l) {
        for (size_t i = 0; i < l->n; i++)
                protobuf_c_message_free_unpacked(&l->items[i]->base, NULL);
        l->items = mfree(l->items);
        l->n = 0;
}

static int metric_add(MetricList *l, const char *name, Runtime__V1__MetricType type, uint64_t value,
                      const char *label1, const char *label2) {
        Runtime__V1__Metric *metric, **grown;
        const char *values[ELEMENTSOF(base_label_keys) + 2];
        size_t n = 0;

        grown = realloc(l->items, (l->n + 1) * sizeof(Runtime__V1__Metric *));
        if (!grown)
                return -ENOMEM;
        l->items = grown;

        metric = malloc(sizeof(Runtime__V1__Metric));
        if (!metric)
                return -ENOMEM;
        *metric = (Runtime__V1__Metric) RUNTIME__V1__METRIC__INIT;
        l->items[l->n++] = metric;

        for (size_t i = 0; i < ELEMENTSOF(base_label_keys); i++)
                values[n++] = l->base[i];
        if (label1)
                values[n++] = label1;
        if (label2)
                values[n++] = label2;

        metric->name = strdup(name);
        metric->timestamp = l->timestamp;
        metric->metric_type = type;
        metric->value = malloc(sizeof(Runtime__V1__UInt64Value));
        metric->label_values = calloc(n, sizeof(char *));
        if (!metric->name || !metric->value || !metric->label_values)
                return -ENOMEM;
        *metric->value = (Runtime__V1__UInt64Value) RUNTIME__V1__UINT64_VALUE__INIT;
        metric->value->value = value;
        for (size_t i = 0; i < n; i++) {
                metric->label_values[i] = strdup(values[i] ?: "");
                if (!metric->label_values[i])
                        return -ENOMEM;
                metric->n_label_values++;
        }
        return 0;
}

#define COUNTER RUNTIME__V1__METRIC_TYPE__COUNTER
#define GAUGE RUNTIME__V1__METRIC_TYPE__GAUGE
#define NSEC_TO_SEC(v) ((v) / UINT64_C(1000000000))

static int add_cpu(MetricList *l, const CgroupCounters *c) {
        int r = 0;

        if (!c->have_cpu)
                return 0;
        /* Whole seconds in a UInt64Value, as CRI-O sends them. */
        r = r ?: metric_add(l, "container_cpu_user_seconds_total", COUNTER, NSEC_TO_SEC(c->cpu_user_nsec), NULL, NULL);
        r = r ?: metric_add(l, "container_cpu_system_seconds_total", COUNTER, NSEC_TO_SEC(c->cpu_system_nsec), NULL,
                            NULL);
        r = r ?: metric_add(l, "container_cpu_usage_seconds_total", COUNTER, NSEC_TO_SEC(c->cpu_usage_nsec), "total",
                            NULL);
        r = r ?: metric_add(l, "container_cpu_cfs_periods_total", COUNTER, c->cpu_periods, NULL, NULL);
        r = r ?: metric_add(l, "container_cpu_cfs_throttled_periods_total", COUNTER, c->cpu_throttled_periods,
                            NULL, NULL);
        r = r ?: metric_add(l, "container_cpu_cfs_throttled_seconds_total", COUNTER,
                            NSEC_TO_SEC(c->cpu_throttled_nsec), NULL, NULL);
        return r;
}

static int add_memory(MetricList *l, const CgroupCounters *c) {
        static const char *const faults[] = { "pgfault", "pgmajfault" }, *const scopes[] = { "container", "hierarchy" };
        int r = 0;

        if (!c->have_memory)
                return 0;
        r = r ?: metric_add(l, "container_memory_cache", GAUGE, c->memory_cache, NULL, NULL);
        r = r ?: metric_add(l, "container_memory_rss", GAUGE, c->memory_rss, NULL, NULL);
        r = r ?: metric_add(l, "container_memory_kernel_usage", GAUGE, c->memory_kernel, NULL, NULL);
        r = r ?: metric_add(l, "container_memory_mapped_file", GAUGE, c->memory_mapped_file, NULL, NULL);
        r = r ?: metric_add(l, "container_memory_swap", GAUGE, c->memory_swap, NULL, NULL);
        r = r ?: metric_add(l, "container_memory_failcnt", COUNTER, c->memory_failcnt, NULL, NULL);
        r = r ?: metric_add(l, "container_memory_usage_bytes", GAUGE, c->memory_usage, NULL, NULL);
        r = r ?: metric_add(l, "container_memory_max_usage_bytes", GAUGE, c->memory_max_usage, NULL, NULL);
        r = r ?: metric_add(l, "container_memory_working_set_bytes", GAUGE, cgroup_counters_working_set(c), NULL,
                            NULL);
        for (size_t i = 0; i < ELEMENTSOF(faults); i++)
                for (size_t j = 0; j < ELEMENTSOF(scopes); j++)
                        r = r ?: metric_add(l, "container_memory_failures_total", COUNTER,
                                            i == 0 ? c->memory_pgfault : c->memory_pgmajfault, faults[i], scopes[j]);
        return r;
}

static int add_hugetlb(MetricList *l, const CgroupCounters *c) {
        int r = 0;

        for (size_t i = 0; i < c->n_hugetlb && r >= 0; i++) {
                r = metric_add(l, "container_hugetlb_usage_bytes", GAUGE, c->hugetlb[i].usage, c->hugetlb[i].pagesize,
                               NULL);
                r = r ?: metric_add(l, "container_hugetlb_max_usage_bytes", GAUGE, c->hugetlb[i].max_usage,
                                    c->hugetlb[i].pagesize, NULL);
        }
        return r;
}

static int add_process(MetricList *l, const CgroupCounters *c) {
        int r = 0;

        if (!c->have_pids)
                return 0;
        r = r ?: metric_add(l, "container_file_descriptors", GAUGE, c->file_descriptors, NULL, NULL);
        r = r ?: metric_add(l, "container_processes", GAUGE, c->processes, NULL, NULL);
        r = r ?: metric_add(l, "container_sockets", GAUGE, c->sockets, NULL, NULL);
        r = r ?: metric_add(l, "container_threads", GAUGE, c->threads, NULL, NULL);
        r = r ?: metric_add(l, "container_threads_max", GAUGE, c->threads_max, NULL, NULL);
        return r;
}

static int add_disk(MetricList *l, const Container *ctr) {
        struct statfs st;
        int r = 0;

        if (!ctr->rootfs || statfs(ctr->rootfs, &st) < 0)
                return 0;
        r = r ?: metric_add(l, "container_fs_inodes_free", GAUGE, (uint64_t) st.f_ffree, NULL, NULL);
        r = r ?: metric_add(l, "container_fs_inodes_total", GAUGE, (uint64_t) st.f_files, NULL, NULL);
        r = r ?: metric_add(l, "container_fs_limit_bytes", GAUGE, (uint64_t) st.f_blocks * (uint64_t) st.f_bsize,
                            NULL, NULL);
        r = r ?: metric_add(l, "container_fs_usage_bytes", GAUGE,
                            (uint64_t) (st.f_blocks - st.f_bfree) * (uint64_t) st.f_bsize, NULL, NULL);
        return r;
}

static int add_spec(MetricList *l, const Container *ctr) {
        const OciResources *res = &ctr->config.resources;
        bool have = ctr->config.has_resources;
        int r = 0;

        r = r ?: metric_add(l, "container_spec_cpu_period", GAUGE, have ? res->cpu_period : 0, NULL, NULL);
        r = r ?: metric_add(l, "container_spec_cpu_shares", GAUGE, have ? res->cpu_shares : 0, NULL, NULL);
        r = r ?: metric_add(l, "container_spec_cpu_quota", GAUGE,
                            have && res->cpu_quota > 0 ? (uint64_t) res->cpu_quota : 0, NULL, NULL);
        r = r ?: metric_add(l, "container_spec_memory_limit_bytes", GAUGE,
                            have && res->memory_limit > 0 ? (uint64_t) res->memory_limit : 0, NULL, NULL);
        r = r ?: metric_add(l, "container_spec_memory_reservation_limit_bytes", GAUGE, 0, NULL, NULL);
        r = r ?: metric_add(l, "container_spec_memory_swap_limit_bytes", GAUGE,
                            have && res->memory_swap > 0 ? (uint64_t) res->memory_swap : 0, NULL, NULL);
        return r;
}

static int add_network(MetricList *l, pid_t pid) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        NetDevCounters *devs = NULL;
        size_t n = 0;
        int r;

        if (asprintf(&path, "/proc/%i/net/dev", (int) pid) < 0)
                return -ENOMEM;
        if (read_full_file_at(AT_FDCWD, path, 1024 * 1024, 0, &text, NULL) < 0)
                return 0;       /* gone meanwhile */
        r = net_dev_counters_parse(text, &devs, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && r >= 0; i++) {
                const NetDevCounters *d = &devs[i];

                r = metric_add(l, "container_network_receive_bytes_total", COUNTER, d->rx_bytes, d->name, NULL);
                r = r ?: metric_add(l, "container_network_receive_packets_total", COUNTER, d->rx_packets, d->name,
                                    NULL);
                r = r ?: metric_add(l, "container_network_receive_packets_dropped_total", COUNTER, d->rx_dropped,
                                    d->name, NULL);
                r = r ?: metric_add(l, "container_network_receive_errors_total", COUNTER, d->rx_errors, d->name,
                                    NULL);
                r = r ?: metric_add(l, "container_network_transmit_bytes_total", COUNTER, d->tx_bytes, d->name, NULL);
                r = r ?: metric_add(l, "container_network_transmit_packets_total", COUNTER, d->tx_packets, d->name,
                                    NULL);
                r = r ?: metric_add(l, "container_network_transmit_packets_dropped_total", COUNTER, d->tx_dropped,
                                    d->name, NULL);
                r = r ?: metric_add(l, "container_network_transmit_errors_total", COUNTER, d->tx_errors, d->name,
                                    NULL);
        }
        net_dev_counters_free(devs, n);
        return r;
}

static int container_metrics_new(const Container *ctr, const bool enabled[static _METRIC_GROUP_MAX],
                                 int64_t timestamp, Runtime__V1__ContainerMetrics **ret) {
        _cleanup_(cgroup_counters_done) CgroupCounters counters = {};
        _cleanup_free_ char *cgroup = NULL;
        MetricList l = {
                .timestamp = timestamp,
                .base = { ctr->id, ctr->name, ctr->image_name },
        };
        Runtime__V1__ContainerMetrics *cm;
        bool cgroup_read = false;
        int r = 0;

        if (enabled[METRIC_GROUP_CPU] || enabled[METRIC_GROUP_MEMORY] || enabled[METRIC_GROUP_OOM] ||
            enabled[METRIC_GROUP_PROCESS] || enabled[METRIC_GROUP_HUGETLB]) {
                CGroupMode mode = cgroup_get_mode();

                if (mode >= 0 && unit_cgroup_path(ctr->pod->slice, ctr->scope, &cgroup) >= 0)
                        cgroup_read = cgroup_counters_read("/sys/fs/cgroup", mode, cgroup,
                                                           enabled[METRIC_GROUP_PROCESS] ? "/proc" : NULL,
                                                           &counters) >= 0;
        }
        /* In the order of included_pod_metrics' groups, as the descriptors are listed. */
        if (cgroup_read && enabled[METRIC_GROUP_CPU])
                r = r ?: add_cpu(&l, &counters);
        if (enabled[METRIC_GROUP_DISK])
                r = r ?: add_disk(&l, ctr);
        if (cgroup_read && enabled[METRIC_GROUP_HUGETLB])
                r = r ?: add_hugetlb(&l, &counters);
        if (cgroup_read && enabled[METRIC_GROUP_MEMORY])
                r = r ?: add_memory(&l, &counters);
        if (cgroup_read && enabled[METRIC_GROUP_OOM] && counters.have_memory)
                r = r ?: metric_add(&l, "container_oom_events_total", COUNTER, counters.oom_kills, NULL, NULL);
        if (cgroup_read && enabled[METRIC_GROUP_PROCESS])
                r = r ?: add_process(&l, &counters);
        if (enabled[METRIC_GROUP_SPEC])
                r = r ?: add_spec(&l, ctr);

        cm = r >= 0 ? malloc(sizeof(Runtime__V1__ContainerMetrics)) : NULL;
        if (cm) {
                *cm = (Runtime__V1__ContainerMetrics) RUNTIME__V1__CONTAINER_METRICS__INIT;
                cm->container_id = strdup(ctr->id);
                cm->metrics = TAKE_PTR(l.items);
                cm->n_metrics = l.n;
                l.n = 0;
                if (!cm->container_id) {
                        protobuf_c_message_free_unpacked(&cm->base, NULL);
                        cm = NULL;
                }
        }
        metric_list_done(&l);
        if (!cm)
                return -ENOMEM;
        *ret = cm;
        return 0;
}

/* A process in the pod's network namespace: the pause process, else a running container's. */
static pid_t pod_network_pid(const Pod *p, Container *const *containers, size_t n) {
        if (pod_is_host_network(p))
                return 0;       /* the host's interfaces are not the pod's */
        if (p->infra && p->infra->state == CONTAINER_STATE_RUNNING && p->infra->pid > 0)
                return p->infra->pid;
        for (size_t i = 0; i < n; i++)
                if (containers[i]->pod == p && containers[i]->state == CONTAINER_STATE_RUNNING &&
                    containers[i]->pid > 0)
                        return containers[i]->pid;
        return 0;
}

static int pod_metrics_new(const Pod *p, Container *const *containers, size_t n_containers,
                           const bool enabled[static _METRIC_GROUP_MAX], Runtime__V1__PodSandboxMetrics **ret) {
        Runtime__V1__PodSandboxMetrics *pm;
        MetricList l = {
                .base = { p->id, "POD", "" },
        };
        struct timespec ts;
        pid_t pid;
        int r = 0;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        l.timestamp = (int64_t) ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;

        pm = malloc(sizeof(Runtime__V1__PodSandboxMetrics));
        if (!pm)
                return -ENOMEM;
        *pm = (Runtime__V1__PodSandboxMetrics) RUNTIME__V1__POD_SANDBOX_METRICS__INIT;
        pm->pod_sandbox_id = strdup(p->id);
        pm->container_metrics = calloc(MAX(n_containers, 1U), sizeof(Runtime__V1__ContainerMetrics *));
        if (!pm->pod_sandbox_id || !pm->container_metrics)
                r = -ENOMEM;

        /* Network counters at the pod's level only, as CRI-O keeps them. */
        pid = pod_network_pid(p, containers, n_containers);
        if (r >= 0 && enabled[METRIC_GROUP_NETWORK] && pid > 0)
                r = add_network(&l, pid);
        if (r >= 0) {
                pm->metrics = TAKE_PTR(l.items);
                pm->n_metrics = l.n;
                l.n = 0;
        }
        metric_list_done(&l);

        /* The running containers, as CRI-O skips stopped ones. */
        for (size_t i = 0; i < n_containers && r >= 0; i++) {
                const Container *c = containers[i];

                if (c->pod != p || c->state != CONTAINER_STATE_RUNNING)
                        continue;
                r = container_metrics_new(c, enabled, l.timestamp, &pm->container_metrics[pm->n_container_metrics]);
                if (r >= 0)
                        pm->n_container_metrics++;
        }
        if (r < 0) {
                protobuf_c_message_free_unpacked(&pm->base, NULL);
                return r;
        }
        *ret = pm;
        return 0;
}

#define CRI_METRICS_STREAM_BATCH 100

static int metrics_reply(GrpcCall *call, Manager *m, bool stream) {
        _cleanup_free_ Pod **pods = NULL;
        _cleanup_free_ Container **containers = NULL;
        _cleanup_free_ Runtime__V1__PodSandboxMetrics **items = NULL;
        bool enabled[_METRIC_GROUP_MAX], any = false;
        size_t n_pods = 0, n_containers = 0, n = 0;
        int r = 0;

        groups_enabled(m, enabled);
        for (MetricGroup g = 0; g < _METRIC_GROUP_MAX; g++)
                any = any || enabled[g];
        /* No group named: nothing collected, as CRI-O answers. */
        if (any) {
                r = pod_store_list(m->pods, &pods, &n_pods);
                if (r >= 0)
                        r = container_list(m, &containers, &n_containers);
                if (r < 0)
                        return r;
        }
        items = calloc(MAX(n_pods, 1U), sizeof(Runtime__V1__PodSandboxMetrics *));
        if (!items)
                return -ENOMEM;
        for (size_t i = 0; i < n_pods && r >= 0; i++) {
                if (pods[i]->state == POD_STATE_CREATING)
                        continue;
                r = pod_metrics_new(pods[i], containers, n_containers, enabled, &items[n]);
                if (r >= 0)
                        n++;
        }

        if (r >= 0 && !stream) {
                Runtime__V1__ListPodSandboxMetricsResponse reply = RUNTIME__V1__LIST_POD_SANDBOX_METRICS_RESPONSE__INIT;

                reply.n_pod_metrics = n;
                reply.pod_metrics = items;
                r = cri_call_reply(call, &reply.base);
        } else if (r >= 0) {
                for (size_t i = 0; i < n && r >= 0; i += CRI_METRICS_STREAM_BATCH) {
                        Runtime__V1__StreamPodSandboxMetricsResponse reply =
                                RUNTIME__V1__STREAM_POD_SANDBOX_METRICS_RESPONSE__INIT;

                        reply.n_pod_sandbox_metrics = MIN(n - i, (size_t) CRI_METRICS_STREAM_BATCH);
                        reply.pod_sandbox_metrics = items + i;
                        r = cri_call_send(call, &reply.base);
                }
                if (r >= 0)
                        r = grpc_call_finish(call, GRPC_STATUS_OK, NULL);
        }
        for (size_t i = 0; i < n; i++)
                protobuf_c_message_free_unpacked(&items[i]->base, NULL);
        return r;
}

int cri_metrics_list(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__list_pod_sandbox_metrics_request__descriptor, message, size);
        if (!msg)
                return 0;
        return metrics_reply(call, userdata, /* stream= */ false);
}

int cri_metrics_stream(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__stream_pod_sandbox_metrics_request__descriptor, message, size);
        if (!msg)
                return 0;
        return metrics_reply(call, userdata, /* stream= */ true);
}
