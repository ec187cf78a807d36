/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside this file: what leaves it is malloc()ed memory and a negative errno. */

#include <json-glib/json-glib.h>
#include <string.h>

#include "cni-cache.h"
#include "cni-util.h"
#include "log.h"

#define CNI_CACHE_KIND "cniCacheV1"

static int add_raw(JsonBuilder *b, const char *key, const char *json) {
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonNode *root;

        if (!json)
                return 0;
        if (!json_parser_load_from_data(parser, json, -1, NULL))
                return -EBADMSG;
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return -EBADMSG;
        json_builder_set_member_name(b, key);
        json_builder_add_value(b, json_node_copy(root));
        return 0;
}

static void add_string(JsonBuilder *b, const char *key, const char *value) {
        json_builder_set_member_name(b, key);
        json_builder_add_string_value(b, value ?: "");
}

int cni_cache_entry_to_json(const CniCacheEntry *e, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *config = NULL, *s = NULL;
        int r;

        config = g_base64_encode((const guchar *) (e->config ?: ""), e->config ? strlen(e->config) : 0);

        json_builder_begin_object(b);
        add_string(b, "kind", CNI_CACHE_KIND);
        add_string(b, "containerId", e->container_id);
        add_string(b, "config", config);
        add_string(b, "ifName", e->ifname);
        add_string(b, "networkName", e->network_name);
        if (e->netns && e->netns[0])
                add_string(b, "netns", e->netns);
        if (e->cni_args && e->cni_args[0]) {
                json_builder_set_member_name(b, "cniArgs");
                json_builder_begin_array(b);
                for (char **a = e->cni_args; a[0] && a[1]; a += 2) {
                        json_builder_begin_array(b);
                        json_builder_add_string_value(b, a[0]);
                        json_builder_add_string_value(b, a[1]);
                        json_builder_end_array(b);
                }
                json_builder_end_array(b);
        }
        r = add_raw(b, "capabilityArgs", e->capability_args);
        if (r >= 0)
                r = add_raw(b, "result", e->result);
        if (r < 0)
                return r;
        json_builder_end_object(b);

        root = json_builder_get_root(b);
        s = json_to_string(root, false);
        *ret = s ? strdup(s) : NULL;
        return *ret ? 0 : -ENOMEM;
}

static int member_string(JsonObject *o, const char *key, bool required, char **ret) {
        JsonNode *n = json_object_get_member(o, key);

        *ret = NULL;
        if (!n || JSON_NODE_HOLDS_NULL(n))
                return required ? -EBADMSG : 0;
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return -EBADMSG;
        *ret = strdup(json_node_get_string(n));
        return *ret ? 0 : -ENOMEM;
}

static int member_raw_object(JsonObject *o, const char *key, char **ret) {
        JsonNode *n = json_object_get_member(o, key);
        g_autofree char *s = NULL;

        *ret = NULL;
        if (!n || JSON_NODE_HOLDS_NULL(n))
                return 0;
        if (!JSON_NODE_HOLDS_OBJECT(n))
                return -EBADMSG;
        s = json_to_string(n, false);
        *ret = s ? strdup(s) : NULL;
        return *ret ? 0 : -ENOMEM;
}

int cni_cache_entry_from_json(const char *json, size_t size, CniCacheEntry **ret) {
        g_autoptr(JsonParser) parser = json_parser_new_immutable();
        _cleanup_(cni_cache_entry_freep) CniCacheEntry *e = NULL;
        _cleanup_free_ char *kind = NULL, *config = NULL;
        JsonObject *o;
        JsonNode *root, *n;
        int r;

        if (size > G_MAXSSIZE)
                return -EFBIG;
        if (!json_parser_load_from_data(parser, json, (gssize) size, NULL))
                return -EBADMSG;
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return -EBADMSG;
        o = json_node_get_object(root);

        r = member_string(o, "kind", true, &kind);
        if (r < 0)
                return r;
        if (strcmp(kind, CNI_CACHE_KIND) != 0)
                return -EBADMSG;

        e = calloc(1, sizeof(CniCacheEntry));
        if (!e)
                return -ENOMEM;
        r = member_string(o, "containerId", true, &e->container_id);
        if (r >= 0)
                r = member_string(o, "ifName", true, &e->ifname);
        if (r >= 0)
                r = member_string(o, "networkName", true, &e->network_name);
        if (r >= 0)
                r = member_string(o, "netns", false, &e->netns);
        if (r >= 0)
                r = member_string(o, "config", false, &config);
        if (r >= 0)
                r = member_raw_object(o, "capabilityArgs", &e->capability_args);
        if (r >= 0)
                r = member_raw_object(o, "result", &e->result);
        if (r < 0)
                return r;

        if (config) {
                gsize len = 0;
                g_autofree guchar *raw = g_base64_decode(config, &len);

                if (!raw && config[0])
                        return -EBADMSG;
                e->config = strndup((const char *) (raw ?: (guchar *) ""), len);
                if (!e->config)
                        return -ENOMEM;
        }

        n = json_object_get_member(o, "cniArgs");
        if (n && JSON_NODE_HOLDS_ARRAY(n)) {
                JsonArray *a = json_node_get_array(n);

                e->cni_args = calloc(1, sizeof(char *));
                if (!e->cni_args)
                        return -ENOMEM;
                for (guint i = 0; i < json_array_get_length(a); i++) {
                        JsonNode *pair = json_array_get_element(a, i);
                        JsonArray *p;

                        if (!JSON_NODE_HOLDS_ARRAY(pair))
                                return -EBADMSG;
                        p = json_node_get_array(pair);
                        if (json_array_get_length(p) != 2)
                                return -EBADMSG;
                        for (guint j = 0; j < 2; j++) {
                                JsonNode *v = json_array_get_element(p, j);

                                if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_STRING)
                                        return -EBADMSG;
                                r = strv_push(&e->cni_args, json_node_get_string(v));
                                if (r < 0)
                                        return r;
                        }
                }
        } else if (n && !JSON_NODE_HOLDS_NULL(n))
                return -EBADMSG;

        *ret = TAKE_PTR(e);
        return 0;
}
