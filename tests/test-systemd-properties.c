/* SPDX-License-Identifier: Apache-2.0 */

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>

#include "systemd-manager.h"
#include "tap.h"
#include "unit-properties.h"

/* Messages need a bus object, not a connection: one set up on a socketpair that nobody answers. */
static sd_bus *test_bus(int fds[2]) {
        sd_bus *bus = NULL;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0)
                return NULL;
        if (sd_bus_new(&bus) < 0)
                return NULL;
        if (sd_bus_set_fd(bus, fds[0], fds[0]) < 0 || sd_bus_start(bus) < 0)
                return sd_bus_unref(bus);
        return bus;
}

static sd_bus_message *new_message(sd_bus *bus) {
        sd_bus_message *m = NULL;

        if (sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "StartTransientUnit") < 0)
                return NULL;
        return m;
}

static void test_list(void) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *l = NULL, *c = NULL;
        const pid_t pids[] = { 1, 42 };
        const char *strv[] = { "a", "b", NULL };
        _cleanup_free_ char *s = NULL;
        const UnitProperty *p;
        uint64_t u;
        const char *str;
        bool b;

        TAP_IS_INT(unit_property_list_new(&l), 0, "new list");
        TAP_IS_INT(unit_property_list_size(l), 0, "empty");
        TAP_IS_INT(unit_property_list_add_string(l, "Description", "pod x"), 0, "add string");
        TAP_IS_INT(unit_property_list_add_boolean(l, "Delegate", true), 0, "add boolean");
        TAP_IS_INT(unit_property_list_add_uint64(l, "MemoryMax", 1 << 20), 0, "add uint64");
        TAP_IS_INT(unit_property_list_add_int64(l, "Nice", -5), 0, "add int64");
        TAP_IS_INT(unit_property_list_add_uint32(l, "U", 7), 0, "add uint32");
        TAP_IS_INT(unit_property_list_add_int32(l, "I", -7), 0, "add int32");
        TAP_IS_INT(unit_property_list_add_pids(l, pids, 2), 0, "add pids");
        TAP_IS_INT(unit_property_list_add_strv(l, "Wants", (char **) strv), 0, "add strv");
        TAP_IS_INT(unit_property_list_add_cpuset(l, "AllowedCPUs", "0-1,9"), 0, "add cpuset");
        TAP_IS_INT(unit_property_list_add_uint64(l, "TasksMax", UINT64_MAX), 0, "add infinity");
        TAP_IS_INT(unit_property_list_size(l), 10, "ten properties");

        TAP_IS_INT(unit_property_list_add_uint64(l, "MemoryMax", 2 << 20), 0, "replace");
        TAP_IS_INT(unit_property_list_size(l), 10, "still ten");
        TAP_IS_INT(unit_property_list_get_uint64(l, "MemoryMax", &u), 0, "get uint64");
        TAP_IS_INT(u, 2 << 20, "later value wins");

        TAP_IS_INT(unit_property_list_add_string(l, "", "x"), -EINVAL, "empty name");
        TAP_IS_INT(unit_property_list_add_string(l, NULL, "x"), -EINVAL, "NULL name");
        TAP_IS_INT(unit_property_list_add_string(l, "X", NULL), -EINVAL, "NULL value");
        TAP_IS_INT(unit_property_list_add_pids(l, (pid_t[]) { 0 }, 1), -EINVAL, "pid 0");
        TAP_IS_INT(unit_property_list_add_cpuset(l, "AllowedCPUs", "x"), -EINVAL, "bad cpuset");
        TAP_IS_INT(unit_property_list_add_uint64(NULL, "X", 1), -EINVAL, "NULL list");

        TAP_IS_INT(unit_property_list_get_string(l, "Description", &str), 0, "get string");
        TAP_IS_STR(str, "pod x", "string value");
        TAP_IS_INT(unit_property_list_get_boolean(l, "Delegate", &b), 0, "get boolean");
        TAP_OK(b, "boolean value");
        TAP_IS_INT(unit_property_list_get_uint64(l, "Nice", &u), -ERANGE, "negative is no uint64");
        TAP_IS_INT(unit_property_list_get_uint64(l, "U", &u), 0, "uint32 as uint64");
        TAP_IS_INT(u, 7, "uint32 value");
        TAP_IS_INT(unit_property_list_get_uint64(l, "Description", &u), -EBADMSG, "string is no number");
        TAP_IS_INT(unit_property_list_get_string(l, "Missing", &str), -ENOENT, "missing");
        TAP_IS_INT(unit_property_list_get_boolean(l, "MemoryMax", &b), -EBADMSG, "number is no boolean");

        p = unit_property_list_find(l, "PIDs");
        TAP_OK(p && p->type == UNIT_PROPERTY_UINT32_ARRAY && p->u32_array.n == 2 && p->u32_array.items[1] == 42,
               "PIDs as au");
        p = unit_property_list_find(l, "AllowedCPUs");
        TAP_OK(p && p->type == UNIT_PROPERTY_BYTES && p->bytes.size == 2 && p->bytes.data[0] == 0x03 &&
               p->bytes.data[1] == 0x02, "cpuset as ay");

        TAP_IS_INT(unit_property_list_format(l, &s), 0, "format");
        TAP_IS_STR(s, "Description=pod x Delegate=yes MemoryMax=2097152 Nice=-5 U=7 I=-7 PIDs=1,42 "
                   "Wants=a,b AllowedCPUs=0302 TasksMax=infinity", "formatted");
        s = mfree(s);

        TAP_IS_INT(unit_property_list_copy(l, &c), 0, "copy");
        TAP_IS_INT(unit_property_list_remove(l, "Delegate"), 1, "remove");
        TAP_IS_INT(unit_property_list_remove(l, "Delegate"), 0, "remove again");
        TAP_OK(!unit_property_list_contains(l, "Delegate"), "gone");
        TAP_OK(unit_property_list_contains(c, "Delegate"), "copy unaffected");
        TAP_IS_INT(unit_property_list_size(c), 10, "copy size");
        TAP_IS_INT(unit_property_list_format(c, &s), 0, "format copy");
        TAP_IS_STR(s, "Description=pod x Delegate=yes MemoryMax=2097152 Nice=-5 U=7 I=-7 PIDs=1,42 "
                   "Wants=a,b AllowedCPUs=0302 TasksMax=infinity", "deep copy equal");
        s = mfree(s);
        TAP_IS_INT(unit_property_list_format(l, &s), 0, "format after remove");
        TAP_IS_STR(s, "Description=pod x MemoryMax=2097152 Nice=-5 U=7 I=-7 PIDs=1,42 Wants=a,b "
                   "AllowedCPUs=0302 TasksMax=infinity", "order kept");
        s = mfree(s);

        unit_property_list_free(c);
        TAP_IS_INT(unit_property_list_copy(NULL, &c), 0, "copy of NULL");
        TAP_IS_INT(unit_property_list_size(c), 0, "is empty");

        for (UnitPropertyType t = 0; t < _UNIT_PROPERTY_TYPE_MAX; t++) {
                TAP_IS_INT(unit_property_type_from_string(unit_property_type_to_string(t)), t,
                           "type %s round trip", unit_property_type_to_string(t));
                TAP_OK(unit_property_type_signature(t), "type %s has a signature", unit_property_type_to_string(t));
        }
        TAP_OK(!unit_property_type_signature(_UNIT_PROPERTY_TYPE_INVALID), "invalid has no signature");
        TAP_IS_INT(unit_property_type_from_string("float"), _UNIT_PROPERTY_TYPE_INVALID, "unknown type");
}

