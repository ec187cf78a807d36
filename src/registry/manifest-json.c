/* SPDX-License-Identifier: Apache-2.0 */

/* The JSON side of manifest.h: json-glib stays in this file. */

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "reference.h"
#include "registry-util.h"

static JsonObject *parse_object(JsonParser *parser, const char *body, size_t size) {
        JsonNode *root;

        if (size > MANIFEST_SIZE_MAX)
                return NULL;
        if (!json_parser_load_from_data(parser, body, (gssize) size, NULL))
                return NULL;
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return NULL;
        return json_node_get_object(root);
}

/* A string member, or NULL when missing; *ok turns false when present with another type. */
static const char *get_string(JsonObject *o, const char *name, bool *ok) {
        JsonNode *n = json_object_get_member(o, name);

        if (!n || JSON_NODE_HOLDS_NULL(n))
                return NULL;
        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
                *ok = false;
                return NULL;
        }
        return json_node_get_string(n);
}

static JsonArray *get_array(JsonObject *o, const char *name, bool *ok) {
        JsonNode *n = json_object_get_member(o, name);

        if (!n || JSON_NODE_HOLDS_NULL(n))
                return NULL;
        if (!JSON_NODE_HOLDS_ARRAY(n)) {
                *ok = false;
                return NULL;
        }
        return json_node_get_array(n);
}

static bool is_known_type(const char *t) {
        return t && (streq(t, MEDIA_TYPE_DOCKER_MANIFEST) || streq(t, MEDIA_TYPE_DOCKER_MANIFEST_LIST) ||
                     streq(t, MEDIA_TYPE_OCI_MANIFEST) || streq(t, MEDIA_TYPE_OCI_INDEX));
}

static ManifestKind kind_of(const char *t) {
        if (streq(t, MEDIA_TYPE_DOCKER_MANIFEST_LIST) || streq(t, MEDIA_TYPE_OCI_INDEX))
                return MANIFEST_KIND_INDEX;
        return MANIFEST_KIND_IMAGE;
}

/* Content-Type may carry parameters ("; charset=utf-8"). */
static char *content_type_base(const char *content_type) {
        size_t n;

        if (!content_type)
                return NULL;
        n = strcspn(content_type, "; \t");
        return strndup(content_type, n);
}

static int detect(JsonObject *o, const char *content_type, ManifestKind *ret_kind, const char **ret_media_type) {
        _cleanup_free_ char *ct = content_type_base(content_type);
        const char *own, *chosen;
        bool ok = true;
        JsonNode *n;
        int schema;

        own = get_string(o, "mediaType", &ok);
        if (!ok)
                return -EBADMSG;
        n = json_object_get_member(o, "schemaVersion");
        schema = n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 ?
                (int) json_node_get_int(n) : 0;
        if (schema == 1 || (ct && (streq(ct, MEDIA_TYPE_DOCKER_MANIFEST_V1) ||
                                   streq(ct, MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED))))
                return -EPROTONOSUPPORT;
        if (schema != 2)
                return -EBADMSG;

        if (own && *own) {
                if (!is_known_type(own))
                        return -EBADMSG;
                /* The body's own type must agree with the header when both are ours. */
                if (is_known_type(ct) && !streq(ct, own))
                        return -EBADMSG;
                chosen = own;
        } else if (is_known_type(ct))
                chosen = ct;
        else if (json_object_has_member(o, "manifests"))
                chosen = MEDIA_TYPE_OCI_INDEX;
        else if (json_object_has_member(o, "layers") || json_object_has_member(o, "config"))
                chosen = MEDIA_TYPE_OCI_MANIFEST;
        else
                return -EBADMSG;

        /* A docker type always names itself in the body; only OCI may leave it out. */
        if (!own && startswith(chosen, "application/vnd.docker."))
                return -EBADMSG;

        *ret_kind = kind_of(chosen);
        *ret_media_type = streq(chosen, MEDIA_TYPE_DOCKER_MANIFEST) ? MEDIA_TYPE_DOCKER_MANIFEST :
                          streq(chosen, MEDIA_TYPE_DOCKER_MANIFEST_LIST) ? MEDIA_TYPE_DOCKER_MANIFEST_LIST :
                          streq(chosen, MEDIA_TYPE_OCI_MANIFEST) ? MEDIA_TYPE_OCI_MANIFEST : MEDIA_TYPE_OCI_INDEX;
        return 0;
}

int manifest_detect(const char *body, size_t size, const char *content_type, ManifestKind *ret_kind,
                    char **ret_media_type) {
        g_autoptr(JsonParser) parser = json_parser_new();
        const char *media_type;
        ManifestKind kind;
        JsonObject *o;
        int r;

        o = parse_object(parser, body, size);
        if (!o)
                return -EBADMSG;
        r = detect(o, content_type, &kind, &media_type);
        if (r < 0)
                return r;
        if (ret_media_type) {
                *ret_media_type = strdup(media_type);
                if (!*ret_media_type)
                        return -ENOMEM;
        }
        *ret_kind = kind;
        return 0;
}

