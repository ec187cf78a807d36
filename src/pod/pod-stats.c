/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "manager.h"
#include "pod-namespaces.h"
#include "pod-stats.h"
#include "systemd-manager.h"

struct PodStatsRequest {
        Pod *pod;
        PodStats stats;
        SystemdRequest *systemd_request;
        PodStatsCallback callback;
        void *userdata;
};

void pod_stats_done(PodStats *s) {
        for (size_t i = 0; i < s->n_interfaces; i++)
                free(s->interfaces[i].name);
        free(s->interfaces);
        *s = (PodStats) {};
}

int pod_net_dev_parse(const char *text, PodInterfaceStats **ret, size_t *ret_n) {
        PodInterfaceStats *l = NULL;
        size_t n = 0;
        const char *line = text;

        for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                char name[64];
                uint64_t v[16];
                PodInterfaceStats *grown;
                const char *colon = strchr(line, ':'), *eol = strchr(line, '\n');
                size_t len;

                /* Two header lines have no ':' before their end. */
                if (!colon || (eol && colon > eol))
                        continue;
                while (*line == ' ')
                        line++;
                len = (size_t) (colon - line);
                if (len == 0 || len >= sizeof(name))
                        continue;
                memcpy(name, line, len);
                name[len] = '\0';
                if (sscanf(colon + 1, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                           " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
                           &v[11]) != 12)
                        continue;
                if (strcmp(name, "lo") == 0)
                        continue;
                grown = realloc(l, (n + 1) * sizeof(PodInterfaceStats));
                if (!grown)
                        goto oom;
                l = grown;
                l[n] = (PodInterfaceStats) {
                        .name = strdup(name),
                        .rx_bytes = v[0],
                        .rx_errors = v[2],
                        .tx_bytes = v[8],
                        .tx_errors = v[10],
                };
                if (!l[n++].name)
                        goto oom;
        }
        *ret = l;
        *ret_n = n;
        return 0;
oom:
        for (size_t i = 0; i < n; i++)
                free(l[i].name);
        free(l);
        return -ENOMEM;
}

PodStatsRequest *pod_stats_request_free(PodStatsRequest *r) {
        if (!r)
                return NULL;
        systemd_request_free(r->systemd_request);
        pod_stats_done(&r->stats);
        pod_unref(r->pod);
        return mfree(r);
}

static void on_properties(int r, const UnitPropertyList *values, void *userdata) {
        PodStatsRequest *req = userdata;
        /* values belong to the request: it is freed on the way out. The callback may free req. */
        _unused_ _cleanup_(systemd_request_freep) SystemdRequest *request = TAKE_PTR(req->systemd_request);

        if (r >= 0) {
                uint64_t v;

                /* systemd says UINT64_MAX for "unknown": left out then. */
                if (unit_property_list_get_uint64(values, "CPUUsageNSec", &v) >= 0 && v != UINT64_MAX) {
                        req->stats.have_cpu = true;
                        req->stats.cpu_usage_nsec = v;
                }
                if (unit_property_list_get_uint64(values, "MemoryCurrent", &v) >= 0 && v != UINT64_MAX) {
                        req->stats.have_memory = true;
                        req->stats.memory_current = v;
                }
                if (unit_property_list_get_uint64(values, "TasksCurrent", &v) >= 0 && v != UINT64_MAX) {
                        req->stats.have_tasks = true;
                        req->stats.tasks_current = v;
                }
        }
        req->callback(req->pod, r, &req->stats, req->userdata);
}

int pod_stats_collect(Pod *p, PodStatsCallback callback, void *userdata, PodStatsRequest **ret) {
        static char *const names[] = { (char *) "CPUUsageNSec", (char *) "MemoryCurrent",
                                       (char *) "TasksCurrent", NULL };
        _cleanup_(pod_stats_request_freep) PodStatsRequest *req = NULL;
        struct timespec ts;
        int r;

        if (!p->manager->systemd || !p->slice)
                return -ENOTCONN;
        req = calloc(1, sizeof(PodStatsRequest));
        if (!req)
                return -ENOMEM;
        req->pod = pod_ref(p);
        req->callback = callback;
        req->userdata = userdata;
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        req->stats.timestamp = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;

        if (p->netns_path) {
                _cleanup_free_ char *text = NULL;

                r = pod_namespace_read(p->netns_path, POD_NAMESPACE_NET, "/proc/thread-self/net/dev", 64 * 1024,
                                       &text);
                if (r >= 0)
                        r = pod_net_dev_parse(text, &req->stats.interfaces, &req->stats.n_interfaces);
                if (r < 0)
                        log_pod_errno(p, LOG_DEBUG, r, "Failed to read network counters of pod %s, ignoring: %m",
                                      p->id);
        }

        r = systemd_client_get_unit_properties(p->manager->systemd, p->slice, NULL, names, on_properties, req,
                                               &req->systemd_request);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(req);
        return 0;
}
