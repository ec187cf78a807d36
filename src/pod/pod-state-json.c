/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside this file: what leaves it is malloc()ed memory and a negative errno. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "log.h"
#include "pod-state-json.h"
#include "strv.h"
#include "struct-json.h"

#define POD_STATE_VERSION 1

STRUCT_FIELD_DEFINE_ENUM(pod_state, PodState)
STRUCT_FIELD_DEFINE_ENUM(pod_namespace_mode, PodNamespaceMode)

static const StructField pod_resources_fields[] = {
        STRUCT_FIELD_INT64("cpu_period", PodResources, cpu_period),
        STRUCT_FIELD_INT64("cpu_quota", PodResources, cpu_quota),
        STRUCT_FIELD_INT64("cpu_shares", PodResources, cpu_shares),
        STRUCT_FIELD_INT64("memory_limit_in_bytes", PodResources, memory_limit_in_bytes),
        STRUCT_FIELD_STRING("cpuset_cpus", PodResources, cpuset_cpus),
        STRUCT_FIELD_STRING("cpuset_mems", PodResources, cpuset_mems),
        STRUCT_FIELD_INT64("pids_limit", PodResources, pids_limit),
        {}
};

static const StructField pod_port_mapping_fields[] = {
        STRUCT_FIELD_STRING("protocol", PodPortMapping, protocol),
        STRUCT_FIELD_UINT16("container_port", PodPortMapping, container_port),
        STRUCT_FIELD_UINT16("host_port", PodPortMapping, host_port),
        STRUCT_FIELD_STRING("host_ip", PodPortMapping, host_ip),
        {}
};

static const StructField pod_config_fields[] = {
        STRUCT_FIELD_STRING("name", PodConfig, name),
        STRUCT_FIELD_STRING("namespace", PodConfig, namespace),
        STRUCT_FIELD_STRING("uid", PodConfig, uid),
        STRUCT_FIELD_UINT32("attempt", PodConfig, attempt),
        STRUCT_FIELD_STRING("hostname", PodConfig, hostname),
        STRUCT_FIELD_STRING("log_directory", PodConfig, log_directory),
        STRUCT_FIELD_STRV("dns_servers", PodConfig, dns_servers),
        STRUCT_FIELD_STRV("dns_searches", PodConfig, dns_searches),
        STRUCT_FIELD_STRV("dns_options", PodConfig, dns_options),
        STRUCT_FIELD_ARRAY("port_mappings", PodConfig, port_mappings, n_port_mappings, PodPortMapping,
                           pod_port_mapping_fields),
        STRUCT_FIELD_PAIRS("labels", PodConfig, labels),
        STRUCT_FIELD_PAIRS("annotations", PodConfig, annotations),
        STRUCT_FIELD_STRING("cgroup_parent", PodConfig, cgroup_parent),
        STRUCT_FIELD_ENUM("network_mode", PodConfig, network_mode, PodNamespaceMode, pod_namespace_mode),
        STRUCT_FIELD_ENUM("pid_mode", PodConfig, pid_mode, PodNamespaceMode, pod_namespace_mode),
        STRUCT_FIELD_ENUM("ipc_mode", PodConfig, ipc_mode, PodNamespaceMode, pod_namespace_mode),
        STRUCT_FIELD_PAIRS("sysctls", PodConfig, sysctls),
        STRUCT_FIELD_BOOL("has_overhead", PodConfig, has_overhead),
        STRUCT_FIELD_BOOL("has_resources", PodConfig, has_resources),
        STRUCT_FIELD_OBJECT("overhead", PodConfig, overhead, PodResources, pod_resources_fields),
        STRUCT_FIELD_OBJECT("resources", PodConfig, resources, PodResources, pod_resources_fields),
        STRUCT_FIELD_BOOL("privileged", PodConfig, privileged),
        STRUCT_FIELD_STRING("runtime_handler", PodConfig, runtime_handler),
        {}
};

/* Everything of a Pod that outlives the process. Not here: manager, n_ref, log_fields (rebuilt from
 * the id and config), slice_active and slice_watch (asked of systemd again), infra (its own record),
 * operation and queue. */
