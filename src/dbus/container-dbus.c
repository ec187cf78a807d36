/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-object-manager.h"
#include "bus-polkit.h"
#include "container-dbus.h"
#include "container-manager.h"
#include "hashmap.h"
#include "log.h"
#include "manager-dbus.h"
#include "pod-dbus.h"
#include "pod.h"

const char *const container_dbus_states[] = { "created", "running", "exited", "unknown", NULL };

typedef enum BusContainerCallType {
        BUS_CONTAINER_CALL_STOP,
        BUS_CONTAINER_CALL_REMOVE,
        BUS_CONTAINER_CALL_KILL,
} BusContainerCallType;

/* A Stop, Kill or Remove call (on the Manager or on the container object) waiting for its
 * operation. It holds no reference on the container: containers go before the bus at exit, and
 * their waiters with them; the calls are then dropped unanswered. */
struct BusContainerCall {
        Manager *manager;
        BusContainerCall *prev, *next;
        sd_bus_message *request;
        BusContainerCallType type;
        char *id;
        OciOperation *kill;     /* the runtime's kill command, for Kill */
};

static const char *call_verb(BusContainerCallType t) {
        return t == BUS_CONTAINER_CALL_REMOVE ? "remove" : t == BUS_CONTAINER_CALL_KILL ? "kill" : "stop";
}

static BusContainerCall *bus_container_call_free(BusContainerCall *c) {
        if (!c)
                return NULL;
        if (c->prev)
                c->prev->next = c->next;
        else if (c->manager->bus_container_calls == c)
                c->manager->bus_container_calls = c->next;
        if (c->next)
                c->next->prev = c->prev;
        oci_operation_free(c->kill);
        sd_bus_message_unref(c->request);
        free(c->id);
        return mfree(c);
}

void container_dbus_drop_calls(Manager *m) {
        while (m->bus_container_calls)
                bus_container_call_free(m->bus_container_calls);
}

static int bus_container_call_new(Manager *m, sd_bus_message *request, BusContainerCallType type,
                                  const char *id, BusContainerCall **ret) {
        BusContainerCall *c;

        c = calloc(1, sizeof(BusContainerCall));
        if (!c)
                return -ENOMEM;
        c->id = strdup(id);
        if (!c->id) {
                free(c);
                return -ENOMEM;
        }
        c->manager = m;
        c->request = sd_bus_message_ref(request);
        c->type = type;
        c->next = m->bus_container_calls;
        if (m->bus_container_calls)
                m->bus_container_calls->prev = c;
        m->bus_container_calls = c;
        *ret = c;
        return 0;
}

static void call_finish(BusContainerCall *c, int r, const char *error) {
        int k;

        if (r < 0)
                k = sd_bus_reply_method_errorf(c->request, BUS_ERROR_OPERATION_FAILED, "Failed to %s container %s: %s",
                                               call_verb(c->type), c->id, error ?: strerror(-r));
        else
                k = sd_bus_reply_method_return(c->request, NULL);
        if (k < 0)
                log_debug_errno(k, "Failed to answer the D-Bus %s of container %s, ignoring: %m", call_verb(c->type),
                                c->id);
        bus_container_call_free(c);
}

static Container *visible_container(Manager *m, const char *id) {
        Container *c = container_get(m, id);

        /* A container being created is not there for CRI, so not for D-Bus either. */
        return c && container_is_visible(c) ? c : NULL;
}

static const char *sender_of(sd_bus_message *message) {
        /* NULL on a direct connection (the tests' private one). */
        return sd_bus_message_get_sender(message) ?: "(direct)";
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Container *c = userdata;

        return bus_append_string(reply, container_state_to_string(c->state));
}

static int property_get_pod(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Container *c = userdata;

        return bus_append_object_path(reply, BUS_POD_PREFIX, c->pod->id);
}

static int property_get_pod_id(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Container *c = userdata;

        return bus_append_string(reply, c->pod->id);
}

static int property_get_exit_code(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Container *c = userdata;
        /* As CRI's ContainerStatus: 0 until the container has exited. */
        int32_t code = c->state == CONTAINER_STATE_EXITED ? c->exit_code : 0;

        return sd_bus_message_append_basic(reply, 'i', &code);
}

