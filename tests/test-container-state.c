/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "container-state-json.h"
#include "container.h"
#include "pod.h"
#include "strv.h"
#include "tap.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define BOOT_ID "0f3c1d2e4b5a69788796a5b4c3d2e1f0"
#define POD_ID "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"

static Pod test_pod = { .id = (char *) POD_ID };

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

/* Every field the record holds set, each to a value of its own. */
static void fill_container(Container *c) {
        ContainerConfig *k = &c->config;
        OciResources *r = &k->resources;

        c->id = strdup("f00dfacef00dfacef00dfacef00dfacef00dfacef00dfacef00dfacef00dface");
        c->name = strdup("k8s_app_web_default_uid-1_3");
        c->pod = &test_pod;

        k->name = strdup("app");
        k->attempt = 3;
        k->image = strdup("docker.io/library/busybox:latest");
        k->command = strv_of("/bin/sh", "-c", NULL);
        k->args = strv_of("echo \"hi\"; sleep 1\n", NULL);
        k->working_dir = strdup("/srv");
        k->env = strv_of("A=1", "B=two words", "EMPTY=", NULL);
        k->n_mounts = 2;
        k->mounts = calloc(2, sizeof(ContainerMount));
        k->mounts[0] = (ContainerMount) {
                .container_path = strdup("/data"), .host_path = strdup("/var/lib/data"), .readonly = true,
                .selinux_relabel = true, .propagation = OCI_PROPAGATION_BIDIRECTIONAL,
        };
        k->mounts[1] = (ContainerMount) {
                .container_path = strdup("/cache"), .host_path = strdup("/tmp/cache"),
                .propagation = OCI_PROPAGATION_HOST_TO_CONTAINER,
        };
        k->n_devices = 1;
        k->devices = calloc(1, sizeof(ContainerDevice));
        k->devices[0] = (ContainerDevice) {
                .container_path = strdup("/dev/fuse"),
                .host_path = strdup("/dev/fuse"),
                .permissions = strdup("rw"),
        };
        k->labels = strv_of("io.kubernetes.container.name", "app", "x", "y", NULL);
        k->annotations = strv_of("io.kubernetes.container.hash", "abc123", NULL);
        k->log_path = strdup("app/3.log");
        k->stdin = true;
        k->stdin_once = true;
        k->tty = true;

        k->has_resources = true;
        r->cpu_shares = 512;
        r->cpu_quota = -1;
        r->cpu_period = UINT64_MAX;
        r->cpuset_cpus = strdup("0-3");
        r->cpuset_mems = strdup("0");
        r->memory_limit = INT64_MAX;
        r->memory_swap = INT64_MIN;
        r->has_pids_limit = true;
        r->pids_limit = 100;
        r->n_hugepages = 2;
        r->hugepages = calloc(2, sizeof(OciHugepageLimit));
        r->hugepages[0] = (OciHugepageLimit) { .page_size = strdup("2MB"), .limit = 4096 };
        r->hugepages[1] = (OciHugepageLimit) {
                .page_size = strdup("1GB"),
                .limit = (uint64_t) INT64_MAX + 7,      /* above INT64_MAX: the text form */
        };
        r->unified = strv_of("memory.high", "100000000", "cpu.weight", "50", NULL);
        k->has_oom_score_adj = true;
        k->oom_score_adj = -999;

        k->privileged = true;
        k->add_capabilities = strv_of("CAP_NET_ADMIN", NULL);
        k->drop_capabilities = strv_of("CAP_KILL", "CAP_CHOWN", NULL);
        k->has_run_as_user = true;
        k->run_as_user = 1000;
        k->run_as_username = strdup("web");
        k->has_run_as_group = true;
        k->run_as_group = 2000;
        k->n_supplemental_groups = 3;
        k->supplemental_groups = calloc(3, sizeof(int64_t));
        k->supplemental_groups[0] = 10;
        k->supplemental_groups[1] = INT64_MAX;
        k->supplemental_groups[2] = -5;
        k->supplemental_groups_policy = SUPPLEMENTAL_GROUPS_POLICY_STRICT;
        k->readonly_rootfs = true;
        k->no_new_privs = true;
        k->has_masked_paths = true;
        k->has_readonly_paths = true;
        k->masked_paths = calloc(1, sizeof(char *));    /* empty, not unset: nothing masked */
        k->readonly_paths = strv_of("/proc/sys", NULL);
        k->seccomp_mode = CONTAINER_SECCOMP_LOCALHOST;
        k->seccomp_localhost = strdup("/var/lib/kubelet/seccomp/profile.json");
        k->apparmor_profile = strdup("crio-default");
        k->selinux_label = strdup("system_u:system_r:container_t:s0:c1,c2");
        k->pid_mode = OCI_PID_MODE_TARGET;
        k->target_id = strdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

        c->image_id = strdup("3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741");
        c->image_ref = strdup("docker.io/library/busybox@sha256:"
                              "9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7");
        c->image_name = strdup("docker.io/library/busybox:latest");
        c->runtime_handler = strdup("crun");
        c->state = CONTAINER_STATE_EXITED;
        c->created_at = INT64_C(1700000000000000001);
        c->started_at = INT64_C(1700000000000000002);
        c->finished_at = INT64_MAX;
        c->exit_code = -2;
        c->reason = strdup("OOMKilled");
        c->message = strdup("out of memory\nreally");
        c->pid = 4194304;
        c->conmon_pid = 4194303;
        c->pid_starttime = UINT64_C(12345678901234);
        c->conmon_starttime = UINT64_MAX;
        c->stop_signal = 15;
        c->privileged = true;
        c->layer_dir = strdup("/var/lib/containers/storage/overlay-containers/f00d");
        c->rootfs = strdup("/var/lib/containers/storage/overlay-containers/f00d/merged");
        c->rootfs_mounted = true;
        c->bundle_dir = strdup("/run/containers/storage/overlay-containers/f00d/userdata");
        c->log_path = strdup("/var/log/pods/default_web_uid-1/app/3.log");
        c->scope = strdup("crio-f00d.scope");
        c->conmon_scope = strdup("crio-conmon-f00d.scope");
        c->cgroup_path = strdup("/kubepods.slice/crio-f00d.scope");
        c->infra = true;
}

