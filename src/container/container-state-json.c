/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside this file: what leaves it is malloc()ed memory and a negative errno. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "container-state-json.h"
#include "log.h"
#include "pod.h"
#include "struct-json.h"

#define CONTAINER_STATE_VERSION 1

STRUCT_FIELD_DEFINE_ENUM(container_state, ContainerState)
STRUCT_FIELD_DEFINE_ENUM(container_seccomp_mode, ContainerSeccompMode)
STRUCT_FIELD_DEFINE_ENUM(oci_propagation, OciPropagation)
STRUCT_FIELD_DEFINE_ENUM(oci_pid_mode, OciPidMode)
STRUCT_FIELD_DEFINE_ENUM(supplemental_groups_policy, SupplementalGroupsPolicy)

static const StructField hugepage_limit_fields[] = {
        STRUCT_FIELD_STRING("page_size", OciHugepageLimit, page_size),
        STRUCT_FIELD_UINT64("limit", OciHugepageLimit, limit),
        {}
};

static const StructField resources_fields[] = {
        STRUCT_FIELD_UINT64("cpu_shares", OciResources, cpu_shares),
        STRUCT_FIELD_INT64("cpu_quota", OciResources, cpu_quota),
        STRUCT_FIELD_UINT64("cpu_period", OciResources, cpu_period),
        STRUCT_FIELD_STRING("cpuset_cpus", OciResources, cpuset_cpus),
        STRUCT_FIELD_STRING("cpuset_mems", OciResources, cpuset_mems),
        STRUCT_FIELD_INT64("memory_limit", OciResources, memory_limit),
        STRUCT_FIELD_INT64("memory_swap", OciResources, memory_swap),
        STRUCT_FIELD_BOOL("has_pids_limit", OciResources, has_pids_limit),
        STRUCT_FIELD_INT64("pids_limit", OciResources, pids_limit),
        STRUCT_FIELD_ARRAY("hugepages", OciResources, hugepages, n_hugepages, OciHugepageLimit,
                           hugepage_limit_fields),
        STRUCT_FIELD_PAIRS("unified", OciResources, unified),
        {}
};

static const StructField container_mount_fields[] = {
        STRUCT_FIELD_STRING("container_path", ContainerMount, container_path),
        STRUCT_FIELD_STRING("host_path", ContainerMount, host_path),
        STRUCT_FIELD_BOOL("readonly", ContainerMount, readonly),
        STRUCT_FIELD_BOOL("selinux_relabel", ContainerMount, selinux_relabel),
        STRUCT_FIELD_ENUM("propagation", ContainerMount, propagation, OciPropagation, oci_propagation),
        {}
};

static const StructField container_device_fields[] = {
        STRUCT_FIELD_STRING("container_path", ContainerDevice, container_path),
        STRUCT_FIELD_STRING("host_path", ContainerDevice, host_path),
        STRUCT_FIELD_STRING("permissions", ContainerDevice, permissions),
        {}
};

