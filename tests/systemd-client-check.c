/* SPDX-License-Identifier: Apache-2.0 */

/* Exercises SystemdClient against a real systemd (run inside the test host by
 * tests/integration/test_systemd_client.py) and prints TAP.
 *
 *   systemd-client-check                   every operation, TAP on stdout
 *   systemd-client-check create SLICE SCOPE  a slice with limits and a scope holding a sleeping
 *                                            process, left running for the caller to inspect
 *   systemd-client-check stop UNIT          stops UNIT and waits for the job */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-util.h"
#include "log.h"
#include "systemd-manager.h"
#include "tap.h"
#include "unit-name.h"

#define MiB (UINT64_C(1024) * UINT64_C(1024))

static sd_event *event;
static SystemdClient *client;

typedef struct JobOutcome {
        bool done;
        int r;
        char result[32];
} JobOutcome;

static void on_job(int r, const char *result, void *userdata) {
        JobOutcome *o = userdata;

        o->done = true;
        o->r = r;
        snprintf(o->result, sizeof(o->result), "%s", result ?: "");
}

typedef struct PropertiesOutcome {
        bool done;
        int r;
        UnitPropertyList *values;
} PropertiesOutcome;

static void on_properties(int r, const UnitPropertyList *values, void *userdata) {
        PropertiesOutcome *o = userdata;

        o->done = true;
        o->r = r;
        if (values)
                (void) unit_property_list_copy(values, &o->values);
}

typedef struct WatchLog {
        unsigned n;
        char active[32];
        char sub[32];
        bool removed;
} WatchLog;

static void on_state(const char *unit, const char *active, const char *sub, bool removed, void *userdata) {
        WatchLog *w = userdata;

        w->n++;
        snprintf(w->active, sizeof(w->active), "%s", active);
        snprintf(w->sub, sizeof(w->sub), "%s", sub);
        w->removed = w->removed || removed;
        printf("# %s: %s/%s%s\n", unit, active, sub, removed ? " (removed)" : "");
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Runs the loop until *flag or the deadline; true if the flag came. */
static bool run_until(const bool *flag, unsigned seconds) {
        uint64_t deadline = now_usec() + (uint64_t) seconds * 1000000;

        while (!*flag && now_usec() < deadline)
                if (sd_event_run(event, 100 * 1000) < 0)
                        return false;
        return *flag;
}

static bool watch_inactive(const WatchLog *w) {
        return w->removed || strcmp(w->active, "inactive") == 0 || strcmp(w->active, "failed") == 0;
}

static bool run_until_inactive(const WatchLog *w, unsigned seconds) {
        uint64_t deadline = now_usec() + (uint64_t) seconds * 1000000;

        while (!watch_inactive(w) && now_usec() < deadline)
                if (sd_event_run(event, 100 * 1000) < 0)
                        return false;
        return watch_inactive(w);
}

static void run_for(unsigned msec) {
        uint64_t deadline = now_usec() + (uint64_t) msec * 1000;

        while (now_usec() < deadline)
                (void) sd_event_run(event, 50 * 1000);
}

/* A process that sleeps until killed. */
static pid_t spawn_sleeper(bool detach) {
        pid_t pid = fork();

        if (pid < 0)
                return -1;
        if (pid == 0) {
                if (detach) {
                        /* Outlives us: must not hold the caller's pipes open. */
                        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                        if (fd >= 0) {
                                (void) dup2(fd, STDIN_FILENO);
                                (void) dup2(fd, STDOUT_FILENO);
                                (void) dup2(fd, STDERR_FILENO);
                        }
                        (void) setsid();
                } else
                        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                execl("/bin/sleep", "sleep", "1000", (char *) NULL);
                _exit(127);
        }
        return pid;
}

static int start_slice(const char *slice, uint64_t memory_max, JobOutcome *o) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *p = NULL;
        CGroupMode mode = cgroup_get_mode();

        (void) unit_property_list_new(&p);
        (void) unit_property_list_add_uint64(p, "MemoryMax", memory_max);
        (void) unit_property_list_add_uint64(p, "TasksMax", 64);
        (void) unit_property_list_add_uint64(p, "CPUQuotaPerSecUSec", cgroup_cpu_quota_to_per_sec_usec(50000, 100000));
        if (cgroup_mode_cpu_is_unified(mode))
                (void) unit_property_list_add_uint64(p, "CPUWeight", cgroup_cpu_shares_to_weight(512));
        else
                (void) unit_property_list_add_uint64(p, "CPUShares", 512);
        return systemd_client_start_transient_slice(client, slice, "crio check pod", p, on_job, o, NULL);
}

