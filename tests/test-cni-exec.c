/* SPDX-License-Identifier: Apache-2.0 */

/* Plugin execution against shell-script plugins: chaining, capabilities, CNI_ARGS, caching, DEL
 * from the cache, rollback of a failed ADD, timeouts, cancellation. No privileges needed. */

#include <signal.h>
#include <time.h>

#include "cni-exec.h"
#include "cni-test-util.h"
#include "cni-util.h"
#include "tap.h"

static const char fake_plugin[] =
        "#!/bin/sh\n"
        "type=$(basename \"$0\")\n"
        "input=$(cat)\n"
        "echo \"$type $CNI_COMMAND $CNI_CONTAINERID $CNI_IFNAME netns=$CNI_NETNS\" >> \"$FAKE_CNI_DIR/log\"\n"
        "printf '%s' \"$input\" > \"$FAKE_CNI_DIR/$type.$CNI_COMMAND.in\"\n"
        "printf '%s' \"$CNI_ARGS\" > \"$FAKE_CNI_DIR/$type.args\"\n"
        "printf '%s' \"$CNI_PATH\" > \"$FAKE_CNI_DIR/$type.path\"\n"
        "case \"$type.$CNI_COMMAND\" in\n"
        "fail.ADD) echo '{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"no bridge\",\"details\":\"cni0 missing\"}'; exit 1;;\n"
        "crash.ADD) echo 'panic: something broke' >&2; exit 2;;\n"
        "garbage.ADD) echo 'this is not json';;\n"
        "hang.ADD) sleep 30 & echo $! > \"$FAKE_CNI_DIR/hang.pid\"; wait; exit 0;;\n"
        "*.ADD) printf '{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"%s\",\"sandbox\":\"%s\"}],"
        "\"ips\":[{\"address\":\"10.9.0.7/24\",\"interface\":0}]}' \"$CNI_IFNAME\" \"$CNI_NETNS\";;\n"
        "*.VERSION) echo '{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\"]}';;\n"
        "esac\n"
        "exit 0\n";

static char *dir, *plugins, *cache;
static sd_event *event;

typedef struct Done {
        bool done;
        int r;
} Done;

static void on_done(CniOperation *op, int r, void *userdata) {
        Done *d = userdata;

        d->done = true;
        d->r = r;
}

static void run_until(Done *d) {
        for (int i = 0; i < 1000 && !d->done; i++)
                (void) sd_event_run(event, 20 * 1000);
}

static CniNetwork *network(const char *name, const char *version, const char *const *types) {
        char json[4096];
        size_t n;
        CniNetwork *net = NULL;

        n = snprintf(json, sizeof(json), "{\"cniVersion\":\"%s\",\"name\":\"%s\",\"plugins\":[", version, name);
        for (size_t i = 0; types[i]; i++)
                n += snprintf(json + n, sizeof(json) - n, "%s{\"type\":\"%s\"%s}", i ? "," : "", types[i],
                              strcmp(types[i], "portmap") == 0 ?
                                      ",\"capabilities\":{\"portMappings\":true,\"bandwidth\":true}" : "");
        snprintf(json + n, sizeof(json) - n, "]}");
        if (cni_network_parse(json, strlen(json), false, NULL, &net) < 0)
                abort();
        return net;
}

static void reset_log(void) {
        char path[4096];

        snprintf(path, sizeof(path), "%s/log", dir);
        (void) unlink(path);
}

static char *log_text(void) {
        return cni_test_read(dir, "log") ?: strdup("");
}

static void test_args(void) {
        _cleanup_(strv_freep) char **args = NULL, **bad = NULL;
        _cleanup_free_ char *s = NULL;

        TAP_IS_INT(cni_args_new_k8s("default", "web", "0123abcd", "uid-1", &args), 0, "k8s args");
        TAP_IS_INT(cni_args_to_string(args, &s), 0, "to string");
        TAP_IS_STR(s, "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;"
                      "K8S_POD_INFRA_CONTAINER_ID=0123abcd;K8S_POD_UID=uid-1", "CNI_ARGS as ocicni builds it");
        TAP_IS_INT(cni_args_new_k8s("default", "web;K8S_POD_NAMESPACE=kube-system", "x", "u", &bad), -EINVAL,
                   "injection via ';' refused");
        TAP_IS_INT(cni_args_new_k8s("a=b", "web", "x", "u", &bad), -EINVAL, "'=' refused");
        free(s);
        s = NULL;
        args = strv_free(args);
        TAP_IS_INT(cni_args_new_k8s("ns", "pod", NULL, NULL, &args), 0, "partial args");
        TAP_IS_INT(cni_args_to_string(args, &s), 0, "to string");
        TAP_IS_STR(s, "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod", "unset ones omitted");
        TAP_IS_STR(cni_command_to_string(CNI_COMMAND_CHECK), "CHECK", "command name");
        TAP_IS_INT(cni_command_from_string("DEL"), CNI_COMMAND_DEL, "command from name");
        TAP_IS_INT(cni_command_from_string("GC"), _CNI_COMMAND_INVALID, "unknown command");
        for (CniCommand c = 0; c < _CNI_COMMAND_MAX; c++)
                TAP_IS_INT(cni_command_from_string(cni_command_to_string(c)), c, "command table round-trip %d", c);
}

