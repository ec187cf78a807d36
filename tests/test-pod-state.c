/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pod-state-json.h"
#include "pod.h"
#include "strv.h"
#include "tap.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define BOOT_ID "0f3c1d2e4b5a69788796a5b4c3d2e1f0"

static bool strings_equal(const char *a, const char *b) {
        return a == b || (a && b && strcmp(a, b) == 0);
}

/* Equal lists, NULL and empty told apart. */
static bool strv_same(char *const *a, char *const *b) {
        return !a == !b && strv_equal(a, b);
}

static char **strv_of(const char *first, ...) _sentinel_;
static char **strv_of(const char *first, ...) {
        char **l = calloc(1, sizeof(char *));
        va_list ap;

        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                if (strv_push(&l, s) < 0)
                        abort();
        va_end(ap);
        return l;
}

static void fill_resources(PodResources *r, int64_t base, const char *cpus) {
        *r = (PodResources) {
                .cpu_period = base + 1,
                .cpu_quota = base + 2,
                .cpu_shares = base + 3,
                .memory_limit_in_bytes = base + 4,
                .cpuset_cpus = strdup(cpus),
                .cpuset_mems = strdup("0-1"),
                .pids_limit = base + 5,
        };
}

/* Every field the record holds set, each to a value of its own. */
static void fill_pod(Pod *p) {
        PodConfig *c = &p->config;

        p->id = strdup("a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90");
        p->name = strdup("k8s_POD_web_default_uid-1_2");
        p->state = POD_STATE_NOTREADY;
        p->created_at = INT64_C(1700000000123456789);
        p->runtime_handler = strdup("runc");

        c->name = strdup("web");
        c->namespace = strdup("default");
        c->uid = strdup("uid-1");
        c->attempt = UINT32_MAX;
        c->hostname = strdup("web-host");
        c->log_directory = strdup("/var/log/pods/default_web_uid-1");
        c->dns_servers = strv_of("10.0.0.10", "10.0.0.11", NULL);
        c->dns_searches = strv_of("svc.cluster.local", NULL);
        c->dns_options = strv_of("ndots:5", "edns0", NULL);
        c->n_port_mappings = 2;
        c->port_mappings = calloc(2, sizeof(PodPortMapping));
        c->port_mappings[0] = (PodPortMapping) {
                .protocol = strdup("tcp"),
                .container_port = 80,
                .host_port = 8080,
                .host_ip = strdup("127.0.0.1"),
        };
        c->port_mappings[1] = (PodPortMapping) {
                .protocol = strdup("udp"), .container_port = 65535, .host_port = 1, .host_ip = NULL,
        };
        c->labels = strv_of("app", "web", "tier", "front \"end\"\n", NULL);
        c->annotations = strv_of("io.kubernetes.cri-o.ShmSize", "128Mi", "ünïcode", "✓", NULL);
        c->cgroup_parent = strdup("kubepods-besteffort-poduid_1.slice");
        c->network_mode = POD_NAMESPACE_NODE;
        c->pid_mode = POD_NAMESPACE_CONTAINER;
        c->ipc_mode = POD_NAMESPACE_TARGET;
        c->sysctls = strv_of("net.ipv4.ip_forward", "1", "kernel.shmmax", "1000000", NULL);
        c->has_overhead = true;
        c->has_resources = true;
        fill_resources(&c->overhead, 100, "0");
        fill_resources(&c->resources, 200, "1-3");
        c->privileged = true;
        c->runtime_handler = strdup("fast");

        p->slice = strdup("kubepods-besteffort-poduid_1.slice");
        p->slice_created = true;
        p->netns_path = strdup("/run/crio/ns/netns/x");
        p->ipcns_path = strdup("/run/crio/ns/ipcns/x");
        p->utsns_path = strdup("/run/crio/ns/utsns/x");
        p->run_dir = strdup("/run/crio/pods/x");
        p->resolv_path = strdup("/run/crio/pods/x/resolv.conf");
        p->hostname_path = strdup("/run/crio/pods/x/hostname");
        p->shm_path = strdup("/run/crio/pods/x/shm");
        p->shm_mounted = true;
        p->shm_size = UINT64_MAX;       /* above INT64_MAX: the text form */
        p->network_name = strdup("crio");
        p->network_result = strdup("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.85.0.5/16\"}]}");
        p->ips = strv_of("10.85.0.5", "fd00::5", NULL);
        p->network_up = true;
}

