/* SPDX-License-Identifier: Apache-2.0 */

/* The runtime's state JSON, helper processes (output, cap, timeout), and the runtime command
 * lines against a fake runtime that records its arguments. */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child-run.h"
#include "container-util.h"
#include "fileio.h"
#include "oci-runtime.h"
#include "tap.h"

static sd_event *event;

static void test_state(void) {
        OciState s;
        const char *j;

        j = "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"abc\",\"pid\":1234,\"status\":\"running\","
            "\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\",\"created\":\"2024-01-01T00:00:00.1Z\",\"owner\":\"\"}";
        TAP_IS_INT(oci_state_parse(j, strlen(j), &s), 0, "runc state");
        TAP_IS_STR(s.id, "abc", "id");
        TAP_IS_INT(s.pid, 1234, "pid");
        TAP_IS_INT(s.status, OCI_STATUS_RUNNING, "running");
        TAP_IS_STR(s.bundle, "/b", "bundle");
        TAP_IS_STR(s.created, "2024-01-01T00:00:00.1Z", "created");
        oci_state_done(&s);

        j = "{\"id\":\"abc\",\"pid\":0,\"status\":\"stopped\"}";
        TAP_IS_INT(oci_state_parse(j, strlen(j), &s), 0, "stopped state");
        TAP_IS_INT(s.status, OCI_STATUS_STOPPED, "stopped");
        TAP_OK(!s.bundle && !s.created, "absent fields are NULL");
        oci_state_done(&s);

        static const char *const bad[] = {
                "", "[]", "{\"id\":\"a\"}", "{\"id\":\"a\",\"status\":\"weird\"}", "{\"status\":\"running\"}",
                "{\"id\":\"a\",\"status\":\"running\",\"pid\":-5}", "{\"id\":\"a\",\"status\":\"running\",\"pid\":\"1\"}",
                "{\"id\":1,\"status\":\"running\"}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                TAP_IS_INT(oci_state_parse(bad[i], strlen(bad[i]), &s), -EBADMSG, "state \"%s\" refused", bad[i]);

        for (OciStatus t = 0; t < _OCI_STATUS_MAX; t++)
                TAP_IS_INT(oci_status_from_string(oci_status_to_string(t)), t, "status %s round trip",
                           oci_status_to_string(t));
        TAP_IS_INT(oci_status_from_string("nope"), _OCI_STATUS_INVALID, "unknown status");
}

typedef struct RunOutcome {
        bool done;
        int r;
} RunOutcome;

static void on_run(ChildRun *run, int r, void *userdata) {
        RunOutcome *o = userdata;

        o->done = true;
        o->r = r;
}

static int run(char *const *argv, const ChildRunOptions *opts, ChildRun **ret) {
        RunOutcome o = {};
        int r;

        r = child_run_start(event, argv, opts, on_run, &o, ret);
        if (r < 0)
                return r;
        for (int i = 0; i < 300 && !o.done; i++)
                (void) sd_event_run(event, 100000);
        return o.done ? o.r : -ETIME;
}

