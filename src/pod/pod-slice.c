/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "cgroup-util.h"
#include "log.h"
#include "manager.h"
#include "pod-dbus.h"
#include "pod-slice.h"
#include "pod-state.h"
#include "unit-name.h"

int pod_slice_name(const char *cgroup_parent, const char *id, char **ret) {
        size_t n;

        if (!cgroup_parent || !*cgroup_parent)
                return unit_name_build("crio", id, ".slice", ret);
        n = strlen(cgroup_parent);
        if (n < 6 || strcmp(cgroup_parent + n - 6, ".slice") != 0 || !slice_name_is_valid(cgroup_parent))
                return -EINVAL;
        *ret = strdup(cgroup_parent);
        return *ret ? 0 : -ENOMEM;
}

int pod_slice_description(const Pod *p, char **ret) {
        if (asprintf(ret, "crio pod %s/%s (%s)", p->config.namespace, p->config.name, p->id) < 0)
                return -ENOMEM;
        return 0;
}

/* Adds two CRI values where 0 (or less) is "unset": unset stays unset only if both are. */
static int64_t sum_set(int64_t a, int64_t b) {
        return (a > 0 ? a : 0) + (b > 0 ? b : 0);
}

int pod_slice_properties(const Pod *p, const PodResources *resources, const PodResources *overhead,
                         bool with_accounting, UnitPropertyList **ret) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *l = NULL;
        static const PodResources none = {};
        CGroupMode mode = cgroup_get_mode();
        bool unified = mode == CGROUP_MODE_UNIFIED;
        int64_t shares, quota, memory;
        int r;

        if (!resources)
                resources = &none;
        if (!overhead)
                overhead = &none;

        r = unit_property_list_new(&l);
        if (r < 0)
                return r;

        if (with_accounting) {
                r = unit_property_list_add_boolean(l, "CPUAccounting", true);
                if (r >= 0)
                        r = unit_property_list_add_boolean(l, "MemoryAccounting", true);
                if (r >= 0)
                        r = unit_property_list_add_boolean(l, "TasksAccounting", true);
                if (r < 0)
                        return r;
        }

        shares = sum_set(resources->cpu_shares, overhead->cpu_shares);
        if (shares > 0) {
                if (unified)
                        r = unit_property_list_add_uint64(l, "CPUWeight", cgroup_cpu_shares_to_weight((uint64_t) shares));
                else
                        r = unit_property_list_add_uint64(l, "CPUShares", (uint64_t) shares);
                if (r < 0)
                        return r;
        }

        /* A quota limits the pod only when its containers have one: the overhead adds to it. */
        if (resources->cpu_quota > 0) {
                uint64_t period = resources->cpu_period > 0 ? (uint64_t) resources->cpu_period : 100000;

                quota = sum_set(resources->cpu_quota, overhead->cpu_quota);
                r = unit_property_list_add_uint64(l, "CPUQuotaPerSecUSec", cgroup_cpu_quota_to_per_sec_usec(quota, period));
                if (r >= 0 && resources->cpu_period > 0)
                        r = unit_property_list_add_uint64(l, "CPUQuotaPeriodUSec", period);
                if (r < 0)
                        return r;
        }

        if (resources->memory_limit_in_bytes > 0) {
                memory = sum_set(resources->memory_limit_in_bytes, overhead->memory_limit_in_bytes);
                r = unit_property_list_add_uint64(l, unified ? "MemoryMax" : "MemoryLimit", (uint64_t) memory);
                if (r < 0)
                        return r;
        }

        if (resources->pids_limit > 0) {
                r = unit_property_list_add_uint64(l, "TasksMax", (uint64_t) sum_set(resources->pids_limit,
                                                                                     overhead->pids_limit));
                if (r < 0)
                        return r;
        }

        if (resources->cpuset_cpus && *resources->cpuset_cpus) {
                r = unit_property_list_add_cpuset(l, "AllowedCPUs", resources->cpuset_cpus);
                if (r < 0)
                        return r;
        }
        if (resources->cpuset_mems && *resources->cpuset_mems) {
                r = unit_property_list_add_cpuset(l, "AllowedMemoryNodes", resources->cpuset_mems);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(l);
        return 0;
}

static void on_slice_state(const char *unit, const char *active_state, const char *sub_state, bool removed,
                           void *userdata) {
        Pod *p = userdata;
        bool active = !removed && strcmp(active_state, "inactive") != 0 && strcmp(active_state, "failed") != 0;

        p->slice_active = active;
        if (active || p->state != POD_STATE_READY)
                return;
        /* Someone else (an administrator's systemctl stop) took the slice away. */
        p->state = POD_STATE_NOTREADY;
        (void) pod_state_save(p);
        (void) pod_dbus_send_changed(p, "State", NULL);
        log_pod(p, LOG_NOTICE, "Slice %s of pod %s went %s: the pod is not ready any more.", unit, p->name,
                removed ? "away" : active_state);
}

int pod_slice_watch(Pod *p) {
        if (p->slice_watch)
                return 0;
        return systemd_client_watch_unit(p->manager->systemd, p->slice, on_slice_state, p, &p->slice_watch);
}
