/* SPDX-License-Identifier: Apache-2.0 */

/* SystemdClient against a fake systemd manager on a socketpair: the orderings and refusals a real
 * systemd rarely shows on demand (JobRemoved before the reply, failed jobs, unknown properties, a
 * lost connection), without any bus daemon. */

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "systemd-manager.h"
#include "tap.h"

#define MANAGER_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"

static sd_event *event;
static sd_bus *server;

/* How the fake answers. */
static bool job_removed_first;
static const char *job_result = "done";
static bool swallow_job;                /* reply with a job but never end it */
static unsigned n_job;
static unsigned n_start_calls;
static char last_properties[512];

static int send_with_sender(sd_bus_message *m) {
        int r;

        /* A peer-to-peer connection has no bus daemon to stamp the sender: do it ourselves. */
        r = sd_bus_message_set_sender(m, "org.freedesktop.systemd1");
        if (r < 0)
                return r;
        return sd_bus_send(server, m, NULL);
}

static int send_job_removed(unsigned id, const char *job, const char *unit, const char *result) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *s = NULL;
        int r;

        r = sd_bus_message_new_signal(server, &s, MANAGER_PATH, MANAGER_IFACE, "JobRemoved");
        if (r < 0)
                return r;
        r = sd_bus_message_append(s, "uoss", id, job, unit, result);
        if (r < 0)
                return r;
        return send_with_sender(s);
}

static int reply_job(sd_bus_message *m, const char *unit) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char job[64];
        unsigned id = ++n_job;
        int r;

        snprintf(job, sizeof(job), MANAGER_PATH "/job/%u", id);

        /* Someone else's job ends too: the client must not take it for ours. */
        r = send_job_removed(id + 1000, MANAGER_PATH "/job/9999", "other.service", "failed");
        if (r < 0)
                return r;
        if (job_removed_first && !swallow_job) {
                r = send_job_removed(id, job, unit, job_result);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "o", job);
        if (r < 0)
                return r;
        r = send_with_sender(reply);
        if (r < 0)
                return r;
        if (!job_removed_first && !swallow_job)
                r = send_job_removed(id, job, unit, job_result);
        return r < 0 ? r : 1;
}

static int method_start_transient(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *unit, *mode, *name;
        char rejected[128] = "";
        size_t len = 0;
        int r;

        n_start_calls++;
        r = sd_bus_message_read(m, "ss", &unit, &mode);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        last_properties[0] = '\0';
        while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                len += (size_t) snprintf(last_properties + len, sizeof(last_properties) - len, "%s%s",
                                         len > 0 ? " " : "", name);
                if (strncmp(name, "Unknown", 7) == 0 && rejected[0] == '\0')
                        snprintf(rejected, sizeof(rejected), "%s", name);
                r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        if (rejected[0] != '\0')
                return sd_bus_error_setf(error, SD_BUS_ERROR_PROPERTY_READ_ONLY,
                                         "Cannot set property %s, or unknown property.", rejected);
        if (strcmp(unit, "exists.scope") == 0)
                return sd_bus_error_setf(error, "org.freedesktop.systemd1.UnitExists", "Unit %s exists.", unit);
        return reply_job(m, unit);
}

static int method_stop(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *unit, *mode;
        int r;

        r = sd_bus_message_read(m, "ss", &unit, &mode);
        if (r < 0)
                return r;
        if (strcmp(unit, "missing.scope") == 0)
                return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", unit);
        return reply_job(m, unit);
}

static int method_subscribe(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = send_with_sender(reply);
        return r < 0 ? r : 1;
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", method_start_transient, 0),
        SD_BUS_METHOD("StopUnit", "ss", "o", method_stop, 0),
        SD_BUS_METHOD("Subscribe", "", "", method_subscribe, 0),
        SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
        SD_BUS_VTABLE_END,
};

typedef struct Outcome {
        unsigned n;
        int r;
        char result[32];
} Outcome;

static void on_job(int r, const char *result, void *userdata) {
        Outcome *o = userdata;

        o->n++;
        o->r = r;
        snprintf(o->result, sizeof(o->result), "%s", result ?: "");
}

static void run_until_called_for(const Outcome *o, unsigned rounds) {
        for (unsigned i = 0; i < rounds && o->n == 0; i++)
                (void) sd_event_run(event, 10 * 1000);
        /* A little more, to catch a second callback. */
        for (unsigned i = 0; i < 5; i++)
                (void) sd_event_run(event, 1000);
}

static void run_until_called(const Outcome *o) {
        run_until_called_for(o, 200);
}

static int start_scope(SystemdClient *c, const char *name, UnitPropertyList *p, Outcome *o) {
        pid_t pid = 1;

        *o = (Outcome) {};
        return systemd_client_start_transient_scope(c, name, "crio-pod.slice", "test", &pid, 1, p, on_job, o, NULL);
}