static void test_child_run(void) {
        ChildRun *c = NULL;
        size_t n;
        int r;

        r = run((char *[]) { (char *) "/bin/sh", (char *) "-c", (char *) "cat; echo err >&2; exit 3", NULL },
                &(ChildRunOptions) { .input = "in", .input_size = 2 }, &c);
        TAP_IS_INT(r, -EPROTO, "non-zero exit");
        TAP_IS_INT(child_run_get_exit_status(c), 3, "exit status 3");
        TAP_IS_STR(child_run_get_stdout(c, &n), "in", "stdin reached stdout");
        TAP_IS_STR(child_run_get_stderr(c, NULL), "err\n", "stderr");
        _cleanup_free_ char *summary = NULL;
        TAP_IS_INT(child_run_stderr_summary(c, &summary), 0, "summary");
        TAP_IS_STR(summary, "err", "summary trimmed");
        c = child_run_free(c);

        /* More output than the cap: the rest is read and dropped, the program does not block. */
        r = run((char *[]) { (char *) "/bin/sh", (char *) "-c",
                             (char *) "head -c 3000000 /dev/zero; head -c 100 /dev/zero >&2", NULL },
                &(ChildRunOptions) { .output_max = 1000000 }, &c);
        TAP_IS_INT(r, 0, "large output");
        (void) child_run_get_stdout(c, &n);
        TAP_IS_INT(n, 1000000, "capped at output_max");
        TAP_OK(child_run_output_truncated(c), "truncation reported");
        c = child_run_free(c);

        r = run((char *[]) { (char *) "/bin/sh", (char *) "-c", (char *) "sleep 30 & sleep 30", NULL },
                &(ChildRunOptions) { .timeout_usec = 200000 }, &c);
        TAP_IS_INT(r, -ETIMEDOUT, "timeout");
        TAP_OK(child_run_timed_out(c), "timed out");
        TAP_IS_INT(child_run_get_signal(c), SIGKILL, "killed");
        c = child_run_free(c);

        r = run((char *[]) { (char *) "/bin/sh", (char *) "-c", (char *) "kill -TERM $$", NULL }, NULL, &c);
        TAP_IS_INT(r, -ECHILD, "killed by a signal");
        TAP_IS_INT(child_run_get_signal(c), SIGTERM, "SIGTERM");
        c = child_run_free(c);

        r = run((char *[]) { (char *) "/nonexistent/binary", NULL }, NULL, &c);
        TAP_OK(r == -ENOENT || r == -EPROTO, "missing binary (%d)", r);
        c = child_run_free(c);

        /* Freed while running: killed and reaped. */
        RunOutcome o = {};
        TAP_IS_INT(child_run_start(event, (char *[]) { (char *) "/bin/sleep", (char *) "30", NULL }, NULL, on_run,
                                   &o, &c), 0, "started");
        c = child_run_free(c);
        TAP_OK(!o.done, "cancelled without a callback");
}

/* ---- runtime commands against a fake runtime ----------------------------------------------- */

static char tmpdir[] = "/tmp/test-oci-runtime-XXXXXX";

static const char fake_runtime[] =
        "#!/bin/sh\n"
        "d=$(dirname \"$0\")\n"
        "echo \"$*\" >> \"$d/calls\"\n"
        "while [ $# -gt 0 ]; do case \"$1\" in --root) shift;; --*) ;; *) break;; esac; shift; done\n"
        "cmd=$1; shift\n"
        "while [ $# -gt 0 ]; do case \"$1\" in --process|--resources) shift;; --pid-file) pf=$2; shift;;\n"
        "  --*) ;; *) break;; esac; shift; done\n"
        "case \"$cmd\" in\n"
        "state) [ \"$1\" = gone ] && { echo 'container \"gone\" does not exist' >&2; exit 1; }\n"
        "       echo '{\"id\":\"'$1'\",\"pid\":77,\"status\":\"created\"}';;\n"
        "start) exit 0;;\n"
        "kill) [ \"$1\" = dead ] && { echo 'container not running' >&2; exit 1; }; exit 0;;\n"
        "delete) [ \"$1\" = gone ] && { echo 'container does not exist' >&2; exit 1; }; exit 0;;\n"
        "update) cat > \"$d/resources\"; exit 0;;\n"
        "exec) case \"$1\" in\n"
        "      norun) echo 'cannot exec in a stopped container' >&2; exit 1;;\n"
        "      slow) echo $$ > \"$pf\"; echo partial; sleep 30;;\n"
        "      *) echo $$ > \"$pf\"; echo out; echo err >&2; exit 5;; esac;;\n"
        "*) echo \"unknown $cmd\" >&2; exit 2;;\n"
        "esac\n";

typedef struct OpOutcome {
        bool done;
        int r;
} OpOutcome;

static void on_op(OciOperation *op, int r, void *userdata) {
        OpOutcome *o = userdata;

        o->done = true;
        o->r = r;
}