static bool resources_equal(const PodResources *a, const PodResources *b) {
        return a->cpu_period == b->cpu_period && a->cpu_quota == b->cpu_quota &&
                a->cpu_shares == b->cpu_shares && a->memory_limit_in_bytes == b->memory_limit_in_bytes &&
                strings_equal(a->cpuset_cpus, b->cpuset_cpus) &&
                strings_equal(a->cpuset_mems, b->cpuset_mems) && a->pids_limit == b->pids_limit;
}

static void compare_pods(const Pod *a, const Pod *b) {
        const PodConfig *x = &a->config, *y = &b->config;
        bool ports = x->n_port_mappings == y->n_port_mappings;

        TAP_IS_STR(b->id, a->id, "id");
        TAP_IS_STR(b->name, a->name, "name");
        TAP_IS_INT(b->state, a->state, "state");
        TAP_IS_INT(b->created_at, a->created_at, "created_at");
        TAP_IS_STR(b->runtime_handler, a->runtime_handler, "runtime_handler");

        TAP_IS_STR(y->name, x->name, "config.name");
        TAP_IS_STR(y->namespace, x->namespace, "config.namespace");
        TAP_IS_STR(y->uid, x->uid, "config.uid");
        TAP_IS_INT(y->attempt, x->attempt, "config.attempt");
        TAP_IS_STR(y->hostname, x->hostname, "config.hostname");
        TAP_IS_STR(y->log_directory, x->log_directory, "config.log_directory");
        TAP_OK(strv_same(y->dns_servers, x->dns_servers), "config.dns_servers");
        TAP_OK(strv_same(y->dns_searches, x->dns_searches), "config.dns_searches");
        TAP_OK(strv_same(y->dns_options, x->dns_options), "config.dns_options");
        for (size_t i = 0; ports && i < x->n_port_mappings; i++) {
                const PodPortMapping *m = &x->port_mappings[i], *n = &y->port_mappings[i];

                ports = strings_equal(m->protocol, n->protocol) && m->container_port == n->container_port &&
                        m->host_port == n->host_port && strings_equal(m->host_ip, n->host_ip);
        }
        TAP_OK(ports, "config.port_mappings (%zu)", y->n_port_mappings);
        TAP_OK(strv_same(y->labels, x->labels), "config.labels, in order");
        TAP_OK(strv_same(y->annotations, x->annotations), "config.annotations");
        TAP_IS_STR(y->cgroup_parent, x->cgroup_parent, "config.cgroup_parent");
        TAP_IS_INT(y->network_mode, x->network_mode, "config.network_mode");
        TAP_IS_INT(y->pid_mode, x->pid_mode, "config.pid_mode");
        TAP_IS_INT(y->ipc_mode, x->ipc_mode, "config.ipc_mode");
        TAP_OK(strv_same(y->sysctls, x->sysctls), "config.sysctls");
        TAP_IS_INT(y->has_overhead, x->has_overhead, "config.has_overhead");
        TAP_IS_INT(y->has_resources, x->has_resources, "config.has_resources");
        TAP_OK(resources_equal(&y->overhead, &x->overhead), "config.overhead");
        TAP_OK(resources_equal(&y->resources, &x->resources), "config.resources");
        TAP_IS_INT(y->privileged, x->privileged, "config.privileged");
        TAP_IS_STR(y->runtime_handler, x->runtime_handler, "config.runtime_handler");

        TAP_IS_STR(b->slice, a->slice, "slice");
        TAP_IS_INT(b->slice_created, a->slice_created, "slice_created");
        TAP_IS_STR(b->netns_path, a->netns_path, "netns_path");
        TAP_IS_STR(b->ipcns_path, a->ipcns_path, "ipcns_path");
        TAP_IS_STR(b->utsns_path, a->utsns_path, "utsns_path");
        TAP_IS_STR(b->run_dir, a->run_dir, "run_dir");
        TAP_IS_STR(b->resolv_path, a->resolv_path, "resolv_path");
        TAP_IS_STR(b->hostname_path, a->hostname_path, "hostname_path");
        TAP_IS_STR(b->shm_path, a->shm_path, "shm_path");
        TAP_IS_INT(b->shm_mounted, a->shm_mounted, "shm_mounted");
        TAP_OK(b->shm_size == a->shm_size, "shm_size %llu", (unsigned long long) b->shm_size);
        TAP_IS_STR(b->network_name, a->network_name, "network_name");
        TAP_IS_STR(b->network_result, a->network_result, "network_result");
        TAP_OK(strv_same(b->ips, a->ips), "ips");
        TAP_IS_INT(b->network_up, a->network_up, "network_up");
}

