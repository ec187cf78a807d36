/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside this file: what leaves it is malloc()ed memory and a negative errno. */

#include <json-glib/json-glib.h>
#include <limits.h>
#include <string.h>

#include "log.h"
#include "oci-runtime.h"

static int dup_string_member(JsonObject *o, const char *name, bool required, char **ret) {
        JsonNode *n = json_object_get_member(o, name);
        const char *s;

        if (!n || JSON_NODE_HOLDS_NULL(n)) {
                *ret = NULL;
                return required ? -EBADMSG : 0;
        }
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return -EBADMSG;
        s = json_node_get_string(n);
        *ret = strdup(s ?: "");
        return *ret ? 0 : -ENOMEM;
}

int oci_state_parse(const char *json, size_t size, OciState *ret) {
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        _cleanup_free_ char *status = NULL;
        OciState s = {};
        JsonObject *o;
        JsonNode *root, *n;
        int r;

        if (size > INT_MAX)
                return -EBADMSG;
        if (!json_parser_load_from_data(parser, json, (gssize) size, &error))
                return log_debug_errno(EBADMSG, "Invalid runtime state JSON: %s", error->message);
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return -EBADMSG;
        o = json_node_get_object(root);

        r = dup_string_member(o, "status", true, &status);
        if (r < 0)
                return r;
        s.status = oci_status_from_string(status);
        if (s.status < 0)
                return log_debug_errno(EBADMSG, "Unknown container status \"%s\".", status);

        r = dup_string_member(o, "id", true, &s.id);
        if (r >= 0)
                r = dup_string_member(o, "bundle", false, &s.bundle);
        if (r >= 0)
                r = dup_string_member(o, "created", false, &s.created);
        if (r >= 0) {
                n = json_object_get_member(o, "pid");
                if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64) {
                        gint64 pid = json_node_get_int(n);

                        if (pid < 0 || pid > INT_MAX)
                                r = -EBADMSG;
                        else
                                s.pid = (pid_t) pid;
                } else if (n && !JSON_NODE_HOLDS_NULL(n))
                        r = -EBADMSG;
        }
        if (r < 0) {
                oci_state_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}
