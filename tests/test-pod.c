/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "pod-files.h"
#include "pod-json.h"
#include "pod-namespaces.h"
#include "pod-operation.h"
#include "pod-slice.h"
#include "pod-stats.h"
#include "pod-store.h"
#include "pod-sysctl.h"
#include "pod.h"
#include "strv.h"
#include "tap.h"

static void test_sysctl_validate(void) {
        static const struct {
                const char *key, *value;
                bool host_network, host_ipc;
                bool ok;
        } cases[] = {
                { "kernel.shmmax", "1000000", false, false, true },
                { "kernel.shm_rmid_forced", "1", false, false, true },
                { "kernel.msgmax", "8192", false, false, true },
                { "kernel.sem", "250 32000 100 128", false, false, true },
                { "fs.mqueue.msg_max", "20", false, false, true },
                { "net.ipv4.ip_forward", "1", false, false, true },
                { "net.ipv4.ip_local_port_range", "1024 65000", false, false, true },
                { "net/ipv4/conf/eth0.100/forwarding", "1", false, false, true },
                /* Not namespaced. */
                { "kernel.core_pattern", "|/bin/true", false, false, false },
                { "vm.swappiness", "10", false, false, false },
                { "kernel.hostname", "x", false, false, false },
                { "fs.file-max", "1", false, false, false },
                /* The namespace is the host's. */
                { "net.ipv4.ip_forward", "1", true, false, false },
                { "kernel.shmmax", "1", false, true, false },
                { "fs.mqueue.msg_max", "20", false, true, false },
                /* CVE-2022-0811: a second setting smuggled into the value. */
                { "kernel.shm_rmid_forced", "1+kernel.core_pattern=|/tmp/evil", false, false, false },
                { "net.ipv4.ip_forward", "1=2", false, false, false },
                { "net.ipv4.ip_forward", "1\nkernel.core_pattern=x", false, false, false },
                { "net.ipv4.ip_forward", "1\r", false, false, false },
                /* Bad names. */
                { "", "1", false, false, false },
                { "net..ipv4", "1", false, false, false },
                { "net.ipv4.", "1", false, false, false },
                { ".net.ipv4", "1", false, false, false },
                { "net.ipv4.ip_forward=1", "1", false, false, false },
                { "net.ipv4.ip+forward", "1", false, false, false },
                { "net/../../kernel/core_pattern", "x", false, false, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *reason = NULL;
                int r = pod_sysctl_validate(cases[i].key, cases[i].value, cases[i].host_network, cases[i].host_ipc,
                                            &reason);

                TAP_IS_INT(r, cases[i].ok ? 0 : -EINVAL, "sysctl \"%s\"=\"%s\" (host net %d, ipc %d): %s",
                           cases[i].key, cases[i].value, cases[i].host_network, cases[i].host_ipc,
                           reason ?: "allowed");
        }
}

static void test_sysctl_path(void) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        TAP_IS_INT(pod_sysctl_path("net.ipv4.ip_forward", &a), 0, "path of a dotted key");
        TAP_IS_STR(a, "/proc/sys/net/ipv4/ip_forward", "dots are separators");
        TAP_IS_INT(pod_sysctl_path("net/ipv4/conf/eth0.100/forwarding", &b), 0, "path of a slashed key");
        TAP_IS_STR(b, "/proc/sys/net/ipv4/conf/eth0.100/forwarding", "dots inside parts stay");
        TAP_IS_INT(pod_sysctl_path("net.ipv4.conf.eth0/100.forwarding", &c), 0, "path of a dotted key with a slash");
        TAP_IS_STR(c, "/proc/sys/net/ipv4/conf/eth0.100/forwarding", "the slash stands for a dot");
}

static void test_sysctls_build(void) {
        char *defaults[] = { (char *) "net.ipv4.ping_group_range=0 2147483647", (char *) "kernel.msgmax=100",
                             (char *) "bogus", NULL };
        char *requested[] = { (char *) "kernel.msgmax", (char *) "200", NULL };
        char *evil[] = { (char *) "kernel.shm_rmid_forced", (char *) "1+kernel.core_pattern=x", NULL };
        _cleanup_free_ char *error = NULL;
        PodSysctl *l = NULL;
        size_t n = 0;

        TAP_IS_INT(pod_sysctls_build(defaults, requested, false, false, &l, &n, NULL), 0, "build");
        TAP_IS_INT(n, 2, "two sysctls: the default replaced by the request");
        if (n == 2) {
                TAP_IS_STR(l[0].path, "/proc/sys/net/ipv4/ping_group_range", "default first");
                TAP_IS_STR(l[1].value, "200", "request wins");
        }
        pod_sysctls_free(l, n);

        TAP_IS_INT(pod_sysctls_build(defaults, NULL, true, false, &l, &n, NULL), 0, "build for host network");
        TAP_IS_INT(n, 1, "net default skipped for a host network pod");
        pod_sysctls_free(l, n);

        TAP_IS_INT(pod_sysctls_build(NULL, evil, false, false, &l, &n, &error), -EINVAL, "injection refused");
        TAP_OK(error && strstr(error, "kernel.shm_rmid_forced"), "error names the key: %s", error ?: "(null)");
}