static int wait_op(OpOutcome *o) {
        for (int i = 0; i < 300 && !o->done; i++)
                (void) sd_event_run(event, 100000);
        return o->done ? o->r : -ETIME;
}

static char *last_call(void) {
        char p[4200], *data = NULL, *nl;
        size_t n;

        snprintf(p, sizeof(p), "%s/calls", tmpdir);
        if (read_full_file_at(AT_FDCWD, p, 65536, 0, &data, &n) < 0)
                return NULL;
        if (n > 0 && data[n - 1] == '\n')
                data[--n] = '\0';
        nl = strrchr(data, '\n');
        if (nl) {
                char *s = strdup(nl + 1);
                free(data);
                return s;
        }
        return data;
}

static void test_runtime(void) {
        OciRuntime *rt = NULL;
        OciOperation *op = NULL;
        OpOutcome o;
        char fake[4200], expect[8400];
        _cleanup_(strv_freep) char **argv = NULL;
        FILE *f;

        TAP_OK(mkdtemp(tmpdir) != NULL, "temporary directory");
        snprintf(fake, sizeof(fake), "%s/runtime", tmpdir);
        f = fopen(fake, "we");
        fputs(fake_runtime, f);
        fclose(f);
        chmod(fake, 0755);

        TAP_IS_INT(oci_runtime_new(event, "relative", "/run/x", false, &rt), -EINVAL, "relative path refused");
        TAP_IS_INT(oci_runtime_new(event, fake, "/run/fake", true, &rt), 0, "runtime");
        TAP_IS_INT(oci_runtime_set_tmp_dir(rt, tmpdir), 0, "tmp dir");
        TAP_IS_INT(oci_runtime_build_argv(rt, (char *[]) { (char *) "start", (char *) "x", NULL }, &argv), 0, "argv");
        snprintf(expect, sizeof(expect), "%s", fake);
        TAP_IS_STR(argv[0], expect, "runtime path first");
        TAP_IS_STR(argv[1], "--root", "--root");
        TAP_IS_STR(argv[2], "/run/fake", "root");
        TAP_IS_STR(argv[3], "--systemd-cgroup", "--systemd-cgroup");
        TAP_IS_STR(argv[4], "start", "command");

        o = (OpOutcome) {};
        TAP_IS_INT(oci_runtime_start_container(rt, "c1", on_op, &o, &op), 0, "start runs");
        TAP_IS_INT(wait_op(&o), 0, "start ok");
        free(argv[0]);
        argv[0] = last_call();
        TAP_IS_STR(argv[0], "--root /run/fake --systemd-cgroup start c1", "start command line");
        op = oci_operation_free(op);

        TAP_IS_INT(oci_runtime_start_container(rt, "a/b", on_op, &o, &op), -EINVAL, "bad ID refused");

        o = (OpOutcome) {};
        TAP_IS_INT(oci_runtime_kill(rt, "c1", SIGTERM, false, on_op, &o, &op), 0, "kill runs");
        TAP_IS_INT(wait_op(&o), 0, "kill ok");
        free(argv[0]);
        argv[0] = last_call();
        TAP_IS_STR(argv[0], "--root /run/fake --systemd-cgroup kill c1 15", "kill command line");
        op = oci_operation_free(op);

        o = (OpOutcome) {};
        TAP_IS_INT(oci_runtime_kill(rt, "dead", SIGKILL, true, on_op, &o, &op), 0, "kill of a dead one");
        TAP_IS_INT(wait_op(&o), -ESRCH, "not running: -ESRCH");
        TAP_OK(oci_operation_get_error(op) && strstr(oci_operation_get_error(op), "container not running"),
               "error text: %s", oci_operation_get_error(op));
        free(argv[0]);
        argv[0] = last_call();
        TAP_IS_STR(argv[0], "--root /run/fake --systemd-cgroup kill --all dead 9", "kill --all command line");
        op = oci_operation_free(op);

        o = (OpOutcome) {};
        TAP_IS_INT(oci_runtime_state(rt, "c1", on_op, &o, &op), 0, "state runs");
        TAP_IS_INT(wait_op(&o), 0, "state ok");
        TAP_OK(oci_operation_get_state(op) && oci_operation_get_state(op)->pid == 77, "state parsed");
        op = oci_operation_free(op);

        o = (OpOutcome) {};
        TAP_IS_INT(oci_runtime_state(rt, "gone", on_op, &o, &op), 0, "state of an unknown one");
        TAP_IS_INT(wait_op(&o), -ENOENT, "unknown: -ENOENT");
        op = oci_operation_free(op);

        o = (OpOutcome) {};
        TAP_IS_INT(oci_runtime_delete(rt, "gone", true, on_op, &o, &op), 0, "delete of an unknown one");
        TAP_IS_INT(wait_op(&o), 0, "counts as deleted");
        TAP_OK(!oci_operation_get_error(op), "without an error");
        free(argv[0]);
        argv[0] = last_call();
        TAP_IS_STR(argv[0], "--root /run/fake --systemd-cgroup delete --force gone", "delete command line");
        op = oci_operation_free(op);

        o = (OpOutcome) {};
        TAP_IS_INT(oci_runtime_update(rt, "c1", "{\"pids\":{\"limit\":5}}", on_op, &o, &op), 0, "update runs");
        TAP_IS_INT(wait_op(&o), 0, "update ok");
        free(argv[0]);
        argv[0] = last_call();
        TAP_IS_STR(argv[0], "--root /run/fake --systemd-cgroup update --resources - c1", "update command line");
        char p[4300], *res = NULL;
        snprintf(p, sizeof(p), "%s/resources", tmpdir);
        TAP_IS_INT(read_full_file_at(AT_FDCWD, p, 1024, 0, &res, NULL), 0, "resources written");
        TAP_IS_STR(res, "{\"pids\":{\"limit\":5}}", "resources on stdin");
        free(res);
        op = oci_operation_free(op);

        o = (OpOutcome) {};
        TAP_IS_INT(oci_runtime_exec_sync(rt, "c1", "{\"args\":[\"x\"]}", 0, on_op, &o, &op), 0, "exec runs");
        TAP_IS_INT(wait_op(&o), 0, "exec completed");
        TAP_IS_INT(oci_operation_get_exit_code(op), 5, "exit code of the process");
        TAP_IS_STR(oci_operation_get_stdout(op, NULL), "out\n", "stdout");
        TAP_IS_STR(oci_operation_get_stderr(op, NULL), "err\n", "stderr");
        op = oci_operation_free(op);

        o = (OpOutcome) {};
        TAP_IS_INT(oci_runtime_exec_sync(rt, "norun", "{}", 0, on_op, &o, &op), 0, "exec in a stopped one");
        TAP_IS_INT(wait_op(&o), -EPROTO, "the runtime's failure, not an exit code");
        op = oci_operation_free(op);

        o = (OpOutcome) {};
        TAP_IS_INT(oci_runtime_exec_sync(rt, "slow", "{}", 300000, on_op, &o, &op), 0, "slow exec");
        TAP_IS_INT(wait_op(&o), -ETIMEDOUT, "timed out");
        TAP_IS_INT(oci_operation_get_exit_code(op), -1, "exit code -1");
        TAP_IS_STR(oci_operation_get_stdout(op, NULL), "partial\n", "output so far kept");
        op = oci_operation_free(op);

        /* The temporary process and pid files are gone with their operations. */
        snprintf(p, sizeof(p), "ls %s | grep -c crio-exec > /dev/null", tmpdir);
        TAP_OK(system(p) != 0, "no exec files left");

        rt = oci_runtime_free(rt);
        snprintf(p, sizeof(p), "rm -rf '%s'", tmpdir);
        (void) system(p);
}

int main(void) {
        TAP_IS_INT(sd_event_new(&event), 0, "event loop");
        /* oci_runtime_new() does this too; child_run_start() alone needs it for sd-event. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        test_state();
        test_child_run();
        test_runtime();
        event = sd_event_unref(event);
        return tap_done();
}