static const StructField pod_fields[] = {
        STRUCT_FIELD_REQUIRED_STRING("id", Pod, id),
        STRUCT_FIELD_REQUIRED_STRING("name", Pod, name),
        STRUCT_FIELD_ENUM("state", Pod, state, PodState, pod_state),
        STRUCT_FIELD_INT64("created_at", Pod, created_at),
        STRUCT_FIELD_STRING("runtime_handler", Pod, runtime_handler),
        STRUCT_FIELD_OBJECT("config", Pod, config, PodConfig, pod_config_fields),
        STRUCT_FIELD_STRING("slice", Pod, slice),
        STRUCT_FIELD_BOOL("slice_created", Pod, slice_created),
        STRUCT_FIELD_STRING("netns_path", Pod, netns_path),
        STRUCT_FIELD_STRING("ipcns_path", Pod, ipcns_path),
        STRUCT_FIELD_STRING("utsns_path", Pod, utsns_path),
        STRUCT_FIELD_STRING("run_dir", Pod, run_dir),
        STRUCT_FIELD_STRING("resolv_path", Pod, resolv_path),
        STRUCT_FIELD_STRING("hostname_path", Pod, hostname_path),
        STRUCT_FIELD_STRING("shm_path", Pod, shm_path),
        STRUCT_FIELD_BOOL("shm_mounted", Pod, shm_mounted),
        STRUCT_FIELD_UINT64("shm_size", Pod, shm_size),
        STRUCT_FIELD_STRING("network_name", Pod, network_name),
        /* The CNI result is JSON itself, kept as the text CNI gave, never re-encoded. */
        STRUCT_FIELD_STRING("network_result", Pod, network_result),
        STRUCT_FIELD_STRV("ips", Pod, ips),
        STRUCT_FIELD_BOOL("network_up", Pod, network_up),
        {}
};

/* What precedes the pod's own fields in the record. */
typedef struct PodStateHeader {
        int64_t version;
        char *boot_id;
} PodStateHeader;

static const StructField pod_state_header_fields[] = {
        { .name = "version", .type = STRUCT_FIELD_TYPE_INT64,
          .offset = STRUCT_FIELD_OFFSET(PodStateHeader, version, int64_t), .required = true },
        STRUCT_FIELD_STRING("boot_id", PodStateHeader, boot_id),
        {}
};

int pod_state_to_json(const Pod *p, const char *boot_id, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();
        PodStateHeader header = {
                .version = POD_STATE_VERSION,
                .boot_id = (char *) boot_id,
        };
        int r;

        if (!p || !ret)
                return -EINVAL;

        json_builder_begin_object(b);
        r = struct_json_build(b, pod_state_header_fields, &header);
        if (r < 0)
                return r;
        r = struct_json_build(b, pod_fields, p);
        if (r < 0)
                return r;
        json_builder_end_object(b);

        return struct_json_builder_to_string(b, ret);
}

int pod_state_from_json(const char *json, size_t size, Pod *p, char **ret_boot_id) {
        g_autoptr(JsonParser) parser = NULL;
        _cleanup_free_ char *boot_id = NULL;
        PodStateHeader header = {};
        JsonObject *o;
        int r;

        if (!p)
                return -EINVAL;

        r = struct_json_parse_object(json, size, &parser, &o);
        if (r < 0)
                return r;

        r = struct_json_parse(o, pod_state_header_fields, &header);
        boot_id = header.boot_id;
        if (r < 0)
                return r;
        if (header.version != POD_STATE_VERSION)
                return log_debug_errno(EBADMSG, "Pod record of version %" PRIi64 ", not %d.", header.version,
                                       POD_STATE_VERSION);

        r = struct_json_parse(o, pod_fields, p);
        if (r < 0)
                return r;

        if (ret_boot_id)
                *ret_boot_id = TAKE_PTR(boot_id);
        return 0;
}

void pod_state_done(Pod *p) {
        if (!p)
                return;

        pod_config_done(&p->config);
        p->id = mfree(p->id);
        p->name = mfree(p->name);
        p->runtime_handler = mfree(p->runtime_handler);
        p->slice = mfree(p->slice);
        p->netns_path = mfree(p->netns_path);
        p->ipcns_path = mfree(p->ipcns_path);
        p->utsns_path = mfree(p->utsns_path);
        p->run_dir = mfree(p->run_dir);
        p->resolv_path = mfree(p->resolv_path);
        p->hostname_path = mfree(p->hostname_path);
        p->shm_path = mfree(p->shm_path);
        p->network_name = mfree(p->network_name);
        p->network_result = mfree(p->network_result);
        p->ips = strv_free(p->ips);
}
