/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The Manager on the system bus: org.crio1.Manager at /org/crio1, the object manager there, and the
 * pod and container objects below it (pod-dbus.c, container-dbus.c). */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "manager.h"

/* Connects to the system bus, serves the objects and takes the name org.crio1 (synchronously: this
 * runs once, before READY=1). Without a system bus, or when the name cannot be had, logs a warning
 * and returns 0 with m->bus NULL: crio then runs without D-Bus (by hand, in benchmarks). */
int manager_connect_bus(Manager *m);
/* Serves the objects on bus, a started connection (the tests use a private one), attached to
 * m->event here. Takes a reference. */
int manager_attach_bus(Manager *m, sd_bus *bus);
/* Answers nothing more: drops waiting calls and closes the connection. */
void manager_disconnect_bus(Manager *m);

/* The signals of org.crio1.Manager, for the pod and container subsystems. No-ops without a bus.
 * They also send the object manager's InterfacesAdded/InterfacesRemoved, so they are called while
 * the pod or container is in the store and visible: new once READY (CREATED), removed before it is
 * dropped. */
int manager_bus_send_pod_new(Manager *m, const char *id);
int manager_bus_send_pod_removed(Manager *m, const char *id);
int manager_bus_send_container_new(Manager *m, const char *id);
int manager_bus_send_container_removed(Manager *m, const char *id);
/* PropertiesChanged for the Manager's properties that can change: DefaultRuntime (on reload),
 * RuntimeReady, NetworkReady. */
int manager_bus_send_changed(Manager *m);

/* The NetworkReady property. TODO(network): the network layer provides the answer (a default CNI
 * network loaded, as the CRI Status condition says); until then pods have no network: false. */
bool manager_network_ready(Manager *m);