static int start_scope(const char *scope, const char *slice, pid_t pid, bool made_up, JobOutcome *o,
                       SystemdRequest **ret) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *p = NULL;

        (void) unit_property_list_new(&p);
        (void) unit_property_list_add_boolean(p, "Delegate", true);
        (void) unit_property_list_add_uint64(p, "MemoryMax", 128 * MiB);
        if (made_up)
                (void) unit_property_list_add_boolean(p, "CrioMadeUpProperty", true);
        return systemd_client_start_transient_scope(client, scope, slice, "crio check container", &pid, 1, p,
                                                    on_job, o, ret);
}

static bool read_props(const char *unit, const char *interface, char *const *names, PropertiesOutcome *o) {
        *o = (PropertiesOutcome) {};
        if (systemd_client_get_unit_properties(client, unit, interface, names, on_properties, o, NULL) < 0)
                return false;
        return run_until(&o->done, 10) && o->r >= 0;
}

static uint64_t prop_u64(const PropertiesOutcome *o, const char *name) {
        uint64_t v = 0;

        if (unit_property_list_get_uint64(o->values, name, &v) < 0)
                return UINT64_MAX - 1;
        return v;
}

static const char *prop_str(const PropertiesOutcome *o, const char *name) {
        const char *s = NULL;

        if (unit_property_list_get_string(o->values, name, &s) < 0)
                return "(missing)";
        return s;
}

static bool pid_in_cgroup(pid_t pid, const char *path) {
        char fn[64], line[1024];
        bool found = false;
        FILE *f;

        snprintf(fn, sizeof(fn), "/proc/%d/cgroup", (int) pid);
        f = fopen(fn, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f))
                if (strstr(line, path))
                        found = true;
        fclose(f);
        return found;
}