static int property_get_pid(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Container *c = userdata;
        uint32_t pid = MAX(c->pid, 0);

        return sd_bus_message_append_basic(reply, 'u', &pid);
}

static int method_stop(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Container *c = userdata;
        Manager *m = c->manager;
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
        return container_dbus_stop(m, message, c->id, timeout, error);
}

static int method_kill(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Container *c = userdata;
        Manager *m = c->manager;
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
        return container_dbus_kill(m, message, c->id, signo, error);
}

static int method_remove(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Container *c = userdata;
        Manager *m = c->manager;
        int r;

        r = bus_verify_polkit_async(m->polkit, message, BUS_POLKIT_ACTION_MANAGE, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        return container_dbus_remove(m, message, c->id, error);
}

/* The finder hands over the Container, so plain fields are read by offset. What the container holds
 * from creation on never changes; State, Pid, StartedAt, FinishedAt, ExitCode and Reason do, and are
 * announced (container_dbus_send_changed()). */
const sd_bus_vtable container_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", NULL, offsetof(Container, id), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Name", "s", NULL, offsetof(Container, name), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Pod", "o", property_get_pod, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("PodId", "s", property_get_pod_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Image", "s", NULL, offsetof(Container, image_name), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ImageRef", "s", NULL, offsetof(Container, image_ref), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Pid", "u", property_get_pid, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Unit", "s", NULL, offsetof(Container, scope), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ConmonUnit", "s", NULL, offsetof(Container, conmon_scope), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CreatedAt", "x", NULL, offsetof(Container, created_at), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StartedAt", "x", NULL, offsetof(Container, started_at), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FinishedAt", "x", NULL, offsetof(Container, finished_at),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ExitCode", "i", property_get_exit_code, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Reason", "s", NULL, offsetof(Container, reason), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LogPath", "s", NULL, offsetof(Container, log_path), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Labels", "a{ss}", bus_property_get_pairs, offsetof(Container, config.labels),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Annotations", "a{ss}", bus_property_get_pairs, offsetof(Container, config.annotations),
                        SD_BUS_VTABLE_PROPERTY_CONST),
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
        const char *id = bus_path_to_id(path, BUS_CONTAINER_PREFIX);
        Container *c;

        if (!id)
                return 0;
        /* Objects are named by full ids only: a prefix is for GetContainer to resolve. */
        c = visible_container(userdata, id);
        if (!c)
                return 0;
        *found = c;
        return 1;
}

