/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Containers on the bus: /org/crio1/container/<id>, interface org.crio1.Container, and what the
 * Manager's container methods do. The daemon does not keep containers yet, so nothing is ever
 * found: the objects, the enumerator and the lookups are in place for the container subsystem to
 * fill in (see the TODOs in container-dbus.c). */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "manager.h"

extern const sd_bus_vtable container_vtable[];
/* The states ListContainers filters on, as CRI names them without the CONTAINER_ prefix. */
extern const char *const container_dbus_states[];

int container_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                          sd_bus_error *error);
int container_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                              sd_bus_error *error);

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