static const StructField container_config_fields[] = {
        STRUCT_FIELD_STRING("name", ContainerConfig, name),
        STRUCT_FIELD_UINT32("attempt", ContainerConfig, attempt),
        STRUCT_FIELD_STRING("image", ContainerConfig, image),
        STRUCT_FIELD_STRV("command", ContainerConfig, command),
        STRUCT_FIELD_STRV("args", ContainerConfig, args),
        STRUCT_FIELD_STRING("working_dir", ContainerConfig, working_dir),
        STRUCT_FIELD_STRV("env", ContainerConfig, env),
        STRUCT_FIELD_ARRAY("mounts", ContainerConfig, mounts, n_mounts, ContainerMount,
                           container_mount_fields),
        STRUCT_FIELD_ARRAY("devices", ContainerConfig, devices, n_devices, ContainerDevice,
                           container_device_fields),
        STRUCT_FIELD_PAIRS("labels", ContainerConfig, labels),
        STRUCT_FIELD_PAIRS("annotations", ContainerConfig, annotations),
        STRUCT_FIELD_STRING("log_path", ContainerConfig, log_path),
        STRUCT_FIELD_BOOL("stdin", ContainerConfig, stdin),
        STRUCT_FIELD_BOOL("stdin_once", ContainerConfig, stdin_once),
        STRUCT_FIELD_BOOL("tty", ContainerConfig, tty),
        STRUCT_FIELD_BOOL("has_resources", ContainerConfig, has_resources),
        STRUCT_FIELD_OBJECT("resources", ContainerConfig, resources, OciResources, resources_fields),
        STRUCT_FIELD_BOOL("has_oom_score_adj", ContainerConfig, has_oom_score_adj),
        STRUCT_FIELD_INT("oom_score_adj", ContainerConfig, oom_score_adj),
        STRUCT_FIELD_BOOL("privileged", ContainerConfig, privileged),
        STRUCT_FIELD_STRV("add_capabilities", ContainerConfig, add_capabilities),
        STRUCT_FIELD_STRV("drop_capabilities", ContainerConfig, drop_capabilities),
        STRUCT_FIELD_BOOL("has_run_as_user", ContainerConfig, has_run_as_user),
        STRUCT_FIELD_INT64("run_as_user", ContainerConfig, run_as_user),
        STRUCT_FIELD_STRING("run_as_username", ContainerConfig, run_as_username),
        STRUCT_FIELD_BOOL("has_run_as_group", ContainerConfig, has_run_as_group),
        STRUCT_FIELD_INT64("run_as_group", ContainerConfig, run_as_group),
        STRUCT_FIELD_INT64_ARRAY("supplemental_groups", ContainerConfig, supplemental_groups,
                                 n_supplemental_groups),
        STRUCT_FIELD_ENUM("supplemental_groups_policy", ContainerConfig, supplemental_groups_policy,
                          SupplementalGroupsPolicy, supplemental_groups_policy),
        STRUCT_FIELD_BOOL("readonly_rootfs", ContainerConfig, readonly_rootfs),
        STRUCT_FIELD_BOOL("no_new_privs", ContainerConfig, no_new_privs),
        STRUCT_FIELD_BOOL("has_masked_paths", ContainerConfig, has_masked_paths),
        STRUCT_FIELD_BOOL("has_readonly_paths", ContainerConfig, has_readonly_paths),
        STRUCT_FIELD_STRV("masked_paths", ContainerConfig, masked_paths),
        STRUCT_FIELD_STRV("readonly_paths", ContainerConfig, readonly_paths),
        STRUCT_FIELD_ENUM("seccomp_mode", ContainerConfig, seccomp_mode, ContainerSeccompMode,
                          container_seccomp_mode),
        STRUCT_FIELD_STRING("seccomp_localhost", ContainerConfig, seccomp_localhost),
        STRUCT_FIELD_STRING("apparmor_profile", ContainerConfig, apparmor_profile),
        STRUCT_FIELD_STRING("selinux_label", ContainerConfig, selinux_label),
        STRUCT_FIELD_ENUM("pid_mode", ContainerConfig, pid_mode, OciPidMode, oci_pid_mode),
        STRUCT_FIELD_STRING("target_id", ContainerConfig, target_id),
        {}
};

/* Everything of a Container that outlives the process. Not here: manager, n_ref, the pod and runtime
 * pointers (the pod's id is in the record's header, the runtime is found again by runtime_handler),
 * log_fields, and what is under way (conmon, start_operation, stop, waiters, exit_timer, removing). */
static const StructField container_fields[] = {
        STRUCT_FIELD_REQUIRED_STRING("id", Container, id),
        STRUCT_FIELD_REQUIRED_STRING("name", Container, name),
        STRUCT_FIELD_OBJECT("config", Container, config, ContainerConfig, container_config_fields),
        STRUCT_FIELD_STRING("image_id", Container, image_id),
        STRUCT_FIELD_STRING("image_ref", Container, image_ref),
        STRUCT_FIELD_STRING("image_name", Container, image_name),
        STRUCT_FIELD_STRING("runtime_handler", Container, runtime_handler),
        STRUCT_FIELD_ENUM("state", Container, state, ContainerState, container_state),
        STRUCT_FIELD_INT64("created_at", Container, created_at),
        STRUCT_FIELD_INT64("started_at", Container, started_at),
        STRUCT_FIELD_INT64("finished_at", Container, finished_at),
        STRUCT_FIELD_INT("exit_code", Container, exit_code),
        STRUCT_FIELD_STRING("reason", Container, reason),
        STRUCT_FIELD_STRING("message", Container, message),
        STRUCT_FIELD_INT("pid", Container, pid),
        STRUCT_FIELD_INT("conmon_pid", Container, conmon_pid),
        STRUCT_FIELD_UINT64("pid_starttime", Container, pid_starttime),
        STRUCT_FIELD_UINT64("conmon_starttime", Container, conmon_starttime),
        STRUCT_FIELD_INT("stop_signal", Container, stop_signal),
        STRUCT_FIELD_BOOL("privileged", Container, privileged),
        STRUCT_FIELD_STRING("layer_dir", Container, layer_dir),
        STRUCT_FIELD_STRING("rootfs", Container, rootfs),
        STRUCT_FIELD_BOOL("rootfs_mounted", Container, rootfs_mounted),
        STRUCT_FIELD_STRING("bundle_dir", Container, bundle_dir),
        STRUCT_FIELD_STRING("log_path", Container, log_path),
        STRUCT_FIELD_STRING("scope", Container, scope),
        STRUCT_FIELD_STRING("conmon_scope", Container, conmon_scope),
        STRUCT_FIELD_STRING("cgroup_path", Container, cgroup_path),
        STRUCT_FIELD_BOOL("infra", Container, infra),
        {}
};

