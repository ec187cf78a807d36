/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside this file: what leaves it is malloc()ed memory and a negative errno. */

#include <json-glib/json-glib.h>
#include <limits.h>
#include <string.h>

#include "container-json.h"
#include "log.h"
#include "pod.h"
#include "strv.h"

static int to_string(JsonBuilder *b, char **ret) {
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = json_builder_get_root(b);
        g_autofree char *text = NULL;

        if (!root)
                return -EINVAL;
        json_generator_set_root(gen, root);
        text = json_generator_to_data(gen, NULL);
        if (!text)
                return -ENOMEM;
        *ret = strdup(text);
        return *ret ? 0 : -ENOMEM;
}

static JsonNode *parse(const char *json, size_t size) {
        g_autoptr(JsonParser) parser = json_parser_new();

        if (!json || size > INT_MAX || !json_parser_load_from_data(parser, json, (gssize) size, NULL))
                return NULL;
        return json_node_copy(json_parser_get_root(parser));
}

int container_exec_process_json(const char *config_json, size_t size, char *const *argv, char **ret) {
        return container_exec_process_json_full(config_json, size, argv, /* terminal= */ false, ret);
}

int container_exec_process_json_full(const char *config_json, size_t size, char *const *argv, bool terminal,
                                     char **ret) {
        g_autoptr(JsonNode) root = parse(config_json, size);
        g_autoptr(JsonNode) process = NULL;
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autofree char *text = NULL;
        JsonArray *args;
        JsonObject *o;

        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return -EBADMSG;
        o = json_node_get_object(root);
        if (!json_object_has_member(o, "process") || !JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "process")))
                return -EBADMSG;
        process = json_node_copy(json_object_get_member(o, "process"));
        o = json_node_get_object(process);
        args = json_array_new();
        for (char *const *a = argv; a && *a; a++)
                json_array_add_string_element(args, *a);
        json_object_set_array_member(o, "args", args);
        json_object_set_boolean_member(o, "terminal", terminal);
        json_object_remove_member(o, "consoleSize");
        json_generator_set_root(gen, process);
        text = json_generator_to_data(gen, NULL);
        if (!text)
                return -ENOMEM;
        *ret = strdup(text);
        return *ret ? 0 : -ENOMEM;
}

int container_resources_to_json(const OciResources *r, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "cpu");
        json_builder_begin_object(b);
        if (r->cpu_shares > 0) {
                json_builder_set_member_name(b, "shares");
                json_builder_add_int_value(b, (int64_t) r->cpu_shares);
        }
        if (r->cpu_quota != 0) {
                json_builder_set_member_name(b, "quota");
                json_builder_add_int_value(b, r->cpu_quota);
        }
        if (r->cpu_period > 0) {
                json_builder_set_member_name(b, "period");
                json_builder_add_int_value(b, (int64_t) r->cpu_period);
        }
        if (r->cpuset_cpus && *r->cpuset_cpus) {
                json_builder_set_member_name(b, "cpus");
                json_builder_add_string_value(b, r->cpuset_cpus);
        }
        if (r->cpuset_mems && *r->cpuset_mems) {
                json_builder_set_member_name(b, "mems");
                json_builder_add_string_value(b, r->cpuset_mems);
        }
        json_builder_end_object(b);
        json_builder_set_member_name(b, "memory");
        json_builder_begin_object(b);
        if (r->memory_limit > 0) {
                json_builder_set_member_name(b, "limit");
                json_builder_add_int_value(b, r->memory_limit);
                /* runc refuses a swap limit below the memory limit: CRI-O sets both alike. */
                json_builder_set_member_name(b, "swap");
                json_builder_add_int_value(b, r->memory_swap > 0 ? r->memory_swap : r->memory_limit);
        }
        json_builder_end_object(b);
        if (r->has_pids_limit) {
                json_builder_set_member_name(b, "pids");
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "limit");
                json_builder_add_int_value(b, r->pids_limit);
                json_builder_end_object(b);
        }
        if (r->n_hugepages > 0) {
                json_builder_set_member_name(b, "hugepageLimits");
                json_builder_begin_array(b);
                for (size_t i = 0; i < r->n_hugepages; i++) {
                        json_builder_begin_object(b);
                        json_builder_set_member_name(b, "pageSize");
                        json_builder_add_string_value(b, r->hugepages[i].page_size);
                        json_builder_set_member_name(b, "limit");
                        json_builder_add_int_value(b, (int64_t) r->hugepages[i].limit);
                        json_builder_end_object(b);
                }
                json_builder_end_array(b);
        }
        if (!strv_isempty(r->unified)) {
                json_builder_set_member_name(b, "unified");
                json_builder_begin_object(b);
                for (char *const *p = r->unified; p[0] && p[1]; p += 2) {
                        json_builder_set_member_name(b, p[0]);
                        json_builder_add_string_value(b, p[1]);
                }
                json_builder_end_object(b);
        }
        json_builder_end_object(b);
        return to_string(b, ret);
}