static void test_add_del(CniExec *x) {
        static const char *const types[] = { "first", "portmap", NULL };
        _cleanup_(cni_network_unrefp) CniNetwork *net = network("testnet", "1.0.0", types);
        _cleanup_(strv_freep) char **args = NULL, **ips = NULL;
        _cleanup_free_ char *log = NULL, *in_first = NULL, *in_portmap = NULL, *cni_args = NULL, *del_in = NULL,
                            *path = NULL, *cni_path = NULL;
        CniPortMapping pm[] = { { .host_port = 8080, .container_port = 80, .protocol = (char *) "tcp" } };
        CniBandwidth bw = { .ingress_rate = 1000000, .ingress_burst = 2000000 };
        CniRuntimeConf rt = {
                .container_id = "pod1",
                .netns = dir,
                .port_mappings = pm,
                .n_port_mappings = 1,
                .bandwidth = &bw,
        };
        CniOperation *op = NULL;
        Done d = {};
        int r;

        TAP_IS_INT(cni_args_new_k8s("default", "web", "pod1", "uid-1", &args), 0, "args");
        rt.args = args;
        reset_log();
        r = cni_exec_add(x, net, &rt, on_done, &d, &op);
        TAP_IS_INT(r, 0, "ADD starts");
        TAP_OK(!d.done, "handler not called synchronously");
        run_until(&d);
        TAP_IS_INT(d.r, 0, "ADD succeeds");
        TAP_OK(cni_operation_is_done(op), "done");
        TAP_OK(cni_operation_get_result(op), "with a result");
        if (cni_operation_get_result(op)) {
                TAP_IS_INT(cni_result_get_pod_ips(cni_operation_get_result(op), &ips), 0, "pod ips");
                TAP_IS_STR(ips[0], "10.9.0.7", "pod IP");
        }
        TAP_OK(!cni_operation_get_error_message(op), "no error message");
        op = cni_operation_free(op);

        log = log_text();
        TAP_OK(strstr(log, "first ADD pod1 eth0") && strstr(log, "portmap ADD pod1 eth0") &&
               strstr(log, "first ADD") < strstr(log, "portmap ADD"), "plugins ran in order");
        in_first = cni_test_read(dir, "first.ADD.in");
        in_portmap = cni_test_read(dir, "portmap.ADD.in");
        TAP_OK(in_first && strstr(in_first, "\"name\":\"testnet\"") && strstr(in_first, "\"cniVersion\":\"1.0.0\""),
               "name and cniVersion injected: %s", in_first ?: "");
        TAP_OK(in_first && !strstr(in_first, "prevResult") && !strstr(in_first, "runtimeConfig"),
               "first plugin gets no prevResult and no runtimeConfig");
        TAP_OK(in_portmap && strstr(in_portmap, "\"prevResult\":{") && strstr(in_portmap, "10.9.0.7/24"),
               "second plugin gets the first result as prevResult");
        TAP_OK(in_portmap && strstr(in_portmap, "\"runtimeConfig\":{") && strstr(in_portmap, "\"hostPort\":8080") &&
               strstr(in_portmap, "\"ingressRate\":1000000"), "declared capabilities in runtimeConfig: %s",
               in_portmap ?: "");
        cni_args = cni_test_read(dir, "portmap.args");
        TAP_IS_STR(cni_args, "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;"
                             "K8S_POD_INFRA_CONTAINER_ID=pod1;K8S_POD_UID=uid-1", "CNI_ARGS in the environment");
        cni_path = cni_test_read(dir, "first.path");
        TAP_OK(cni_path && strncmp(cni_path, "/nonexistent:", 13) == 0 && strcmp(cni_path + 13, plugins) == 0,
               "CNI_PATH lists the plugin directories: %s", cni_path ?: "");

        TAP_OK(asprintf(&path, "%s/results/testnet-pod1-eth0", cache) > 0 && access(path, F_OK) == 0,
               "result cached");

        /* DEL after a "restart": no network object, everything from the cache; netns gone. */
        reset_log();
        rt = (CniRuntimeConf) { .container_id = "pod1", .netns = "/nonexistent/netns" };
        d = (Done) {};
        r = cni_exec_del(x, NULL, "testnet", &rt, on_done, &d, &op);
        TAP_IS_INT(r, 0, "DEL starts");
        run_until(&d);
        TAP_IS_INT(d.r, 0, "DEL succeeds");
        op = cni_operation_free(op);
        free(log);
        log = log_text();
        TAP_OK(strstr(log, "portmap DEL pod1 eth0 netns=\n") && strstr(log, "first DEL") &&
               strstr(log, "portmap DEL") < strstr(log, "first DEL"), "DEL in reverse, empty netns");
        del_in = cni_test_read(dir, "portmap.DEL.in");
        TAP_OK(del_in && strstr(del_in, "\"prevResult\"") && strstr(del_in, "\"hostPort\":8080"),
               "DEL gets cached prevResult and capabilities");
        free(cni_args);
        cni_args = cni_test_read(dir, "first.args");
        TAP_OK(cni_args && strstr(cni_args, "K8S_POD_NAME=web"), "DEL gets cached CNI_ARGS");
        TAP_OK(access(path, F_OK) < 0, "cache entry removed");

        /* Again: nothing cached, no network: nothing to do, still asynchronous. */
        reset_log();
        d = (Done) {};
        r = cni_exec_del(x, NULL, "testnet", &rt, on_done, &d, &op);
        TAP_IS_INT(r, 0, "second DEL starts");
        TAP_OK(!d.done, "not synchronous");
        run_until(&d);
        TAP_IS_INT(d.r, 0, "second DEL succeeds");
        op = cni_operation_free(op);
        free(log);
        log = log_text();
        TAP_IS_STR(log, "", "no plugin ran");

        /* DEL with the network but no cache: runs the plugins anyway (crash before caching). */
        d = (Done) {};
        r = cni_exec_del(x, net, NULL, &rt, on_done, &d, &op);
        run_until(&d);
        TAP_IS_INT(d.r, 0, "DEL without cache succeeds");
        op = cni_operation_free(op);
        free(log);
        log = log_text();
        TAP_OK(strstr(log, "portmap DEL") && strstr(log, "first DEL"), "ran the given network's plugins");
}