/* What precedes the container's own fields in the record. */
typedef struct ContainerStateHeader {
        int64_t version;
        char *boot_id;
        char *pod_id;
} ContainerStateHeader;

static const StructField container_state_header_fields[] = {
        { .name = "version", .type = STRUCT_FIELD_TYPE_INT64,
          .offset = STRUCT_FIELD_OFFSET(ContainerStateHeader, version, int64_t), .required = true },
        STRUCT_FIELD_STRING("boot_id", ContainerStateHeader, boot_id),
        STRUCT_FIELD_REQUIRED_STRING("pod_id", ContainerStateHeader, pod_id),
        {}
};

int container_state_to_json(const Container *c, const char *boot_id, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new_immutable();
        ContainerStateHeader header = {
                .version = CONTAINER_STATE_VERSION,
                .boot_id = (char *) boot_id,
        };
        int r;

        if (!c || !ret)
                return -EINVAL;
        /* A record without its pod could never be read back. */
        if (!c->pod || !c->pod->id)
                return -EINVAL;
        header.pod_id = c->pod->id;

        json_builder_begin_object(b);
        r = struct_json_build(b, container_state_header_fields, &header);
        if (r < 0)
                return r;
        r = struct_json_build(b, container_fields, c);
        if (r < 0)
                return r;
        json_builder_end_object(b);

        return struct_json_builder_to_string(b, ret);
}

int container_state_from_json(const char *json, size_t size, Container *c, char **ret_pod_id,
                              char **ret_boot_id) {
        g_autoptr(JsonParser) parser = NULL;
        _cleanup_free_ char *boot_id = NULL, *pod_id = NULL;
        ContainerStateHeader header = {};
        JsonObject *o;
        int r;

        if (!c)
                return -EINVAL;

        r = struct_json_parse_object(json, size, &parser, &o);
        if (r < 0)
                return r;

        r = struct_json_parse(o, container_state_header_fields, &header);
        boot_id = header.boot_id;
        pod_id = header.pod_id;
        if (r < 0)
                return r;
        if (header.version != CONTAINER_STATE_VERSION)
                return log_debug_errno(EBADMSG, "Container record of version %" PRIi64 ", not %d.",
                                       header.version, CONTAINER_STATE_VERSION);

        r = struct_json_parse(o, container_fields, c);
        if (r < 0)
                return r;

        if (ret_pod_id)
                *ret_pod_id = TAKE_PTR(pod_id);
        if (ret_boot_id)
                *ret_boot_id = TAKE_PTR(boot_id);
        return 0;
}

void container_state_done(Container *c) {
        if (!c)
                return;

        container_config_done(&c->config);
        c->id = mfree(c->id);
        c->name = mfree(c->name);
        c->image_id = mfree(c->image_id);
        c->image_ref = mfree(c->image_ref);
        c->image_name = mfree(c->image_name);
        c->runtime_handler = mfree(c->runtime_handler);
        c->reason = mfree(c->reason);
        c->message = mfree(c->message);
        c->layer_dir = mfree(c->layer_dir);
        c->rootfs = mfree(c->rootfs);
        c->bundle_dir = mfree(c->bundle_dir);
        c->log_path = mfree(c->log_path);
        c->scope = mfree(c->scope);
        c->conmon_scope = mfree(c->conmon_scope);
        c->cgroup_path = mfree(c->cgroup_path);
}