static int parse_descriptor(JsonNode *n, Descriptor *d) {
        const char *media_type, *digest;
        JsonObject *o;
        JsonNode *size;
        bool ok = true;

        if (!n || !JSON_NODE_HOLDS_OBJECT(n))
                return -EBADMSG;
        o = json_node_get_object(n);
        media_type = get_string(o, "mediaType", &ok);
        digest = get_string(o, "digest", &ok);
        size = json_object_get_member(o, "size");
        if (!ok || !reference_digest_is_valid(digest))
                return -EBADMSG;
        if (!size || !JSON_NODE_HOLDS_VALUE(size) || json_node_get_value_type(size) != G_TYPE_INT64 ||
            json_node_get_int(size) < 0)
                return -EBADMSG;

        d->digest = strdup(digest);
        d->media_type = media_type ? strdup(media_type) : NULL;
        d->size = (uint64_t) json_node_get_int(size);
        if (!d->digest || (media_type && !d->media_type))
                return -ENOMEM;
        return 0;
}

int manifest_parse(const char *body, size_t size, const char *content_type, Manifest **ret) {
        g_autoptr(JsonParser) parser = json_parser_new();
        _cleanup_(manifest_freep) Manifest *m = NULL;
        const char *media_type;
        ManifestKind kind;
        JsonArray *layers;
        JsonObject *o;
        bool ok = true;
        int r;

        o = parse_object(parser, body, size);
        if (!o)
                return -EBADMSG;
        r = detect(o, content_type, &kind, &media_type);
        if (r < 0)
                return r;
        if (kind != MANIFEST_KIND_IMAGE)
                return -EMEDIUMTYPE;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->media_type = strdup(media_type);
        if (!m->media_type)
                return -ENOMEM;
        r = parse_descriptor(json_object_get_member(o, "config"), &m->config);
        if (r < 0)
                return r;
        layers = get_array(o, "layers", &ok);
        if (!ok || !layers)
                return -EBADMSG;
        m->layers = calloc(json_array_get_length(layers), sizeof(Descriptor));
        if (!m->layers && json_array_get_length(layers) > 0)
                return -ENOMEM;
        for (guint i = 0; i < json_array_get_length(layers); i++) {
                r = parse_descriptor(json_array_get_element(layers, i), &m->layers[i]);
                m->n_layers++;
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(m);
        return 0;
}

static int parse_platform(JsonNode *n, Platform *p) {
        const char *os, *arch, *variant;
        JsonObject *o;
        bool ok = true;

        if (!JSON_NODE_HOLDS_OBJECT(n))
                return -EBADMSG;
        o = json_node_get_object(n);
        os = get_string(o, "os", &ok);
        arch = get_string(o, "architecture", &ok);
        variant = get_string(o, "variant", &ok);
        if (!ok || !os || !arch)
                return -EBADMSG;
        p->os = strdup(os);
        p->architecture = strdup(arch);
        p->variant = variant && *variant ? strdup(variant) : NULL;
        if (!p->os || !p->architecture || (variant && *variant && !p->variant))
                return -ENOMEM;
        return 0;
}

int index_parse(const char *body, size_t size, const char *content_type, Index **ret) {
        g_autoptr(JsonParser) parser = json_parser_new();
        _cleanup_(index_freep) Index *idx = NULL;
        const char *media_type;
        ManifestKind kind;
        JsonArray *manifests;
        JsonObject *o;
        bool ok = true;
        int r;

        o = parse_object(parser, body, size);
        if (!o)
                return -EBADMSG;
        r = detect(o, content_type, &kind, &media_type);
        if (r < 0)
                return r;
        if (kind != MANIFEST_KIND_INDEX)
                return -EMEDIUMTYPE;

        idx = calloc(1, sizeof(*idx));
        if (!idx)
                return -ENOMEM;
        idx->media_type = strdup(media_type);
        if (!idx->media_type)
                return -ENOMEM;
        manifests = get_array(o, "manifests", &ok);
        if (!ok || !manifests)
                return -EBADMSG;
        idx->manifests = calloc(json_array_get_length(manifests), sizeof(IndexEntry));
        if (!idx->manifests && json_array_get_length(manifests) > 0)
                return -ENOMEM;
        for (guint i = 0; i < json_array_get_length(manifests); i++) {
                JsonNode *n = json_array_get_element(manifests, i), *platform;
                IndexEntry *e = &idx->manifests[idx->n_manifests++];

                r = parse_descriptor(n, &e->descriptor);
                if (r < 0)
                        return r;
                platform = json_object_get_member(json_node_get_object(n), "platform");
                if (platform && !JSON_NODE_HOLDS_NULL(platform)) {
                        r = parse_platform(platform, &e->platform);
                        if (r < 0)
                                return r;
                        e->has_platform = true;
                }
        }
        *ret = TAKE_PTR(idx);
        return 0;
}
