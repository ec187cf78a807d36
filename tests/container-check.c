/* SPDX-License-Identifier: Apache-2.0 */

/* Drives one container through src/container/ with the real conmon and an OCI runtime, and prints
 * TAP. Run inside the test host by tests/integration/test_conmon.py, which prepares the bundle.
 *
 *   container-check MODE RUNTIME BUNDLE ID WORKDIR NAME [--systemd-cgroup]
 *
 * MODE "main": the bundle's process prints "hello" on stdout and "oops" on stderr, then waits and
 * exits 7 on SIGTERM: create (conmon placed in crio-conmon-ID.scope with --systemd-cgroup), state,
 * start, exec sync (output, exit codes, timeout), update, log reopen, stop, exit file, delete.
 * MODE "stubborn": the process ignores SIGTERM: stop kills it after a 1 s timeout (137). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conmon.h"
#include "container-stop.h"
#include "container-util.h"
#include "fileio.h"
#include "cri-log.h"
#include "exit-watch.h"
#include "log.h"
#include "oci-runtime.h"
#include "systemd-manager.h"
#include "tap.h"

static sd_event *event;

typedef struct Outcome {
        bool done;
        int r;
} Outcome;

static void wait_for(Outcome *o, uint64_t timeout_usec) {
        uint64_t start, now;

        (void) sd_event_now(event, CLOCK_MONOTONIC, &start);
        while (!o->done) {
                (void) sd_event_run(event, 100000);
                (void) sd_event_now(event, CLOCK_MONOTONIC, &now);
                if (now - start > timeout_usec) {
                        o->r = -ETIME;
                        break;
                }
        }
}

/* ---- conmon placement ---------------------------------------------------------------------- */

static SystemdClient *systemd;
static char *conmon_scope;

static void on_scope(int r, const char *result, void *userdata) {
        Conmon *c = userdata;

        TAP_IS_INT(r, 0, "conmon moved into %s before it proceeded", conmon_scope);
        conmon_proceed(c, r);
}

static int placed_pid;
static char marker_path[4096];

static void on_place(Conmon *c, pid_t pid, void *userdata) {
        int r;

        placed_pid = pid;
        /* conmon has not run the runtime yet: nothing in the bundle from it. */
        TAP_OK(access(marker_path, F_OK) < 0, "conmon waits on the start pipe (no pid file yet)");
        if (!systemd) {
                conmon_proceed(c, 0);
                return;
        }
        r = systemd_client_start_transient_scope(systemd, conmon_scope, "system.slice", "crio check conmon",
                                                 &pid, 1, NULL, on_scope, c, NULL);
        if (r < 0)
                conmon_proceed(c, r);
}

static void on_created(Conmon *c, int r, void *userdata) {
        Outcome *o = userdata;

        o->done = true;
        o->r = r;
}

/* ---- runtime operations -------------------------------------------------------------------- */

typedef struct OpOutcome {
        bool done;
        int r;
        OciOperation *op;
} OpOutcome;

static void on_op(OciOperation *op, int r, void *userdata) {
        OpOutcome *o = userdata;

        o->done = true;
        o->r = r;
        if (r < 0 && oci_operation_get_error(op))
                printf("# %s\n", oci_operation_get_error(op));
}

static int run_op(OpOutcome *o) {
        wait_for((Outcome *) o, 60 * 1000000ULL);
        return o->r;
}

static int state_of(OciRuntime *rt, const char *id, OciStatus *ret) {
        OpOutcome o = {};
        int r;

        r = oci_runtime_state(rt, id, on_op, &o, &o.op);
        if (r < 0)
                return r;
        r = run_op(&o);
        if (r >= 0)
                *ret = oci_operation_get_state(o.op)->status;
        oci_operation_free(o.op);
        return r;
}

static char *process_json(const char *args_json) {
        char *s;

        if (asprintf(&s, "{\"terminal\": false, \"user\": {\"uid\": 0, \"gid\": 0}, \"args\": %s, "
                     "\"env\": [\"PATH=/bin\"], \"cwd\": \"/\"}", args_json) < 0)
                return NULL;
        return s;
}

typedef struct ExecResult {
        int r;
        int exit_code;
        char *out;
        char *err;
} ExecResult;

static void exec_sync(OciRuntime *rt, const char *id, const char *args_json, uint64_t timeout, ExecResult *ret) {
        _cleanup_free_ char *p = process_json(args_json);
        OpOutcome o = {};

        *ret = (ExecResult) { .r = oci_runtime_exec_sync(rt, id, p, timeout, on_op, &o, &o.op) };
        if (ret->r < 0)
                return;
        ret->r = run_op(&o);
        ret->exit_code = oci_operation_get_exit_code(o.op);
        ret->out = strdup(oci_operation_get_stdout(o.op, NULL));
        ret->err = strdup(oci_operation_get_stderr(o.op, NULL));
        oci_operation_free(o.op);
}

