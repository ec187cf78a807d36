/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bus-polkit.h"
#include "bus-util.h"
#include "container-dbus.h"
#include "crio-build.h"
#include "image-dbus.h"
#include "log.h"
#include "manager-dbus.h"
#include "pod-dbus.h"

bool manager_network_ready(Manager *m) {
        return false;
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", CRIO_VERSION);
}

static int property_get_runtime_api_version(sd_bus *bus, const char *path, const char *interface,
                                            const char *property, sd_bus_message *reply, void *userdata,
                                            sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", "v1");
}

/* The Config is replaced in place on reload, so its strings are read through the Manager each time. */
static int property_get_default_runtime(sd_bus *bus, const char *path, const char *interface,
                                        const char *property, sd_bus_message *reply, void *userdata,
                                        sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "s", m->config->default_runtime ?: "");
}

static int property_get_cgroup_manager(sd_bus *bus, const char *path, const char *interface,
                                       const char *property, sd_bus_message *reply, void *userdata,
                                       sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "s", m->config->cgroup_manager ?: "");
}

static int property_get_runtime_ready(sd_bus *bus, const char *path, const char *interface,
                                      const char *property, sd_bus_message *reply, void *userdata,
                                      sd_bus_error *error) {
        /* Serving means the runtime side is up, as the CRI Status' RuntimeReady condition says. */
        return sd_bus_message_append(reply, "b", true);
}

static int property_get_network_ready(sd_bus *bus, const char *path, const char *interface,
                                      const char *property, sd_bus_message *reply, void *userdata,
                                      sd_bus_error *error) {
        return sd_bus_message_append(reply, "b", manager_network_ready(userdata));
}

static int reply_list(sd_bus_message *message, const char *const *states,
                      int (*append)(Manager *m, const BusListFilter *filter, sd_bus_message *reply),
                      Manager *m, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(bus_list_filter_done) BusListFilter filter = {};
        int r;

        r = bus_list_filter_read(message, states, &filter, error);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sssssso)");
        if (r < 0)
                return r;
        r = append(m, &filter, reply);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_pods(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return reply_list(message, pod_dbus_states, pod_dbus_append_list, userdata, error);
}

static int method_list_containers(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return reply_list(message, container_dbus_states, container_dbus_append_list, userdata, error);
}

static int reply_lookup(sd_bus_message *message, const char *what,
                        int (*lookup)(Manager *m, const char *key, char **ret_path, sd_bus_error *error),
                        Manager *m, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        const char *key;
        int r;

        r = sd_bus_message_read(message, "s", &key);
        if (r < 0)
                return r;
        if (!bus_lookup_key_is_valid(key))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid %s id or name: expected 1 to %u of [A-Za-z0-9._-].", what,
                                         BUS_NAME_LENGTH_MAX);
        r = lookup(m, key, &path, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, "o", path);
}

static int method_get_pod(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return reply_lookup(message, "pod", pod_dbus_lookup, userdata, error);
}

static int method_get_container(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return reply_lookup(message, "container", container_dbus_lookup, userdata, error);
}

/* The first steps of every mutating method taking an id: the caller's right, then the id. 1: go on,
 * 0: polkit was asked (the handler returns 1 and runs again), < 0: refused. */
static int verify_and_read_id(Manager *m, sd_bus_message *message, const char *what, const char **ret_id,
                              sd_bus_error *error) {
        int r;

        r = bus_verify_polkit_async(m->polkit, message, BUS_POLKIT_ACTION_MANAGE, error);
        if (r <= 0)
                return r;
        r = sd_bus_message_read(message, "s", ret_id);
        if (r < 0)
                return r;
        if (!bus_id_prefix_is_valid(*ret_id))
                return bus_error_invalid_id(error, what, *ret_id);
        return 1;
}

