/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup-util.h"
#include "container-json.h"
#include "container-rootfs.h"
#include "container-state.h"
#include "container-stats.h"
#include "fileio.h"
#include "log.h"
#include "manager.h"
#include "oci-runtime.h"
#include "pod.h"
#include "systemd-manager.h"
#include "unit-name.h"

struct ContainerStatsRequest {
        Container *container;
        SystemdRequest *systemd_request;
        ContainerStatsCallback callback;
        void *userdata;
};

ContainerStatsRequest *container_stats_request_free(ContainerStatsRequest *r) {
        if (!r)
                return NULL;
        systemd_request_free(r->systemd_request);
        container_unref(r->container);
        return mfree(r);
}

uint64_t container_memory_stat_inactive_file(const char *text) {
        const char *p;

        for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, "inactive_file ", 14) == 0)
                        return strtoull(p + 14, NULL, 10);
                else if (strncmp(p, "total_inactive_file ", 20) == 0)
                        return strtoull(p + 20, NULL, 10);
        return 0;
}

static uint64_t inactive_file(const Container *c) {
        _cleanup_free_ char *cgroup = NULL, *path = NULL, *text = NULL;
        CGroupMode mode = cgroup_get_mode();

        if (unit_cgroup_path(c->pod->slice, c->scope, &cgroup) < 0)
                return 0;
        if (asprintf(&path, mode == CGROUP_MODE_UNIFIED ? "/sys/fs/cgroup%s/memory.stat" :
                     "/sys/fs/cgroup/memory%s/memory.stat", cgroup) < 0)
                return 0;
        if (read_full_file_at(AT_FDCWD, path, 64 * 1024, 0, &text, NULL) < 0)
                return 0;
        return container_memory_stat_inactive_file(text);
}

static void on_properties(int r, const UnitPropertyList *values, void *userdata) {
        ContainerStatsRequest *req = userdata;
        _unused_ _cleanup_(systemd_request_freep) SystemdRequest *request = TAKE_PTR(req->systemd_request);
        Container *c = req->container;
        ContainerStats stats = {};
        struct timespec ts;
        uint64_t v;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        stats.timestamp = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
        if (r >= 0) {
                if (unit_property_list_get_uint64(values, "CPUUsageNSec", &v) >= 0 && v != UINT64_MAX) {
                        stats.have_cpu = true;
                        stats.cpu_usage_nsec = v;
                }
                if (unit_property_list_get_uint64(values, "MemoryCurrent", &v) >= 0 && v != UINT64_MAX) {
                        uint64_t inactive = inactive_file(c);

                        stats.have_memory = true;
                        stats.memory_current = v;
                        stats.memory_working_set = v > inactive ? v - inactive : 0;
                }
                if (unit_property_list_get_uint64(values, "TasksCurrent", &v) >= 0 && v != UINT64_MAX) {
                        stats.have_tasks = true;
                        stats.tasks_current = v;
                }
        }
        stats.have_layer = container_rootfs_usage(c, &stats.layer_bytes, &stats.layer_inodes) >= 0;
        req->callback(c, r, &stats, req->userdata);
}

int container_stats_collect(Container *c, ContainerStatsCallback callback, void *userdata,
                            ContainerStatsRequest **ret) {
        static char *const names[] = { (char *) "CPUUsageNSec", (char *) "MemoryCurrent", (char *) "TasksCurrent",
                                       NULL };
        _cleanup_(container_stats_request_freep) ContainerStatsRequest *req = NULL;
        int r;

        if (!c->manager->systemd)
                return -ENXIO;
        req = calloc(1, sizeof(ContainerStatsRequest));
        if (!req)
                return -ENOMEM;
        req->container = container_ref(c);
        req->callback = callback;
        req->userdata = userdata;
        r = systemd_client_get_unit_properties(c->manager->systemd, c->scope, NULL, names, on_properties, req,
                                               &req->systemd_request);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(req);
        return 0;
}