static void compare_containers(const Container *a, const Container *b) {
        const ContainerConfig *x = &a->config, *y = &b->config;
        const OciResources *p = &x->resources, *q = &y->resources;
        bool mounts = x->n_mounts == y->n_mounts, devices = x->n_devices == y->n_devices;
        bool hugepages = p->n_hugepages == q->n_hugepages;
        bool groups = x->n_supplemental_groups == y->n_supplemental_groups;

        TAP_IS_STR(b->id, a->id, "id");
        TAP_IS_STR(b->name, a->name, "name");

        TAP_IS_STR(y->name, x->name, "config.name");
        TAP_IS_INT(y->attempt, x->attempt, "config.attempt");
        TAP_IS_STR(y->image, x->image, "config.image");
        TAP_OK(strv_same(y->command, x->command), "config.command");
        TAP_OK(strv_same(y->args, x->args), "config.args");
        TAP_IS_STR(y->working_dir, x->working_dir, "config.working_dir");
        TAP_OK(strv_same(y->env, x->env), "config.env");
        for (size_t i = 0; mounts && i < x->n_mounts; i++) {
                const ContainerMount *m = &x->mounts[i], *n = &y->mounts[i];

                mounts = strings_equal(m->container_path, n->container_path) &&
                        strings_equal(m->host_path, n->host_path) && m->readonly == n->readonly &&
                        m->selinux_relabel == n->selinux_relabel && m->propagation == n->propagation;
        }
        TAP_OK(mounts, "config.mounts (%zu)", y->n_mounts);
        for (size_t i = 0; devices && i < x->n_devices; i++) {
                const ContainerDevice *m = &x->devices[i], *n = &y->devices[i];

                devices = strings_equal(m->container_path, n->container_path) &&
                        strings_equal(m->host_path, n->host_path) &&
                        strings_equal(m->permissions, n->permissions);
        }
        TAP_OK(devices, "config.devices (%zu)", y->n_devices);
        TAP_OK(strv_same(y->labels, x->labels), "config.labels");
        TAP_OK(strv_same(y->annotations, x->annotations), "config.annotations");
        TAP_IS_STR(y->log_path, x->log_path, "config.log_path");
        TAP_IS_INT(y->stdin, x->stdin, "config.stdin");
        TAP_IS_INT(y->stdin_once, x->stdin_once, "config.stdin_once");
        TAP_IS_INT(y->tty, x->tty, "config.tty");

        TAP_IS_INT(y->has_resources, x->has_resources, "config.has_resources");
        TAP_OK(q->cpu_shares == p->cpu_shares, "resources.cpu_shares");
        TAP_IS_INT(q->cpu_quota, p->cpu_quota, "resources.cpu_quota");
        TAP_OK(q->cpu_period == p->cpu_period, "resources.cpu_period");
        TAP_IS_STR(q->cpuset_cpus, p->cpuset_cpus, "resources.cpuset_cpus");
        TAP_IS_STR(q->cpuset_mems, p->cpuset_mems, "resources.cpuset_mems");
        TAP_IS_INT(q->memory_limit, p->memory_limit, "resources.memory_limit");
        TAP_IS_INT(q->memory_swap, p->memory_swap, "resources.memory_swap");
        TAP_IS_INT(q->has_pids_limit, p->has_pids_limit, "resources.has_pids_limit");
        TAP_IS_INT(q->pids_limit, p->pids_limit, "resources.pids_limit");
        for (size_t i = 0; hugepages && i < p->n_hugepages; i++)
                hugepages = strings_equal(p->hugepages[i].page_size, q->hugepages[i].page_size) &&
                        p->hugepages[i].limit == q->hugepages[i].limit;
        TAP_OK(hugepages, "resources.hugepages (%zu)", q->n_hugepages);
        TAP_OK(strv_same(q->unified, p->unified), "resources.unified");
        TAP_IS_INT(y->has_oom_score_adj, x->has_oom_score_adj, "config.has_oom_score_adj");
        TAP_IS_INT(y->oom_score_adj, x->oom_score_adj, "config.oom_score_adj");

        TAP_IS_INT(y->privileged, x->privileged, "config.privileged");
        TAP_OK(strv_same(y->add_capabilities, x->add_capabilities), "config.add_capabilities");
        TAP_OK(strv_same(y->drop_capabilities, x->drop_capabilities), "config.drop_capabilities");
        TAP_IS_INT(y->has_run_as_user, x->has_run_as_user, "config.has_run_as_user");
        TAP_IS_INT(y->run_as_user, x->run_as_user, "config.run_as_user");
        TAP_IS_STR(y->run_as_username, x->run_as_username, "config.run_as_username");
        TAP_IS_INT(y->has_run_as_group, x->has_run_as_group, "config.has_run_as_group");
        TAP_IS_INT(y->run_as_group, x->run_as_group, "config.run_as_group");
        for (size_t i = 0; groups && i < x->n_supplemental_groups; i++)
                groups = x->supplemental_groups[i] == y->supplemental_groups[i];
        TAP_OK(groups, "config.supplemental_groups (%zu)", y->n_supplemental_groups);
        TAP_IS_INT(y->supplemental_groups_policy, x->supplemental_groups_policy,
                   "config.supplemental_groups_policy");
        TAP_IS_INT(y->readonly_rootfs, x->readonly_rootfs, "config.readonly_rootfs");
        TAP_IS_INT(y->no_new_privs, x->no_new_privs, "config.no_new_privs");
        TAP_IS_INT(y->has_masked_paths, x->has_masked_paths, "config.has_masked_paths");
        TAP_IS_INT(y->has_readonly_paths, x->has_readonly_paths, "config.has_readonly_paths");
        TAP_OK(strv_same(y->masked_paths, x->masked_paths), "config.masked_paths");
        TAP_OK(strv_same(y->readonly_paths, x->readonly_paths), "config.readonly_paths");
        TAP_IS_INT(y->seccomp_mode, x->seccomp_mode, "config.seccomp_mode");
        TAP_IS_STR(y->seccomp_localhost, x->seccomp_localhost, "config.seccomp_localhost");
        TAP_IS_STR(y->apparmor_profile, x->apparmor_profile, "config.apparmor_profile");
        TAP_IS_STR(y->selinux_label, x->selinux_label, "config.selinux_label");
        TAP_IS_INT(y->pid_mode, x->pid_mode, "config.pid_mode");
        TAP_IS_STR(y->target_id, x->target_id, "config.target_id");

        TAP_IS_STR(b->image_id, a->image_id, "image_id");
        TAP_IS_STR(b->image_ref, a->image_ref, "image_ref");
        TAP_IS_STR(b->image_name, a->image_name, "image_name");
        TAP_IS_STR(b->runtime_handler, a->runtime_handler, "runtime_handler");
        TAP_IS_INT(b->state, a->state, "state");
        TAP_IS_INT(b->created_at, a->created_at, "created_at");
        TAP_IS_INT(b->started_at, a->started_at, "started_at");
        TAP_IS_INT(b->finished_at, a->finished_at, "finished_at");
        TAP_IS_INT(b->exit_code, a->exit_code, "exit_code");
        TAP_IS_STR(b->reason, a->reason, "reason");
        TAP_IS_STR(b->message, a->message, "message");
        TAP_IS_INT(b->pid, a->pid, "pid");
        TAP_IS_INT(b->conmon_pid, a->conmon_pid, "conmon_pid");
        TAP_OK(b->pid_starttime == a->pid_starttime, "pid_starttime");
        TAP_OK(b->conmon_starttime == a->conmon_starttime, "conmon_starttime");
        TAP_IS_INT(b->stop_signal, a->stop_signal, "stop_signal");
        TAP_IS_INT(b->privileged, a->privileged, "privileged");
        TAP_IS_STR(b->layer_dir, a->layer_dir, "layer_dir");
        TAP_IS_STR(b->rootfs, a->rootfs, "rootfs");
        TAP_IS_INT(b->rootfs_mounted, a->rootfs_mounted, "rootfs_mounted");
        TAP_IS_STR(b->bundle_dir, a->bundle_dir, "bundle_dir");
        TAP_IS_STR(b->log_path, a->log_path, "log_path");
        TAP_IS_STR(b->scope, a->scope, "scope");
        TAP_IS_STR(b->conmon_scope, a->conmon_scope, "conmon_scope");
        TAP_IS_STR(b->cgroup_path, a->cgroup_path, "cgroup_path");
        TAP_IS_INT(b->infra, a->infra, "infra");
}

