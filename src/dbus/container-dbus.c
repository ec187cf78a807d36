/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bus-polkit.h"
#include "container-dbus.h"

const char *const container_dbus_states[] = { "created", "running", "exited", "unknown", NULL };

static int property_get_id(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *id = NULL;
        int r;

        r = bus_path_to_id(path, BUS_CONTAINER_PREFIX, &id);
        if (r < 0)
                return r;
        return sd_bus_message_append(reply, "s", r > 0 ? id : "");
}

/* The methods of a container object: the same checks and actions as the Manager's methods taking an
 * id. Until containers are kept the finder hands over the Manager, and the id comes from the path. */
static int object_id(sd_bus_message *message, char **ret, sd_bus_error *error) {
        int r;

        r = bus_path_to_id(sd_bus_message_get_path(message), BUS_CONTAINER_PREFIX, ret);
        if (r < 0)
                return r;
        if (r == 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "Not a container object.");
        return 0;
}

static int method_stop(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *id = NULL;
        uint64_t timeout;
        int r;

        r = bus_verify_polkit_async(m->polkit, message, BUS_POLKIT_ACTION_MANAGE, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = sd_bus_message_read(message, "t", &timeout);
        if (r < 0)
                return r;
        if (!bus_stop_timeout_is_valid(timeout))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Timeout of %" PRIu64 " seconds is out of range (at most %llu).",
                                         timeout, BUS_STOP_TIMEOUT_MAX_SEC);
        r = object_id(message, &id, error);
        if (r < 0)
                return r;
        return container_dbus_stop(m, message, id, timeout, error);
}

static int method_kill(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *id = NULL;
        int32_t signo;
        int r;

        r = bus_verify_polkit_async(m->polkit, message, BUS_POLKIT_ACTION_MANAGE, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = sd_bus_message_read(message, "i", &signo);
        if (r < 0)
                return r;
        if (!bus_signal_is_valid(signo))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid signal %" PRIi32 ".", signo);
        r = object_id(message, &id, error);
        if (r < 0)
                return r;
        return container_dbus_kill(m, message, id, signo, error);
}

static int method_remove(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *id = NULL;
        int r;

        r = bus_verify_polkit_async(m->polkit, message, BUS_POLKIT_ACTION_MANAGE, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = object_id(message, &id, error);
        if (r < 0)
                return r;
        return container_dbus_remove(m, message, id, error);
}

/* TODO(containers): Name, Pod, PodId, Image, ImageRef, State, Pid, Unit, ConmonUnit, CreatedAt,
 * StartedAt, FinishedAt, ExitCode, Reason, LogPath, Labels, Annotations, by offsetof() into the
 * Container the finder returns; State, Pid, ExitCode... with SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE. */
const sd_bus_vtable container_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", property_get_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_ARGS("t", timeout), SD_BUS_NO_RESULT, method_stop,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Kill", SD_BUS_ARGS("i", signal), SD_BUS_NO_RESULT, method_kill,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Remove", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_remove,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

int container_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                          void **found, sd_bus_error *error) {
        _cleanup_free_ char *id = NULL;
        int r;

        r = bus_path_to_id(path, BUS_CONTAINER_PREFIX, &id);
        if (r <= 0)
                return r;
        /* TODO(containers): look the full id up among the manager's containers; hand it over. */
        return 0;
}

int container_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                              sd_bus_error *error) {
        char **l;

        /* TODO(containers): one bus_container_path() per container. */
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        *nodes = l;
        return 0;
}

int container_dbus_append_list(Manager *m, const BusListFilter *filter, sd_bus_message *reply) {
        /* TODO(containers): append (id, name, pod id, image, state, unit, path) per matching one. */
        return 0;
}

static int no_such_container(sd_bus_error *error, const char *key) {
        return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_CONTAINER, "No container \"%s\".",
                                 strlen(key) <= 80 ? key : "(too long)");
}

int container_dbus_lookup(Manager *m, const char *key, char **ret_path, sd_bus_error *error) {
        /* TODO(containers): full id, then name, then unique id prefix (AmbiguousId if several). */
        return no_such_container(error, key);
}

int container_dbus_stop(Manager *m, sd_bus_message *message, const char *id, uint64_t timeout_sec,
                        sd_bus_error *error) {
        /* TODO(containers): stop as CRI StopContainer does, replying when the scope is gone. */
        return no_such_container(error, id);
}

int container_dbus_remove(Manager *m, sd_bus_message *message, const char *id, sd_bus_error *error) {
        return no_such_container(error, id);
}

int container_dbus_kill(Manager *m, sd_bus_message *message, const char *id, int signo, sd_bus_error *error) {
        return no_such_container(error, id);
}
