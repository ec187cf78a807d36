/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Containers on the bus: /org/crio1/container/<id>, interface org.crio1.Container, and what the
 * Manager's container methods do. Everything reads the containers of the manager's store, the ones
 * CRI serves; containers being created are left out, as CRI leaves them out. */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "container.h"
#include "manager.h"

typedef struct BusContainerCall BusContainerCall;

extern const sd_bus_vtable container_vtable[];
/* The states ListContainers filters on, as CRI names them without the CONTAINER_ prefix. */
extern const char *const container_dbus_states[];

int container_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                          sd_bus_error *error);
int container_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                              sd_bus_error *error);

/* GetManagedObjects: appends the "{oa{sa{sv}}}" entry of every container object. */
int container_dbus_append_managed(Manager *m, sd_bus *bus, sd_bus_message *reply, sd_bus_error *error);
/* ListContainers: appends one (id, name, pod id, image, state, unit, path) per matching container. */
int container_dbus_append_list(Manager *m, const BusListFilter *filter, sd_bus_message *reply);
/* GetContainer: the path of the container that key names (id, unique id prefix or name). */
int container_dbus_lookup(Manager *m, const char *key, char **ret_path, sd_bus_error *error);
/* StopContainer, RemoveContainer, KillContainer on validated arguments. Each replies to message
 * itself once done (and returns 1), or returns < 0 with error set. */
int container_dbus_stop(Manager *m, sd_bus_message *message, const char *id, uint64_t timeout_sec,
                        sd_bus_error *error);
int container_dbus_remove(Manager *m, sd_bus_message *message, const char *id, sd_bus_error *error);
int container_dbus_kill(Manager *m, sd_bus_message *message, const char *id, int signo, sd_bus_error *error);
/* Stops waiting for the operations the Stop, Kill and Remove calls started; those calls go
 * unanswered (at exit). */
void container_dbus_drop_calls(Manager *m);

/* PropertiesChanged on c's object for the properties named (up to 7, then NULL): the container
 * subsystem calls it when State, Pid, StartedAt, FinishedAt, ExitCode or Reason change. No-op
 * without a bus or while c is created. */
int container_dbus_send_changed(Container *c, const char *property, ...) _sentinel_;
/* ContainerNew with InterfacesAdded, and the pod's Containers: once c is visible (CREATED). */
int container_dbus_send_new(Container *c);
/* ContainerRemoved with InterfacesRemoved: while c is still in the store (the object manager lists
 * the interfaces the finder answers for); the pod's Containers change is sent after it is dropped. */
int container_dbus_send_removed(Container *c);