static void test_message(sd_bus *bus) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *l = NULL, *back = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;
        const char *sig;
        int r;

        (void) unit_property_list_new(&l);
        (void) unit_property_list_add_string(l, "Slice", "crio-pod.slice");
        (void) unit_property_list_add_boolean(l, "Delegate", true);
        (void) unit_property_list_add_uint64(l, "MemoryMax", 64 << 20);
        (void) unit_property_list_add_int64(l, "X", -1);
        (void) unit_property_list_add_uint32(l, "U", 3);
        (void) unit_property_list_add_int32(l, "I", -3);
        (void) unit_property_list_add_pids(l, (pid_t[]) { 100, 200, 300 }, 3);
        (void) unit_property_list_add_strv(l, "After", (char *[]) { "x.service", NULL });
        (void) unit_property_list_add_cpuset(l, "AllowedCPUs", "1");
        (void) unit_property_list_add_strv(l, "Empty", (char *[]) { NULL });

        m = new_message(bus);
        TAP_OK(m, "message on an unconnected bus");
        if (!m)
                return;
        TAP_IS_INT(sd_bus_message_append(m, "ss", "crio-x.scope", "fail"), 1, "unit and mode");
        TAP_OK(unit_property_list_append(m, l) >= 0, "append a(sv)");
        TAP_IS_INT(sd_bus_message_append(m, "a(sa(sv))", 0), 1, "aux");
        TAP_IS_INT(sd_bus_message_seal(m, 1, 0), 0, "seal");
        sig = sd_bus_message_get_signature(m, true);
        TAP_IS_STR(sig, "ssa(sv)a(sa(sv))", "StartTransientUnit signature");

        /* Read it back as systemd would, through our own variant reader. */
        TAP_IS_INT(sd_bus_message_rewind(m, true), 1, "rewind");
        TAP_IS_INT(sd_bus_message_skip(m, "ss"), 1, "skip name and mode");
        TAP_IS_INT(sd_bus_message_enter_container(m, 'a', "(sv)"), 1, "enter array");
        (void) unit_property_list_new(&back);
        for (;;) {
                const char *name;

                r = sd_bus_message_enter_container(m, 'r', "sv");
                if (r <= 0)
                        break;
                if (sd_bus_message_read(m, "s", &name) < 0)
                        break;
                r = unit_property_list_read_variant(back, name, m);
                if (r < 0)
                        break;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        break;
        }
        TAP_IS_INT(r, 0, "read every property");
        TAP_IS_INT(unit_property_list_format(l, &a), 0, "format sent");
        TAP_IS_INT(unit_property_list_format(back, &b), 0, "format received");
        TAP_IS_STR(b, a, "round trip through a(sv)");

        /* An empty list is an empty array. */
        m = sd_bus_message_unref(m);
        m = new_message(bus);
        TAP_OK(unit_property_list_append(m, NULL) >= 0, "append NULL list");
        TAP_IS_INT(sd_bus_message_seal(m, 2, 0), 0, "seal");
        TAP_IS_STR(sd_bus_message_get_signature(m, true), "a(sv)", "empty a(sv)");

        /* Variants of a type we do not keep are skipped, and reading continues after them. */
        m = sd_bus_message_unref(m);
        m = new_message(bus);
        TAP_IS_INT(sd_bus_message_append(m, "vv", "d", 1.5, "o", "/a/b"), 1, "double and path");
        TAP_IS_INT(sd_bus_message_seal(m, 3, 0), 0, "seal");
        TAP_IS_INT(sd_bus_message_rewind(m, true), 1, "rewind");
        TAP_IS_INT(unit_property_list_read_variant(back, "D", m), -EOPNOTSUPP, "double unsupported");
        TAP_IS_INT(unit_property_list_read_variant(back, "O", m), 0, "object path read");
        const char *path = NULL;
        TAP_IS_INT(unit_property_list_get_string(back, "O", &path), 0, "path stored");
        TAP_IS_STR(path, "/a/b", "path as string");
        TAP_OK(!unit_property_list_contains(back, "D"), "nothing stored for the double");
}