/* Parses text into a fresh container with an exact-size copy (no NUL after it, for ASan and valgrind). */
static int parse(const char *text, size_t size, Container *c, char **ret_pod_id, char **ret_boot_id) {
        char *copy = malloc(size ?: 1);
        int r;

        memcpy(copy, text, size);
        *c = (Container) {};
        r = container_state_from_json(copy, size, c, ret_pod_id, ret_boot_id);
        free(copy);
        return r;
}

static void test_seccomp_modes(void) {
        for (ContainerSeccompMode m = 0; m < _CONTAINER_SECCOMP_MODE_MAX; m++) {
                const char *name = container_seccomp_mode_to_string(m);

                TAP_OK(name, "seccomp mode %d has a name", (int) m);
                TAP_IS_INT(container_seccomp_mode_from_string(name), (int) m, "%s round-trips", name);
        }
        TAP_IS_INT(container_seccomp_mode_from_string("bogus"), _CONTAINER_SECCOMP_MODE_INVALID,
                   "unknown mode");
        TAP_IS_INT(container_seccomp_mode_from_string(NULL), _CONTAINER_SECCOMP_MODE_INVALID, "NULL");
        TAP_OK(!container_seccomp_mode_to_string(_CONTAINER_SECCOMP_MODE_MAX), "out of range has no name");
        TAP_OK(!container_seccomp_mode_to_string(_CONTAINER_SECCOMP_MODE_INVALID), "invalid has no name");
}

