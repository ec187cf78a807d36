/* SPDX-License-Identifier: Apache-2.0 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "container.h"
#include "pod-json.h"

static void add_string(JsonBuilder *b, const char *key, const char *value) {
        json_builder_set_member_name(b, key);
        if (value)
                json_builder_add_string_value(b, value);
        else
                json_builder_add_null_value(b);
}

static void add_pairs(JsonBuilder *b, const char *key, char *const *pairs) {
        json_builder_set_member_name(b, key);
        json_builder_begin_object(b);
        for (char *const *p = pairs; p && p[0] && p[1]; p += 2)
                add_string(b, p[0], p[1]);
        json_builder_end_object(b);
}

static void add_strv(JsonBuilder *b, const char *key, char *const *l) {
        json_builder_set_member_name(b, key);
        json_builder_begin_array(b);
        for (char *const *i = l; i && *i; i++)
                json_builder_add_string_value(b, *i);
        json_builder_end_array(b);
}

int pod_info_to_json(const Pod *p, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;

        json_builder_begin_object(b);
        add_string(b, "id", p->id);
        add_string(b, "name", p->name);
        add_string(b, "state", pod_state_to_string(p->state));
        add_string(b, "runtimeHandler", p->runtime_handler);
        add_string(b, "slice", p->slice);
        json_builder_set_member_name(b, "sliceCreated");
        json_builder_add_boolean_value(b, p->slice_created);
        add_string(b, "cgroupParent", p->config.cgroup_parent);
        /* The pause process's; a pod without one (drop_infra_ctr) reports 0, as CRI-O does. */
        json_builder_set_member_name(b, "pid");
        json_builder_add_int_value(b, p->infra ? p->infra->pid : 0);

        json_builder_set_member_name(b, "namespaces");
        json_builder_begin_object(b);
        add_string(b, "network", p->netns_path);
        add_string(b, "ipc", p->ipcns_path);
        add_string(b, "uts", p->utsns_path);
        add_string(b, "pid", pod_namespace_mode_to_string(p->config.pid_mode));
        json_builder_end_object(b);

        json_builder_set_member_name(b, "hostNetwork");
        json_builder_add_boolean_value(b, pod_is_host_network(p));
        add_string(b, "hostname", p->config.hostname);
        add_string(b, "hostnamePath", p->hostname_path);
        add_string(b, "resolvPath", p->resolv_path);
        add_string(b, "shmPath", p->shm_path);
        json_builder_set_member_name(b, "shmSize");
        json_builder_add_int_value(b, (gint64) MIN(p->shm_size, (uint64_t) INT64_MAX));
        add_string(b, "logDirectory", p->config.log_directory);
        add_pairs(b, "sysctls", p->config.sysctls);

        json_builder_set_member_name(b, "network");
        json_builder_begin_object(b);
        add_string(b, "name", p->network_name);
        add_strv(b, "ips", p->ips);
        json_builder_set_member_name(b, "cniResult");
        if (p->network_result) {
                g_autoptr(JsonParser) parser = json_parser_new_immutable();

                if (json_parser_load_from_data(parser, p->network_result, -1, NULL))
                        json_builder_add_value(b, json_node_copy(json_parser_get_root(parser)));
                else
                        json_builder_add_null_value(b);
        } else
                json_builder_add_null_value(b);
        json_builder_end_object(b);
        json_builder_end_object(b);

        root = json_builder_get_root(b);
        json_generator_set_root(gen, root);
        text = json_generator_to_data(gen, NULL);
        if (!text)
                return -ENOMEM;
        /* GLib memory stays with GLib: hand out a libc copy. */
        *ret = strdup(text);
        return *ret ? 0 : -ENOMEM;
}