/* sd-bus never overwrites a set error: free it first. */
static void set_error(sd_bus_error *e, const char *name, const char *message) {
        sd_bus_error_free(e);
        sd_bus_error_set_const(e, name, message);
}

static void test_rejected(void) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *l = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        (void) unit_property_list_new(&l);
        (void) unit_property_list_add_uint64(l, "MemoryMax", 1);
        (void) unit_property_list_add_uint64(l, "MemorySwapMax", 1);
        (void) unit_property_list_add_uint64(l, "Max", 1);
        (void) unit_property_list_add_boolean(l, "MadeUpProperty", true);

        set_error(&e, SD_BUS_ERROR_PROPERTY_READ_ONLY,
                               "Cannot set property MadeUpProperty, or unknown property.");
        TAP_IS_STR(unit_property_list_find_rejected(l, &e), "MadeUpProperty", "systemd's read-only answer");
        set_error(&e, SD_BUS_ERROR_PROPERTY_READ_ONLY,
                               "Cannot set property MemorySwapMax, or unknown property.");
        TAP_IS_STR(unit_property_list_find_rejected(l, &e), "MemorySwapMax", "whole words only");
        set_error(&e, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown property 'MemoryMax'");
        TAP_IS_STR(unit_property_list_find_rejected(l, &e), "MemoryMax", "UnknownProperty, quoted");
        set_error(&e, SD_BUS_ERROR_INVALID_ARGS, "Unknown assignment MemoryMax=1");
        TAP_IS_STR(unit_property_list_find_rejected(l, &e), "MemoryMax", "older InvalidArgs wording");
        set_error(&e, SD_BUS_ERROR_INVALID_ARGS, "Value of MemoryMax out of range");
        TAP_OK(!unit_property_list_find_rejected(l, &e), "a bad value is no unknown property");
        set_error(&e, "org.freedesktop.systemd1.UnitExists", "Unit MemoryMax already exists.");
        TAP_OK(!unit_property_list_find_rejected(l, &e), "other errors");
        set_error(&e, SD_BUS_ERROR_PROPERTY_READ_ONLY, "Cannot set property Other.");
        TAP_OK(!unit_property_list_find_rejected(l, &e), "a name not ours");
        TAP_OK(!unit_property_list_find_rejected(l, NULL), "no error");
        sd_bus_error_free(&e);
}

