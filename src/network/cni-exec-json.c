/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside this file: what leaves it is malloc()ed memory and a negative errno. */

#include <json-glib/json-glib.h>
#include <string.h>

#include "cni-exec.h"
#include "cni-json.h"
#include "cni-util.h"
#include "log.h"

static int parse_object(const char *json, JsonParser **ret_parser, JsonObject **ret) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        JsonNode *root;

        if (!json_parser_load_from_data(parser, json, -1, &error))
                return log_debug_errno(EBADMSG, "Invalid JSON: %s", error->message);
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return -EBADMSG;
        *ret = json_node_get_object(root);
        *ret_parser = g_steal_pointer(&parser);
        return 0;
}

static char *to_string(JsonNode *n) {
        g_autofree char *s = json_to_string(n, false);

        return s ? strdup(s) : NULL;
}

int cni_plugin_stdin_build(const char *plugin_json, const char *name, const char *cni_version,
                           const char *prev_result, const char *capability_args, char *const *capabilities,
                           char **ret) {
        g_autoptr(JsonParser) plugin_parser = NULL, prev_parser = NULL, caps_parser = NULL;
        JsonObject *plugin, *prev, *caps;
        char *s;
        int r;

        r = parse_object(plugin_json, &plugin_parser, &plugin);
        if (r < 0)
                return r;
        json_object_set_string_member(plugin, "name", name);
        json_object_set_string_member(plugin, "cniVersion", cni_version);

        if (prev_result) {
                r = parse_object(prev_result, &prev_parser, &prev);
                if (r < 0)
                        return r;
                json_object_set_member(plugin, "prevResult",
                                       json_node_copy(json_parser_get_root(prev_parser)));
        }

        /* Only what the plugin declares: a plugin may refuse keys it does not know. */
        if (capability_args && capabilities) {
                JsonObject *rc = NULL;

                r = parse_object(capability_args, &caps_parser, &caps);
                if (r < 0)
                        return r;
                for (char *const *c = capabilities; *c; c++) {
                        JsonNode *v = json_object_get_member(caps, *c);

                        if (!v)
                                continue;
                        if (!rc)
                                rc = json_object_new();
                        json_object_set_member(rc, *c, json_node_copy(v));
                }
                if (rc)
                        json_object_set_object_member(plugin, "runtimeConfig", rc);
        }

        s = to_string(json_parser_get_root(plugin_parser));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int cni_version_info_parse(const char *json, size_t size, char ***ret) {
        g_autoptr(JsonParser) parser = NULL;
        _cleanup_(strv_freep) char **l = NULL;
        _cleanup_free_ char *copy = strndup(json, size);
        JsonObject *o;
        JsonNode *n;
        int r;

        if (!copy)
                return -ENOMEM;
        r = parse_object(copy, &parser, &o);
        if (r < 0)
                return r;
        n = json_object_get_member(o, "supportedVersions");
        if (!n || !JSON_NODE_HOLDS_ARRAY(n))
                return -EBADMSG;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (guint i = 0; i < json_array_get_length(json_node_get_array(n)); i++) {
                JsonNode *e = json_array_get_element(json_node_get_array(n), i);

                if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
                        return -EBADMSG;
                r = strv_push(&l, json_node_get_string(e));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static void add_strv(JsonBuilder *b, const char *key, char *const *l) {
        json_builder_set_member_name(b, key);
        json_builder_begin_array(b);
        for (char *const *i = l; i && *i; i++)
                json_builder_add_string_value(b, *i);
        json_builder_end_array(b);
}

static void add_string_if(JsonBuilder *b, const char *key, const char *value) {
        if (!value)
                return;
        json_builder_set_member_name(b, key);
        json_builder_add_string_value(b, value);
}

static void add_int(JsonBuilder *b, const char *key, gint64 value) {
        json_builder_set_member_name(b, key);
        json_builder_add_int_value(b, value);
}

int cni_runtime_conf_capability_json(const CniRuntimeConf *rt, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        char *s;

        json_builder_begin_object(b);
        if (rt->n_port_mappings > 0) {
                json_builder_set_member_name(b, "portMappings");
                json_builder_begin_array(b);
                for (size_t i = 0; i < rt->n_port_mappings; i++) {
                        const CniPortMapping *m = &rt->port_mappings[i];

                        json_builder_begin_object(b);
                        add_int(b, "hostPort", m->host_port);
                        add_int(b, "containerPort", m->container_port);
                        add_string_if(b, "protocol", m->protocol ?: "tcp");
                        add_string_if(b, "hostIP", m->host_ip);
                        json_builder_end_object(b);
                }
                json_builder_end_array(b);
        }
        if (rt->n_ip_ranges > 0) {
                json_builder_set_member_name(b, "ipRanges");
                json_builder_begin_array(b);
                for (size_t i = 0; i < rt->n_ip_ranges; i++) {
                        json_builder_begin_array(b);
                        for (size_t j = 0; j < rt->ip_ranges[i].n_ranges; j++) {
                                const CniIpRange *ir = &rt->ip_ranges[i].ranges[j];

                                json_builder_begin_object(b);
                                add_string_if(b, "subnet", ir->subnet);
                                add_string_if(b, "rangeStart", ir->range_start);
                                add_string_if(b, "rangeEnd", ir->range_end);
                                add_string_if(b, "gateway", ir->gateway);
                                json_builder_end_object(b);
                        }
                        json_builder_end_array(b);
                }
                json_builder_end_array(b);
        }
        if (rt->bandwidth) {
                json_builder_set_member_name(b, "bandwidth");
                json_builder_begin_object(b);
                if (rt->bandwidth->ingress_rate > 0) {
                        add_int(b, "ingressRate", (gint64) MIN(rt->bandwidth->ingress_rate, (uint64_t) G_MAXINT64));
                        add_int(b, "ingressBurst", (gint64) MIN(rt->bandwidth->ingress_burst, (uint64_t) G_MAXINT64));
                }
                if (rt->bandwidth->egress_rate > 0) {
                        add_int(b, "egressRate", (gint64) MIN(rt->bandwidth->egress_rate, (uint64_t) G_MAXINT64));
                        add_int(b, "egressBurst", (gint64) MIN(rt->bandwidth->egress_burst, (uint64_t) G_MAXINT64));
                }
                json_builder_end_object(b);
        }
        if (rt->dns) {
                json_builder_set_member_name(b, "dns");
                json_builder_begin_object(b);
                add_strv(b, "servers", rt->dns->servers);
                add_strv(b, "searches", rt->dns->searches);
                add_strv(b, "options", rt->dns->options);
                json_builder_end_object(b);
        }
        add_string_if(b, "cgroupPath", rt->cgroup_path);
        json_builder_end_object(b);

        root = json_builder_get_root(b);
        s = to_string(root);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