/* Parses text into a fresh pod with an exact-size copy (no NUL after it, for ASan and valgrind). */
static int parse(const char *text, size_t size, Pod *p, char **ret_boot_id) {
        char *copy = malloc(size ?: 1);
        int r;

        memcpy(copy, text, size);
        *p = (Pod) {};
        r = pod_state_from_json(copy, size, p, ret_boot_id);
        free(copy);
        return r;
}

static void test_round_trip(void) {
        _cleanup_free_ char *json = NULL, *again = NULL, *boot_id = NULL;
        Pod a = {}, b = {};

        fill_pod(&a);
        TAP_IS_INT(pod_state_to_json(&a, BOOT_ID, &json), 0, "full pod written");
        TAP_OK(json && strstr(json, "\"version\":1"), "version 1");
        TAP_OK(json && !strstr(json, "log_fields") && !strstr(json, "slice_active"),
               "in-memory fields left out");
        TAP_IS_INT(parse(json, strlen(json), &b, &boot_id), 0, "full pod read");
        TAP_IS_STR(boot_id, BOOT_ID, "boot id returned");
        compare_pods(&a, &b);
        TAP_IS_INT(pod_state_to_json(&b, BOOT_ID, &again), 0, "written again");
        TAP_IS_STR(again, json, "the same text twice");

        pod_state_done(&a);
        pod_state_done(&b);
        TAP_OK(!b.id && !b.config.name && !b.config.port_mappings && !b.ips, "pod_state_done leaves NULLs");
}

/* NULL lists and empty ones stay apart; int64 and uint64 keep their whole range. */
static void test_edges(void) {
        _cleanup_free_ char *json = NULL;
        Pod a = {}, b = {};

        a.id = strdup("x");
        a.name = strdup("y");
        a.created_at = INT64_MIN;
        a.shm_size = (uint64_t) INT64_MAX + 1;
        a.config.dns_servers = calloc(1, sizeof(char *));
        a.config.labels = calloc(1, sizeof(char *));
        a.config.resources.cpu_quota = INT64_MAX;
        a.config.overhead.cpu_quota = -1;

        TAP_IS_INT(pod_state_to_json(&a, NULL, &json), 0, "edge pod written");
        TAP_OK(json && strstr(json, "\"boot_id\":null"), "no boot id: null");
        TAP_OK(json && strstr(json, "\"shm_size\":\"9223372036854775808\""),
               "uint64 above INT64_MAX as text");
        TAP_IS_INT(parse(json, strlen(json), &b, NULL), 0, "edge pod read, boot id not asked for");
        TAP_OK(b.created_at == INT64_MIN, "INT64_MIN kept");
        TAP_OK(b.shm_size == (uint64_t) INT64_MAX + 1, "INT64_MAX + 1 kept");
        TAP_OK(b.config.resources.cpu_quota == INT64_MAX && b.config.overhead.cpu_quota == -1, "int64 kept");
        TAP_OK(b.config.dns_servers && !b.config.dns_servers[0], "empty list stays empty");
        TAP_OK(b.config.labels && !b.config.labels[0], "empty map stays empty");
        TAP_OK(!b.config.dns_searches && !b.config.annotations && !b.ips, "NULL lists stay NULL");
        TAP_OK(!b.config.port_mappings && b.config.n_port_mappings == 0, "no port mappings");
        pod_state_done(&a);
        pod_state_done(&b);
}