static void test_errors(void) {
        sd_bus_error e = SD_BUS_ERROR_NULL;

        TAP_IS_INT(job_result_to_errno("done"), 0, "done");
        TAP_IS_INT(job_result_to_errno("skipped"), 0, "skipped");
        TAP_IS_INT(job_result_to_errno("failed"), -EIO, "failed");
        TAP_IS_INT(job_result_to_errno("canceled"), -ECANCELED, "canceled");
        TAP_IS_INT(job_result_to_errno("timeout"), -ETIMEDOUT, "timeout");
        TAP_IS_INT(job_result_to_errno("dependency"), -ENOLINK, "dependency");
        TAP_IS_INT(job_result_to_errno("brand-new"), -EIO, "unknown result");
        TAP_IS_INT(job_result_to_errno(NULL), -EIO, "no result");
        for (JobResult r = 0; r < _JOB_RESULT_MAX; r++)
                TAP_IS_INT(job_result_from_string(job_result_to_string(r)), r, "result %s round trip",
                           job_result_to_string(r));
        TAP_OK(!job_result_to_string(_JOB_RESULT_INVALID), "invalid result has no name");

        TAP_IS_INT(systemd_bus_error_to_errno(NULL), 0, "no error");
        set_error(&e, "org.freedesktop.systemd1.NoSuchUnit", "Unit x.scope not loaded.");
        TAP_IS_INT(systemd_bus_error_to_errno(&e), -ENOENT, "NoSuchUnit");
        set_error(&e, "org.freedesktop.systemd1.UnitExists", "exists");
        TAP_IS_INT(systemd_bus_error_to_errno(&e), -EEXIST, "UnitExists");
        set_error(&e, SD_BUS_ERROR_ACCESS_DENIED, "no");
        TAP_IS_INT(systemd_bus_error_to_errno(&e), -EACCES, "AccessDenied");
        set_error(&e, "com.example.Weird", "?");
        TAP_IS_INT(systemd_bus_error_to_errno(&e), -EIO, "unknown error name");
        sd_bus_error_free(&e);
}

int main(void) {
        int fds[2] = { -EBADF, -EBADF };
        sd_bus *bus;

        test_list();
        bus = test_bus(fds);
        TAP_OK(bus, "unconnected bus object");
        if (bus)
                test_message(bus);
        /* No flush: nobody will ever finish the authentication. */
        sd_bus_close_unref(bus);
        safe_close(fds[1]);
        test_rejected();
        test_errors();
        return tap_done();
}