static void test_rollback(CniExec *x) {
        static const char *const types[] = { "first", "fail", "portmap", NULL };
        _cleanup_(cni_network_unrefp) CniNetwork *net = network("failnet", "0.4.0", types);
        _cleanup_free_ char *log = NULL, *path = NULL;
        CniRuntimeConf rt = { .container_id = "pod2", .netns = dir, .ifname = "net1" };
        const CniError *e;
        CniOperation *op = NULL;
        Done d = {};

        reset_log();
        TAP_IS_INT(cni_exec_add(x, net, &rt, on_done, &d, &op), 0, "ADD starts");
        run_until(&d);
        TAP_IS_INT(d.r, -EPROTO, "ADD fails with the plugin's error");
        e = cni_operation_get_error(op);
        TAP_IS_INT(e->code, 7, "error code");
        TAP_IS_STR(e->msg, "no bridge", "error msg");
        TAP_IS_STR(e->details, "cni0 missing", "error details");
        TAP_OK(cni_operation_get_error_message(op) && strstr(cni_operation_get_error_message(op), "\"fail\"") &&
               strstr(cni_operation_get_error_message(op), "no bridge: cni0 missing (code 7)"),
               "message names the plugin: %s", cni_operation_get_error_message(op) ?: "");
        TAP_OK(!cni_operation_get_result(op), "no result");
        op = cni_operation_free(op);

        log = log_text();
        {
                const char *a = strstr(log, "first ADD"), *b = strstr(log, "fail ADD"), *c = strstr(log, "fail DEL"),
                           *dd = strstr(log, "first DEL");
                TAP_OK(a && b && c && dd && a < b && b < c && c < dd, "rollback: DEL of fail, then first");
                TAP_OK(!strstr(log, "portmap"), "plugin after the failure never ran");
        }
        TAP_OK(asprintf(&path, "%s/results/failnet-pod2-net1", cache) > 0 && access(path, F_OK) < 0,
               "nothing cached");
}

