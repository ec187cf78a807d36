/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside the *-json.c files: what leaves this one is malloc()ed memory and a negative errno. */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strv.h"
#include "struct-json.h"

#define FIELD_PTR(s, offset, type) ((typeof(type) *) ((uint8_t *) (s) + (offset)))
#define FIELD_CONST_PTR(s, offset, type) ((typeof(type) const *) ((const uint8_t *) (s) + (offset)))

static void add_string_or_null(JsonBuilder *b, const char *s) {
        if (s)
                json_builder_add_string_value(b, s);
        else
                json_builder_add_null_value(b);
}

static int build_field(JsonBuilder *b, const StructField *f, const void *s) {
        int r;

        json_builder_set_member_name(b, f->name);

        switch (f->type) {

        case STRUCT_FIELD_TYPE_STRING:
                add_string_or_null(b, *FIELD_CONST_PTR(s, f->offset, char *));
                return 0;

        case STRUCT_FIELD_TYPE_STRV: {
                char *const *l = *FIELD_CONST_PTR(s, f->offset, char **);

                if (!l) {
                        json_builder_add_null_value(b);
                        return 0;
                }
                json_builder_begin_array(b);
                for (char *const *i = l; *i; i++)
                        json_builder_add_string_value(b, *i);
                json_builder_end_array(b);
                return 0;
        }

        case STRUCT_FIELD_TYPE_PAIRS: {
                char *const *l = *FIELD_CONST_PTR(s, f->offset, char **);

                if (!l) {
                        json_builder_add_null_value(b);
                        return 0;
                }
                json_builder_begin_object(b);
                for (char *const *i = l; i[0] && i[1]; i += 2) {
                        json_builder_set_member_name(b, i[0]);
                        json_builder_add_string_value(b, i[1]);
                }
                json_builder_end_object(b);
                return 0;
        }

        case STRUCT_FIELD_TYPE_BOOL:
                json_builder_add_boolean_value(b, *FIELD_CONST_PTR(s, f->offset, bool));
                return 0;

        case STRUCT_FIELD_TYPE_INT:
                json_builder_add_int_value(b, *FIELD_CONST_PTR(s, f->offset, int));
                return 0;

        case STRUCT_FIELD_TYPE_UINT16:
                json_builder_add_int_value(b, *FIELD_CONST_PTR(s, f->offset, uint16_t));
                return 0;

        case STRUCT_FIELD_TYPE_UINT32:
                json_builder_add_int_value(b, *FIELD_CONST_PTR(s, f->offset, uint32_t));
                return 0;

        case STRUCT_FIELD_TYPE_INT64:
                json_builder_add_int_value(b, *FIELD_CONST_PTR(s, f->offset, int64_t));
                return 0;

        case STRUCT_FIELD_TYPE_UINT64: {
                uint64_t v = *FIELD_CONST_PTR(s, f->offset, uint64_t);
                char buf[21];

                /* JSON numbers through json-glib are signed 64-bit: the upper half goes as text. */
                if (v <= INT64_MAX)
                        json_builder_add_int_value(b, (gint64) v);
                else {
                        (void) snprintf(buf, sizeof(buf), "%" PRIu64, v);
                        json_builder_add_string_value(b, buf);
                }
                return 0;
        }

        case STRUCT_FIELD_TYPE_INT64_ARRAY: {
                const int64_t *a = *FIELD_CONST_PTR(s, f->offset, int64_t *);
                size_t n = a ? *FIELD_CONST_PTR(s, f->n_offset, size_t) : 0;

                json_builder_begin_array(b);
                for (size_t i = 0; i < n; i++)
                        json_builder_add_int_value(b, a[i]);
                json_builder_end_array(b);
                return 0;
        }

        case STRUCT_FIELD_TYPE_ENUM: {
                int v = *FIELD_CONST_PTR(s, f->offset, int);
                const char *name = f->to_string(v);

                if (!name)
                        return log_debug_errno(EINVAL, "Field \"%s\" holds %d, which has no name.",
                                               f->name, v);
                json_builder_add_string_value(b, name);
                return 0;
        }

        case STRUCT_FIELD_TYPE_OBJECT:
                json_builder_begin_object(b);
                r = struct_json_build(b, f->fields, FIELD_CONST_PTR(s, f->offset, uint8_t));
                if (r < 0)
                        return r;
                json_builder_end_object(b);
                return 0;

        case STRUCT_FIELD_TYPE_ARRAY: {
                const uint8_t *a = *FIELD_CONST_PTR(s, f->offset, uint8_t *);
                size_t n = a ? *FIELD_CONST_PTR(s, f->n_offset, size_t) : 0;

                json_builder_begin_array(b);
                for (size_t i = 0; i < n; i++) {
                        json_builder_begin_object(b);
                        r = struct_json_build(b, f->fields, a + i * f->size);
                        if (r < 0)
                                return r;
                        json_builder_end_object(b);
                }
                json_builder_end_array(b);
                return 0;
        }

        default:
                return -EINVAL;
        }
}