static void test_minimal(void) {
        static const char json[] = "{\"version\":1,\"id\":\"abc\",\"name\":\"n\"}";
        char *boot_id = (char *) "untouched";
        Pod p = {};

        TAP_IS_INT(parse(json, strlen(json), &p, &boot_id), 0, "minimal record read");
        TAP_OK(boot_id == NULL, "no boot id: NULL");
        TAP_IS_STR(p.id, "abc", "id");
        TAP_OK(p.state == POD_STATE_CREATING && p.created_at == 0 && !p.config.name && !p.slice && !p.ips &&
               !p.config.has_resources && p.config.network_mode == POD_NAMESPACE_POD,
               "everything else zero");
        pod_state_done(&p);
}

static void test_forward_compatible(void) {
        static const char json[] =
                "{\"version\":1,\"id\":\"abc\",\"name\":\"n\",\"future\":{\"a\":[1,2,{}]},"
                "\"config\":{\"name\":\"c\",\"new_thing\":null},\"state\":\"ready\"}";
        Pod p = {};

        TAP_IS_INT(parse(json, strlen(json), &p, NULL), 0, "unknown keys ignored");
        TAP_OK(p.state == POD_STATE_READY && strings_equal(p.config.name, "c"), "known keys read");
        pod_state_done(&p);
}

static void test_malformed(void) {
#define HEAD "{\"version\":1,\"id\":\"a\",\"name\":\"n\","
        static const char *const cases[] = {
                "",
                " ",
                "{",
                "[]",
                "null",
                "1",
                "\"x\"",
                "{\"version\":1,\"id\":\"a\",\"name\":\"n\"} trailing",
                "{\"version\":1,\"name\":\"n\"}",
                "{\"version\":1,\"id\":null,\"name\":\"n\"}",
                "{\"version\":1,\"id\":\"\",\"name\":\"n\"}",
                "{\"version\":1,\"id\":5,\"name\":\"n\"}",
                "{\"version\":1,\"id\":\"a\"}",
                "{\"id\":\"a\",\"name\":\"n\"}",
                "{\"version\":2,\"id\":\"a\",\"name\":\"n\"}",
                "{\"version\":0,\"id\":\"a\",\"name\":\"n\"}",
                "{\"version\":\"1\",\"id\":\"a\",\"name\":\"n\"}",
                "{\"version\":1.0,\"id\":\"a\",\"name\":\"n\"}",
                "{\"version\":1,\"boot_id\":7,\"id\":\"a\",\"name\":\"n\"}",
                HEAD "\"state\":\"bogus\"}",
                HEAD "\"state\":1}",
                HEAD "\"state\":null}",
                HEAD "\"created_at\":1.5}",
                HEAD "\"created_at\":\"1\"}",
                HEAD "\"slice_created\":1}",
                HEAD "\"slice_created\":null}",
                HEAD "\"slice\":[]}",
                HEAD "\"ips\":\"10.0.0.1\"}",
                HEAD "\"ips\":[\"10.0.0.1\",1]}",
                HEAD "\"shm_size\":-1}",
                HEAD "\"shm_size\":\"-1\"}",
                HEAD "\"shm_size\":\" 1\"}",
                HEAD "\"shm_size\":\"12a\"}",
                HEAD "\"shm_size\":\"\"}",
                HEAD "\"shm_size\":\"18446744073709551616\"}",
                HEAD "\"config\":\"x\"}",
                HEAD "\"config\":{\"attempt\":-1}}",
                HEAD "\"config\":{\"attempt\":4294967296}}",
                HEAD "\"config\":{\"labels\":[\"a\",\"b\"]}}",
                HEAD "\"config\":{\"labels\":{\"a\":\"b\",\"c\":1}}}",
                HEAD "\"config\":{\"labels\":{\"a\":null}}}",
                HEAD "\"config\":{\"network_mode\":\"bogus\"}}",
                HEAD "\"config\":{\"resources\":[]}}",
                HEAD "\"config\":{\"resources\":{\"cpuset_cpus\":1}}}",
                HEAD "\"config\":{\"port_mappings\":{}}}",
                HEAD "\"config\":{\"port_mappings\":[{\"protocol\":\"tcp\"},1]}}",
                HEAD "\"config\":{\"port_mappings\":"
                        "[{\"protocol\":\"tcp\",\"host_ip\":\"::\"},{\"host_port\":65536}]}}",
                HEAD "\"config\":{\"dns_servers\":[\"a\"],\"sysctls\":{\"k\":[]}}}",
        };
#undef HEAD

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *boot_id = (char *) "untouched";
                Pod p = {};

                TAP_IS_INT(parse(cases[i], strlen(cases[i]), &p, &boot_id), -EBADMSG, "refused: %s",
                           cases[i]);
                TAP_OK(boot_id && strcmp(boot_id, "untouched") == 0, "boot id untouched on failure");
                /* Whatever was set before the failure goes with the fields' own frees. */
                pod_state_done(&p);
        }
}