int main(void) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *p = NULL;
        SystemdClient *client = NULL;
        SystemdRequest *req = NULL;
        sd_bus *bus = NULL;
        sd_id128_t id;
        Outcome o = {};
        int fds[2];

        log_set_target(LOG_TARGET_CONSOLE);
        log_set_max_level(getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_ERR);

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0)
                return 77;
        TAP_IS_INT(sd_event_new(&event), 0, "event loop");
        (void) sd_id128_randomize(&id);
        TAP_OK(sd_bus_new(&server) >= 0 && sd_bus_set_fd(server, fds[0], fds[0]) >= 0 &&
               sd_bus_set_server(server, 1, id) >= 0 && sd_bus_set_anonymous(server, 1) >= 0 &&
               sd_bus_add_object_vtable(server, NULL, MANAGER_PATH, MANAGER_IFACE, manager_vtable, NULL) >= 0 &&
               sd_bus_start(server) >= 0 && sd_bus_attach_event(server, event, 0) >= 0, "fake manager");
        TAP_OK(sd_bus_new(&bus) >= 0 && sd_bus_set_fd(bus, fds[1], fds[1]) >= 0 && sd_bus_set_anonymous(bus, 1) >= 0 &&
               sd_bus_start(bus) >= 0, "client connection");
        TAP_IS_INT(systemd_client_new_with_bus(event, bus, &client), 0, "client on the connection");
        TAP_OK(sd_bus_get_event(bus) == event, "attached to the loop");
        bus = sd_bus_unref(bus);

        (void) unit_property_list_new(&p);
        (void) unit_property_list_add_uint64(p, "MemoryMax", 1 << 20);

        /* The usual order: reply, then JobRemoved. */
        TAP_IS_INT(start_scope(client, "a.scope", p, &o), 0, "start queued");
        TAP_IS_INT(systemd_client_n_pending(client), 1, "one pending");
        run_until_called(&o);
        TAP_IS_INT(o.n, 1, "called back once");
        TAP_IS_INT(o.r, 0, "done");
        TAP_IS_STR(o.result, "done", "result");
        TAP_IS_STR(last_properties, "MemoryMax Description Slice PIDs CollectMode", "properties sent");
        TAP_IS_INT(systemd_client_n_pending(client), 0, "none pending");

        /* JobRemoved before the reply naming the job. */
        job_removed_first = true;
        TAP_IS_INT(start_scope(client, "b.scope", p, &o), 0, "start queued");
        run_until_called(&o);
        TAP_IS_INT(o.n, 1, "early JobRemoved completes the call once");
        TAP_IS_INT(o.r, 0, "done");
        TAP_IS_STR(o.result, "done", "result");

        /* A failed job, either order. */
        job_result = "failed";
        TAP_IS_INT(start_scope(client, "c.scope", p, &o), 0, "start queued");
        run_until_called(&o);
        TAP_IS_INT(o.r, -EIO, "failed job is -EIO");
        TAP_IS_STR(o.result, "failed", "result failed");
        job_removed_first = false;
        job_result = "dependency";
        TAP_IS_INT(start_scope(client, "d.scope", p, &o), 0, "start queued");
        run_until_called(&o);
        TAP_IS_INT(o.r, -ENOLINK, "dependency is -ENOLINK");
        job_result = "done";

        /* Unknown properties are dropped one at a time, essential ones never. */
        (void) unit_property_list_add_boolean(p, "UnknownOne", true);
        (void) unit_property_list_add_boolean(p, "UnknownTwo", true);
        n_start_calls = 0;
        TAP_IS_INT(start_scope(client, "e.scope", p, &o), 0, "start with two unknown properties");
        run_until_called(&o);
        TAP_IS_INT(o.r, 0, "started");
        TAP_IS_INT(n_start_calls, 3, "sent three times");
        TAP_IS_STR(last_properties, "MemoryMax Description Slice PIDs CollectMode", "both dropped");
        TAP_OK(unit_property_list_contains(p, "UnknownOne"), "caller's list untouched");

        /* A property systemd should know is not dropped when it refuses the unit for another reason. */
        (void) unit_property_list_remove(p, "UnknownOne");
        (void) unit_property_list_remove(p, "UnknownTwo");
        n_start_calls = 0;
        TAP_IS_INT(start_scope(client, "exists.scope", p, &o), 0, "start of an existing unit");
        run_until_called(&o);
        TAP_IS_INT(o.r, -EEXIST, "-EEXIST");
        TAP_IS_STR(o.result, "", "no job");
        TAP_IS_INT(n_start_calls, 1, "not retried");

        /* Stop. */
        o = (Outcome) {};
        TAP_IS_INT(systemd_client_stop_unit(client, "missing.scope", NULL, on_job, &o, NULL), 0, "stop queued");
        run_until_called(&o);
        TAP_IS_INT(o.r, -ENOENT, "missing unit");
        o = (Outcome) {};
        TAP_IS_INT(systemd_client_stop_unit(client, "a.scope", "fail", on_job, &o, &req), 0, "stop with a handle");
        TAP_OK(systemd_request_is_pending(req), "pending");
        run_until_called(&o);
        TAP_IS_INT(o.r, 0, "stopped");
        TAP_OK(!systemd_request_is_pending(req), "not pending");
        req = systemd_request_free(req);

        /* Cancelled before the reply: never called. */
        o = (Outcome) {};
        TAP_IS_INT(systemd_client_stop_unit(client, "a.scope", NULL, on_job, &o, &req), 0, "stop to cancel");
        req = systemd_request_free(req);
        run_until_called_for(&o, 20);
        TAP_IS_INT(o.n, 0, "no callback after cancel");
        TAP_IS_INT(systemd_client_n_pending(client), 0, "none pending");

        /* The connection drops while a job runs: the call fails instead of waiting forever. */
        swallow_job = true;
        TAP_IS_INT(start_scope(client, "f.scope", p, &o), 0, "start whose job never ends");
        for (unsigned i = 0; i < 20; i++)
                (void) sd_event_run(event, 1000);
        TAP_IS_INT(o.n, 0, "still waiting for the job");
        TAP_IS_INT(systemd_client_n_pending(client), 1, "pending");
        server = sd_bus_close_unref(server);
        run_until_called(&o);
        TAP_IS_INT(o.n, 1, "called back once");
        TAP_IS_INT(o.r, -ECONNRESET, "connection reset");
        TAP_IS_INT(start_scope(client, "g.scope", p, &o), -ENOTCONN, "new calls refused");

        /* A caller's handle outlives the client. */
        client = systemd_client_free(client);
        event = sd_event_unref(event);
        return tap_done();
}