int struct_json_build(JsonBuilder *b, const StructField *fields, const void *s) {
        int r;

        for (const StructField *f = fields; f->name; f++) {
                r = build_field(b, f, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool node_holds(JsonNode *n, GType type) {
        return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == type;
}

static int parse_int(JsonNode *n, const char *name, int64_t min, int64_t max, int64_t *ret) {
        int64_t v;

        if (!node_holds(n, G_TYPE_INT64))
                return log_debug_errno(EBADMSG, "Field \"%s\" is not an integer.", name);
        v = json_node_get_int(n);
        if (v < min || v > max)
                return log_debug_errno(EBADMSG, "Field \"%s\" is out of range: %" PRIi64, name, v);
        *ret = v;
        return 0;
}

static int parse_uint64(JsonNode *n, const char *name, uint64_t *ret) {
        const char *s;
        char *end;
        uint64_t v;

        if (node_holds(n, G_TYPE_INT64)) {
                if (json_node_get_int(n) < 0)
                        return log_debug_errno(EBADMSG, "Field \"%s\" is negative.", name);
                *ret = (uint64_t) json_node_get_int(n);
                return 0;
        }
        if (!node_holds(n, G_TYPE_STRING))
                return log_debug_errno(EBADMSG, "Field \"%s\" is not an unsigned integer.", name);

        s = json_node_get_string(n);
        if (*s < '0' || *s > '9')
                return log_debug_errno(EBADMSG, "Field \"%s\" is not a decimal number.", name);
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return log_debug_errno(EBADMSG, "Field \"%s\" is not a 64-bit decimal number.", name);
        *ret = v;
        return 0;
}

static int parse_strv(JsonNode *n, const char *name, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        JsonArray *a;
        guint len;

        if (!JSON_NODE_HOLDS_ARRAY(n))
                return log_debug_errno(EBADMSG, "Field \"%s\" is not an array.", name);
        a = json_node_get_array(n);
        len = json_array_get_length(a);
        l = calloc(len + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (guint i = 0; i < len; i++) {
                JsonNode *e = json_array_get_element(a, i);

                if (!node_holds(e, G_TYPE_STRING))
                        return log_debug_errno(EBADMSG, "Field \"%s\" holds a non-string.", name);
                l[i] = strdup(json_node_get_string(e));
                if (!l[i])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int parse_pairs(JsonNode *n, const char *name, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        g_autoptr(GList) members = NULL;
        JsonObject *o;
        size_t i = 0;

        if (!JSON_NODE_HOLDS_OBJECT(n))
                return log_debug_errno(EBADMSG, "Field \"%s\" is not an object.", name);
        o = json_node_get_object(n);
        /* In the order written: json-glib keeps it, and keys are unique there. */
        members = json_object_get_members(o);
        l = calloc(2 * g_list_length(members) + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (GList *m = members; m; m = m->next) {
                JsonNode *v = json_object_get_member(o, m->data);

                if (!node_holds(v, G_TYPE_STRING))
                        return log_debug_errno(EBADMSG, "Field \"%s\" maps \"%s\" to a non-string.", name,
                                               (const char *) m->data);
                l[i] = strdup(m->data);
                if (!l[i++])
                        return -ENOMEM;
                l[i] = strdup(json_node_get_string(v));
                if (!l[i++])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int parse_int64_array(JsonNode *n, const char *name, int64_t **ret, size_t *ret_n) {
        _cleanup_free_ int64_t *a = NULL;
        JsonArray *array;
        guint len;
        int r;

        if (!JSON_NODE_HOLDS_ARRAY(n))
                return log_debug_errno(EBADMSG, "Field \"%s\" is not an array.", name);
        array = json_node_get_array(n);
        len = json_array_get_length(array);
        if (len == 0) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        a = calloc(len, sizeof(int64_t));
        if (!a)
                return -ENOMEM;
        for (guint i = 0; i < len; i++) {
                r = parse_int(json_array_get_element(array, i), name, INT64_MIN, INT64_MAX, &a[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(a);
        *ret_n = len;
        return 0;
}

static int parse_array(JsonNode *n, const StructField *f, void *s) {
        JsonArray *array;
        uint8_t *a;
        guint len;
        int r;

        if (!JSON_NODE_HOLDS_ARRAY(n))
                return log_debug_errno(EBADMSG, "Field \"%s\" is not an array.", f->name);
        array = json_node_get_array(n);
        len = json_array_get_length(array);
        if (len == 0)
                return 0;

        /* Stored at once, zeroed: whatever an element holds when a later one fails, the struct's
         * destructor frees it. */
        a = calloc(len, f->size);
        if (!a)
                return -ENOMEM;
        *FIELD_PTR(s, f->offset, uint8_t *) = a;
        *FIELD_PTR(s, f->n_offset, size_t) = len;

        for (guint i = 0; i < len; i++) {
                JsonNode *e = json_array_get_element(array, i);

                if (!JSON_NODE_HOLDS_OBJECT(e))
                        return log_debug_errno(EBADMSG, "Field \"%s\" holds a non-object.", f->name);
                r = struct_json_parse(json_node_get_object(e), f->fields, a + i * f->size);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_field(JsonNode *n, const StructField *f, void *s) {
        int64_t v;
        int r;

        switch (f->type) {

        case STRUCT_FIELD_TYPE_STRING: {
                const char *str;
                char *copy;

                if (!node_holds(n, G_TYPE_STRING))
                        return log_debug_errno(EBADMSG, "Field \"%s\" is not a string.", f->name);
                str = json_node_get_string(n);
                if (f->required && !*str)
                        return log_debug_errno(EBADMSG, "Field \"%s\" is empty.", f->name);
                copy = strdup(str);
                if (!copy)
                        return -ENOMEM;
                *FIELD_PTR(s, f->offset, char *) = copy;
                return 0;
        }

        case STRUCT_FIELD_TYPE_STRV:
                return parse_strv(n, f->name, FIELD_PTR(s, f->offset, char **));

        case STRUCT_FIELD_TYPE_PAIRS:
                return parse_pairs(n, f->name, FIELD_PTR(s, f->offset, char **));

        case STRUCT_FIELD_TYPE_BOOL:
                if (!node_holds(n, G_TYPE_BOOLEAN))
                        return log_debug_errno(EBADMSG, "Field \"%s\" is not a boolean.", f->name);
                *FIELD_PTR(s, f->offset, bool) = json_node_get_boolean(n);
                return 0;

        case STRUCT_FIELD_TYPE_INT:
                r = parse_int(n, f->name, INT_MIN, INT_MAX, &v);
                if (r < 0)
                        return r;
                *FIELD_PTR(s, f->offset, int) = (int) v;
                return 0;

        case STRUCT_FIELD_TYPE_UINT16:
                r = parse_int(n, f->name, 0, UINT16_MAX, &v);
                if (r < 0)
                        return r;
                *FIELD_PTR(s, f->offset, uint16_t) = (uint16_t) v;
                return 0;

        case STRUCT_FIELD_TYPE_UINT32:
                r = parse_int(n, f->name, 0, UINT32_MAX, &v);
                if (r < 0)
                        return r;
                *FIELD_PTR(s, f->offset, uint32_t) = (uint32_t) v;
                return 0;

        case STRUCT_FIELD_TYPE_INT64:
                return parse_int(n, f->name, INT64_MIN, INT64_MAX, FIELD_PTR(s, f->offset, int64_t));

        case STRUCT_FIELD_TYPE_UINT64:
                return parse_uint64(n, f->name, FIELD_PTR(s, f->offset, uint64_t));

        case STRUCT_FIELD_TYPE_INT64_ARRAY:
                return parse_int64_array(n, f->name, FIELD_PTR(s, f->offset, int64_t *),
                                         FIELD_PTR(s, f->n_offset, size_t));

        case STRUCT_FIELD_TYPE_ENUM: {
                int e;

                if (!node_holds(n, G_TYPE_STRING))
                        return log_debug_errno(EBADMSG, "Field \"%s\" is not a string.", f->name);
                e = f->from_string(json_node_get_string(n));
                if (e < 0)
                        return log_debug_errno(EBADMSG, "Field \"%s\" has an unknown value \"%s\".", f->name,
                                               json_node_get_string(n));
                *FIELD_PTR(s, f->offset, int) = e;
                return 0;
        }

        case STRUCT_FIELD_TYPE_OBJECT:
                if (!JSON_NODE_HOLDS_OBJECT(n))
                        return log_debug_errno(EBADMSG, "Field \"%s\" is not an object.", f->name);
                return struct_json_parse(json_node_get_object(n), f->fields,
                                         FIELD_PTR(s, f->offset, uint8_t));

        case STRUCT_FIELD_TYPE_ARRAY:
                return parse_array(n, f, s);

        default:
                return -EINVAL;
        }
}

int struct_json_parse(JsonObject *o, const StructField *fields, void *s) {
        int r;

        for (const StructField *f = fields; f->name; f++) {
                JsonNode *n = json_object_get_member(o, f->name);

                if (!n || JSON_NODE_HOLDS_NULL(n)) {
                        if (f->required)
                                return log_debug_errno(EBADMSG, "Field \"%s\" is missing.", f->name);
                        /* null is "unset" only where the field can be unset: pointers and structs. */
                        if (n && !IN_SET(f->type, STRUCT_FIELD_TYPE_STRING, STRUCT_FIELD_TYPE_STRV,
                                         STRUCT_FIELD_TYPE_PAIRS, STRUCT_FIELD_TYPE_INT64_ARRAY,
                                         STRUCT_FIELD_TYPE_OBJECT, STRUCT_FIELD_TYPE_ARRAY))
                                return log_debug_errno(EBADMSG, "Field \"%s\" is null.", f->name);
                        continue;
                }

                r = parse_field(n, f, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

int struct_json_builder_to_string(JsonBuilder *b, char **ret) {
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = json_builder_get_root(b);
        g_autofree char *text = NULL;
        char *copy;

        if (!root)
                return -EINVAL;
        json_generator_set_root(gen, root);
        text = json_generator_to_data(gen, NULL);
        if (!text)
                return -ENOMEM;
        /* GLib memory stays with GLib: hand out a libc copy. */
        copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

int struct_json_parse_object(const char *json, size_t size, JsonParser **ret_parser,
                             JsonObject **ret_object) {
        g_autoptr(JsonParser) parser = json_parser_new_immutable();
        g_autoptr(GError) error = NULL;
        JsonNode *root;

        if (!json || size > G_MAXSSIZE)
                return -EBADMSG;
        if (!json_parser_load_from_data(parser, json, (gssize) size, &error))
                return log_debug_errno(EBADMSG, "Not JSON: %s", error->message);
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return log_debug_errno(EBADMSG, "Not a JSON object.");

        *ret_object = json_node_get_object(root);
        *ret_parser = TAKE_PTR(parser);
        return 0;
}
