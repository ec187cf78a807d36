/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside this file: what leaves it is malloc()ed memory and a negative errno. */

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "storage-json.h"
#include "strv.h"

static int parse_root(const char *json, size_t size, JsonParser **ret_parser, JsonNode **ret_root) {
        g_autoptr(JsonParser) parser = json_parser_new_immutable();
        g_autoptr(GError) error = NULL;
        JsonNode *root;

        if (size > G_MAXSSIZE)
                return -EFBIG;
        if (!json_parser_load_from_data(parser, json, (gssize) size, &error))
                return log_debug_errno(EBADMSG, "Invalid JSON: %s", error->message);
        root = json_parser_get_root(parser);
        if (!root)
                return -EBADMSG;
        *ret_root = root;
        *ret_parser = g_steal_pointer(&parser);
        return 0;
}

static int node_to_string(JsonNode *n, char **ret) {
        g_autofree char *s = json_to_string(n, /* pretty= */ FALSE);
        char *c;

        if (!s)
                return -ENOMEM;
        c = strdup(s);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

int storage_version_to_json(const char *version, const char *commit, char **ret) {
        g_autoptr(JsonNode) n = json_node_new(JSON_NODE_VALUE);
        g_autofree char *text = NULL;

        if (!version || !*version)
                return -EINVAL;
        if (commit && *commit)
                text = g_strdup_printf("%s+%s", version, commit);
        else
                text = g_strdup(version);
        json_node_set_string(n, text);
        return node_to_string(n, ret);
}

int storage_version_from_json(const char *json, size_t size, char **ret) {
        g_autoptr(JsonParser) parser = NULL;
        JsonNode *root;
        char *s;
        int r;

        r = parse_root(json, size, &parser, &root);
        if (r < 0)
                return r;
        if (!JSON_NODE_HOLDS_VALUE(root) || json_node_get_value_type(root) != G_TYPE_STRING)
                return -EBADMSG;
        s = strdup(json_node_get_string(root) ?: "");
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int storage_json_array_split(const char *json, size_t size, char ***ret) {
        g_autoptr(JsonParser) parser = NULL;
        _cleanup_(strv_freep) char **l = NULL;
        JsonNode *root;
        JsonArray *a;
        guint n;
        int r;

        r = parse_root(json, size, &parser, &root);
        if (r < 0)
                return r;
        if (!JSON_NODE_HOLDS_ARRAY(root))
                return -EBADMSG;
        a = json_node_get_array(root);
        n = json_array_get_length(a);
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (guint i = 0; i < n; i++) {
                r = node_to_string(json_array_get_element(a, i), &l[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int storage_container_record_image(const char *json, size_t size, char **ret_image_id) {
        g_autoptr(JsonParser) parser = NULL;
        JsonNode *root, *n;
        const char *id;
        char *c;
        int r;

        r = parse_root(json, size, &parser, &root);
        if (r < 0)
                return r;
        if (!JSON_NODE_HOLDS_OBJECT(root))
                return -EBADMSG;
        n = json_object_get_member(json_node_get_object(root), "image_id");
        if (!n || JSON_NODE_HOLDS_NULL(n) || !JSON_NODE_HOLDS_VALUE(n) ||
            json_node_get_value_type(n) != G_TYPE_STRING) {
                *ret_image_id = NULL;
                return 0;
        }
        id = json_node_get_string(n);
        if (strncmp(id, "sha256:", 7) == 0)
                id += 7;
        if (!*id) {
                *ret_image_id = NULL;
                return 0;
        }
        c = strdup(id);
        if (!c)
                return -ENOMEM;
        *ret_image_id = c;
        return 0;
}
