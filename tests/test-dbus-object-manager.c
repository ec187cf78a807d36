/* SPDX-License-Identifier: Apache-2.0 */

/* crio answers GetManagedObjects itself (src/dbus/bus-object-manager.c): its reply must be the one
 * sd-bus's object manager builds from the same vtables. Both answer here, on a private connection,
 * for objects of two fallback vtables with every kind of property crio's vtables use. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>
#include <unistd.h>

#include "bus-object-manager.h"
#include "bus-util.h"
#include "tap.h"

typedef struct Thing {
        const char *id;
        const char *name;
        const char *unset;
        char **list;
        char **pairs;
        int64_t created;
        uint32_t count;
        int32_t code;
        bool flag;
} Thing;

static char *list_two[] = { "one", "zwei é", NULL };
static char *pairs[] = { "app", "bench", "note", "grüße", NULL };

static Thing things_a[] = {
        { .id = "0a1b", .name = "first", .list = list_two, .pairs = pairs, .created = -5, .count = 7, .code = -1,
          .flag = true },
        { .id = "ffff", .name = "Ünïcödé", .created = INT64_MAX, .count = UINT32_MAX, .code = INT32_MIN },
        { .id = "1234", .name = "" },
};
static Thing things_b[] = {
        { .id = "beef", .name = "b one", .pairs = pairs, .flag = true },
        { .id = "0000", .name = "b two", .list = list_two },
};

static int property_get_flag(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Thing *t = userdata;

        return sd_bus_message_append(reply, "b", t->flag);
}

static int property_get_self(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        /* The path a getter is given is the object's. */
        return sd_bus_message_append_basic(reply, 'o', path);
}

static const sd_bus_vtable thing_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", NULL, offsetof(Thing, id), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Name", "s", NULL, offsetof(Thing, name), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Unset", "s", NULL, offsetof(Thing, unset), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Hidden", "s", NULL, offsetof(Thing, name), SD_BUS_VTABLE_HIDDEN),
        SD_BUS_PROPERTY("Explicit", "s", NULL, offsetof(Thing, name), SD_BUS_VTABLE_PROPERTY_EXPLICIT),
        SD_BUS_PROPERTY("List", "as", NULL, offsetof(Thing, list), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Pairs", "a{ss}", bus_property_get_pairs, offsetof(Thing, pairs), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Created", "x", NULL, offsetof(Thing, created), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Count", "u", NULL, offsetof(Thing, count), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Code", "i", NULL, offsetof(Thing, code), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Flag", "b", property_get_flag, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Self", "o", property_get_self, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("Poke", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, NULL, 0),
        SD_BUS_VTABLE_END
};

typedef struct Kind {
        const char *prefix;
        Thing *things;
        size_t n;
} Kind;

static Kind kind_a = { "/t/a", things_a, ELEMENTSOF(things_a) };
static Kind kind_b = { "/t/b", things_b, ELEMENTSOF(things_b) };

static int thing_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                      sd_bus_error *error) {
        const Kind *k = userdata;
        const char *id = bus_path_to_id(path, k->prefix);

        for (size_t i = 0; id && i < k->n; i++)
                if (strcmp(k->things[i].id, id) == 0) {
                        *found = &k->things[i];
                        return 1;
                }
        return 0;
}

static int thing_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        const Kind *k = userdata;
        char **l = calloc(k->n + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < k->n; i++) {
                l[i] = malloc(BUS_OBJECT_PATH_MAX);
                if (!l[i] || bus_object_path(l[i], k->prefix, k->things[i].id) < 0)
                        return -ENOMEM;
        }
        *nodes = l;
        return 0;
}

