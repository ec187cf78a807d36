/* SPDX-License-Identifier: Apache-2.0 */

/* conmon's argv and environment (golden lists), its sync message, and the create protocol
 * against a fake conmon (a shell script) that speaks it: wait on the start pipe, write the pid
 * files, report on the sync pipe. */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conmon.h"
#include "container-util.h"
#include "fileio.h"
#include "tap.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static bool argv_equal(char **got, const char *const *want, const char *what) {
        size_t i;

        for (i = 0; got[i] && want[i]; i++)
                if (strcmp(got[i], want[i]) != 0)
                        break;
        if (!got[i] && !want[i])
                return TAP_OK(true, "%s", what);
        TAP_OK(false, "%s", what);
        printf("#   differs at %zu: got \"%s\", want \"%s\"\n", i, got[i] ?: "(end)", want[i] ?: "(end)");
        return false;
}

static const ConmonConfig config = {
        .runtime_path = "/usr/sbin/runc",
        .runtime_root = "/run/runc",
        .systemd_cgroup = true,
        .exits_dir = "/var/run/crio/exits",
        .socket_dir = "/var/run/crio",
        .log_size_max = -1,
        .log_to_journald = true,
};

static const ConmonContainer ctr = {
        .id = ID,
        .name = "k8s_app_pod_ns_uid_0",
        .bundle_path = "/run/containers/storage/overlay-containers/" ID "/userdata",
        .log_path = "/var/log/pods/ns_pod_uid/app/0.log",
        .log_tag = "app",
};

#define BUNDLE "/run/containers/storage/overlay-containers/" ID "/userdata"