int container_scope_properties(const OciResources *res, UnitPropertyList **ret) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *l = NULL;
        bool unified = cgroup_mode_cpu_is_unified(cgroup_get_mode());
        int r;

        r = unit_property_list_new(&l);
        if (r < 0)
                return r;
        if (res->cpu_shares > 0)
                r = unified ? unit_property_list_add_uint64(l, "CPUWeight", cgroup_cpu_shares_to_weight(res->cpu_shares)) :
                              unit_property_list_add_uint64(l, "CPUShares", res->cpu_shares);
        if (r >= 0 && res->cpu_quota != 0) {
                uint64_t period = res->cpu_period > 0 ? res->cpu_period : 100000;

                r = unit_property_list_add_uint64(l, "CPUQuotaPerSecUSec",
                                                  cgroup_cpu_quota_to_per_sec_usec(res->cpu_quota, period));
                if (r >= 0 && res->cpu_period > 0)
                        r = unit_property_list_add_uint64(l, "CPUQuotaPeriodUSec", period);
        }
        if (r >= 0 && res->memory_limit > 0)
                r = unit_property_list_add_uint64(l, unified ? "MemoryMax" : "MemoryLimit", (uint64_t) res->memory_limit);
        if (r >= 0 && res->has_pids_limit)
                r = unit_property_list_add_uint64(l, "TasksMax", cgroup_limit_or_infinity(res->pids_limit));
        if (r >= 0 && res->cpuset_cpus && *res->cpuset_cpus)
                r = unit_property_list_add_cpuset(l, "AllowedCPUs", res->cpuset_cpus);
        if (r >= 0 && res->cpuset_mems && *res->cpuset_mems)
                r = unit_property_list_add_cpuset(l, "AllowedMemoryNodes", res->cpuset_mems);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

typedef struct ContainerUpdate {
        Container *container;
        OciResources resources;
        char *json;
        SystemdRequest *systemd_request;
        ContainerUpdateCallback callback;
        void *userdata;
} ContainerUpdate;

static void update_finish(ContainerUpdate *u, int r, const char *error) {
        Container *c = u->container;

        if (r >= 0) {
                container_resources_done(&c->config.resources);
                c->config.resources = u->resources;
                u->resources = (OciResources) {};
                c->config.has_resources = true;
                log_container(c, LOG_INFO, "Updated the resources of container %s.", c->id);
                (void) container_state_save(c);
        }
        u->callback(c, r, error, u->userdata);
        systemd_request_free(u->systemd_request);
        container_resources_done(&u->resources);
        free(u->json);
        container_unref(c);
        free(u);
}

static void on_runtime_updated(OciOperation *op, int r, void *userdata) {
        ContainerUpdate *u = userdata;
        _cleanup_free_ char *error = NULL;

        if (r < 0 && asprintf(&error, "updating container %s: %s", u->container->id,
                              oci_operation_get_error(op) ?: strerror(-r)) < 0)
                error = NULL;
        oci_operation_free(op);
        update_finish(u, r, error);
}

static void on_scope_updated(int r, const char *result, void *userdata) {
        ContainerUpdate *u = userdata;
        Container *c = u->container;
        _cleanup_free_ char *error = NULL;
        OciOperation *op = NULL;

        u->systemd_request = systemd_request_free(u->systemd_request);
        if (r < 0) {
                if (asprintf(&error, "setting the limits of %s: %s", c->scope, strerror(-r)) < 0)
                        error = NULL;
                return update_finish(u, r, error);
        }
        r = oci_runtime_update(c->runtime, c->id, u->json, on_runtime_updated, u, &op);
        if (r < 0)
                update_finish(u, r, "running the runtime's update failed");
}

int container_update_resources(Container *c, const OciResources *res, ContainerUpdateCallback callback,
                               void *userdata) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *properties = NULL;
        ContainerUpdate *u;
        int r;

        if (!IN_SET(c->state, CONTAINER_STATE_CREATED, CONTAINER_STATE_RUNNING))
                return -ESRCH;
        if (!c->manager->systemd)
                return -ENXIO;
        r = container_scope_properties(res, &properties);
        if (r < 0)
                return r;
        u = calloc(1, sizeof(ContainerUpdate));
        if (!u)
                return -ENOMEM;
        u->container = container_ref(c);
        u->callback = callback;
        u->userdata = userdata;
        r = container_resources_copy(res, &u->resources);
        if (r >= 0)
                r = container_resources_to_json(res, &u->json);
        if (r >= 0)
                r = systemd_client_set_unit_properties(c->manager->systemd, c->scope, /* runtime= */ true, properties,
                                                       on_scope_updated, u, &u->systemd_request);
        if (r < 0) {
                container_resources_done(&u->resources);
                free(u->json);
                container_unref(u->container);
                free(u);
        }
        return r;
}