static void add_pairs(JsonBuilder *b, const char *name, char *const *pairs) {
        json_builder_set_member_name(b, name);
        json_builder_begin_object(b);
        for (char *const *p = pairs; p && p[0] && p[1]; p += 2) {
                json_builder_set_member_name(b, p[0]);
                json_builder_add_string_value(b, p[1]);
        }
        json_builder_end_object(b);
}

int container_status_info_json(const Container *c, const char *config_json, size_t size, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        JsonNode *spec = parse(config_json, size);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "sandboxID");
        json_builder_add_string_value(b, c->pod->id);
        json_builder_set_member_name(b, "pid");
        json_builder_add_int_value(b, c->state == CONTAINER_STATE_RUNNING ? c->pid : 0);
        json_builder_set_member_name(b, "privileged");
        json_builder_add_boolean_value(b, c->privileged);
        if (spec) {
                json_builder_set_member_name(b, "runtimeSpec");
                json_builder_add_value(b, spec);        /* takes it */
        }
        json_builder_end_object(b);
        return to_string(b, ret);
}

int container_info_json(const Container *c, const char *config_json, size_t size, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) spec = parse(config_json, size);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, c->name);
        json_builder_set_member_name(b, "pid");
        json_builder_add_int_value(b, c->state == CONTAINER_STATE_RUNNING ? c->pid : 0);
        json_builder_set_member_name(b, "image");
        json_builder_add_string_value(b, c->image_name);
        json_builder_set_member_name(b, "image_ref");
        json_builder_add_string_value(b, c->image_ref);
        json_builder_set_member_name(b, "created_time");
        json_builder_add_int_value(b, c->created_at);
        add_pairs(b, "labels", c->config.labels);
        add_pairs(b, "annotations", c->config.annotations);
        json_builder_set_member_name(b, "crio_annotations");
        if (spec && JSON_NODE_HOLDS_OBJECT(spec) &&
            json_object_has_member(json_node_get_object(spec), "annotations"))
                json_builder_add_value(b, json_node_copy(json_object_get_member(json_node_get_object(spec),
                                                                                 "annotations")));
        else {
                json_builder_begin_object(b);
                json_builder_end_object(b);
        }
        json_builder_set_member_name(b, "log_path");
        json_builder_add_string_value(b, c->log_path);
        json_builder_set_member_name(b, "root");
        json_builder_add_string_value(b, c->rootfs);
        json_builder_set_member_name(b, "sandbox");
        json_builder_add_string_value(b, c->pod->id);
        json_builder_set_member_name(b, "ip_addresses");
        json_builder_begin_array(b);
        for (char **ip = c->pod->ips; ip && *ip; ip++)
                json_builder_add_string_value(b, *ip);
        json_builder_end_array(b);
        json_builder_end_object(b);
        return to_string(b, ret);
}