static void test_crash_and_garbage(CniExec *x) {
        static const char *const crash[] = { "crash", NULL }, *const garbage[] = { "first", "garbage", NULL };
        _cleanup_(cni_network_unrefp) CniNetwork *n1 = network("crashnet", "1.0.0", crash),
                                                 *n2 = network("garbagenet", "1.0.0", garbage);
        _cleanup_free_ char *log = NULL;
        CniRuntimeConf rt = { .container_id = "pod3", .netns = dir };
        CniOperation *op = NULL;
        Done d = {};

        TAP_IS_INT(cni_exec_add(x, n1, &rt, on_done, &d, &op), 0, "ADD starts");
        run_until(&d);
        TAP_IS_INT(d.r, -EPROTO, "non-zero exit fails");
        TAP_OK(cni_operation_get_error_message(op) &&
               strstr(cni_operation_get_error_message(op), "exit status 2: panic: something broke"),
               "stderr in the message: %s", cni_operation_get_error_message(op) ?: "");
        TAP_IS_INT(cni_operation_get_error(op)->code, 0, "no structured error");
        op = cni_operation_free(op);

        reset_log();
        d = (Done) {};
        TAP_IS_INT(cni_exec_add(x, n2, &rt, on_done, &d, &op), 0, "ADD starts");
        run_until(&d);
        TAP_IS_INT(d.r, -EBADMSG, "invalid result fails");
        op = cni_operation_free(op);
        log = log_text();
        TAP_OK(strstr(log, "garbage DEL") && strstr(log, "first DEL"), "and is rolled back");
}

/* Gone or a zombie: killed, whoever reaps it. */
static bool process_gone(pid_t pid) {
        char path[64], buf[512];

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        for (int i = 0; i < 200; i++) {
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                ssize_t n;

                if (fd < 0)
                        return true;
                n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (n <= 0)
                        return true;
                buf[n] = '\0';
                if (strstr(buf, ") Z "))
                        return true;
                usleep(10 * 1000);
        }
        return false;
}

static void test_timeout(CniExec *x) {
        static const char *const types[] = { "first", "hang", NULL };
        _cleanup_(cni_network_unrefp) CniNetwork *net = network("hangnet", "1.0.0", types);
        _cleanup_free_ char *log = NULL, *pid = NULL;
        CniRuntimeConf rt = { .container_id = "pod4", .netns = dir };
        CniOperation *op = NULL;
        struct timespec a, b;
        Done d = {};

        reset_log();
        cni_exec_set_timeout(x, 300 * 1000);
        clock_gettime(CLOCK_MONOTONIC, &a);
        TAP_IS_INT(cni_exec_add(x, net, &rt, on_done, &d, &op), 0, "ADD starts");
        run_until(&d);
        clock_gettime(CLOCK_MONOTONIC, &b);
        TAP_IS_INT(d.r, -ETIMEDOUT, "hung plugin times out");
        TAP_OK(b.tv_sec - a.tv_sec < 5, "well before the plugin would have finished");
        TAP_OK(cni_operation_get_error_message(op) && strstr(cni_operation_get_error_message(op), "timed out"),
               "message says so: %s", cni_operation_get_error_message(op) ?: "");
        op = cni_operation_free(op);
        log = log_text();
        TAP_OK(strstr(log, "hang DEL") && strstr(log, "first DEL"), "rolled back");
        pid = cni_test_read(dir, "hang.pid");
        TAP_OK(pid && process_gone(atoi(pid)), "the plugin's own child was killed with its group");

        /* Cancelled while running: freeing kills and reaps. */
        free(pid);
        pid = NULL;
        {
                char p[4096];

                snprintf(p, sizeof(p), "%s/hang.pid", dir);
                (void) unlink(p);
        }
        reset_log();
        d = (Done) {};
        cni_exec_set_timeout(x, 30 * 1000000ULL);
        TAP_IS_INT(cni_exec_add(x, net, &rt, on_done, &d, &op), 0, "ADD starts");
        for (int i = 0; i < 250 && !pid; i++) {
                (void) sd_event_run(event, 20 * 1000);
                pid = cni_test_read(dir, "hang.pid");
                if (pid && pid[0] == '\0')
                        pid = mfree(pid);
        }
        op = cni_operation_free(op);
        TAP_OK(!d.done, "a cancelled operation does not call back");
        TAP_OK(pid && process_gone(atoi(pid)), "cancel kills the plugin's group");
        cni_exec_set_timeout(x, CNI_DEFAULT_TIMEOUT_USEC);
}

