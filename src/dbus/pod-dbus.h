/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Pods on the bus: /org/crio1/pod/<id>, interface org.crio1.Pod, and what the Manager's pod methods
 * do. Everything reads the pods of the manager's PodStore, the ones CRI serves; pods being created
 * are left out, as CRI leaves them out. */

#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "manager.h"
#include "pod.h"

typedef struct BusPodCall BusPodCall;
typedef struct BusPodContainers BusPodContainers;

extern const sd_bus_vtable pod_vtable[];
/* The states ListPods filters on, as CRI names them without the SANDBOX_ prefix. */
extern const char *const pod_dbus_states[];

int pod_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                    sd_bus_error *error);
int pod_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);

/* GetManagedObjects: appends the "{oa{sa{sv}}}" entry of every pod object. */
int pod_dbus_append_managed(Manager *m, sd_bus *bus, sd_bus_message *reply, sd_bus_error *error);
/* ListPods: appends one (id, name, namespace, uid, state, slice, path) per matching pod. */
int pod_dbus_append_list(Manager *m, const BusListFilter *filter, sd_bus_message *reply);
/* GetPod: the path of the pod that key names (id, unique id prefix or name); NoSuchPod otherwise. */
int pod_dbus_lookup(Manager *m, const char *key, char **ret_path, sd_bus_error *error);
/* StopPod, RemovePod on a validated id prefix. Each replies to message itself once done (and returns
 * 1), or returns < 0 with error set. */
int pod_dbus_stop(Manager *m, sd_bus_message *message, const char *id, sd_bus_error *error);
int pod_dbus_remove(Manager *m, sd_bus_message *message, const char *id, sd_bus_error *error);
/* Stops waiting for the operations StopPod and RemovePod calls started; those calls go unanswered
 * (at exit). */
void pod_dbus_drop_calls(Manager *m);
/* Drops the pods' container lists kept for a GetManagedObjects call (at exit). */
void pod_dbus_forget_containers(Manager *m);

/* PropertiesChanged on p's object for the properties named (up to 7, then NULL): the pod
 * subsystem calls it with "State" and "Ips" when they change, the container subsystem with
 * "Containers" when a container of p appears or goes. No-op without a bus or while p is created. */
int pod_dbus_send_changed(Pod *p, const char *property, ...) _sentinel_;
/* PodNew with InterfacesAdded: once p is visible (created, and claimed by kubelet's retry if its
 * run outlived the call). A no-op before that; whoever makes it visible calls it again. */
int pod_dbus_send_new(Pod *p);
/* PodRemoved with InterfacesRemoved, if p was visible: while it is still in the store (the object
 * manager lists the interfaces the finder answers for). */
int pod_dbus_send_removed(Pod *p);