static void test_argv(void) {
        static const char *const typical[] = {
                "/usr/bin/conmon", "--api-version", "1",
                "-b", BUNDLE, "-c", ID, "--exit-dir", "/var/run/crio/exits",
                "-l", "k8s-file:/var/log/pods/ns_pod_uid/app/0.log", "--log-level", "info",
                "-n", "k8s_app_pod_ns_uid_0", "-P", BUNDLE "/conmon-pidfile", "-p", BUNDLE "/pidfile",
                "--persist-dir", BUNDLE, "-r", "/usr/sbin/runc", "--runtime-arg", "--root=/run/runc",
                "--socket-dir-path", "/var/run/crio", "--syslog", "-u", ID, "-s",
                "-l", "journald:", "--log-tag", "app", NULL,
        };
        static const char *const terminal[] = {
                "/opt/conmon", "--api-version", "1",
                "-b", BUNDLE, "-c", ID, "--exit-dir", "/var/run/crio/exits",
                "-l", "k8s-file:/var/log/pods/ns_pod_uid/app/0.log", "--log-level", "debug",
                "-n", "k8s_app_pod_ns_uid_0", "-P", BUNDLE "/conmon-pidfile", "-p", BUNDLE "/pidfile",
                "--persist-dir", "/var/lib/c", "-r", "/usr/sbin/runc", "--runtime-arg", "--root=/run/runc",
                "--socket-dir-path", "/var/run/crio", "--syslog", "-u", ID, "--log-size-max", "1048576",
                "--no-sync-log", "--no-pivot", "-t", NULL,
        };
        static const char *const with_stdin[] = {
                "/usr/bin/conmon", "--api-version", "1",
                "-b", BUNDLE, "-c", ID, "--exit-dir", "/var/run/crio/exits",
                "-l", "k8s-file:/var/log/pods/ns_pod_uid/app/0.log", "--log-level", "info",
                "-n", "k8s_app_pod_ns_uid_0", "-P", BUNDLE "/conmon-pidfile", "-p", BUNDLE "/pidfile",
                "--persist-dir", BUNDLE, "-r", "/usr/sbin/runc", "--runtime-arg", "--root=/run/runc",
                "--socket-dir-path", "/var/run/crio", "--syslog", "-u", ID, "-s",
                "-l", "journald:", "--log-tag", "app", "--leave-stdin-open", "-i", NULL,
        };
        _cleanup_(strv_freep) char **a = NULL, **b = NULL, **c = NULL, **d = NULL, **e = NULL;
        ConmonConfig cfg;
        ConmonContainer x;

        TAP_IS_INT(conmon_build_argv(&config, &ctr, &a), 0, "argv of a typical container");
        argv_equal(a, typical, "typical container: CRI-O's arguments, journald too");

        cfg = config;
        cfg.conmon_path = "/opt/conmon";
        cfg.systemd_cgroup = false;
        cfg.log_level = "debug";
        cfg.log_size_max = 1048576;
        cfg.log_to_journald = false;
        cfg.no_pivot = true;
        cfg.no_sync_log = true;
        x = ctr;
        x.persist_dir = "/var/lib/c";
        x.terminal = true;
        x.stdin = true;
        TAP_IS_INT(conmon_build_argv(&cfg, &x, &b), 0, "argv with a terminal");
        argv_equal(b, terminal, "terminal: -t wins over -i; cgroupfs, size limit, no journald");

        x = ctr;
        x.stdin = true;
        TAP_IS_INT(conmon_build_argv(&config, &x, &c), 0, "argv with stdin");
        argv_equal(c, with_stdin, "stdin without stdin_once leaves it open");

        x.stdin_once = true;
        TAP_IS_INT(conmon_build_argv(&config, &x, &d), 0, "argv with stdin once");
        TAP_IS_STR(d[strv_length(d) - 1], "-i", "stdin once: -i");
        TAP_IS_STR(d[strv_length(d) - 2], "app", "stdin once: no --leave-stdin-open");

        x = ctr;
        x.log_path = "/var/log/a:b.log";
        TAP_IS_INT(conmon_build_argv(&config, &x, &e), -EINVAL, "log path with ':' refused");
        x = ctr;
        x.id = "short";
        TAP_IS_INT(conmon_build_argv(&config, &x, &e), -EINVAL, "short ID refused with journald");
        cfg = config;
        cfg.log_to_journald = false;
        TAP_IS_INT(conmon_build_argv(&cfg, &x, &e), 0, "short ID fine without journald");
        e = strv_free(e);
        x.id = "../etc";
        TAP_IS_INT(conmon_build_argv(&cfg, &x, &e), -EINVAL, "ID with '/' refused");
        x = ctr;
        x.bundle_path = "relative";
        TAP_IS_INT(conmon_build_argv(&config, &x, &e), -EINVAL, "relative bundle refused");
        x = ctr;
        x.name = NULL;
        TAP_IS_INT(conmon_build_argv(&config, &x, &e), -EINVAL, "missing name refused");
}

static void test_argv_labels(void) {
        static const char *const labelled[] = {
                "/usr/bin/conmon", "--api-version", "1",
                "-b", BUNDLE, "-c", ID, "--exit-dir", "/var/run/crio/exits",
                "-l", "k8s-file:/var/log/pods/ns_pod_uid/app/0.log", "--log-level", "info",
                "-n", "k8s_app_pod_ns_uid_0", "-P", BUNDLE "/conmon-pidfile", "-p", BUNDLE "/pidfile",
                "--persist-dir", BUNDLE, "-r", "/usr/sbin/runc", "--runtime-arg", "--root=/run/runc",
                "--socket-dir-path", "/var/run/crio", "--syslog", "-u", ID, "-s",
                "-l", "journald:", "--log-tag", "app",
                "--log-label", "POD_ID=fedcba9876543210", "--log-label", "POD_NAME=pod",
                "--log-label", "POD_NAMESPACE=ns", "--log-label", "OBJECT_SYSTEMD_UNIT=crio-" ID ".scope", NULL,
        };
        _cleanup_(strv_freep) char **a = NULL, **b = NULL, **c = NULL, **d = NULL;
        ConmonConfig cfg = config;
        ConmonContainer x = ctr;

        cfg.log_labels = true;
        x.pod_id = "fedcba9876543210";
        x.pod_name = "pod";
        x.pod_namespace = "ns";
        TAP_IS_INT(conmon_build_argv(&cfg, &x, &a), 0, "argv with log labels");
        argv_equal(a, labelled, "labels: the pod's fields and the container's scope for journalctl -u");

        cfg.systemd_cgroup = false;
        x.pod_namespace = "";
        TAP_IS_INT(conmon_build_argv(&cfg, &x, &b), 0, "argv with log labels, cgroupfs");
        TAP_IS_STR(b[strv_length(b) - 1], "POD_NAME=pod", "no scope without the systemd driver, no empty label");

        cfg = config;
        TAP_IS_INT(conmon_build_argv(&cfg, &x, &c), 0, "argv of a conmon without --log-label");
        TAP_OK(!strv_contains(c, "--log-label"), "no labels for an older conmon");

        cfg.log_labels = true;
        cfg.log_to_journald = false;
        TAP_IS_INT(conmon_build_argv(&cfg, &x, &d), 0, "argv with labels but no journald");
        TAP_OK(!strv_contains(d, "--log-label"), "labels are journald's only");
}

