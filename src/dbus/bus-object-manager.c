/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <string.h>

#include "bus-object-manager.h"
#include "bus-util.h"

/* Names and signatures of our own vtables and the standard interfaces: known valid. */
static int append_name(sd_bus_message *m, const char *s) {
        return bus_append_trusted_string(m, s, strlen(s));
}

static int append_empty_interface(sd_bus_message *reply, const char *interface) {
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sa{sv}");
        if (r >= 0)
                r = append_name(reply, interface);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int append_strv(sd_bus_message *reply, char **l) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (char **s = l; s && *s; s++) {
                r = bus_append_string(reply, *s);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

/* What sd-bus does for a property without a getter: "as" and the basic types, read at the offset. */
static int append_by_offset(sd_bus_message *reply, const char *signature, void *p) {
        if (strcmp(signature, "as") == 0)
                return append_strv(reply, *(char ***) p);
        switch (signature[0]) {
        case 's':
                return bus_append_string(reply, *(char **) p);
        case 'g':
                return sd_bus_message_append_basic(reply, 'g', *(char **) p ?: "");
        case 'o':
                return sd_bus_message_append_basic(reply, 'o', *(char **) p);
        default:
                return sd_bus_message_append_basic(reply, signature[0], p);
        }
}

static int append_property(sd_bus *bus, sd_bus_message *reply, const char *path, const char *interface,
                           const sd_bus_vtable *v, void *userdata, sd_bus_error *error) {
        /* As sd-bus: the offset is added to the object, unless it is absolute. */
        void *p = !userdata || (v->flags & SD_BUS_VTABLE_ABSOLUTE_OFFSET) ? (void *) v->x.property.offset
                                                                          : (char *) userdata + v->x.property.offset;
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = append_name(reply, v->x.property.member);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', v->x.property.signature);
        if (r < 0)
                return r;
        if (v->x.property.get) {
                r = v->x.property.get(bus, path, interface, v->x.property.member, reply, p, error);
                if (r >= 0 && sd_bus_error_is_set(error))
                        r = -sd_bus_error_get_errno(error);
        } else
                r = append_by_offset(reply, v->x.property.signature, p);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

int bus_append_managed_object(sd_bus *bus, sd_bus_message *reply, const char *path, const char *interface,
                              const sd_bus_vtable *vtable, void *userdata, sd_bus_error *error) {
        int r;

        r = sd_bus_message_open_container(reply, 'e', "oa{sa{sv}}");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'o', path);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sa{sv}}");
        /* sd-bus lists these for every object, with no properties. */
        if (r >= 0)
                r = append_empty_interface(reply, "org.freedesktop.DBus.Peer");
        if (r >= 0)
                r = append_empty_interface(reply, "org.freedesktop.DBus.Introspectable");
        if (r >= 0)
                r = append_empty_interface(reply, "org.freedesktop.DBus.Properties");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'e', "sa{sv}");
        if (r >= 0)
                r = append_name(reply, interface);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;

        /* The properties GetAll and sd-bus's GetManagedObjects give: neither hidden nor explicit. */
        if (!(vtable[0].flags & SD_BUS_VTABLE_HIDDEN))
                for (const sd_bus_vtable *v = vtable + 1; v->type != _SD_BUS_VTABLE_END; v++) {
                        if (!IN_SET(v->type, _SD_BUS_VTABLE_PROPERTY, _SD_BUS_VTABLE_WRITABLE_PROPERTY))
                                continue;
                        if (v->flags & (SD_BUS_VTABLE_HIDDEN | SD_BUS_VTABLE_PROPERTY_EXPLICIT))
                                continue;
                        r = append_property(bus, reply, path, interface, v, userdata, error);
                        if (r < 0)
                                return r;
                }

        for (unsigned i = 0; i < 4; i++) {
                r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        return 0;
}