static int wait_child(pid_t pid) {
        int status;

        if (waitpid(pid, &status, 0) < 0)
                return -1;
        return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void check_all(void) {
        const char *slice = "crio-checkpod.slice", *scope = "crio-checkctr.scope";
        _cleanup_free_ char *scope_path = NULL;
        PropertiesOutcome po = {};
        WatchLog slice_watch = {}, scope_watch = {}, scope3_watch = {};
        UnitWatch *sw = NULL, *cw = NULL, *cw3 = NULL;
        SystemdRequest *req = NULL;
        JobOutcome o = {};
        pid_t child, child2, child3;
        int r;

        r = cgroup_get_mode();
        TAP_OK(r >= 0, "cgroup mode %s", cgroup_mode_to_string(r) ?: "unknown");

        /* A slice with limits. */
        TAP_IS_INT(start_slice(slice, 256 * MiB, &o), 0, "start slice queued");
        TAP_OK(run_until(&o.done, 10), "slice job completed");
        TAP_IS_INT(o.r, 0, "slice started");
        TAP_IS_STR(o.result, "done", "slice job result");

        o = (JobOutcome) {};
        TAP_IS_INT(start_slice(slice, 256 * MiB, &o), 0, "second start queued");
        TAP_OK(run_until(&o.done, 10), "second start answered");
        TAP_IS_INT(o.r, -EEXIST, "the slice exists already");
        TAP_IS_STR(o.result, "", "no job ran");

        /* A scope with a process, and a property systemd does not know. */
        child = spawn_sleeper(false);
        TAP_OK(child > 0, "sleeper forked");
        o = (JobOutcome) {};
        TAP_IS_INT(start_scope(scope, slice, child, true, &o, &req), 0, "start scope queued");
        TAP_OK(run_until(&o.done, 10), "scope job completed");
        TAP_IS_INT(o.r, 0, "scope started without the unknown property");
        TAP_IS_STR(o.result, "done", "scope job result");
        TAP_IS_INT(systemd_request_get_n_dropped(req), 1, "one property dropped on retry");
        TAP_OK(!systemd_request_is_pending(req), "request no longer pending");
        req = systemd_request_free(req);

        (void) unit_cgroup_path(slice, scope, &scope_path);
        TAP_IS_STR(scope_path, "/crio.slice/crio-checkpod.slice/crio-checkctr.scope", "scope cgroup path");
        TAP_OK(scope_path && pid_in_cgroup(child, scope_path), "sleeper moved into the scope's cgroup");

        /* Accounting and limits read back. */
        TAP_OK(read_props(scope, NULL,
                          (char *[]) { "MemoryCurrent", "TasksCurrent", "MemoryMax", "CPUUsageNSec", "Delegate",
                                       "ControlGroup", "CrioNoSuchProperty", NULL },
                          &po), "scope properties read");
        TAP_IS_INT(prop_u64(&po, "MemoryMax"), 128 * MiB, "scope MemoryMax");
        TAP_OK(prop_u64(&po, "TasksCurrent") >= 1 && prop_u64(&po, "TasksCurrent") < 100, "TasksCurrent %llu",
               (unsigned long long) prop_u64(&po, "TasksCurrent"));
        TAP_OK(prop_u64(&po, "MemoryCurrent") != UINT64_MAX - 1, "MemoryCurrent present (%llu)",
               (unsigned long long) prop_u64(&po, "MemoryCurrent"));
        TAP_OK(unit_property_list_contains(po.values, "CPUUsageNSec"), "CPUUsageNSec present");
        TAP_IS_STR(prop_str(&po, "ControlGroup"), scope_path, "ControlGroup is the computed path");
        TAP_OK(!unit_property_list_contains(po.values, "CrioNoSuchProperty"), "unknown property left out");
        po.values = unit_property_list_free(po.values);

        TAP_OK(read_props(scope, "org.freedesktop.systemd1.Unit", (char *[]) { "ActiveState", "SubState", NULL },
                          &po), "unit state read");
        TAP_IS_STR(prop_str(&po, "ActiveState"), "active", "scope active");
        TAP_IS_STR(prop_str(&po, "SubState"), "running", "scope running");
        po.values = unit_property_list_free(po.values);

        TAP_OK(read_props(slice, NULL, NULL, &po), "slice GetAll");
        TAP_IS_INT(prop_u64(&po, "MemoryMax"), 256 * MiB, "slice MemoryMax");
        TAP_IS_INT(prop_u64(&po, "TasksMax"), 64, "slice TasksMax");
        TAP_IS_INT(prop_u64(&po, "CPUQuotaPerSecUSec"), 500000, "slice CPU quota");
        if (cgroup_mode_cpu_is_unified(cgroup_get_mode()))
                TAP_IS_INT(prop_u64(&po, "CPUWeight"), cgroup_cpu_shares_to_weight(512), "slice CPUWeight");
        else
                TAP_IS_INT(prop_u64(&po, "CPUShares"), 512, "slice CPUShares");
        TAP_OK(unit_property_list_size(po.values) > 50, "GetAll gave %zu properties",
               unit_property_list_size(po.values));
        po.values = unit_property_list_free(po.values);

        /* Live updates. */
        {
                _cleanup_(unit_property_list_freep) UnitPropertyList *p = NULL;

                (void) unit_property_list_new(&p);
                (void) unit_property_list_add_uint64(p, "MemoryMax", 96 * MiB);
                (void) unit_property_list_add_uint64(p, "TasksMax", 32);
                o = (JobOutcome) {};
                TAP_IS_INT(systemd_client_set_unit_properties(client, scope, true, p, on_job, &o, NULL), 0,
                           "set properties queued");
                TAP_OK(run_until(&o.done, 10), "set properties answered");
                TAP_IS_INT(o.r, 0, "properties set");

                (void) unit_property_list_add_boolean(p, "CrioMadeUpProperty", true);
                (void) unit_property_list_add_uint64(p, "MemoryMax", 80 * MiB);
                o = (JobOutcome) {};
                TAP_IS_INT(systemd_client_set_unit_properties(client, scope, true, p, on_job, &o, &req), 0,
                           "set with an unknown property queued");
                TAP_OK(run_until(&o.done, 10), "answered");
                TAP_IS_INT(o.r, 0, "set after dropping the unknown property");
                TAP_IS_INT(systemd_request_get_n_dropped(req), 1, "dropped one");
                req = systemd_request_free(req);

                unit_property_list_free(p);
                (void) unit_property_list_new(&p);
                (void) unit_property_list_add_string(p, "MemoryMax", "lots");
                o = (JobOutcome) {};
                TAP_IS_INT(systemd_client_set_unit_properties(client, scope, true, p, on_job, &o, &req), 0,
                           "set with a mistyped value queued");
                TAP_OK(run_until(&o.done, 10), "answered");
                TAP_OK(o.r < 0, "mistyped value refused (%s)", strerror(-o.r));
                TAP_IS_INT(systemd_request_get_n_dropped(req), 0, "not dropped: only unknown ones are");
                req = systemd_request_free(req);
        }
        TAP_OK(read_props(scope, NULL, (char *[]) { "MemoryMax", "TasksMax", NULL }, &po), "read back");
        TAP_IS_INT(prop_u64(&po, "MemoryMax"), 80 * MiB, "MemoryMax updated live");
        TAP_IS_INT(prop_u64(&po, "TasksMax"), 32, "TasksMax updated live");
        po.values = unit_property_list_free(po.values);

        /* A watch sees the state now and after a kill. */
        TAP_IS_INT(systemd_client_watch_unit(client, scope, on_state, &scope_watch, &cw), 0, "watch scope");
        {
                uint64_t deadline = now_usec() + 5000000;
                while (scope_watch.n == 0 && now_usec() < deadline)
                        (void) sd_event_run(event, 100 * 1000);
        }
        TAP_IS_STR(scope_watch.active, "active", "watch starts with the current state");

        o = (JobOutcome) {};
        TAP_IS_INT(systemd_client_kill_unit(client, scope, "all", SIGKILL, on_job, &o, NULL), 0, "kill queued");
        TAP_OK(run_until(&o.done, 10), "kill answered");
        TAP_IS_INT(o.r, 0, "killed");
        TAP_IS_INT(wait_child(child), SIGKILL, "sleeper died of SIGKILL");
        TAP_OK(run_until_inactive(&scope_watch, 10), "watch saw the scope end (%s/%s)", scope_watch.active,
               scope_watch.sub);
        cw = unit_watch_free(cw);

        /* Stop through a job. */
        child2 = spawn_sleeper(false);
        o = (JobOutcome) {};
        TAP_IS_INT(start_scope("crio-checkctr2.scope", slice, child2, false, &o, NULL), 0, "second scope queued");
        TAP_OK(run_until(&o.done, 10) && o.r == 0, "second scope started");
        o = (JobOutcome) {};
        TAP_IS_INT(systemd_client_stop_unit(client, "crio-checkctr2.scope", NULL, on_job, &o, NULL), 0,
                   "stop queued");
        TAP_OK(run_until(&o.done, 10), "stop job completed");
        TAP_IS_INT(o.r, 0, "stopped");
        TAP_IS_STR(o.result, "done", "stop job result");
        TAP_IS_INT(wait_child(child2), SIGTERM, "sleeper died of SIGTERM");

        o = (JobOutcome) {};
        TAP_IS_INT(systemd_client_stop_unit(client, "crio-nosuchunit.scope", NULL, on_job, &o, NULL), 0,
                   "stop of a missing unit queued");
        TAP_OK(run_until(&o.done, 10), "answered");
        TAP_IS_INT(o.r, -ENOENT, "missing unit is -ENOENT");
        o = (JobOutcome) {};
        TAP_IS_INT(systemd_client_reset_failed_unit(client, "crio-nosuchunit.scope", on_job, &o, NULL), 0,
                   "reset-failed queued");
        TAP_OK(run_until(&o.done, 10), "answered");
        TAP_OK(o.r == 0 || o.r == -ENOENT, "reset-failed of a missing unit: %d", o.r);

        /* An administrator stops the pod's slice: the watches notice. */
        child3 = spawn_sleeper(false);
        o = (JobOutcome) {};
        TAP_IS_INT(start_scope("crio-checkctr3.scope", slice, child3, false, &o, NULL), 0, "third scope queued");
        TAP_OK(run_until(&o.done, 10) && o.r == 0, "third scope started");
        TAP_IS_INT(systemd_client_watch_unit(client, slice, on_state, &slice_watch, &sw), 0, "watch slice");
        TAP_IS_INT(systemd_client_watch_unit(client, "crio-checkctr3.scope", on_state, &scope3_watch, &cw3), 0,
                   "watch third scope");
        run_for(300);
        TAP_IS_STR(slice_watch.active, "active", "slice active");
        {
                pid_t p = fork();
                if (p == 0) {
                        execlp("systemctl", "systemctl", "--no-block", "stop", slice, (char *) NULL);
                        _exit(127);
                }
                TAP_IS_INT(p > 0 ? wait_child(p) : -1, 0, "systemctl --no-block stop %s", slice);
        }
        TAP_OK(run_until_inactive(&slice_watch, 15), "slice stop noticed (%s/%s%s)", slice_watch.active,
               slice_watch.sub, slice_watch.removed ? ", removed" : "");
        TAP_OK(run_until_inactive(&scope3_watch, 15), "its scope's stop noticed (%s/%s%s)", scope3_watch.active,
               scope3_watch.sub, scope3_watch.removed ? ", removed" : "");
        TAP_IS_INT(wait_child(child3), SIGTERM, "its sleeper got SIGTERM");
        sw = unit_watch_free(sw);
        cw3 = unit_watch_free(cw3);

        /* Refusals before anything is sent. */
        o = (JobOutcome) {};
        TAP_IS_INT(start_scope("bad name.scope", slice, getpid(), false, &o, NULL), -EINVAL, "bad scope name");
        TAP_IS_INT(start_scope("crio-x.slice", slice, getpid(), false, &o, NULL), -EINVAL, "scope must be .scope");
        TAP_IS_INT(systemd_client_start_transient_scope(client, "crio-x.scope", slice, NULL, NULL, 0, NULL, on_job,
                                                        &o, NULL), -EINVAL, "scope without processes");
        TAP_IS_INT(systemd_client_start_transient_slice(client, "a--b.slice", NULL, NULL, on_job, &o, NULL),
                   -EINVAL, "bad slice name");
        TAP_IS_INT(systemd_client_kill_unit(client, scope, "some", SIGTERM, on_job, &o, NULL), -EINVAL,
                   "bad kill target");
        TAP_OK(!o.done, "no callback for refused calls");

        /* A cancelled request never calls back. */
        po = (PropertiesOutcome) {};
        TAP_IS_INT(systemd_client_get_unit_properties(client, "init.scope", NULL, (char *[]) { "TasksCurrent", NULL },
                                                      on_properties, &po, &req), 0, "read queued");
        TAP_OK(systemd_request_is_pending(req), "pending");
        req = systemd_request_free(req);
        run_for(300);
        TAP_OK(!po.done, "cancelled read did not call back");

        TAP_IS_INT(systemd_client_n_pending(client), 0, "nothing left pending");
}

static int cmd_create(const char *slice, const char *scope) {
        JobOutcome o = {};
        pid_t child;

        if (start_slice(slice, 256 * MiB, &o) < 0 || !run_until(&o.done, 10) || (o.r < 0 && o.r != -EEXIST)) {
                fprintf(stderr, "slice %s: %s\n", slice, strerror(-o.r));
                return 1;
        }
        child = spawn_sleeper(true);
        o = (JobOutcome) {};
        if (start_scope(scope, slice, child, false, &o, NULL) < 0 || !run_until(&o.done, 10) || o.r < 0) {
                fprintf(stderr, "scope %s: %s\n", scope, strerror(-o.r));
                (void) kill(child, SIGKILL);
                return 1;
        }
        printf("%d\n", (int) child);
        return 0;
}

static int cmd_stop(const char *unit) {
        JobOutcome o = {};

        if (systemd_client_stop_unit(client, unit, NULL, on_job, &o, NULL) < 0 || !run_until(&o.done, 20) ||
            o.r < 0) {
                fprintf(stderr, "stop %s: %s (%s)\n", unit, strerror(-o.r), o.result);
                return 1;
        }
        printf("%s\n", o.result);
        return 0;
}

int main(int argc, char *argv[]) {
        int r, ret = 0;

        setvbuf(stdout, NULL, _IOLBF, 0);
        log_set_target(LOG_TARGET_CONSOLE);
        log_set_max_level(getenv("CHECK_DEBUG") ? LOG_DEBUG : LOG_WARNING);

        r = sd_event_new(&event);
        if (r < 0)
                return 2;
        r = systemd_client_new(event, &client);
        if (argc == 1) {
                TAP_IS_INT(r, 0, "connected to systemd on the system bus");
                if (r >= 0)
                        check_all();
                ret = tap_done();
        } else if (r < 0) {
                fprintf(stderr, "connect: %s\n", strerror(-r));
                ret = 1;
        } else if (argc == 4 && strcmp(argv[1], "create") == 0)
                ret = cmd_create(argv[2], argv[3]);
        else if (argc == 3 && strcmp(argv[1], "stop") == 0)
                ret = cmd_stop(argv[2]);
        else {
                fprintf(stderr, "usage: %s [create SLICE SCOPE | stop UNIT]\n", argv[0]);
                ret = 2;
        }

        client = systemd_client_free(client);
        event = sd_event_unref(event);
        return ret;
}
