/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bus-polkit.h"
#include "container-manager.h"
#include "log.h"
#include "pod-dbus.h"
#include "pod-operation.h"
#include "pod-store.h"

const char *const pod_dbus_states[] = { "ready", "notready", NULL };

/* A StopPod or RemovePod call (on the Manager or on the pod object) waiting for its operation. It
 * holds the pod, so that at exit it can tell whether the operation is still queued. */
struct BusPodCall {
        Manager *manager;
        BusPodCall *prev, *next;
        sd_bus_message *request;
        Pod *pod;
        PodOperationType type;
        PodOperation *operation;
};

static BusPodCall *bus_pod_call_free(BusPodCall *c) {
        if (!c)
                return NULL;
        if (c->prev)
                c->prev->next = c->next;
        else if (c->manager->bus_pod_calls == c)
                c->manager->bus_pod_calls = c->next;
        if (c->next)
                c->next->prev = c->prev;
        sd_bus_message_unref(c->request);
        pod_unref(c->pod);
        return mfree(c);
}

static bool operation_pending(const Pod *p, const PodOperation *op) {
        if (p->operation == op)
                return true;
        for (const PodOperation *q = p->queue; q; q = q->next)
                if (q == op)
                        return true;
        return false;
}

void pod_dbus_drop_calls(Manager *m) {
        while (m->bus_pod_calls) {
                BusPodCall *c = m->bus_pod_calls;

                /* The pods may have been freed with their operations already (at exit they go
                 * first): only an operation still queued on the pod is told to forget us. */
                if (c->operation && operation_pending(c->pod, c->operation))
                        pod_operation_cancel(c->operation);
                bus_pod_call_free(c);
        }
}

static Pod *visible_pod(Manager *m, const char *id) {
        Pod *p = pod_store_get(m->pods, id);

        /* A pod being created is not there for CRI, so not for D-Bus either. */
        return p && p->state != POD_STATE_CREATING ? p : NULL;
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Pod *p = userdata;

        return sd_bus_message_append(reply, "s", pod_state_to_string(p->state));
}

static int property_get_host_network(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        /* sd-bus reads "b" as an int: a C bool needs its own getter. */
        return sd_bus_message_append(reply, "b", pod_is_host_network(userdata));
}