static int write_script(const char *path, const char *text) {
        char tmp[4200];
        FILE *f;

        /* A new file renamed over the old: the way a package upgrade replaces a binary. */
        snprintf(tmp, sizeof(tmp), "%s.new", path);
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        if (fclose(f) != 0 || chmod(tmp, 0755) < 0 || rename(tmp, path) < 0)
                return -errno;
        return 0;
}

static void test_supports_log_label(void) {
        char dir[] = "/tmp/test-conmon-probe-XXXXXX", path[4200], marker[4200], newer[9000], older[9000];
        _cleanup_free_ char *asked = NULL;
        size_t size = 0;

        TAP_OK(mkdtemp(dir) != NULL, "temporary directory");
        snprintf(path, sizeof(path), "%s/conmon", dir);
        snprintf(marker, sizeof(marker), "%s/asked", dir);
        /* Each run of --help adds a line to the marker, so that the cache can be seen at work. */
        snprintf(newer, sizeof(newer),
                 "#!/bin/sh\n[ \"$1\" = --help ] || exit 1\necho x >> %s\n"
                 "echo '  --log-tag       Additional tag to use for logging'\n"
                 "echo '  --log-label     Additional label to include in logs'\n", marker);
        snprintf(older, sizeof(older),
                 "#!/bin/sh\necho x >> %s\necho '  --log-tag       Additional tag to use for logging'\n", marker);

        TAP_IS_INT(write_script(path, newer), 0, "a conmon with --log-label");
        TAP_OK(conmon_supports_log_label(path), "--log-label found in --help");
        TAP_OK(conmon_supports_log_label(path), "asked again");
        TAP_IS_INT(read_full_file_at(AT_FDCWD, marker, 4096, 0, &asked, &size), 0, "marker written");
        TAP_IS_INT((int) size, 2, "--help ran once for two questions");

        TAP_IS_INT(write_script(path, older), 0, "replaced by an older conmon");
        TAP_OK(!conmon_supports_log_label(path), "the replaced binary is asked anew: no --log-label");

        snprintf(path, sizeof(path), "%s/missing", dir);
        TAP_OK(!conmon_supports_log_label(path), "a missing conmon: no");
        TAP_OK(!conmon_supports_log_label("conmon"), "a relative path: no");
        TAP_OK(!conmon_supports_log_label("/dev/null"), "not executable: no");

        snprintf(path, sizeof(path), "rm -rf %s", dir);
        TAP_IS_INT(system(path), 0, "cleanup");
}