static void exec_result_done(ExecResult *r) {
        free(r->out);
        free(r->err);
}

/* ---- exits ----------------------------------------------------------------------------------- */

typedef struct ExitOutcome {
        bool done;
        int r;
        int exit_code;
        bool oom;
        char reason[32];
        char id[256];
} ExitOutcome;

static void on_exit_file(ExitWatch *w, const ContainerExit *e, void *userdata) {
        ExitOutcome *o = userdata;

        o->done = true;
        o->exit_code = e->exit_code;
        o->oom = e->oom_killed;
        snprintf(o->reason, sizeof(o->reason), "%s", e->reason);
        snprintf(o->id, sizeof(o->id), "%s", e->id);
}

static void on_stopped(ContainerStop *s, int r, void *userdata) {
        Outcome *o = userdata;

        o->done = true;
        o->r = r;
}

static void on_reopened(ConmonReopen *op, int r, void *userdata) {
        Outcome *o = userdata;

        o->done = true;
        o->r = r;
}

static bool log_has(const char *log_path, CriLogStream stream, const char *text) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        CriLogLine l;
        const char *p, *end;
        int r;

        if (read_full_file_at(AT_FDCWD, log_path, 1024 * 1024, 0, &data, &size) < 0)
                return false;
        p = data;
        end = data + size;
        while ((r = cri_log_next(&p, end, &l)) != 0) {
                if (r < 0) {
                        printf("# malformed log line in %s\n", log_path);
                        return false;
                }
                if (l.stream == stream && !l.partial && l.content_size == strlen(text) &&
                    memcmp(l.content, text, l.content_size) == 0)
                        return true;
        }
        return false;
}

