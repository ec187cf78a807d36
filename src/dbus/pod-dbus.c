/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "pod-dbus.h"

const char *const pod_dbus_states[] = { "ready", "notready", NULL };

/* The id is the last element of the path, so it is read from there, whatever object the finder
 * hands over. */
static int property_get_id(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *id = NULL;
        int r;

        r = bus_path_to_id(path, BUS_POD_PREFIX, &id);
        if (r < 0)
                return r;
        return sd_bus_message_append(reply, "s", r > 0 ? id : "");
}

/* TODO(pods): Name, Namespace, Uid, Attempt, State, CreatedAt, Slice, Ips, Labels, Annotations,
 * RuntimeHandler, HostNetwork, Containers, by offsetof() into the Pod the finder returns. */
const sd_bus_vtable pod_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", property_get_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END
};

int pod_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                    sd_bus_error *error) {
        _cleanup_free_ char *id = NULL;
        int r;

        r = bus_path_to_id(path, BUS_POD_PREFIX, &id);
        if (r <= 0)
                return r;
        /* TODO(pods): look the full id up among the manager's pods and hand the Pod over. */
        return 0;
}

int pod_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        char **l;

        /* TODO(pods): one bus_pod_path() per pod. */
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        *nodes = l;
        return 0;
}

int pod_dbus_append_list(Manager *m, const BusListFilter *filter, sd_bus_message *reply) {
        /* TODO(pods): append (id, name, namespace, uid, state, slice, path) for each pod matching
         * filter->state and bus_list_filter_match_labels(). */
        return 0;
}

static int no_such_pod(sd_bus_error *error, const char *key) {
        return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_POD, "No pod \"%s\".",
                                 strlen(key) <= 80 ? key : "(too long)");
}

int pod_dbus_lookup(Manager *m, const char *key, char **ret_path, sd_bus_error *error) {
        /* TODO(pods): full id, then name, then unique id prefix (AmbiguousId if several match). */
        return no_such_pod(error, key);
}

int pod_dbus_stop(Manager *m, sd_bus_message *message, const char *id, sd_bus_error *error) {
        /* TODO(pods): stop the pod's containers and its slice, replying when systemd's jobs end. */
        return no_such_pod(error, id);
}

int pod_dbus_remove(Manager *m, sd_bus_message *message, const char *id, sd_bus_error *error) {
        return no_such_pod(error, id);
}
