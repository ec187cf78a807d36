/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside this file: what leaves it is malloc()ed memory and a negative errno. */

#include <json-glib/json-glib.h>
#include <string.h>

#include "cni-config.h"
#include "cni-util.h"
#include "log.h"

static bool plugin_type_valid(const char *s) {
        return s && s[0] != '\0' && s[0] != '.' && !strchr(s, '/');
}

static const char *member_string(JsonObject *o, const char *key) {
        JsonNode *n = json_object_get_member(o, key);

        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return NULL;
        return json_node_get_string(n);
}

static char *node_to_string(JsonNode *n) {
        g_autofree char *s = json_to_string(n, false);

        return s ? strdup(s) : NULL;
}

/* CNI 1.1 lets a list name several versions in "cniVersions": the highest one we speak wins. */
static int pick_version(JsonObject *o, const char *where, char **ret) {
        JsonNode *n = json_object_get_member(o, "cniVersions");
        const char *best = NULL;

        if (n && JSON_NODE_HOLDS_ARRAY(n)) {
                JsonArray *a = json_node_get_array(n);

                for (guint i = 0; i < json_array_get_length(a); i++) {
                        JsonNode *e = json_array_get_element(a, i);
                        const char *v;
                        int c;

                        if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
                                continue;
                        v = json_node_get_string(e);
                        if (!cni_version_supported(v))
                                continue;
                        if (!best || (cni_version_compare(v, best, &c) >= 0 && c > 0))
                                best = v;
                }
        }
        if (!best) {
                best = member_string(o, "cniVersion");
                if (!best)
                        return log_warning_errno(EINVAL, "%s: missing \"cniVersion\".", where);
                if (!cni_version_supported(best))
                        return log_warning_errno(EPROTONOSUPPORT,
                                                 "%s: unsupported cniVersion \"%s\" (0.1.0 to 1.1.0 are).",
                                                 where, best);
        }
        *ret = strdup(best);
        return *ret ? 0 : -ENOMEM;
}

static int plugin_parse(JsonNode *node, const char *where, size_t index, CniPlugin *ret) {
        _cleanup_(strv_freep) char **caps = NULL;
        _cleanup_free_ char *type = NULL, *json = NULL;
        JsonObject *o, *c;
        JsonNode *n;
        const char *t;
        int r;

        if (!JSON_NODE_HOLDS_OBJECT(node))
                return log_warning_errno(EINVAL, "%s: plugin %zu is not an object.", where, index);
        o = json_node_get_object(node);
        t = member_string(o, "type");
        if (!t)
                return log_warning_errno(EINVAL, "%s: plugin %zu has no \"type\".", where, index);
        if (!plugin_type_valid(t))
                return log_warning_errno(EINVAL, "%s: plugin %zu has an invalid type \"%s\".", where, index, t);

        n = json_object_get_member(o, "capabilities");
        if (n && JSON_NODE_HOLDS_OBJECT(n)) {
                c = json_node_get_object(n);
                g_autoptr(GList) keys = json_object_get_members(c);

                for (GList *k = keys; k; k = k->next) {
                        JsonNode *v = json_object_get_member(c, k->data);

                        if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_BOOLEAN ||
                            !json_node_get_boolean(v))
                                continue;
                        r = strv_push(&caps, k->data);
                        if (r < 0)
                                return r;
                }
        } else if (n && !JSON_NODE_HOLDS_NULL(n))
                return log_warning_errno(EINVAL, "%s: plugin %zu: \"capabilities\" is not an object.",
                                         where, index);

        type = strdup(t);
        json = node_to_string(node);
        if (!type || !json)
                return -ENOMEM;
        *ret = (CniPlugin) {
                .type = TAKE_PTR(type),
                .json = TAKE_PTR(json),
                .capabilities = TAKE_PTR(caps),
        };
        return 0;
}