/* Labels and annotations are key, value, ..., NULL lists; userdata points at one. */
static int property_get_pairs(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        char **pairs = *(char ***) userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{ss}");
        if (r < 0)
                return r;
        for (char **k = pairs; k && k[0] && k[1]; k += 2) {
                r = sd_bus_message_append(reply, "{ss}", k[0], k[1]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_get_containers(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        _cleanup_free_ Container **containers = NULL;
        Pod *p = userdata;
        size_t n;
        int r;

        /* Read from the container store each time, the same list CRI's ListContainers walks. */
        r = container_list(p->manager, &containers, &n);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "o");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *container_path = NULL;

                if (containers[i]->pod != p)
                        continue;
                r = bus_container_path(containers[i]->id, &container_path);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(reply, "o", container_path);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static void on_operation_done(Pod *p, int r, const char *error, void *userdata) {
        BusPodCall *c = userdata;
        const char *what = c->type == POD_OPERATION_REMOVE ? "remove" : "stop";
        int k;

        c->operation = NULL;
        if (r < 0)
                k = sd_bus_reply_method_errorf(c->request, BUS_ERROR_OPERATION_FAILED, "Failed to %s pod %s: %s",
                                               what, p->id, error ?: strerror(-r));
        else
                k = sd_bus_reply_method_return(c->request, NULL);
        if (k < 0)
                log_debug_errno(k, "Failed to answer the D-Bus %s of pod %s, ignoring: %m", what, p->id);
        bus_pod_call_free(c);
}

/* Starts the operation on p; its end replies to message. */
static int start_operation(Manager *m, sd_bus_message *message, Pod *p, PodOperationType type,
                           sd_bus_error *error) {
        BusPodCall *c;
        int r;

        c = calloc(1, sizeof(BusPodCall));
        if (!c)
                return -ENOMEM;
        c->manager = m;
        c->request = sd_bus_message_ref(message);
        c->pod = pod_ref(p);
        c->type = type;
        c->next = m->bus_pod_calls;
        if (m->bus_pod_calls)
                m->bus_pod_calls->prev = c;
        m->bus_pod_calls = c;

        if (type == POD_OPERATION_REMOVE)
                r = pod_remove(p, on_operation_done, c, &c->operation);
        else
                r = pod_stop(p, on_operation_done, c, &c->operation);
        if (r < 0) {
                bus_pod_call_free(c);
                return r;
        }
        /* The reply is sent by on_operation_done(), perhaps already. */
        return 1;
}

static const char *sender_of(sd_bus_message *message) {
        /* NULL on a direct connection (the tests' private one). */
        return sd_bus_message_get_sender(message) ?: "(direct)";
}

static int method_stop_or_remove(sd_bus_message *message, Pod *p, PodOperationType type, sd_bus_error *error) {
        Manager *m = p->manager;
        int r;

        r = bus_verify_polkit_async(m->polkit, message, BUS_POLKIT_ACTION_MANAGE, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        log_pod(p, LOG_INFO, "D-Bus client %s asks to %s pod %s.", sender_of(message),
                type == POD_OPERATION_REMOVE ? "remove" : "stop", p->name);
        return start_operation(m, message, p, type, error);
}

static int method_stop(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return method_stop_or_remove(message, userdata, POD_OPERATION_STOP, error);
}

static int method_remove(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return method_stop_or_remove(message, userdata, POD_OPERATION_REMOVE, error);
}

/* The finder hands over the Pod, so plain fields are read by offset. The strings the pod holds from
 * creation on never change; State, Ips and Containers do, and are announced (pod_dbus_send_changed()). */
const sd_bus_vtable pod_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", NULL, offsetof(Pod, id), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Name", "s", NULL, offsetof(Pod, config.name), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Namespace", "s", NULL, offsetof(Pod, config.namespace), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Uid", "s", NULL, offsetof(Pod, config.uid), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Attempt", "u", NULL, offsetof(Pod, config.attempt), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("CreatedAt", "x", NULL, offsetof(Pod, created_at), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Slice", "s", NULL, offsetof(Pod, slice), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Ips", "as", NULL, offsetof(Pod, ips), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Labels", "a{ss}", property_get_pairs, offsetof(Pod, config.labels),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Annotations", "a{ss}", property_get_pairs, offsetof(Pod, config.annotations),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("RuntimeHandler", "s", NULL, offsetof(Pod, runtime_handler), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("HostNetwork", "b", property_get_host_network, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Containers", "ao", property_get_containers, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Remove", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_remove,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

int pod_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                    sd_bus_error *error) {
        _cleanup_free_ char *id = NULL;
        Manager *m = userdata;
        Pod *p;
        int r;

        r = bus_path_to_id(path, BUS_POD_PREFIX, &id);
        if (r <= 0)
                return r;
        /* Objects are named by full ids only: a prefix is for GetPod to resolve. */
        p = visible_pod(m, id);
        if (!p)
                return 0;
        *found = p;
        return 1;
}

int pod_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        _cleanup_free_ Pod **pods = NULL;
        Manager *m = userdata;
        char **l;
        size_t n;
        int r;

        r = pod_store_list(m->pods, &pods, &n);
        if (r < 0)
                return r;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = bus_pod_path(pods[i]->id, &l[i]);
                if (r < 0) {
                        for (size_t j = 0; j < i; j++)
                                free(l[j]);
                        free(l);
                        return r;
                }
        }
        *nodes = l;
        return 0;
}

int pod_dbus_append_list(Manager *m, const BusListFilter *filter, sd_bus_message *reply) {
        _cleanup_free_ Pod **pods = NULL;
        size_t n;
        int r;

        r = pod_store_list(m->pods, &pods, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                Pod *p = pods[i];

                if (filter->state && strcmp(filter->state, pod_state_to_string(p->state)) != 0)
                        continue;
                if (!bus_list_filter_match_labels(filter, p->config.labels))
                        continue;
                r = bus_pod_path(p->id, &path);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(reply, "(sssssso)", p->id, p->config.name, p->config.namespace,
                                          p->config.uid, pod_state_to_string(p->state), p->slice ?: "", path);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int no_such_pod(sd_bus_error *error, const char *key) {
        return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_POD, "No pod \"%s\".",
                                 strlen(key) <= 80 ? key : "(too long)");
}

static int ambiguous(sd_bus_error *error, const char *key, const char *what) {
        return sd_bus_error_setf(error, BUS_ERROR_AMBIGUOUS_ID, "Several pods match %s \"%s\".", what,
                                 strlen(key) <= 80 ? key : "(too long)");
}

/* The pod key names: a full id, the full name (k8s_POD_...), the metadata name when one pod has it,
 * then a unique id prefix, as crictl resolves them. */
static int find_pod(Manager *m, const char *key, Pod **ret, sd_bus_error *error) {
        _cleanup_free_ Pod **pods = NULL;
        Pod *p, *found = NULL;
        size_t n;
        int r;

        p = visible_pod(m, key);
        if (!p) {
                p = pod_store_get_by_name(m->pods, key);
                if (p && p->state == POD_STATE_CREATING)
                        p = NULL;
        }
        if (p) {
                *ret = p;
                return 0;
        }

        r = pod_store_list(m->pods, &pods, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (strcmp(pods[i]->config.name, key) != 0)
                        continue;
                if (found)
                        return ambiguous(error, key, "the name");
                found = pods[i];
        }
        if (found) {
                *ret = found;
                return 0;
        }

        if (!bus_id_prefix_is_valid(key))
                return no_such_pod(error, key);
        r = pod_store_find(m->pods, key, &p);
        if (r == -ENOTUNIQ)
                return ambiguous(error, key, "the id prefix");
        if (r < 0)
                return no_such_pod(error, key);
        *ret = p;
        return 0;
}

int pod_dbus_lookup(Manager *m, const char *key, char **ret_path, sd_bus_error *error) {
        Pod *p = NULL;
        int r;

        r = find_pod(m, key, &p, error);
        if (r < 0)
                return r;
        return bus_pod_path(p->id, ret_path);
}

static int find_by_id(Manager *m, const char *id, Pod **ret, sd_bus_error *error) {
        int r;

        r = pod_store_find(m->pods, id, ret);
        if (r == -ENOTUNIQ)
                return ambiguous(error, id, "the id prefix");
        if (r < 0)
                return no_such_pod(error, id);
        return 0;
}

int pod_dbus_stop(Manager *m, sd_bus_message *message, const char *id, sd_bus_error *error) {
        Pod *p = NULL;
        int r;

        r = find_by_id(m, id, &p, error);
        if (r < 0)
                return r;
        log_pod(p, LOG_INFO, "D-Bus client %s asks to stop pod %s.", sender_of(message),
                p->name);
        return start_operation(m, message, p, POD_OPERATION_STOP, error);
}

int pod_dbus_remove(Manager *m, sd_bus_message *message, const char *id, sd_bus_error *error) {
        Pod *p = NULL;
        int r;

        r = find_by_id(m, id, &p, error);
        if (r < 0)
                return r;
        log_pod(p, LOG_INFO, "D-Bus client %s asks to remove pod %s.", sender_of(message),
                p->name);
        return start_operation(m, message, p, POD_OPERATION_REMOVE, error);
}

int pod_dbus_send_changed(Pod *p, const char *property, ...) {
        _cleanup_free_ char *path = NULL;
        const char *names[8];
        size_t n = 0;
        va_list ap;
        int r;

        if (!p->manager->bus || p->state == POD_STATE_CREATING)
                return 0;
        va_start(ap, property);
        for (const char *s = property; s && n < ELEMENTSOF(names) - 1; s = va_arg(ap, const char *))
                names[n++] = s;
        va_end(ap);
        names[n] = NULL;

        r = bus_pod_path(p->id, &path);
        if (r < 0)
                return r;
        r = sd_bus_emit_properties_changed_strv(p->manager->bus, path, BUS_INTERFACE_POD, (char **) names);
        if (r < 0)
                return log_pod_errno(p, LOG_DEBUG, r, "Failed to announce the change of pod %s, ignoring: %m",
                                     p->id);
        return 0;
}