static void test_round_trip(void) {
        _cleanup_free_ char *json = NULL, *again = NULL, *boot_id = NULL, *pod_id = NULL;
        Container a = {}, b = {};

        fill_container(&a);
        TAP_IS_INT(container_state_to_json(&a, BOOT_ID, &json), 0, "full container written");
        TAP_OK(json && strstr(json, "\"version\":1") && strstr(json, "\"pod_id\":\"" POD_ID "\""),
               "version 1 and the pod's id");
        TAP_OK(json && strstr(json, "\"propagation\":\"") && strstr(json, "\"seccomp_mode\":\"localhost\""),
               "enums by name");
        TAP_OK(json && !strstr(json, "log_fields") && !strstr(json, "removing"),
               "in-memory fields left out");
        TAP_IS_INT(parse(json, strlen(json), &b, &pod_id, &boot_id), 0, "full container read");
        TAP_IS_STR(pod_id, POD_ID, "pod id returned");
        TAP_IS_STR(boot_id, BOOT_ID, "boot id returned");
        TAP_OK(!b.pod && !b.runtime && !b.manager && b.n_ref == 0, "pointers left to the caller");
        compare_containers(&a, &b);
        b.pod = &test_pod;
        TAP_IS_INT(container_state_to_json(&b, BOOT_ID, &again), 0, "written again");
        TAP_IS_STR(again, json, "the same text twice");

        container_state_done(&a);
        container_state_done(&b);
        TAP_OK(!b.id && !b.config.mounts && !b.config.resources.hugepages && !b.cgroup_path,
               "container_state_done leaves NULLs");
}