static int append_kind(sd_bus *bus, sd_bus_message *reply, const Kind *k, sd_bus_error *error) {
        for (size_t i = 0; i < k->n; i++) {
                char path[BUS_OBJECT_PATH_MAX];
                int r;

                r = bus_object_path(path, k->prefix, k->things[i].id);
                if (r >= 0)
                        r = bus_append_managed_object(bus, reply, path, "org.crio1.Test", thing_vtable,
                                                      &k->things[i], error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* As crio's handler of /org/crio1: the kind added last first. */
static int on_root_message(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus *bus = sd_bus_message_get_bus(message);
        int r;

        if (sd_bus_message_is_method_call(message, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects") <= 0)
                return 0;
        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{oa{sa{sv}}}");
        if (r >= 0)
                r = append_kind(bus, reply, &kind_b, error);
        if (r >= 0)
                r = append_kind(bus, reply, &kind_a, error);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(bus, reply, NULL);
        return r < 0 ? r : 1;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        *(sd_bus_message **) userdata = sd_bus_message_ref(m);
        return 0;
}

/* Calls GetManagedObjects on /t, running both ends here until the reply is in. */
static sd_bus_message *get_managed_objects(sd_bus *server, sd_bus *client) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        sd_bus_message *reply = NULL;

        if (sd_bus_call_method_async(client, &slot, NULL, "/t", "org.freedesktop.DBus.ObjectManager",
                                     "GetManagedObjects", on_reply, &reply, NULL) < 0)
                return NULL;
        for (unsigned i = 0; !reply && i < 10000; i++) {
                int a = sd_bus_process(server, NULL), b = sd_bus_process(client, NULL);

                if (a < 0 || b < 0)
                        return NULL;
                if (a == 0 && b == 0)
                        (void) usleep(1000);
        }
        return reply;
}

static char *dump(sd_bus_message *m) {
        char *text = NULL;
        size_t size = 0;
        FILE *f;

        if (!m)
                return strdup("(no reply)");
        f = open_memstream(&text, &size);
        if (!f)
                return NULL;
        /* The body only: the header's serials differ between calls. */
        if (sd_bus_message_rewind(m, true) < 0 || sd_bus_message_dump(m, f, 0) < 0) {
                fclose(f);
                free(text);
                return strdup("(dump failed)");
        }
        fclose(f);
        return text;
}

int main(void) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *ours = NULL;
        _cleanup_free_ char *theirs_text = NULL, *ours_text = NULL;
        sd_bus *server = NULL, *client = NULL;
        sd_bus_message *theirs_reply, *ours_reply;
        sd_id128_t id;
        int fds[2];

        if (!TAP_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0, "socketpair"))
                return tap_done();
        (void) sd_id128_randomize(&id);
        TAP_OK(sd_bus_new(&server) >= 0 && sd_bus_set_fd(server, fds[0], fds[0]) >= 0 &&
               sd_bus_set_server(server, 1, id) >= 0 && sd_bus_set_anonymous(server, 1) >= 0 &&
               sd_bus_start(server) >= 0, "server end started");
        TAP_OK(sd_bus_new(&client) >= 0 && sd_bus_set_fd(client, fds[1], fds[1]) >= 0 &&
               sd_bus_set_anonymous(client, 1) >= 0 && sd_bus_start(client) >= 0, "client end started");

        /* Registered as manager_attach_bus() registers crio's. */
        TAP_OK(sd_bus_add_object_manager(server, NULL, "/t") >= 0 &&
               sd_bus_add_fallback_vtable(server, NULL, kind_a.prefix, "org.crio1.Test", thing_vtable, thing_find,
                                          &kind_a) >= 0 &&
               sd_bus_add_node_enumerator(server, NULL, kind_a.prefix, thing_enumerate, &kind_a) >= 0 &&
               sd_bus_add_fallback_vtable(server, NULL, kind_b.prefix, "org.crio1.Test", thing_vtable, thing_find,
                                          &kind_b) >= 0 &&
               sd_bus_add_node_enumerator(server, NULL, kind_b.prefix, thing_enumerate, &kind_b) >= 0,
               "objects registered");

        theirs_reply = get_managed_objects(server, client);
        TAP_OK(theirs_reply && !sd_bus_message_is_method_error(theirs_reply, NULL), "sd-bus answers");
        theirs_text = dump(theirs_reply);

        TAP_OK(sd_bus_add_object(server, &ours, "/t", on_root_message, NULL) >= 0, "our handler added");
        ours_reply = get_managed_objects(server, client);
        TAP_OK(ours_reply && !sd_bus_message_is_method_error(ours_reply, NULL), "our handler answers");
        ours_text = dump(ours_reply);

        TAP_OK(theirs_text && strstr(theirs_text, "grüße") && strstr(theirs_text, "/t/b/0000") &&
               !strstr(theirs_text, "Hidden") && !strstr(theirs_text, "Explicit"),
               "sd-bus's reply has what the test expects");
        TAP_IS_STR(ours_text, theirs_text, "the same reply as sd-bus's object manager");
        TAP_OK(strcmp(sd_bus_message_get_signature(ours_reply, true) ?: "",
                      sd_bus_message_get_signature(theirs_reply, true) ?: "") == 0, "the same signature");

        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

                /* Not ASCII, not UTF-8: refused, as sd-bus refuses it. */
                TAP_OK(sd_bus_message_new_signal(server, &m, "/t", "org.crio1.Test", "Signal") >= 0 &&
                       bus_append_string(m, "ok") >= 0 && bus_append_string(m, NULL) >= 0 &&
                       bus_append_string(m, "\xc3\xa9t\xc3\xa9") >= 0 && bus_append_string(m, "bad \xff") == -EINVAL &&
                       bus_append_string(m, "01234567\xff") == -EINVAL &&
                       bus_append_string(m, "0123456789abcdef\xfe" "01234567") == -EINVAL &&
                       bus_append_string(m, "0123456789abcdef01234567") >= 0,
                       "strings checked as sd-bus checks them");
        }

        sd_bus_message_unref(theirs_reply);
        sd_bus_message_unref(ours_reply);
        ours = sd_bus_slot_unref(ours);
        sd_bus_flush_close_unref(client);
        sd_bus_flush_close_unref(server);
        return tap_done();
}