static void test_missing_plugin(CniExec *x) {
        static const char *const first[] = { "nosuchplugin", NULL }, *const middle[] = { "first", "nosuchplugin", NULL };
        _cleanup_(cni_network_unrefp) CniNetwork *n1 = network("m1", "1.0.0", first), *n2 = network("m2", "1.0.0", middle);
        _cleanup_free_ char *log = NULL;
        CniRuntimeConf rt = { .container_id = "pod5", .netns = dir };
        CniOperation *op = NULL;
        Done d = {};

        TAP_IS_INT(cni_exec_add(x, n1, &rt, on_done, &d, &op), -ENOENT, "missing first plugin fails at once");
        TAP_OK(!op, "no operation");
        reset_log();
        TAP_IS_INT(cni_exec_add(x, n2, &rt, on_done, &d, &op), 0, "ADD starts");
        run_until(&d);
        TAP_IS_INT(d.r, -ENOENT, "missing later plugin fails");
        op = cni_operation_free(op);
        log = log_text();
        TAP_OK(strstr(log, "first DEL"), "and rolls back what ran");

        rt.container_id = "../bad";
        TAP_IS_INT(cni_exec_add(x, n2, &rt, on_done, &d, &op), -EINVAL, "bad container ID refused");
        rt.container_id = "pod5";
        rt.ifname = "way-too-long-ifname";
        TAP_IS_INT(cni_exec_add(x, n2, &rt, on_done, &d, &op), -EINVAL, "bad ifname refused");
}

static void test_check_version(CniExec *x) {
        static const char *const types[] = { "first", "portmap", NULL };
        _cleanup_(cni_network_unrefp) CniNetwork *net = network("checknet", "1.0.0", types),
                                                 *old = network("oldnet", "0.3.1", types);
        _cleanup_free_ char *in = NULL;
        CniRuntimeConf rt = { .container_id = "pod6", .netns = dir };
        CniOperation *op = NULL;
        Done d = {};

        TAP_IS_INT(cni_exec_check(x, net, &rt, on_done, &d, &op), -ENOENT, "CHECK without ADD");
        TAP_IS_INT(cni_exec_check(x, old, &rt, on_done, &d, &op), -EOPNOTSUPP, "CHECK before 0.4.0");
        TAP_IS_INT(cni_exec_add(x, net, &rt, on_done, &d, &op), 0, "ADD");
        run_until(&d);
        op = cni_operation_free(op);
        d = (Done) {};
        TAP_IS_INT(cni_exec_check(x, net, &rt, on_done, &d, &op), 0, "CHECK starts");
        run_until(&d);
        TAP_IS_INT(d.r, 0, "CHECK passes");
        op = cni_operation_free(op);
        in = cni_test_read(dir, "first.CHECK.in");
        TAP_OK(in && strstr(in, "prevResult"), "CHECK gets the cached result");

        d = (Done) {};
        TAP_IS_INT(cni_exec_version(x, "first", on_done, &d, &op), 0, "VERSION starts");
        run_until(&d);
        TAP_IS_INT(d.r, 0, "VERSION succeeds");
        TAP_IS_INT(strv_length(cni_operation_get_versions(op)), 2, "two versions");
        TAP_OK(strv_contains(cni_operation_get_versions(op), "1.0.0"), "1.0.0 among them");
        op = cni_operation_free(op);

        d = (Done) {};
        TAP_IS_INT(cni_exec_del(x, net, NULL, &rt, on_done, &d, &op), 0, "DEL");
        run_until(&d);
        TAP_IS_INT(d.r, 0, "DEL done");
        op = cni_operation_free(op);
}

int main(void) {
        char *const *plugin_dirs;
        CniExec *x = NULL;
        static const char *const names[] = { "first", "portmap", "fail", "crash", "garbage", "hang" };

        dir = cni_test_tmpdir();
        plugins = cni_test_tmpdir();
        cache = cni_test_tmpdir();
        plugin_dirs = (char *const[]) { (char *) "/nonexistent", plugins, NULL };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                cni_test_write(plugins, names[i], fake_plugin, 0755);
        setenv("FAKE_CNI_DIR", dir, 1);
        setenv("CNI_COMMAND", "should-not-leak", 1);

        if (sd_event_new(&event) < 0 || cni_exec_new(event, plugin_dirs, cache, &x) < 0)
                return 1;

        test_args();
        test_add_del(x);
        test_rollback(x);
        test_crash_and_garbage(x);
        test_timeout(x);
        test_missing_plugin(x);
        test_check_version(x);

        cni_exec_free(x);
        sd_event_unref(event);
        cni_test_rm_rf(dir);
        cni_test_rm_rf(plugins);
        cni_test_rm_rf(cache);
        free(dir);
        free(plugins);
        free(cache);
        return tap_done();
}