static void test_minimal(void) {
        static const char json[] = "{\"version\":1,\"pod_id\":\"p\",\"id\":\"abc\",\"name\":\"n\"}";
        char *boot_id = (char *) "untouched", *pod_id = NULL;
        Container c = {};

        TAP_IS_INT(parse(json, strlen(json), &c, &pod_id, &boot_id), 0, "minimal record read");
        TAP_IS_STR(pod_id, "p", "pod id");
        TAP_OK(boot_id == NULL, "no boot id: NULL");
        TAP_OK(c.state == CONTAINER_STATE_CREATING && c.pid == 0 && !c.config.command && !c.config.mounts &&
               c.config.n_mounts == 0 && !c.config.supplemental_groups && !c.config.resources.unified &&
               c.config.seccomp_mode == CONTAINER_SECCOMP_UNCONFINED && !c.infra,
               "everything else zero");
        free(pod_id);
        container_state_done(&c);

        /* Neither output asked for. */
        TAP_IS_INT(parse(json, strlen(json), &c, NULL, NULL), 0, "read without outputs");
        container_state_done(&c);
}

static void test_no_pod(void) {
        char *json = NULL;
        Container c = { .id = (char *) "a", .name = (char *) "n" };

        TAP_IS_INT(container_state_to_json(&c, NULL, &json), -EINVAL, "no pod: refused");
        c.pod = &(Pod) {};
        TAP_IS_INT(container_state_to_json(&c, NULL, &json), -EINVAL, "a pod without an id: refused");
        c.pod = &test_pod;
        c.config.seccomp_mode = 9;
        TAP_IS_INT(container_state_to_json(&c, NULL, &json), -EINVAL,
                   "a seccomp mode without a name refused");
        TAP_OK(!json, "nothing returned");
}

