/* SPDX-License-Identifier: Apache-2.0 */

/* The JSON serialization of the configuration. GLib stays inside this file: what leaves it is
 * malloc()ed memory and a negative errno. */

#include <json-glib/json-glib.h>
#include <string.h>

#include "config-json.h"

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

int config_to_json(const Config *c, char **ret) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);

        add_string(b, "root", c->root);
        add_string(b, "runroot", c->runroot);
        add_string(b, "storage_driver", c->storage_driver);
        add_string(b, "log_dir", c->log_dir);

        json_builder_set_member_name(b, "api");
        json_builder_begin_object(b);
        add_string(b, "listen", c->listen);
        add_int(b, "grpc_max_send_msg_size", (int64_t) c->grpc_max_send_msg_size);
        add_int(b, "grpc_max_recv_msg_size", (int64_t) c->grpc_max_recv_msg_size);
        json_builder_end_object(b);

        json_builder_set_member_name(b, "runtime");
        json_builder_begin_object(b);
        add_string(b, "log_level", c->log_level);
        add_string(b, "default_runtime", c->default_runtime);
        add_string(b, "cgroup_manager", c->cgroup_manager);
        add_string(b, "conmon", c->conmon);
        json_builder_end_object(b);

        json_builder_set_member_name(b, "image");
        json_builder_begin_object(b);
        add_string(b, "pause_image", c->pause_image);
        json_builder_end_object(b);

        json_builder_set_member_name(b, "network");
        json_builder_begin_object(b);
        add_string(b, "network_dir", c->network_dir);
        json_builder_set_member_name(b, "plugin_dirs");
        json_builder_begin_array(b);
        for (char **d = c->plugin_dirs; d && *d; d++)
                json_builder_add_string_value(b, *d);
        json_builder_end_array(b);
        json_builder_end_object(b);

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
        add_string(b, "storage_image", "");
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