static CniNetwork *network_alloc(void) {
        CniNetwork *n = calloc(1, sizeof(CniNetwork));

        if (n)
                n->n_ref = 1;
        return n;
}

int cni_network_parse(const char *json, size_t size, bool is_single_conf, const char *path, CniNetwork **ret) {
        g_autoptr(JsonParser) parser = json_parser_new_immutable();
        g_autoptr(GError) error = NULL;
        _cleanup_(cni_network_unrefp) CniNetwork *net = NULL;
        const char *where = path ?: "CNI config";
        const char *name;
        JsonObject *o;
        JsonNode *root, *n;
        int r;

        if (size > G_MAXSSIZE)
                return -EFBIG;
        if (!json_parser_load_from_data(parser, json, (gssize) size, &error))
                return log_warning_errno(EBADMSG, "%s: invalid JSON: %s", where, error->message);
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return log_warning_errno(EBADMSG, "%s: not a JSON object.", where);
        o = json_node_get_object(root);

        net = network_alloc();
        if (!net)
                return -ENOMEM;
        if (path) {
                net->path = strdup(path);
                if (!net->path)
                        return -ENOMEM;
        }

        name = member_string(o, "name");
        if (!name)
                return log_warning_errno(EINVAL, "%s: missing \"name\".", where);
        if (!cni_network_name_valid(name))
                return log_warning_errno(EINVAL, "%s: invalid network name \"%s\".", where, name);
        net->name = strdup(name);
        if (!net->name)
                return -ENOMEM;

        r = pick_version(o, where, &net->cni_version);
        if (r < 0)
                return r;

        if (is_single_conf) {
                g_autoptr(JsonBuilder) b = json_builder_new_immutable();
                g_autoptr(JsonNode) list = NULL;

                if (json_object_has_member(o, "plugins"))
                        return log_warning_errno(EINVAL, "%s: a .conf file holds one plugin, not \"plugins\".",
                                                 where);
                net->plugins = calloc(1, sizeof(CniPlugin));
                if (!net->plugins)
                        return -ENOMEM;
                r = plugin_parse(root, where, 0, &net->plugins[0]);
                if (r < 0)
                        return r;
                net->n_plugins = 1;

                /* The list a .conf stands for, as libcni builds it. */
                json_builder_begin_object(b);
                json_builder_set_member_name(b, "cniVersion");
                json_builder_add_string_value(b, net->cni_version);
                json_builder_set_member_name(b, "name");
                json_builder_add_string_value(b, net->name);
                json_builder_set_member_name(b, "plugins");
                json_builder_begin_array(b);
                json_builder_add_value(b, json_node_copy(root));
                json_builder_end_array(b);
                json_builder_end_object(b);
                list = json_builder_get_root(b);
                net->json = node_to_string(list);
                if (!net->json)
                        return -ENOMEM;
        } else {
                JsonArray *a;
                guint len;

                n = json_object_get_member(o, "plugins");
                if (!n || !JSON_NODE_HOLDS_ARRAY(n))
                        return log_warning_errno(EINVAL, "%s: missing \"plugins\" array.", where);
                a = json_node_get_array(n);
                len = json_array_get_length(a);
                if (len == 0)
                        return log_warning_errno(EINVAL, "%s: no plugins in the list.", where);
                net->plugins = calloc(len, sizeof(CniPlugin));
                if (!net->plugins)
                        return -ENOMEM;
                for (guint i = 0; i < len; i++) {
                        r = plugin_parse(json_array_get_element(a, i), where, i, &net->plugins[i]);
                        if (r < 0)
                                return r;
                        net->n_plugins++;
                }

                n = json_object_get_member(o, "disableCheck");
                if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN)
                        net->disable_check = json_node_get_boolean(n);
                else if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
                        /* libcni also takes the string spelling. */
                        net->disable_check = g_ascii_strcasecmp(json_node_get_string(n), "true") == 0;

                net->json = strndup(json, size);
                if (!net->json)
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(net);
        return 0;
}