static void test_names(void) {
        _cleanup_free_ char *name = NULL, *id = NULL, *id2 = NULL, *slice = NULL, *own = NULL;

        TAP_IS_INT(pod_build_name("web", "default", "1234-5678", 2, &name), 0, "build name");
        TAP_IS_STR(name, "k8s_POD_web_default_1234-5678_2", "CRI-O's infra name");
        TAP_IS_INT(pod_build_name("", "default", "x", 0, &id), -EINVAL, "empty name refused");
        TAP_IS_INT(pod_id_new(&id), 0, "id");
        TAP_IS_INT(strlen(id), 64, "64 characters");
        TAP_OK(id[strspn(id, "0123456789abcdef")] == '\0', "lowercase hex");
        TAP_IS_INT(pod_id_new(&id2), 0, "second id");
        TAP_OK(strcmp(id, id2) != 0, "ids differ");

        TAP_IS_INT(pod_slice_name("kubepods-burstable-pod1234.slice", id, &slice), 0, "cgroup_parent slice");
        TAP_IS_STR(slice, "kubepods-burstable-pod1234.slice", "used as given");
        TAP_IS_INT(pod_slice_name("/kubepods/burstable", id, &own), -EINVAL, "cgroupfs path refused");
        TAP_IS_INT(pod_slice_name("kubepods-.slice", id, &own), -EINVAL, "invalid slice refused");
        TAP_IS_INT(pod_slice_name(NULL, "abc", &own), 0, "own slice");
        TAP_IS_STR(own, "crio-abc.slice", "crio-<id>.slice");
}

static void test_labels(void) {
        char *labels[] = { (char *) "app", (char *) "web", (char *) "tier", (char *) "front", NULL };
        char *sel1[] = { (char *) "app", (char *) "web", NULL };
        char *sel2[] = { (char *) "app", (char *) "web", (char *) "tier", (char *) "back", NULL };
        char *sel3[] = { (char *) "other", (char *) "x", NULL };

        TAP_OK(pod_labels_match(labels, NULL), "no selector matches");
        TAP_OK(pod_labels_match(labels, sel1), "one matching label");
        TAP_OK(!pod_labels_match(labels, sel2), "all must match");
        TAP_OK(!pod_labels_match(labels, sel3), "missing key");
        TAP_OK(!pod_labels_match(NULL, sel1), "no labels, a selector");
        TAP_IS_STR(pod_strv_pair_get(labels, "tier"), "front", "pair lookup");
        TAP_OK(!pod_strv_pair_get(labels, "web"), "values are not keys");
}

static void test_resolv_conf(void) {
        char *servers[] = { (char *) "10.96.0.10", (char *) "8.8.8.8", NULL };
        char *searches[] = { (char *) "default.svc.cluster.local", (char *) "svc.cluster.local", NULL };
        char *options[] = { (char *) "ndots:5", (char *) "timeout:2", NULL };
        _cleanup_free_ char *text = NULL, *none = NULL, *only = NULL;

        TAP_IS_INT(pod_resolv_conf_render(servers, searches, options, &text), 1, "render");
        TAP_IS_STR(text, "search default.svc.cluster.local svc.cluster.local\n"
                         "nameserver 10.96.0.10\nnameserver 8.8.8.8\noptions ndots:5 timeout:2\n", "resolv.conf");
        TAP_IS_INT(pod_resolv_conf_render(NULL, NULL, NULL, &none), 0, "nothing to render");
        TAP_OK(!none, "no text");
        TAP_IS_INT(pod_resolv_conf_render(servers, NULL, NULL, &only), 1, "servers only");
        TAP_IS_STR(only, "nameserver 10.96.0.10\nnameserver 8.8.8.8\n", "just nameservers");
}