int container_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                              sd_bus_error *error) {
        Manager *m = userdata;
        size_t state = 0, n = 0;
        char **l;
        void *v;
        int r;

        /* Straight from the store, in its order: sd-bus keeps that order (busctl tree sorts for
         * itself), and sorting would cost every Introspect of /org/crio1/container. */
        l = calloc(container_count(m) + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        while (m->containers_by_id && hashmap_iterate(m->containers_by_id, &state, NULL, &v)) {
                Container *c = v;

                if (!container_is_visible(c))
                        continue;
                r = bus_container_path(c->id, &l[n]);
                if (r < 0) {
                        for (size_t j = 0; j < n; j++)
                                free(l[j]);
                        free(l);
                        return r;
                }
                n++;
        }
        *nodes = l;
        return 0;
}

/* A hint only: the strings GetManagedObjects appends of a container, labels included. */
static void prefetch_strings(const Container *c) {
        const char *const s[] = { c->id, c->name, c->image_name, c->image_ref, c->scope, c->conmon_scope,
                                  c->log_path, c->reason };
        for (size_t i = 0; i < ELEMENTSOF(s); i++)
                if (s[i])
                        __builtin_prefetch(s[i]);
        for (char **p = c->config.labels; p && *p; p++)
                __builtin_prefetch(*p);
}

static int append_managed(sd_bus *bus, sd_bus_message *reply, Container *c, sd_bus_error *error) {
        char path[BUS_OBJECT_PATH_MAX];
        int r;

        r = bus_object_path(path, BUS_CONTAINER_PREFIX, c->id);
        if (r < 0)
                return r;
        return bus_append_managed_object(bus, reply, path, BUS_INTERFACE_CONTAINER, container_vtable, c, error);
}

int container_dbus_append_managed(Manager *m, sd_bus *bus, sd_bus_message *reply, sd_bus_error *error) {
        Container *prev = NULL;
        size_t state = 0;
        void *v;
        int r;

        /* In the store's order, as container_node_enumerator() lists them. Each container's strings are
         * fetched into the cache while the one before it is appended: a cold string cost as much as
         * its append (GetManagedObjects walks some 550 containers here, ~6 % less CPU). */
        while (m->containers_by_id && hashmap_iterate(m->containers_by_id, &state, NULL, &v)) {
                Container *c = v;

                if (!container_is_visible(c))
                        continue;
                prefetch_strings(c);
                if (prev) {
                        r = append_managed(bus, reply, prev, error);
                        if (r < 0)
                                return r;
                }
                prev = c;
        }
        return prev ? append_managed(bus, reply, prev, error) : 0;
}

int container_dbus_append_list(Manager *m, const BusListFilter *filter, sd_bus_message *reply) {
        _cleanup_free_ Container **containers = NULL;
        size_t n;
        int r;

        r = container_list(m, &containers, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                Container *c = containers[i];

                if (filter->state && strcmp(filter->state, container_state_to_string(c->state)) != 0)
                        continue;
                if (!bus_list_filter_match_labels(filter, c->config.labels))
                        continue;
                r = bus_container_path(c->id, &path);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(reply, "(sssssso)", c->id, c->name, c->pod->id, c->image_name ?: "",
                                          container_state_to_string(c->state), c->scope ?: "", path);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The lookups of bus_lookup(), on the Manager. */
static void *container_lookup_get(void *userdata, const char *id_or_name) {
        Manager *m = userdata;
        Container *c;

        c = visible_container(m, id_or_name);
        if (!c) {
                c = container_get_by_name(m, id_or_name);
                if (c && !container_is_visible(c))
                        c = NULL;
        }
        return c;
}

static int container_find_by_metadata_name(void *userdata, const char *name, void **ret) {
        _cleanup_free_ Container **containers = NULL;
        Container *found = NULL;
        size_t n;
        int r;

        r = container_list(userdata, &containers, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (!strings_equal(containers[i]->config.name, name))
                        continue;
                if (found)
                        return -ENOTUNIQ;
                found = containers[i];
        }
        if (!found)
                return 0;
        *ret = found;
        return 1;
}

static int container_find_by_id(void *userdata, const char *id_or_prefix, void **ret) {
        Container *c;
        int r;

        r = container_find(userdata, id_or_prefix, &c);
        if (r < 0)
                return r;
        *ret = c;
        return 0;
}

static const BusLookup container_lookup = {
        .kind = "container",
        .kinds = "containers",
        .error_no_such = BUS_ERROR_NO_SUCH_CONTAINER,
        .get = container_lookup_get,
        .find_by_metadata_name = container_find_by_metadata_name,
        .find_by_id = container_find_by_id,
};

int container_dbus_lookup(Manager *m, const char *key, char **ret_path, sd_bus_error *error) {
        void *c;
        int r;

        r = bus_lookup(&container_lookup, m, key, &c, error);
        if (r < 0)
                return r;
        return bus_container_path(((Container *) c)->id, ret_path);
}

static int find_by_id(Manager *m, const char *id, Container **ret, sd_bus_error *error) {
        void *c;
        int r;

        r = bus_lookup_by_id(&container_lookup, m, id, &c, error);
        if (r < 0)
                return r;
        *ret = c;
        return 0;
}

static void on_container_done(Container *c, int r, const char *error, void *userdata) {
        call_finish(userdata, r, error);
}

int container_dbus_stop(Manager *m, sd_bus_message *message, const char *id, uint64_t timeout_sec,
                        sd_bus_error *error) {
        BusContainerCall *call;
        Container *c = NULL;
        int r;

        r = find_by_id(m, id, &c, error);
        if (r < 0)
                return r;
        /* Unlike CRI, no ctr_stop_timeout floor: that guards against kubelet's short defaults, while
         * an administrator's timeout here is meant as given (0 kills at once). */
        log_container(c, LOG_INFO, "D-Bus client %s asks to stop container %s (timeout %" PRIu64 "s).",
                      sender_of(message), c->name, timeout_sec);
        r = bus_container_call_new(m, message, BUS_CONTAINER_CALL_STOP, c->id, &call);
        if (r < 0)
                return r;
        /* The reply is sent by on_container_done(), perhaps already. */
        r = container_terminate(c, timeout_sec * 1000000ULL, on_container_done, call);
        if (r < 0) {
                bus_container_call_free(call);
                return r;
        }
        return 1;
}

int container_dbus_remove(Manager *m, sd_bus_message *message, const char *id, sd_bus_error *error) {
        BusContainerCall *call;
        Container *c = NULL;
        int r;

        r = find_by_id(m, id, &c, error);
        if (r < 0)
                return r;
        log_container(c, LOG_INFO, "D-Bus client %s asks to remove container %s.", sender_of(message), c->name);
        r = bus_container_call_new(m, message, BUS_CONTAINER_CALL_REMOVE, c->id, &call);
        if (r < 0)
                return r;
        r = container_remove(c, on_container_done, call);
        if (r < 0) {
                bus_container_call_free(call);
                return r;
        }
        return 1;
}

static void on_killed(OciOperation *operation, int r, void *userdata) {
        BusContainerCall *call = userdata;
        _cleanup_free_ char *error = NULL;
        const char *why;

        /* The operation is call->kill: freed with the call. */
        why = r < 0 ? oci_operation_get_error(operation) : NULL;
        if (why)
                error = strdup(why);
        call_finish(call, r, error);
}

int container_dbus_kill(Manager *m, sd_bus_message *message, const char *id, int signo, sd_bus_error *error) {
        BusContainerCall *call;
        Container *c = NULL;
        int r;

        r = find_by_id(m, id, &c, error);
        if (r < 0)
                return r;
        /* The runtime would say so less clearly. */
        if (!IN_SET(c->state, CONTAINER_STATE_CREATED, CONTAINER_STATE_RUNNING) || c->removing)
                return sd_bus_error_setf(error, BUS_ERROR_OPERATION_FAILED,
                                         "Failed to kill container %s: it is %s.", c->id,
                                         c->removing ? "being removed" : container_state_to_string(c->state));
        log_container(c, LOG_INFO, "D-Bus client %s sends signal %d to container %s.", sender_of(message), signo,
                      c->name);
        r = bus_container_call_new(m, message, BUS_CONTAINER_CALL_KILL, c->id, &call);
        if (r < 0)
                return r;
        r = oci_runtime_kill(c->runtime, c->id, signo, /* all= */ false, on_killed, call, &call->kill);
        if (r < 0) {
                bus_container_call_free(call);
                return r;
        }
        return 1;
}

int container_dbus_send_changed(Container *c, const char *property, ...) {
        _cleanup_free_ char *path = NULL;
        const char *names[8];
        size_t n = 0;
        va_list ap;
        int r;

        if (!c->manager || !c->manager->bus || !container_is_visible(c))
                return 0;
        va_start(ap, property);
        for (const char *s = property; s && n < ELEMENTSOF(names) - 1; s = va_arg(ap, const char *))
                names[n++] = s;
        va_end(ap);
        names[n] = NULL;

        r = bus_container_path(c->id, &path);
        if (r < 0)
                return r;
        r = sd_bus_emit_properties_changed_strv(c->manager->bus, path, BUS_INTERFACE_CONTAINER, (char **) names);
        if (r < 0)
                return log_container_errno(c, LOG_DEBUG, r,
                                           "Failed to announce the change of container %s, ignoring: %m", c->id);
        return 0;
}

int container_dbus_send_new(Container *c) {
        if (!c->manager || !c->manager->bus || !container_is_visible(c))
                return 0;
        (void) manager_bus_send_container_new(c->manager, c->id);
        return pod_dbus_send_changed(c->pod, "Containers", NULL);
}

int container_dbus_send_removed(Container *c) {
        if (!c->manager || !c->manager->bus || !container_is_visible(c))
                return 0;
        return manager_bus_send_container_removed(c->manager, c->id);
}
