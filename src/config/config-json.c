/* SPDX-License-Identifier: Apache-2.0 */

/* The JSON serialization of the configuration. GLib stays inside this file: what leaves it is
 * malloc()ed memory and a negative errno. */

#include <json-glib/json-glib.h>
#include <string.h>

#include "config-json.h"
#include "config-schema.h"

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

static void add_string(JsonBuilder *b, const char *key, const char *value) {
        json_builder_set_member_name(b, key);
        json_builder_add_string_value(b, value ?: "");
}

static void add_int(JsonBuilder *b, const char *key, int64_t value) {
        json_builder_set_member_name(b, key);
        json_builder_add_int_value(b, value);
}

static void add_value(JsonBuilder *b, const ConfigKey *k, const void *object) {
        ConfigValue v = config_value_peek(k, (const uint8_t *) object + k->offset);
        char buf[DURATION_MAX_STRING];

        json_builder_set_member_name(b, k->name);
        switch (k->type) {
        case CONFIG_TYPE_STRING:
                json_builder_add_string_value(b, v.string ?: "");
                break;
        case CONFIG_TYPE_BOOLEAN:
                json_builder_add_boolean_value(b, v.boolean);
                break;
        case CONFIG_TYPE_INTEGER:
                json_builder_add_int_value(b, v.integer);
                break;
        case CONFIG_TYPE_DURATION:
                json_builder_add_string_value(b, duration_format(v.integer, buf, sizeof buf));
                break;
        case CONFIG_TYPE_STRV:
                json_builder_begin_array(b);
                for (char **s = v.strv; s && *s; s++)
                        json_builder_add_string_value(b, *s);
                json_builder_end_array(b);
                break;
        case CONFIG_TYPE_MAP:
                json_builder_begin_object(b);
                for (size_t i = 0; v.strv && v.strv[i] && v.strv[i + 1]; i += 2)
                        add_string(b, v.strv[i], v.strv[i + 1]);
                json_builder_end_object(b);
                break;
        default:
                json_builder_add_null_value(b);
        }
}

/* The keys of one scope and relative table, as members of the open object. */
static void add_keys(JsonBuilder *b, ConfigScope scope, const char *table, const void *object) {
        for (size_t i = 0; i < config_keys_count; i++) {
                const ConfigKey *k = config_keys + i;

                if (k->scope == scope && !(k->flags & CONFIG_ALIAS) && strcmp(k->table, table) == 0)
                        add_value(b, k, object);
        }
}

static void add_table(JsonBuilder *b, const Config *c, const char *table);

static void add_named(JsonBuilder *b, ConfigScope scope, const char *name, const void *object) {
        json_builder_set_member_name(b, name);
        json_builder_begin_object(b);
        add_keys(b, scope, "", object);
        if (scope == CONFIG_SCOPE_WORKLOAD) {
                json_builder_set_member_name(b, "resources");
                json_builder_begin_object(b);
                add_keys(b, scope, "resources", object);
                json_builder_end_object(b);
        }
        json_builder_end_object(b);
}

/* A table's keys, then its known subtables nested under their last name part. */
static void add_table(JsonBuilder *b, const Config *c, const char *table) {
        size_t len = strlen(table);

        add_keys(b, CONFIG_SCOPE_GLOBAL, table, c);
        for (size_t t = 0; t < config_tables_count; t++) {
                const char *sub = config_tables[t];

                if (strncmp(sub, table, len) != 0 || sub[len] != '.' || strchr(sub + len + 1, '.'))
                        continue;
                json_builder_set_member_name(b, sub + len + 1);
                json_builder_begin_object(b);
                add_table(b, c, sub);
                json_builder_end_object(b);
        }
        if (strcmp(table, "crio.runtime") == 0) {
                json_builder_set_member_name(b, "runtimes");
                json_builder_begin_object(b);
                for (size_t i = 0; i < c->n_runtimes; i++)
                        add_named(b, CONFIG_SCOPE_RUNTIME, c->runtimes[i]->name, c->runtimes[i]);
                json_builder_end_object(b);
                json_builder_set_member_name(b, "workloads");
                json_builder_begin_object(b);
                for (size_t i = 0; i < c->n_workloads; i++)
                        add_named(b, CONFIG_SCOPE_WORKLOAD, c->workloads[i]->name, c->workloads[i]);
                json_builder_end_object(b);
        }
}

int config_to_json(const Config *c, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        add_table(b, c, "crio");
        json_builder_end_object(b);
        return builder_to_string(b, ret);
}

static void add_full_range_mapping(JsonBuilder *b, const char *key) {
        json_builder_set_member_name(b, key);
        json_builder_begin_array(b);
        json_builder_begin_object(b);
        add_int(b, "container_id", 0);
        add_int(b, "host_id", 0);
        add_int(b, "size", 4294967295LL);
        json_builder_end_object(b);
        json_builder_end_array(b);
}

int config_info_to_json(const Config *c, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        add_string(b, "storage_driver", c->storage_driver);
        add_string(b, "storage_image", c->imagestore);
        add_string(b, "storage_root", c->root);
        add_string(b, "cgroup_driver", c->cgroup_manager);

        /* Without user namespace remapping, the identity mapping of the whole ID range. */
        json_builder_set_member_name(b, "default_id_mappings");
        json_builder_begin_object(b);
        add_full_range_mapping(b, "uids");
        add_full_range_mapping(b, "gids");
        json_builder_end_object(b);

        json_builder_end_object(b);
        return builder_to_string(b, ret);
}