static void test_quantity(void) {
        static const struct {
                const char *s;
                int r;
                uint64_t v;
        } cases[] = {
                { "67108864", 0, 67108864 }, { "64Mi", 0, 67108864 }, { "1Gi", 0, 1073741824 },
                { "512k", 0, 512000 }, { "1M", 0, 1000000 }, { "0", 0, 0 },
                { "", -EINVAL, 0 }, { "Mi", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "1.5Gi", -EINVAL, 0 },
                { "64MB", -EINVAL, 0 }, { "99999999999999999999", -ERANGE, 0 }, { "99999999999Ti", -ERANGE, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t v = 0;
                int r = pod_quantity_parse(cases[i].s, &v);

                TAP_IS_INT(r, cases[i].r, "quantity \"%s\"", cases[i].s);
                if (r == 0)
                        TAP_IS_INT(v, cases[i].v, "quantity \"%s\" value", cases[i].s);
        }
}

static void test_net_dev(void) {
        static const char text[] =
                "Inter-|   Receive                                                |  Transmit\n"
                " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
                "    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n"
                "  eth0:    5000      40    2    0    0     0          0         0     3000      30    1    0    0     0       0          0\n";
        PodInterfaceStats *l = NULL;
        size_t n = 0;

        TAP_IS_INT(pod_net_dev_parse(text, &l, &n), 0, "parse /proc/net/dev");
        TAP_IS_INT(n, 1, "lo left out");
        if (n == 1) {
                TAP_IS_STR(l[0].name, "eth0", "eth0");
                TAP_IS_INT(l[0].rx_bytes, 5000, "rx bytes");
                TAP_IS_INT(l[0].rx_errors, 2, "rx errors");
                TAP_IS_INT(l[0].tx_bytes, 3000, "tx bytes");
                TAP_IS_INT(l[0].tx_errors, 1, "tx errors");
        }
        for (size_t i = 0; i < n; i++)
                free(l[i].name);
        free(l);
}

static void test_enums(void) {
        for (PodState s = 0; s < _POD_STATE_MAX; s++)
                TAP_IS_INT(pod_state_from_string(pod_state_to_string(s)), s, "state %s round trip",
                           pod_state_to_string(s));
        TAP_IS_INT(pod_state_from_string("bogus"), _POD_STATE_INVALID, "unknown state");
        for (PodNamespaceMode m = 0; m < _POD_NAMESPACE_MODE_MAX; m++)
                TAP_IS_INT(pod_namespace_mode_from_string(pod_namespace_mode_to_string(m)), m, "mode %s round trip",
                           pod_namespace_mode_to_string(m));
        TAP_IS_INT(pod_namespace_mode_from_string(NULL), _POD_NAMESPACE_MODE_INVALID, "NULL mode");
        for (PodNamespaceType t = 0; t < _POD_NAMESPACE_TYPE_MAX; t++)
                TAP_IS_INT(pod_namespace_type_from_string(pod_namespace_type_to_string(t)), t, "type %s round trip",
                           pod_namespace_type_to_string(t));
        TAP_OK(!pod_operation_type_to_string(_POD_OPERATION_TYPE_MAX), "operation type out of range");
}

static int make_pod(const char *name, Pod **ret) {
        PodConfig c = {
                .name = strdup(name),
                .namespace = strdup("default"),
                .uid = strdup("uid-1"),
                .network_mode = POD_NAMESPACE_POD,
                .pid_mode = POD_NAMESPACE_CONTAINER,
                .ipc_mode = POD_NAMESPACE_NODE,
        };
        int r;

        (void) strv_push(&c.labels, "app");
        (void) strv_push(&c.labels, name);
        r = pod_new(NULL, &c, ret);
        pod_config_done(&c);
        return r;
}

static void test_store_and_json(void) {
        _cleanup_(pod_store_freep) PodStore *s = NULL;
        _cleanup_(pod_unrefp) Pod *a = NULL, *b = NULL;
        _cleanup_free_ Pod **list = NULL;
        _cleanup_free_ char *json = NULL, *prefix = NULL;
        size_t n = 0;
        Pod *found;

        TAP_IS_INT(pod_store_new(&s), 0, "store");
        TAP_IS_INT(make_pod("a", &a), 0, "pod a");
        TAP_IS_INT(make_pod("b", &b), 0, "pod b");
        TAP_IS_INT(pod_store_add(s, a), 0, "add a");
        TAP_IS_INT(pod_store_add(s, a), -EEXIST, "a again: EEXIST");
        TAP_IS_INT(pod_store_add(s, b), 0, "add b");
        TAP_IS_INT(pod_store_find(s, a->id, &found), -ENOENT, "being created: not found");
        a->state = POD_STATE_READY;
        b->state = POD_STATE_NOTREADY;
        TAP_IS_INT(pod_store_find(s, a->id, &found), 0, "find by id");
        TAP_OK(found == a, "found a");
        prefix = strndup(b->id, 12);
        TAP_IS_INT(pod_store_find(s, prefix, &found), 0, "find by prefix");
        TAP_OK(found == b, "found b");
        TAP_OK(pod_store_get_by_name(s, "k8s_POD_b_default_uid-1_0") == b, "by name");
        TAP_IS_INT(pod_store_list(s, &list, &n), 0, "list");
        TAP_IS_INT(n, 2, "two pods");
        TAP_OK(n == 2 && list[0] == a, "oldest first");
        TAP_OK(!pod_needs_infra(a, true), "no infra for a container PID namespace");
        TAP_OK(pod_needs_infra(a, false), "infra when drop_infra_ctr is off");
        TAP_OK(pod_is_host_ipc(a) && !pod_is_host_network(a), "host IPC, own network");

        TAP_IS_INT(pod_info_to_json(a, &json), 0, "info JSON");
        TAP_OK(json && strstr(json, a->id) && strstr(json, "\"hostNetwork\":false"), "JSON has id and hostNetwork");

        pod_store_remove(s, b);
        TAP_IS_INT(pod_store_size(s), 1, "b removed");
        TAP_OK(!pod_store_get(s, b->id), "b gone by id");
        TAP_OK(!pod_store_get_by_name(s, b->name), "b gone by name");
}

int main(void) {
        test_sysctl_validate();
        test_sysctl_path();
        test_sysctls_build();
        test_names();
        test_labels();
        test_resolv_conf();
        test_quantity();
        test_net_dev();
        test_enums();
        test_store_and_json();
        return tap_done();
}
