/* SPDX-License-Identifier: Apache-2.0 */

/* GLib stays inside this file: what leaves it is malloc()ed memory and a negative errno. */

#include <json-glib/json-glib.h>
#include <string.h>

#include "digest.h"
#include "image-json.h"
#include "strv.h"
#include "log.h"

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

static int dup_string(JsonNode *n, char **ret) {
        const char *s;
        char *c;

        if (!n || JSON_NODE_HOLDS_NULL(n)) {
                *ret = NULL;
                return 0;
        }
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
                return -EBADMSG;
        s = json_node_get_string(n);
        c = strdup(s ?: "");
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

static int member_string(JsonObject *o, const char *key, char **ret) {
        return dup_string(o ? json_object_get_member(o, key) : NULL, ret);
}

/* A string array; null or absent gives NULL, which differs from an empty array. */
static int member_strv(JsonObject *o, const char *key, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        JsonNode *n = o ? json_object_get_member(o, key) : NULL;
        JsonArray *a;
        guint len;

        if (!n || JSON_NODE_HOLDS_NULL(n)) {
                *ret = NULL;
                return 0;
        }
        if (!JSON_NODE_HOLDS_ARRAY(n))
                return -EBADMSG;
        a = json_node_get_array(n);
        len = json_array_get_length(a);
        l = calloc(len + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (guint i = 0; i < len; i++) {
                int r = dup_string(json_array_get_element(a, i), &l[i]);
                if (r < 0)
                        return r;
                if (!l[i])
                        return -EBADMSG;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* The keys of an object ({"/data": {}} for volumes and ports), sorted for a stable order. */
static int member_keys(JsonObject *o, const char *key, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        JsonNode *n = o ? json_object_get_member(o, key) : NULL;
        GList *members;
        int r = 0;

        if (!n || JSON_NODE_HOLDS_NULL(n)) {
                *ret = NULL;
                return 0;
        }
        if (!JSON_NODE_HOLDS_OBJECT(n))
                return -EBADMSG;
        members = json_object_get_members(json_node_get_object(n));
        members = g_list_sort(members, (GCompareFunc) strcmp);
        l = calloc(1, sizeof(char *));
        if (!l)
                r = -ENOMEM;
        for (GList *i = members; r >= 0 && i; i = i->next)
                r = strv_push(&l, i->data);
        g_list_free(members);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

/* Labels as key, value pairs, sorted by key. */
static int member_map(JsonObject *o, const char *key, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        JsonNode *n = o ? json_object_get_member(o, key) : NULL;
        JsonObject *m;
        GList *members;
        int r = 0;

        if (!n || JSON_NODE_HOLDS_NULL(n)) {
                *ret = NULL;
                return 0;
        }
        if (!JSON_NODE_HOLDS_OBJECT(n))
                return -EBADMSG;
        m = json_node_get_object(n);
        members = g_list_sort(json_object_get_members(m), (GCompareFunc) strcmp);
        l = calloc(1, sizeof(char *));
        if (!l)
                r = -ENOMEM;
        for (GList *i = members; r >= 0 && i; i = i->next) {
                _cleanup_free_ char *v = NULL;

                r = dup_string(json_object_get_member(m, i->data), &v);
                if (r >= 0 && !v)
                        r = -EBADMSG;
                if (r >= 0)
                        r = strv_push(&l, i->data);
                if (r >= 0)
                        r = strv_push(&l, v);
        }
        g_list_free(members);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

static JsonObject *member_object(JsonObject *o, const char *key, int *error) {
        JsonNode *n = json_object_get_member(o, key);

        if (!n || JSON_NODE_HOLDS_NULL(n))
                return NULL;
        if (!JSON_NODE_HOLDS_OBJECT(n)) {
                *error = -EBADMSG;
                return NULL;
        }
        return json_node_get_object(n);
}

/* Reads the runtime part ("config") of an image config, in the Docker spelling OCI kept. */
static int parse_runtime_config(JsonObject *c, ImageConfig *ic) {
        int r;

        if ((r = member_string(c, "User", &ic->user)) < 0 ||
            (r = member_strv(c, "Env", &ic->env)) < 0 ||
            (r = member_strv(c, "Entrypoint", &ic->entrypoint)) < 0 ||
            (r = member_strv(c, "Cmd", &ic->cmd)) < 0 ||
            (r = member_string(c, "WorkingDir", &ic->working_dir)) < 0 ||
            (r = member_map(c, "Labels", &ic->labels)) < 0 ||
            (r = member_keys(c, "Volumes", &ic->volumes)) < 0 ||
            (r = member_keys(c, "ExposedPorts", &ic->exposed_ports)) < 0 ||
            (r = member_string(c, "StopSignal", &ic->stop_signal)) < 0)
                return r;
        return 0;
}

int image_config_from_json(const char *json, size_t size, ImageConfig *ret) {
        g_autoptr(JsonParser) parser = NULL;
        ImageConfig ic = {};
        JsonObject *o, *c, *rootfs;
        JsonNode *root;
        int r, error = 0;

        r = parse_root(json, size, &parser, &root);
        if (r < 0)
                return r;
        if (!JSON_NODE_HOLDS_OBJECT(root))
                return -EBADMSG;
        o = json_node_get_object(root);

        c = member_object(o, "config", &error);
        rootfs = member_object(o, "rootfs", &error);
        if (error < 0)
                return error;

        if ((r = member_string(o, "created", &ic.created)) < 0 ||
            (r = member_string(o, "author", &ic.author)) < 0 ||
            (r = member_string(o, "architecture", &ic.architecture)) < 0 ||
            (r = member_string(o, "os", &ic.os)) < 0 ||
            (r = member_string(o, "variant", &ic.variant)) < 0 ||
            (r = parse_runtime_config(c, &ic)) < 0 ||
            (r = member_strv(rootfs, "diff_ids", &ic.diff_ids)) < 0)
                goto fail;

        for (char **d = ic.diff_ids; d && *d; d++)
                if (!digest_is_valid(*d)) {
                        r = log_debug_errno(EBADMSG, "Image config names invalid diff id %s.", *d);
                        goto fail;
                }
        *ret = ic;
        return 0;

fail:
        image_config_done(&ic);
        return r;
}

/* The store's own files. Member names follow containers/storage's spelling where it has one. */

static void add_string(JsonBuilder *b, const char *key, const char *value) {
        if (!value)
                return;
        json_builder_set_member_name(b, key);
        json_builder_add_string_value(b, value);
}

static void add_strv(JsonBuilder *b, const char *key, char *const *l) {
        if (!l)
                return;
        json_builder_set_member_name(b, key);
        json_builder_begin_array(b);
        for (char *const *i = l; *i; i++)
                json_builder_add_string_value(b, *i);
        json_builder_end_array(b);
}

static void add_uint(JsonBuilder *b, const char *key, uint64_t value) {
        json_builder_set_member_name(b, key);
        json_builder_add_int_value(b, (gint64) MIN(value, (uint64_t) INT64_MAX));
}

static int builder_to_string(JsonBuilder *b, char **ret) {
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = json_builder_get_root(b);
        g_autofree char *text = NULL;
        char *copy;

        json_generator_set_root(gen, root);
        text = json_generator_to_data(gen, NULL);
        if (!text)
                return -ENOMEM;
        copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

static void add_config(JsonBuilder *b, const ImageConfig *c) {
        json_builder_set_member_name(b, "config");
        json_builder_begin_object(b);
        add_string(b, "user", c->user);
        add_strv(b, "env", c->env);
        add_strv(b, "entrypoint", c->entrypoint);
        add_strv(b, "cmd", c->cmd);
        add_string(b, "working-dir", c->working_dir);
        add_strv(b, "labels", c->labels);
        add_strv(b, "volumes", c->volumes);
        add_strv(b, "exposed-ports", c->exposed_ports);
        add_string(b, "stop-signal", c->stop_signal);
        add_string(b, "created", c->created);
        add_string(b, "author", c->author);
        add_string(b, "architecture", c->architecture);
        add_string(b, "os", c->os);
        add_string(b, "variant", c->variant);
        add_strv(b, "diff-ids", c->diff_ids);
        json_builder_end_object(b);
}

int image_records_to_json(ImageRecord *const *records, size_t n, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_array(b);
        for (size_t i = 0; i < n; i++) {
                const ImageRecord *r = records[i];

                json_builder_begin_object(b);
                add_string(b, "id", r->id);
                add_string(b, "digest", r->config_digest);
                add_strv(b, "names", r->names);
                add_strv(b, "repo-digests", r->repo_digests);
                add_strv(b, "manifest-digests", r->manifest_digests);
                add_strv(b, "layers", r->layers);
                add_uint(b, "size", r->size);
                add_uint(b, "added", r->added_usec);
                json_builder_set_member_name(b, "pinned");
                json_builder_add_boolean_value(b, r->pinned);
                add_config(b, &r->config);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        return builder_to_string(b, ret);
}

static int member_uint(JsonObject *o, const char *key, uint64_t *ret) {
        JsonNode *n = json_object_get_member(o, key);

        if (!n) {
                *ret = 0;
                return 0;
        }
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 || json_node_get_int(n) < 0)
                return -EBADMSG;
        *ret = (uint64_t) json_node_get_int(n);
        return 0;
}

static int record_from_object(JsonObject *o, ImageRecord **ret) {
        _cleanup_(image_record_freep) ImageRecord *rec = NULL;
        _cleanup_free_ char *digest = NULL;
        JsonObject *c;
        JsonNode *pinned;
        int r, error = 0;

        r = member_string(o, "digest", &digest);
        if (r < 0)
                return r;
        r = image_record_new(digest, &rec);
        if (r < 0)
                return r == -EINVAL ? -EBADMSG : r;

        c = member_object(o, "config", &error);
        if (error < 0)
                return error;
        if ((r = member_strv(o, "names", &rec->names)) < 0 ||
            (r = member_strv(o, "repo-digests", &rec->repo_digests)) < 0 ||
            (r = member_strv(o, "manifest-digests", &rec->manifest_digests)) < 0 ||
            (r = member_strv(o, "layers", &rec->layers)) < 0 ||
            (r = member_uint(o, "size", &rec->size)) < 0 ||
            (r = member_uint(o, "added", &rec->added_usec)) < 0)
                return r;
        pinned = json_object_get_member(o, "pinned");
        if (pinned) {
                if (!JSON_NODE_HOLDS_VALUE(pinned) || json_node_get_value_type(pinned) != G_TYPE_BOOLEAN)
                        return -EBADMSG;
                rec->pinned = json_node_get_boolean(pinned);
        }
        for (char **l = rec->layers; l && *l; l++)
                if (!digest_is_valid(*l))
                        return -EBADMSG;
        for (char **l = rec->manifest_digests; l && *l; l++)
                if (!digest_is_valid(*l))
                        return -EBADMSG;

        if (c) {
                ImageConfig *ic = &rec->config;

                if ((r = member_string(c, "user", &ic->user)) < 0 ||
                    (r = member_strv(c, "env", &ic->env)) < 0 ||
                    (r = member_strv(c, "entrypoint", &ic->entrypoint)) < 0 ||
                    (r = member_strv(c, "cmd", &ic->cmd)) < 0 ||
                    (r = member_string(c, "working-dir", &ic->working_dir)) < 0 ||
                    (r = member_strv(c, "labels", &ic->labels)) < 0 ||
                    (r = member_strv(c, "volumes", &ic->volumes)) < 0 ||
                    (r = member_strv(c, "exposed-ports", &ic->exposed_ports)) < 0 ||
                    (r = member_string(c, "stop-signal", &ic->stop_signal)) < 0 ||
                    (r = member_string(c, "created", &ic->created)) < 0 ||
                    (r = member_string(c, "author", &ic->author)) < 0 ||
                    (r = member_string(c, "architecture", &ic->architecture)) < 0 ||
                    (r = member_string(c, "os", &ic->os)) < 0 ||
                    (r = member_string(c, "variant", &ic->variant)) < 0 ||
                    (r = member_strv(c, "diff-ids", &ic->diff_ids)) < 0)
                        return r;
                if (strv_length(ic->labels) % 2 != 0)
                        return -EBADMSG;
        }
        *ret = TAKE_PTR(rec);
        return 0;
}

/* Parses an array of objects, one item at a time through parse_one. */
static int parse_array(const char *json, size_t size, int (*parse_one)(JsonObject *o, void **ret),
                       void (*free_one)(void *p), void ***ret, size_t *ret_n) {
        g_autoptr(JsonParser) parser = NULL;
        JsonNode *root;
        JsonArray *a;
        void **items;
        guint len;
        int r;

        r = parse_root(json, size, &parser, &root);
        if (r < 0)
                return r;
        if (!JSON_NODE_HOLDS_ARRAY(root))
                return -EBADMSG;
        a = json_node_get_array(root);
        len = json_array_get_length(a);
        items = calloc(len + 1, sizeof(void *));
        if (!items)
                return -ENOMEM;
        for (guint i = 0; i < len; i++) {
                JsonNode *n = json_array_get_element(a, i);

                r = JSON_NODE_HOLDS_OBJECT(n) ? parse_one(json_node_get_object(n), &items[i]) : -EBADMSG;
                if (r < 0) {
                        for (guint j = 0; j < i; j++)
                                free_one(items[j]);
                        free(items);
                        return r;
                }
        }
        *ret = items;
        *ret_n = len;
        return 0;
}

static int record_parse_one(JsonObject *o, void **ret) {
        return record_from_object(o, (ImageRecord **) ret);
}

static void record_free_one(void *p) {
        image_record_free(p);
}

int image_records_from_json(const char *json, size_t size, ImageRecord ***ret, size_t *ret_n) {
        return parse_array(json, size, record_parse_one, record_free_one, (void ***) ret, ret_n);
}

int image_layers_to_json(ImageLayer *const *layers, size_t n, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_array(b);
        for (size_t i = 0; i < n; i++) {
                const ImageLayer *l = layers[i];

                json_builder_begin_object(b);
                add_string(b, "id", l->id);
                add_string(b, "diff-digest", l->diff_id);
                add_uint(b, "diff-size", l->size);
                add_string(b, "compressed-diff-digest", l->compressed_digest);
                add_uint(b, "compressed-size", l->compressed_size);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        return builder_to_string(b, ret);
}

static int layer_parse_one(JsonObject *o, void **ret) {
        _cleanup_(image_layer_freep) ImageLayer *l = NULL;
        _cleanup_free_ char *diff_id = NULL;
        int r;

        r = member_string(o, "diff-digest", &diff_id);
        if (r < 0)
                return r;
        r = image_layer_new(diff_id, &l);
        if (r < 0)
                return r == -EINVAL ? -EBADMSG : r;
        if ((r = member_uint(o, "diff-size", &l->size)) < 0 ||
            (r = member_string(o, "compressed-diff-digest", &l->compressed_digest)) < 0 ||
            (r = member_uint(o, "compressed-size", &l->compressed_size)) < 0)
                return r;
        if (l->compressed_digest && !digest_is_valid(l->compressed_digest))
                return -EBADMSG;
        *ret = TAKE_PTR(l);
        return 0;
}

static void layer_free_one(void *p) {
        image_layer_free(p);
}

int image_layers_from_json(const char *json, size_t size, ImageLayer ***ret, size_t *ret_n) {
        return parse_array(json, size, layer_parse_one, layer_free_one, (void ***) ret, ret_n);
}