static int method_stop_pod(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id;
        int r;

        r = verify_and_read_id(m, message, "pod id", &id, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return pod_dbus_stop(m, message, id, error);
}

static int method_remove_pod(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id;
        int r;

        r = verify_and_read_id(m, message, "pod id", &id, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return pod_dbus_remove(m, message, id, error);
}

static int method_stop_container(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint64_t timeout;
        const char *id;
        int r;

        r = verify_and_read_id(m, message, "container id", &id, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = sd_bus_message_read(message, "t", &timeout);
        if (r < 0)
                return r;
        if (!bus_stop_timeout_is_valid(timeout))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Timeout of %" PRIu64 " seconds is out of range (at most %llu).",
                                         timeout, BUS_STOP_TIMEOUT_MAX_SEC);
        return container_dbus_stop(m, message, id, timeout, error);
}

static int method_remove_container(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id;
        int r;

        r = verify_and_read_id(m, message, "container id", &id, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return container_dbus_remove(m, message, id, error);
}

static int method_kill_container(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id;
        int32_t signo;
        int r;

        r = verify_and_read_id(m, message, "container id", &id, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = sd_bus_message_read(message, "i", &signo);
        if (r < 0)
                return r;
        if (!bus_signal_is_valid(signo))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid signal %" PRIi32 ".", signo);
        return container_dbus_kill(m, message, id, signo, error);
}

static int method_reload(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = bus_verify_polkit_async(m->polkit, message, BUS_POLKIT_ACTION_MANAGE, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* The SIGHUP path: a broken file keeps the configuration in force, and the caller is told. */
        r = manager_reload(m);
        if (r < 0)
                return sd_bus_error_setf(error, BUS_ERROR_RELOAD_FAILED,
                                         "Reloading the configuration failed (%s), the configuration in force "
                                         "is kept; the journal of crio.service says why.", strerror(-r));
        return sd_bus_reply_method_return(message, NULL);
}

/* Methods are SD_BUS_VTABLE_UNPRIVILEGED: sd-bus would otherwise refuse every caller without
 * CAP_SYS_ADMIN itself. The mutating ones check root or polkit in their handlers. */
static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("RuntimeApiVersion", "s", property_get_runtime_api_version, 0,
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DefaultRuntime", "s", property_get_default_runtime, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("CgroupManager", "s", property_get_cgroup_manager, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("RuntimeReady", "b", property_get_runtime_ready, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NetworkReady", "b", property_get_network_ready, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),

        SD_BUS_METHOD_WITH_ARGS("ListPods",
                                SD_BUS_ARGS("s", state, "a{ss}", labels),
                                SD_BUS_RESULT("a(sssssso)", pods),
                                method_list_pods, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListContainers",
                                SD_BUS_ARGS("s", state, "a{ss}", labels),
                                SD_BUS_RESULT("a(sssssso)", containers),
                                method_list_containers, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetPod",
                                SD_BUS_ARGS("s", pod),
                                SD_BUS_RESULT("o", path),
                                method_get_pod, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetContainer",
                                SD_BUS_ARGS("s", container),
                                SD_BUS_RESULT("o", path),
                                method_get_container, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("StopPod",
                                SD_BUS_ARGS("s", id),
                                SD_BUS_NO_RESULT,
                                method_stop_pod, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemovePod",
                                SD_BUS_ARGS("s", id),
                                SD_BUS_NO_RESULT,
                                method_remove_pod, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("StopContainer",
                                SD_BUS_ARGS("s", id, "t", timeout),
                                SD_BUS_NO_RESULT,
                                method_stop_container, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveContainer",
                                SD_BUS_ARGS("s", id),
                                SD_BUS_NO_RESULT,
                                method_remove_container, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("KillContainer",
                                SD_BUS_ARGS("s", id, "i", signal),
                                SD_BUS_NO_RESULT,
                                method_kill_container, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload",
                                SD_BUS_NO_ARGS,
                                SD_BUS_NO_RESULT,
                                method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("PullImage",
                                SD_BUS_ARGS("s", image, "a{sv}", auth),
                                SD_BUS_RESULT("s", image_id),
                                method_pull_image, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListImages",
                                SD_BUS_ARGS("s", image),
                                SD_BUS_RESULT("a(sasastb)", images),
                                method_list_images, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveImage",
                                SD_BUS_ARGS("s", image),
                                SD_BUS_NO_RESULT,
                                method_remove_image, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_ARGS("PodNew", SD_BUS_ARGS("s", id, "o", pod), 0),
        SD_BUS_SIGNAL_WITH_ARGS("PodRemoved", SD_BUS_ARGS("s", id, "o", pod), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ContainerNew", SD_BUS_ARGS("s", id, "o", container), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ContainerRemoved", SD_BUS_ARGS("s", id, "o", container), 0),
        SD_BUS_VTABLE_END
};

/* GetManagedObjects, built by us (bus-object-manager.h says why); this sees every call to /org/crio1
 * first and leaves all others to sd-bus. */
static int on_root_message(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus *bus = sd_bus_message_get_bus(message);
        Manager *m = userdata;
        int r;

        if (sd_bus_message_is_method_call(message, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects") <= 0)
                return 0;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                return r;
        /* sd-bus's order: the child nodes newest first (containers were added after pods), each
         * in its enumerator's order. */
        r = container_dbus_append_managed(m, bus, reply, error);
        if (r < 0)
                return r;
        r = pod_dbus_append_managed(m, bus, reply, error);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        r = sd_bus_send(bus, reply, NULL);
        if (r < 0)
                return r;
        return 1;
}

int manager_attach_bus(Manager *m, sd_bus *bus) {
        int r;

        if (!m->polkit) {
                r = bus_polkit_new(&m->polkit);
                if (r < 0)
                        return log_oom();
        }
        r = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");

        /* Slots are floating (NULL): they live as long as the connection. */
        r = sd_bus_add_object_manager(bus, NULL, BUS_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to add the object manager at %s: %m", BUS_PATH);
        r = sd_bus_add_object(bus, NULL, BUS_PATH, on_root_message, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the handler of GetManagedObjects: %m");
        r = sd_bus_add_object_vtable(bus, NULL, BUS_PATH, BUS_INTERFACE_MANAGER, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add %s: %m", BUS_INTERFACE_MANAGER);
        r = sd_bus_add_fallback_vtable(bus, NULL, BUS_POD_PREFIX, BUS_INTERFACE_POD, pod_vtable,
                                       pod_object_find, m);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(bus, NULL, BUS_POD_PREFIX, pod_node_enumerator, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the pod objects: %m");
        r = sd_bus_add_fallback_vtable(bus, NULL, BUS_CONTAINER_PREFIX, BUS_INTERFACE_CONTAINER,
                                       container_vtable, container_object_find, m);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(bus, NULL, BUS_CONTAINER_PREFIX, container_node_enumerator, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the container objects: %m");

        m->bus = sd_bus_ref(bus);
        return 0;
}

int manager_connect_bus(Manager *m) {
        /* Only unreferenced here: on success m->bus keeps the connection open. */
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system_with_description(&bus, "crio");
        if (r < 0) {
                log_warning_errno(r, "Failed to connect to the system bus, running without the %s D-Bus API: %m",
                                  BUS_NAME);
                return 0;
        }

        r = manager_attach_bus(m, bus);
        if (r < 0)
                goto fail;

        /* Taken before READY=1, so that a client started after crio finds the name. This blocks
         * once, at start-up, before any request is served. */
        r = sd_bus_request_name(bus, BUS_NAME, 0);
        if (r < 0) {
                log_warning_errno(r, "Failed to acquire the bus name %s (is its bus policy installed?), "
                                  "running without the D-Bus API: %m", BUS_NAME);
                goto fail;
        }
        log_info("Serving the D-Bus API as %s on the system bus.", BUS_NAME);
        return 0;

fail:
        manager_disconnect_bus(m);
        return 0;
}

void manager_disconnect_bus(Manager *m) {
        image_dbus_drop_pulls(m);
        pod_dbus_drop_calls(m);
        container_dbus_drop_calls(m);
        pod_dbus_forget_containers(m);
        m->polkit = bus_polkit_free(m->polkit);
        if (m->bus) {
                (void) sd_bus_detach_event(m->bus);
                m->bus = sd_bus_flush_close_unref(m->bus);
        }
}

static int send_object_signal(Manager *m, const char *member, const char *id,
                              int (*make_path)(const char *id, char **ret)) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (!m->bus)
                return 0;
        r = make_path(id, &path);
        if (r < 0)
                return r;
        return sd_bus_emit_signal(m->bus, BUS_PATH, BUS_INTERFACE_MANAGER, member, "so", id, path);
}

/* InterfacesAdded/Removed list the interfaces the object finder answers for, so the pod or
 * container must be findable (visible, in the store) when either is sent. */
static int send_object_added_or_removed(Manager *m, const char *id, bool added,
                                        int (*make_path)(const char *id, char **ret)) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (!m->bus)
                return 0;
        r = make_path(id, &path);
        if (r < 0)
                return r;
        return added ? sd_bus_emit_object_added(m->bus, path) : sd_bus_emit_object_removed(m->bus, path);
}

int manager_bus_send_pod_new(Manager *m, const char *id) {
        int r;

        r = send_object_added_or_removed(m, id, /* added= */ true, bus_pod_path);
        if (r < 0)
                log_debug_errno(r, "Failed to send InterfacesAdded for pod %s, ignoring: %m", id);
        return send_object_signal(m, "PodNew", id, bus_pod_path);
}

int manager_bus_send_pod_removed(Manager *m, const char *id) {
        int r;

        r = send_object_added_or_removed(m, id, /* added= */ false, bus_pod_path);
        if (r < 0)
                log_debug_errno(r, "Failed to send InterfacesRemoved for pod %s, ignoring: %m", id);
        return send_object_signal(m, "PodRemoved", id, bus_pod_path);
}

int manager_bus_send_container_new(Manager *m, const char *id) {
        int r;

        r = send_object_added_or_removed(m, id, /* added= */ true, bus_container_path);
        if (r < 0)
                log_debug_errno(r, "Failed to send InterfacesAdded for container %s, ignoring: %m", id);
        return send_object_signal(m, "ContainerNew", id, bus_container_path);
}

int manager_bus_send_container_removed(Manager *m, const char *id) {
        int r;

        r = send_object_added_or_removed(m, id, /* added= */ false, bus_container_path);
        if (r < 0)
                log_debug_errno(r, "Failed to send InterfacesRemoved for container %s, ignoring: %m", id);
        return send_object_signal(m, "ContainerRemoved", id, bus_container_path);
}

int manager_bus_send_changed(Manager *m) {
        if (!m->bus)
                return 0;
        return sd_bus_emit_properties_changed(m->bus, BUS_PATH, BUS_INTERFACE_MANAGER, "DefaultRuntime",
                                              "RuntimeReady", "NetworkReady", NULL);
}