/* Every prefix of a valid record: no crash, no leak, either refused or read. Under valgrind every 13th
 * (each parse runs to the end of its prefix, so all of them take minutes there); the plain and the
 * ASan runs take them all. */
static void test_truncated(void) {
        _cleanup_free_ char *json = NULL;
        unsigned refused = 0, read = 0, other = 0, tried = 0;
        size_t step = RUNNING_ON_VALGRIND ? 13 : 1;
        Pod a = {};

        fill_pod(&a);
        assert(pod_state_to_json(&a, BOOT_ID, &json) == 0);
        for (size_t n = 0;; n = MIN(n + step, strlen(json))) {
                char *boot_id = NULL;
                Pod p = {};
                int r = parse(json, n, &p, &boot_id);

                tried++;
                if (r == -EBADMSG)
                        refused++;
                else if (r == 0 && boot_id)
                        read++;
                else
                        other++;
                free(boot_id);
                pod_state_done(&p);
                if (n == strlen(json))
                        break;
        }
        TAP_OK(other == 0 && read >= 1 && refused == tried - read && (step > 1 || tried == strlen(json) + 1),
               "%u prefixes of %zu bytes: %u refused, %u read, %u otherwise",
               tried, strlen(json), refused, read, other);
        pod_state_done(&a);
}

/* The pod's own destructor frees what a read left, even a failed one. */
static void test_unref(void) {
        _cleanup_free_ char *json = NULL;
        Pod a = {}, *p;

        fill_pod(&a);
        assert(pod_state_to_json(&a, BOOT_ID, &json) == 0);

        p = calloc(1, sizeof(Pod));
        p->n_ref = 1;
        TAP_IS_INT(pod_state_from_json(json, strlen(json), p, NULL), 0, "read into a calloc()ed pod");
        TAP_OK(pod_unref(p) == NULL, "pod_unref() frees it");

        p = calloc(1, sizeof(Pod));
        p->n_ref = 1;
        json[strlen(json) - 3] = '\0';
        TAP_IS_INT(pod_state_from_json(json, strlen(json), p, NULL), -EBADMSG, "a truncated one refused");
        TAP_OK(pod_unref(p) == NULL, "pod_unref() frees what it held");
        pod_state_done(&a);
}

static void test_write_errors(void) {
        char *json = NULL;
        Pod a = { .id = (char *) "a", .name = (char *) "n", .state = _POD_STATE_MAX };

        TAP_IS_INT(pod_state_to_json(&a, NULL, &json), -EINVAL, "a state without a name refused");
        TAP_OK(!json, "nothing returned");
        a.state = POD_STATE_READY;
        a.config.ipc_mode = 17;
        TAP_IS_INT(pod_state_to_json(&a, NULL, &json), -EINVAL, "a namespace mode without a name refused");
        TAP_IS_INT(pod_state_to_json(NULL, NULL, &json), -EINVAL, "no pod");
}

int main(void) {
        test_round_trip();
        test_edges();
        test_minimal();
        test_forward_compatible();
        test_malformed();
        test_truncated();
        test_unref();
        test_write_errors();
        return tap_done();
}