static void test_env(void) {
        _cleanup_(strv_freep) char **a = NULL, **b = NULL;
        ConmonConfig cfg = config;
        char *env[] = { (char *) "PATH=/bin", (char *) "_OCI_SYNCPIPE=9", (char *) "FOO=bar", NULL };

        TAP_IS_INT(conmon_build_env(&config, &a), 0, "default environment");
        TAP_IS_INT(strv_length(a), 3, "three variables");
        TAP_IS_STR(a[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CRI-O's PATH");
        TAP_IS_STR(a[1], "_OCI_SYNCPIPE=3", "sync pipe on fd 3");
        TAP_IS_STR(a[2], "_OCI_STARTPIPE=4", "start pipe on fd 4");

        cfg.env = env;
        TAP_IS_INT(conmon_build_env(&cfg, &b), 0, "monitor_env");
        TAP_IS_INT(strv_length(b), 4, "ours, without a stale pipe variable, plus the pipes");
        TAP_IS_STR(b[1], "FOO=bar", "kept");
}

static void test_sync_message(void) {
        ConmonSyncMessage m;
        const char *s;

        s = "{\"pid\": 4242}\n";
        TAP_IS_INT(conmon_sync_message_parse(s, strlen(s), &m), 0, "pid message");
        TAP_IS_INT(m.value, 4242, "pid");
        TAP_OK(!m.message, "no message");

        s = "{\"data\": -1, \"message\": \"runc create failed: \\\"boom\\\"\"}";
        TAP_IS_INT(conmon_sync_message_parse(s, strlen(s), &m), 0, "API 1 error message");
        TAP_IS_INT(m.value, -1, "-1");
        TAP_IS_STR(m.message, "runc create failed: \"boom\"", "message unescaped");
        conmon_sync_message_done(&m);

        s = "{\"exit_code\": 3}";
        TAP_IS_INT(conmon_sync_message_parse(s, strlen(s), &m), 0, "exec message");
        TAP_IS_INT(m.value, 3, "exit code");

        static const char *const bad[] = {
                "", "{", "[]", "{}", "{\"pid\": \"12\"}", "{\"pid\": 1.5}", "{\"pid\": 1, \"message\": 2}",
                "42", "null",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                TAP_IS_INT(conmon_sync_message_parse(bad[i], strlen(bad[i]), &m), -EBADMSG, "\"%s\" refused", bad[i]);
}

/* ---- the create protocol against a fake conmon --------------------------------------------- */

static char tmpdir[] = "/tmp/test-conmon-XXXXXX";
static char fake[4096];

/* Reads the -P and -p arguments, waits for the start byte, then behaves as $FAKE_MODE says. */
static const char fake_script[] =
        "#!/bin/sh\n"
        "while [ $# -gt 0 ]; do case \"$1\" in -P) P=$2; shift;; -p) p=$2; shift;; esac; shift; done\n"
        "head -c 1 <&4 >/dev/null || exit 9\n"
        "touch started\n"
        "case \"$(cat mode)\" in\n"
        "ok) echo 1234 > \"$p\"; (sleep 0.2; echo '{\"data\": 4321}' >&3) & echo $! > \"$P\"; exit 0;;\n"
        "fail) echo '{\"data\": -1, \"message\": \"runtime said no\"}' >&3; exit 0;;\n"
        "silent) exit 0;;\n"
        "status) exit 3;;\n"
        "hang) sleep 30 & echo $! > \"$P\"; exit 0;;\n"
        "esac\n";

typedef struct CreateOutcome {
        bool done;
        int r;
        bool placed;
        bool started_before_proceed;
        int abort_with;
} CreateOutcome;

static sd_event *event;

static void on_place(Conmon *c, pid_t pid, void *userdata) {
        CreateOutcome *o = userdata;
        char p[4200];

        o->placed = pid > 0;
        /* Give conmon a moment: it must still wait for us. */
        usleep(100000);
        snprintf(p, sizeof(p), "%s/started", tmpdir);
        o->started_before_proceed = access(p, F_OK) == 0;
        conmon_proceed(c, o->abort_with);
}

static void on_created(Conmon *c, int r, void *userdata) {
        CreateOutcome *o = userdata;

        o->done = true;
        o->r = r;
}

static int run_create(const char *mode, uint64_t timeout, CreateOutcome *o, Conmon **ret) {
        char p[4200];
        ConmonConfig cfg = config;
        ConmonContainer x = ctr;
        FILE *f;
        int r;

        snprintf(p, sizeof(p), "%s/started", tmpdir);
        (void) unlink(p);
        snprintf(p, sizeof(p), "%s/mode", tmpdir);
        f = fopen(p, "we");
        if (!f)
                return -errno;
        fprintf(f, "%s\n", mode);
        fclose(f);

        cfg.conmon_path = fake;
        cfg.create_timeout_usec = timeout;
        x.bundle_path = tmpdir;
        r = conmon_create(event, &cfg, &x, on_place, on_created, o, ret);
        if (r < 0)
                return r;
        for (int i = 0; i < 200 && !o->done; i++)
                (void) sd_event_run(event, 100000);
        return o->done ? o->r : -ETIME;
}

static void test_create(void) {
        CreateOutcome o = {};
        Conmon *c = NULL;
        FILE *f;
        int r;

        TAP_OK(mkdtemp(tmpdir) != NULL, "temporary bundle");
        snprintf(fake, sizeof(fake), "%s/fake-conmon", tmpdir);
        f = fopen(fake, "we");
        fputs(fake_script, f);
        fclose(f);
        chmod(fake, 0755);
        TAP_IS_INT(sd_event_new(&event), 0, "event loop");

        r = run_create("ok", 0, &o, &c);
        TAP_IS_INT(r, 0, "created");
        TAP_OK(o.placed, "placement hook ran with conmon's PID");
        TAP_OK(!o.started_before_proceed, "conmon waited on the start pipe");
        TAP_IS_INT(conmon_get_container_pid(c), 4321, "container PID from the sync pipe");
        TAP_OK(conmon_get_pid(c) > 0, "conmon PID from its pid file");
        TAP_OK(!conmon_get_error(c), "no error");
        if (conmon_get_pid(c) > 0)
                (void) kill(conmon_get_pid(c), SIGKILL);
        c = conmon_free(c);

        o = (CreateOutcome) {};
        r = run_create("fail", 0, &o, &c);
        TAP_IS_INT(r, -EPROTO, "runtime failure reported");
        TAP_IS_STR(conmon_get_error(c), "container create failed: runtime said no", "with conmon's message");
        c = conmon_free(c);

        o = (CreateOutcome) {};
        r = run_create("silent", 0, &o, &c);
        TAP_IS_INT(r, -EIO, "conmon that says nothing");
        c = conmon_free(c);

        o = (CreateOutcome) {};
        r = run_create("status", 0, &o, &c);
        TAP_OK(r == -EPROTO || r == -EIO, "conmon failing with a status (%d)", r);
        c = conmon_free(c);

        o = (CreateOutcome) {};
        r = run_create("hang", 300000, &o, &c);
        TAP_IS_INT(r, -ETIMEDOUT, "timeout");
        c = conmon_free(c);

        o = (CreateOutcome) { .abort_with = -EHOSTDOWN };
        r = run_create("ok", 0, &o, &c);
        TAP_IS_INT(r, -EHOSTDOWN, "placement failure aborts");
        TAP_OK(!o.started_before_proceed, "conmon never proceeded");
        c = conmon_free(c);

        /* Freed while conmon waits: killed and reaped. */
        o = (CreateOutcome) {};
        c = NULL;
        ConmonConfig cfg = config;
        ConmonContainer x = ctr;
        cfg.conmon_path = fake;
        x.bundle_path = tmpdir;
        TAP_IS_INT(conmon_create(event, &cfg, &x, NULL, on_created, &o, &c), 0, "started without a hook");
        c = conmon_free(c);
        TAP_OK(!o.done, "cancelled without a callback");

        char cmd[4200];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        (void) system(cmd);
        event = sd_event_unref(event);
}

static void test_reopen(void) {
        ConmonReopen *op = NULL;
        int r;

        r = conmon_reopen_log(NULL, "/nonexistent-bundle", "/tmp/x.log", 0, NULL, NULL, &op);
        TAP_IS_INT(r, -ESRCH, "reopen without conmon: not running");
        TAP_IS_INT(conmon_reopen_log(NULL, "rel", "/tmp/x.log", 0, NULL, NULL, &op), -EINVAL, "relative bundle");
}

int main(void) {
        test_argv();
        test_argv_labels();
        test_supports_log_label();
        test_env();
        test_sync_message();
        test_create();
        test_reopen();
        return tap_done();
}
