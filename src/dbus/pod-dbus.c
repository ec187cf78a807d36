/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus-object-manager.h"
#include "bus-polkit.h"
#include "container-manager.h"
#include "hashmap.h"
#include "log.h"
#include "manager-dbus.h"
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
        return p && pod_is_visible(p) ? p : NULL;
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Pod *p = userdata;

        return bus_append_string(reply, pod_state_to_string(p->state));
}

static int property_get_host_network(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        /* sd-bus reads "b" as an int: a C bool needs its own getter. */
        return sd_bus_message_append(reply, "b", pod_is_host_network(userdata));
}

/* The visible containers grouped by pod, oldest first within each pod (as container_list() orders
 * them). A GetManagedObjects call reads the Containers of every pod: one list made at its first pod
 * serves them all, instead of a walk and sort of the whole store per pod. Nothing changes the store
 * while a call is answered, so the list needs no invalidation: it is used only while its call is the
 * one being answered (the reference keeps that message, and so its address, from being reused), and
 * a defer event source drops it right after, so that it holds no stale container for long. */
struct BusPodContainers {
        sd_bus_message *call;
        sd_event_source *drop;
        Container **containers;
        size_t n;
};

static BusPodContainers *bus_pod_containers_free(BusPodContainers *l) {
        if (!l)
                return NULL;
        sd_event_source_disable_unref(l->drop);
        sd_bus_message_unref(l->call);
        free(l->containers);
        return mfree(l);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(BusPodContainers *, bus_pod_containers_free);

void pod_dbus_forget_containers(Manager *m) {
        m->bus_pod_containers = bus_pod_containers_free(m->bus_pod_containers);
}

static int compare_pod_then_created(const void *a, const void *b) {
        const Container *x = *(Container *const *) a, *y = *(Container *const *) b;
        uintptr_t px = (uintptr_t) x->pod, py = (uintptr_t) y->pod;

        /* Any order of the pods will do, as long as each pod's containers are together. */
        if (px != py)
                return px < py ? -1 : 1;
        if (x->created_at != y->created_at)
                return x->created_at < y->created_at ? -1 : 1;
        return strcmp(x->id, y->id);
}

/* The list of the visible containers of every pod, or of only one (NULL: all). One walk of the
 * store, then a sort. */
static int bus_pod_containers_new(Manager *m, const Pod *only, BusPodContainers **ret) {
        _cleanup_(bus_pod_containers_freep) BusPodContainers *l = NULL;
        size_t state = 0;
        void *v;

        l = calloc(1, sizeof(BusPodContainers));
        if (!l)
                return -ENOMEM;
        l->containers = calloc(container_count(m) + 1, sizeof(Container *));
        if (!l->containers)
                return -ENOMEM;
        while (m->containers_by_id && hashmap_iterate(m->containers_by_id, &state, NULL, &v)) {
                Container *c = v;

                /* The containers container_list() gives, as CRI's ListContainers. */
                if (!container_is_visible(c) || (only && c->pod != only))
                        continue;
                l->containers[l->n++] = c;
        }
        qsort(l->containers, l->n, sizeof(Container *), compare_pod_then_created);
        *ret = TAKE_PTR(l);
        return 0;
}

/* p's part of l: a binary search for its first container. */
static Container **bus_pod_containers_of(const BusPodContainers *l, const Pod *p, size_t *ret_n) {
        size_t lo = 0, hi = l->n, end;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if ((uintptr_t) l->containers[mid]->pod < (uintptr_t) p)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (end = lo; end < l->n && l->containers[end]->pod == p; end++)
                ;
        *ret_n = end - lo;
        return l->containers + lo;
}

static int on_drop_containers(sd_event_source *s, void *userdata) {
        pod_dbus_forget_containers(userdata);
        return 0;
}

/* The list kept for the GetManagedObjects call being answered, made at its first use; NULL while
 * anything else is answered or sent (Get, GetAll, PropertiesChanged, InterfacesAdded). */
static int kept_containers(Manager *m, sd_bus *bus, BusPodContainers **ret) {
        _cleanup_(bus_pod_containers_freep) BusPodContainers *l = NULL;
        sd_bus_message *call = sd_bus_get_current_message(bus);
        int r;

        if (!call || sd_bus_message_is_method_call(call, "org.freedesktop.DBus.ObjectManager",
                                                   "GetManagedObjects") <= 0) {
                *ret = NULL;
                return 0;
        }
        if (m->bus_pod_containers && m->bus_pod_containers->call == call) {
                *ret = m->bus_pod_containers;
                return 0;
        }

        r = bus_pod_containers_new(m, /* only= */ NULL, &l);
        if (r < 0)
                return r;
        r = sd_event_add_defer(m->event, &l->drop, on_drop_containers, m);
        if (r < 0)
                return r;
        l->call = sd_bus_message_ref(call);
        bus_pod_containers_free(m->bus_pod_containers);
        *ret = m->bus_pod_containers = TAKE_PTR(l);
        return 0;
}

static int property_get_containers(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        _cleanup_(bus_pod_containers_freep) BusPodContainers *own = NULL;
        BusPodContainers *l;
        Container **containers;
        Pod *p = userdata;
        size_t n;
        int r;

        /* Read from the container store, the same containers CRI's ListContainers gives. */
        r = kept_containers(p->manager, bus, &l);
        if (r < 0)
                return r;
        if (!l) {
                r = bus_pod_containers_new(p->manager, p, &own);
                if (r < 0)
                        return r;
                l = own;
        }
        containers = bus_pod_containers_of(l, p, &n);

        r = sd_bus_message_open_container(reply, 'a', "o");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = bus_append_object_path(reply, BUS_CONTAINER_PREFIX, containers[i]->id);
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
        SD_BUS_PROPERTY("Labels", "a{ss}", bus_property_get_pairs, offsetof(Pod, config.labels),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Annotations", "a{ss}", bus_property_get_pairs, offsetof(Pod, config.annotations),
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
        const char *id = bus_path_to_id(path, BUS_POD_PREFIX);
        Pod *p;

        if (!id)
                return 0;
        /* Objects are named by full ids only: a prefix is for GetPod to resolve. */
        p = visible_pod(userdata, id);
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

int pod_dbus_append_managed(Manager *m, sd_bus *bus, sd_bus_message *reply, sd_bus_error *error) {
        _cleanup_free_ Pod **pods = NULL;
        size_t n;
        int r;

        /* The pods pod_node_enumerator() lists, in its order: the visible ones, which
         * pod_object_find() finds. */
        r = pod_store_list(m->pods, &pods, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                char path[BUS_OBJECT_PATH_MAX];

                r = bus_object_path(path, BUS_POD_PREFIX, pods[i]->id);
                if (r < 0)
                        return r;
                r = bus_append_managed_object(bus, reply, path, BUS_INTERFACE_POD, pod_vtable, pods[i], error);
                if (r < 0)
                        return r;
        }
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

/* The lookups of bus_lookup(), on the Manager. */
static void *pod_get(void *userdata, const char *id_or_name) {
        Manager *m = userdata;
        Pod *p;

        p = visible_pod(m, id_or_name);
        if (!p) {
                p = pod_store_get_by_name(m->pods, id_or_name);
                if (p && !pod_is_visible(p))
                        p = NULL;
        }
        return p;
}

static int pod_find_by_metadata_name(void *userdata, const char *name, void **ret) {
        _cleanup_free_ Pod **pods = NULL;
        Manager *m = userdata;
        Pod *found = NULL;
        size_t n;
        int r;

        r = pod_store_list(m->pods, &pods, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (strcmp(pods[i]->config.name, name) != 0)
                        continue;
                if (found)
                        return -ENOTUNIQ;
                found = pods[i];
        }
        if (!found)
                return 0;
        *ret = found;
        return 1;
}

static int pod_find_by_id(void *userdata, const char *id_or_prefix, void **ret) {
        Manager *m = userdata;
        Pod *p;
        int r;

        r = pod_store_find(m->pods, id_or_prefix, &p);
        if (r < 0)
                return r;
        *ret = p;
        return 0;
}

static const BusLookup pod_lookup = {
        .kind = "pod",
        .kinds = "pods",
        .error_no_such = BUS_ERROR_NO_SUCH_POD,
        .get = pod_get,
        .find_by_metadata_name = pod_find_by_metadata_name,
        .find_by_id = pod_find_by_id,
};

int pod_dbus_lookup(Manager *m, const char *key, char **ret_path, sd_bus_error *error) {
        void *p;
        int r;

        r = bus_lookup(&pod_lookup, m, key, &p, error);
        if (r < 0)
                return r;
        return bus_pod_path(((Pod *) p)->id, ret_path);
}

static int find_by_id(Manager *m, const char *id, Pod **ret, sd_bus_error *error) {
        void *p;
        int r;

        r = bus_lookup_by_id(&pod_lookup, m, id, &p, error);
        if (r < 0)
                return r;
        *ret = p;
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

        if (!p->manager->bus || !pod_is_visible(p))
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

int pod_dbus_send_new(Pod *p) {
        if (!p->manager->bus || !pod_is_visible(p))
                return 0;
        return manager_bus_send_pod_new(p->manager, p->id);
}

int pod_dbus_send_removed(Pod *p) {
        if (!p->manager->bus || !pod_is_visible(p))
                return 0;
        return manager_bus_send_pod_removed(p->manager, p->id);
}