int main(int argc, char *argv[]) {
        _cleanup_free_ char *root = NULL, *exits = NULL, *sockets = NULL, *logs = NULL, *log_path = NULL,
                            *rotated = NULL;
        const char *mode, *runtime_path, *bundle, *id, *workdir, *name;
        ExitWatch *watch = NULL;
        OciRuntime *rt = NULL;
        Conmon *conmon = NULL;
        ExitOutcome exited = {};
        bool systemd_cgroup;
        OciStatus status;
        int r;

        if (argc < 7) {
                fprintf(stderr, "usage: %s MODE RUNTIME BUNDLE ID WORKDIR NAME [--systemd-cgroup]\n", argv[0]);
                return 2;
        }
        mode = argv[1];
        runtime_path = argv[2];
        bundle = argv[3];
        id = argv[4];
        workdir = argv[5];
        name = argv[6];
        systemd_cgroup = argc > 7 && strcmp(argv[7], "--systemd-cgroup") == 0;

        log_set_max_level(LOG_DEBUG);
        if (asprintf(&root, "%s/runtime-root", workdir) < 0 || asprintf(&exits, "%s/exits", workdir) < 0 ||
            asprintf(&sockets, "%s/sockets", workdir) < 0 || asprintf(&logs, "%s/logs", workdir) < 0 ||
            asprintf(&log_path, "%s/%s.log", logs, name) < 0 || asprintf(&rotated, "%s.1", log_path) < 0 ||
            asprintf(&conmon_scope, "crio-conmon-%s.scope", id) < 0)
                return 1;
        (void) mkdir(sockets, 0700);
        (void) mkdir(logs, 0700);
        snprintf(marker_path, sizeof(marker_path), "%s/pidfile", bundle);

        r = sd_event_default(&event);
        if (r < 0)
                return 1;
        if (systemd_cgroup) {
                r = systemd_client_new(event, &systemd);
                TAP_IS_INT(r, 0, "connected to systemd");
        }

        r = exit_watch_new(event, exits, on_exit_file, &exited, &watch);
        TAP_IS_INT(r, 0, "exit watch on %s", exits);
        r = exit_watch_add(watch, id, bundle);
        TAP_IS_INT(r, 0, "container registered with the exit watch");

        r = oci_runtime_new(event, runtime_path, root, systemd_cgroup, &rt);
        TAP_IS_INT(r, 0, "runtime %s", runtime_path);

        /* Create. */
        ConmonConfig config = {
                .runtime_path = runtime_path,
                .runtime_root = root,
                .systemd_cgroup = systemd_cgroup,
                .exits_dir = exits,
                .socket_dir = sockets,
                .log_level = "debug",
                .log_size_max = -1,
                .log_to_journald = true,
        };
        ConmonContainer ctr = {
                .id = id,
                .name = name,
                .bundle_path = bundle,
                .log_path = log_path,
                .log_tag = name,
        };
        Outcome created = {};
        r = conmon_create(event, &config, &ctr, on_place, on_created, &created, &conmon);
        TAP_IS_INT(r, 0, "conmon started");
        wait_for(&created, 60 * 1000000ULL);
        if (!TAP_IS_INT(created.r, 0, "container created"))
                printf("# %s\n", conmon ? conmon_get_error(conmon) ?: "" : "");
        TAP_OK(placed_pid > 0, "placement hook got conmon's PID %d", placed_pid);
        pid_t container_pid = conmon ? conmon_get_container_pid(conmon) : 0;
        TAP_OK(container_pid > 0, "container PID %d", (int) container_pid);
        TAP_OK(conmon && conmon_get_pid(conmon) > 0, "conmon daemon PID %d", conmon ? (int) conmon_get_pid(conmon) : 0);
        conmon = conmon_free(conmon);
        if (created.r < 0)
                return tap_done();

        r = state_of(rt, id, &status);
        TAP_IS_INT(r, 0, "state read");
        TAP_IS_STR(oci_status_to_string(status), "created", "state is created");

        /* Start. */
        OpOutcome started = {};
        r = oci_runtime_start_container(rt, id, on_op, &started, &started.op);
        if (r >= 0)
                r = run_op(&started);
        TAP_IS_INT(r, 0, "container started");
        started.op = oci_operation_free(started.op);
        r = state_of(rt, id, &status);
        TAP_IS_STR(r >= 0 ? oci_status_to_string(status) : "error", "running", "state is running");

        /* The first output reaches the log. */
        for (int i = 0; i < 50 && !log_has(log_path, CRI_LOG_STREAM_STDOUT, "hello"); i++)
                usleep(100000);
        TAP_OK(log_has(log_path, CRI_LOG_STREAM_STDOUT, "hello"), "log has \"stdout F hello\"");
        TAP_OK(log_has(log_path, CRI_LOG_STREAM_STDERR, "oops"), "log has \"stderr F oops\"");

        if (strcmp(mode, "main") == 0) {
                ExecResult x;

                exec_sync(rt, id, "[\"echo\", \"exec-out\"]", 10 * 1000000ULL, &x);
                TAP_IS_INT(x.r, 0, "exec sync ran");
                TAP_IS_INT(x.exit_code, 0, "exec sync exit code 0");
                TAP_IS_STR(x.out, "exec-out\n", "exec sync stdout");
                exec_result_done(&x);

                exec_sync(rt, id, "[\"sh\", \"-c\", \"echo to-stderr >&2; exit 3\"]", 10 * 1000000ULL, &x);
                TAP_IS_INT(x.r, 0, "exec sync with a failing command ran");
                TAP_IS_INT(x.exit_code, 3, "exec sync exit code 3");
                TAP_IS_STR(x.err, "to-stderr\n", "exec sync stderr");
                TAP_IS_STR(x.out, "", "exec sync stdout empty");
                exec_result_done(&x);

                uint64_t t0, t1;
                (void) sd_event_now(event, CLOCK_MONOTONIC, &t0);
                exec_sync(rt, id, "[\"sleep\", \"30\"]", 500 * 1000ULL, &x);
                (void) sd_event_now(event, CLOCK_MONOTONIC, &t1);
                TAP_IS_INT(x.r, -ETIMEDOUT, "exec sync timed out");
                TAP_IS_INT(x.exit_code, -1, "timed out exec reports -1");
                TAP_OK(t1 - t0 < 10 * 1000000ULL, "timeout kill took %llu ms", (unsigned long long) ((t1 - t0) / 1000));
                exec_result_done(&x);

                exec_sync(rt, id, "[\"/no/such/binary\"]", 10 * 1000000ULL, &x);
                TAP_OK(x.r < 0 || x.exit_code != 0, "exec of a missing binary fails (r=%d, exit %d)", x.r,
                       x.exit_code);
                exec_result_done(&x);

                /* The exec's process is gone: nothing left but the container's own. */
                exec_sync(rt, id, "[\"sh\", \"-c\", \"ps -o comm= 2>/dev/null | grep -c sleep || true\"]",
                          10 * 1000000ULL, &x);
                printf("# sleep processes left in the container: %s", x.out ?: "?\n");
                exec_result_done(&x);

                /* Update. */
                OpOutcome updated = {};
                r = oci_runtime_update(rt, id, "{\"pids\": {\"limit\": 1000}}", on_op, &updated, &updated.op);
                if (r >= 0)
                        r = run_op(&updated);
                TAP_IS_INT(r, 0, "resources updated");
                updated.op = oci_operation_free(updated.op);

                /* Reopen after a rotation, as kubelet does it. */
                TAP_IS_INT(rename(log_path, rotated) < 0 ? -errno : 0, 0, "log rotated");
                Outcome reopened = {};
                ConmonReopen *reopen = NULL;
                r = conmon_reopen_log(event, bundle, log_path, 0, on_reopened, &reopened, &reopen);
                TAP_IS_INT(r, 0, "reopen requested");
                if (r >= 0)
                        wait_for(&reopened, 20 * 1000000ULL);
                TAP_IS_INT(reopened.r, 0, "log reopened");
                TAP_OK(access(log_path, F_OK) == 0, "a new log file exists");
                reopen = conmon_reopen_free(reopen);
                exec_sync(rt, id, "[\"sh\", \"-c\", \"kill -USR1 1\"]", 10 * 1000000ULL, &x);
                exec_result_done(&x);
                for (int i = 0; i < 50 && !log_has(log_path, CRI_LOG_STREAM_STDOUT, "after-reopen"); i++)
                        usleep(100000);
                TAP_OK(log_has(log_path, CRI_LOG_STREAM_STDOUT, "after-reopen"), "new output goes to the new file");
                TAP_OK(!log_has(log_path, CRI_LOG_STREAM_STDOUT, "hello"), "old output stayed in the rotated file");
        }

        /* Stop. */
        Outcome stopped = {};
        ContainerStop *stop = NULL;
        bool stubborn = strcmp(mode, "stubborn") == 0;
        r = container_stop(rt, event, id, container_pid, SIGTERM, (stubborn ? 1 : 20) * 1000000ULL, on_stopped,
                           &stopped, &stop);
        TAP_IS_INT(r, 0, "stop started");
        if (r >= 0)
                wait_for(&stopped, 60 * 1000000ULL);
        TAP_IS_INT(stopped.r, 0, "container stopped");
        TAP_IS_INT(stop ? container_stop_killed(stop) : -1, stubborn, "SIGKILL %s", stubborn ? "needed" : "not needed");
        stop = container_stop_free(stop);

        wait_for((Outcome *) &exited, 20 * 1000000ULL);
        TAP_OK(exited.done, "exit file noticed");
        TAP_IS_STR(exited.id, id, "exit of our container");
        TAP_IS_INT(exited.exit_code, stubborn ? 137 : 7, "exit code");
        TAP_IS_STR(exited.reason, "Error", "reason");
        TAP_OK(!exited.oom, "not OOM-killed");
        int code = -1;
        bool oom = true;
        r = exit_watch_read(watch, id, &code, &oom, NULL);
        TAP_IS_INT(r, 0, "exit file read again");
        TAP_IS_INT(code, stubborn ? 137 : 7, "same exit code");

        r = state_of(rt, id, &status);
        TAP_IS_STR(r >= 0 ? oci_status_to_string(status) : "error", "stopped", "state is stopped");

        if (!stubborn) {
                Outcome reopened = {};
                ConmonReopen *reopen = NULL;
                r = conmon_reopen_log(event, bundle, log_path, 0, on_reopened, &reopened, &reopen);
                if (r >= 0) {
                        wait_for(&reopened, 20 * 1000000ULL);
                        r = reopened.r;
                }
                TAP_IS_INT(r, -ESRCH, "reopening the log of a stopped container fails");
                conmon_reopen_free(reopen);
        }

        /* Stopping again is a no-op. */
        stopped = (Outcome) {};
        r = container_stop(rt, event, id, container_pid, SIGTERM, 1000000ULL, on_stopped, &stopped, &stop);
        if (r >= 0)
                wait_for(&stopped, 10 * 1000000ULL);
        TAP_IS_INT(r >= 0 ? stopped.r : r, 0, "second stop succeeds at once");
        stop = container_stop_free(stop);

        /* Delete, twice. */
        for (int i = 0; i < 2; i++) {
                OpOutcome deleted = {};
                r = oci_runtime_delete(rt, id, true, on_op, &deleted, &deleted.op);
                if (r >= 0)
                        r = run_op(&deleted);
                TAP_IS_INT(r, 0, "container deleted (%s time)", i == 0 ? "first" : "second");
                oci_operation_free(deleted.op);
        }
        r = state_of(rt, id, &status);
        TAP_IS_INT(r, -ENOENT, "state of a deleted container: not found");

        TAP_IS_INT(exit_watch_forget(watch, id), 0, "exit file removed");
        exit_watch_free(watch);
        oci_runtime_free(rt);
        systemd_client_free(systemd);
        free(conmon_scope);
        sd_event_unref(event);
        return tap_done();
}
