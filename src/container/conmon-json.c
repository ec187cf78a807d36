/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside this file: what leaves it is malloc()ed memory and a negative errno. */

#include <json-glib/json-glib.h>
#include <limits.h>
#include <string.h>

#include "conmon.h"
#include "log.h"

void conmon_sync_message_done(ConmonSyncMessage *m) {
        if (m)
                m->message = mfree(m->message);
}

int conmon_sync_message_parse(const char *json, size_t size, ConmonSyncMessage *ret) {
        static const char *const keys[] = { "pid", "data", "exit_code" };
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        ConmonSyncMessage m = {};
        JsonNode *root, *n = NULL;
        JsonObject *o;

        if (size > INT_MAX)
                return -EBADMSG;
        if (!json_parser_load_from_data(parser, json, (gssize) size, &error))
                return log_debug_errno(EBADMSG, "Invalid message from conmon: %s", error->message);
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return -EBADMSG;
        o = json_node_get_object(root);

        for (size_t i = 0; i < ELEMENTSOF(keys) && !n; i++)
                n = json_object_get_member(o, keys[i]);
        if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
                return -EBADMSG;
        m.value = json_node_get_int(n);

        n = json_object_get_member(o, "message");
        if (n && !JSON_NODE_HOLDS_NULL(n)) {
                if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                        return -EBADMSG;
                m.message = strdup(json_node_get_string(n) ?: "");
                if (!m.message)
                        return -ENOMEM;
        }
        *ret = m;
        return 0;
}