static void test_malformed(void) {
#define HEAD "{\"version\":1,\"pod_id\":\"p\",\"id\":\"a\",\"name\":\"n\","
        static const char *const cases[] = {
                "",
                "{}",
                "{\"version\":1,\"id\":\"a\",\"name\":\"n\"}",
                "{\"version\":1,\"pod_id\":\"\",\"id\":\"a\",\"name\":\"n\"}",
                "{\"version\":1,\"pod_id\":null,\"id\":\"a\",\"name\":\"n\"}",
                "{\"version\":1,\"pod_id\":\"p\",\"name\":\"n\"}",
                "{\"version\":1,\"pod_id\":\"p\",\"id\":\"a\"}",
                "{\"version\":3,\"pod_id\":\"p\",\"id\":\"a\",\"name\":\"n\"}",
                "{\"version\":-1,\"pod_id\":\"p\",\"id\":\"a\",\"name\":\"n\"}",
                HEAD "\"state\":\"CONTAINER_RUNNING\"}",
                HEAD "\"exit_code\":2147483648}",
                HEAD "\"pid\":-2147483649}",
                HEAD "\"pid\":1.0}",
                HEAD "\"pid_starttime\":-1}",
                HEAD "\"infra\":\"true\"}",
                HEAD "\"config\":{\"command\":\"/bin/sh\"}}",
                HEAD "\"config\":{\"env\":[null]}}",
                HEAD "\"config\":{\"mounts\":[{\"propagation\":\"rshared\"}]}}",
                HEAD "\"config\":{\"mounts\":[{\"container_path\":\"/a\",\"propagation\":null}]}}",
                HEAD "\"config\":{\"mounts\":[{\"container_path\":\"/a\"},[]]}}",
                HEAD "\"config\":{\"devices\":[{\"permissions\":7}]}}",
                HEAD "\"config\":{\"resources\":{\"hugepages\":[{\"page_size\":\"2MB\",\"limit\":-1}]}}}",
                HEAD "\"config\":{\"resources\":{\"hugepages\":{}}}}",
                HEAD "\"config\":{\"resources\":{\"unified\":{\"a\":{}}}}}",
                HEAD "\"config\":{\"resources\":{\"cpu_shares\":\"x\"}}}",
                HEAD "\"config\":{\"oom_score_adj\":99999999999}}",
                HEAD "\"config\":{\"supplemental_groups\":[1,\"2\"]}}",
                HEAD "\"config\":{\"supplemental_groups\":[1,2.5]}}",
                HEAD "\"config\":{\"supplemental_groups\":{}}}",
                HEAD "\"config\":{\"supplemental_groups_policy\":\"loose\"}}",
                HEAD "\"config\":{\"seccomp_mode\":\"RuntimeDefault\"}}",
                HEAD "\"config\":{\"pid_mode\":\"host\"}}",
                HEAD "\"config\":{\"has_masked_paths\":0}}",
                HEAD "\"config\":[]}",
        };
#undef HEAD

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *boot_id = (char *) "untouched", *pod_id = (char *) "untouched";
                Container c = {};

                TAP_IS_INT(parse(cases[i], strlen(cases[i]), &c, &pod_id, &boot_id), -EBADMSG, "refused: %s",
                           cases[i]);
                TAP_OK(strcmp(boot_id, "untouched") == 0 && strcmp(pod_id, "untouched") == 0,
                       "outputs untouched on failure");
                container_state_done(&c);
        }
}

/* Every prefix of a valid record: no crash, no leak, either refused or read. Under valgrind every 13th
 * (each parse runs to the end of its prefix, so all of them take minutes there); the plain and the
 * ASan runs take them all. */
static void test_truncated(void) {
        _cleanup_free_ char *json = NULL;
        unsigned refused = 0, read = 0, other = 0, tried = 0;
        size_t step = RUNNING_ON_VALGRIND ? 13 : 1;
        Container a = {};

        fill_container(&a);
        assert(container_state_to_json(&a, BOOT_ID, &json) == 0);
        for (size_t n = 0;; n = MIN(n + step, strlen(json))) {
                char *boot_id = NULL, *pod_id = NULL;
                Container c = {};
                int r = parse(json, n, &c, &pod_id, &boot_id);

                tried++;
                if (r == -EBADMSG)
                        refused++;
                else if (r == 0 && boot_id && pod_id)
                        read++;
                else
                        other++;
                free(boot_id);
                free(pod_id);
                container_state_done(&c);
                if (n == strlen(json))
                        break;
        }
        TAP_OK(other == 0 && read >= 1 && refused == tried - read && (step > 1 || tried == strlen(json) + 1),
               "%u prefixes of %zu bytes: %u refused, %u read, %u otherwise",
               tried, strlen(json), refused, read, other);
        container_state_done(&a);
}

/* The container's own destructor frees what a read left, even a failed one. */
static void test_unref(void) {
        _cleanup_free_ char *json = NULL;
        Container a = {}, *c;

        fill_container(&a);
        assert(container_state_to_json(&a, BOOT_ID, &json) == 0);

        c = calloc(1, sizeof(Container));
        c->n_ref = 1;
        TAP_IS_INT(container_state_from_json(json, strlen(json), c, NULL, NULL), 0,
                   "read into a calloc()ed container");
        TAP_OK(container_unref(c) == NULL, "container_unref() frees it");

        c = calloc(1, sizeof(Container));
        c->n_ref = 1;
        json[strlen(json) / 2] = '\0';
        TAP_IS_INT(container_state_from_json(json, strlen(json), c, NULL, NULL), -EBADMSG,
                   "a truncated one refused");
        TAP_OK(container_unref(c) == NULL, "container_unref() frees what it held");
        container_state_done(&a);
}

int main(void) {
        test_seccomp_modes();
        test_round_trip();
        test_minimal();
        test_no_pod();
        test_malformed();
        test_truncated();
        test_unref();
        return tap_done();
}
