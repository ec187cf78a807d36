/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* GetManagedObjects at /org/crio1, answered here instead of by sd-bus's object manager. The reply is
 * the one sd-bus would build (same objects in the same order, each with the Peer, Introspectable and
 * Properties entries sd-bus lists, then its own interface with every property of its vtable), built
 * from the same vtables: the generic path looks each object up again per prefix of its path and
 * checks every string as UTF-8 byte by byte, which made most of the cost of the call. */

#include <stddef.h>
#include <systemd/sd-bus.h>

/* One "{oa{sa{sv}}}" entry of the reply: path with the standard interfaces and interface, its
 * properties read from vtable as sd-bus reads them (by getter, or at their offset from userdata). */
int bus_append_managed_object(sd_bus *bus, sd_bus_message *reply, const char *path, const char *interface,
                              const sd_bus_vtable *vtable, void *userdata, sd_bus_error *error);
