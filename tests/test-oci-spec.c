/* SPDX-License-Identifier: Apache-2.0 */

#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "capabilities.h"
#include "host-devices.h"
#include "log.h"
#include "oci-spec.h"
#include "oci-util.h"
#include "tap.h"

#define L(...) ((char *const[]) { __VA_ARGS__, NULL })

static const OciCriMount cri_mounts[] = {
        { "/data/deep/er", "/srv/b", false, OCI_PROPAGATION_PRIVATE },
        { "/data", "/srv/a", true, OCI_PROPAGATION_HOST_TO_CONTAINER },
};

/* File scope: the config keeps pointers to these after busybox() returns. */
static char *const image_cmd[] = { "sh", NULL };
static char *const image_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
static char *const command[] = { "/bin/sleep", NULL };
static char *const args[] = { "3600", NULL };
static char *const env[] = { "GREETING=hello", NULL };
static char *const annotations[] = { "io.kubernetes.cri-o.ContainerID", "0123456789abcdef", NULL };
static char *const sysctls[] = { "net.ipv4.ip_unprivileged_port_start", "0", NULL };

static OciContainerConfig busybox(void) {
        static const OciResources res = { .cpu_shares = 512, .cpu_quota = 50000, .cpu_period = 100000,
                                          .memory_limit = 64 << 20, .has_pids_limit = true, .pids_limit = 1024,
                                          .cpuset_cpus = "0-1" };
        static const OciRlimit rl[] = { { "RLIMIT_NOFILE", 1048576, 1048576 } };

        return (OciContainerConfig) {
                .container_id = "0123456789abcdef",
                .rootfs = "/var/lib/crio/rootfs",
                .rootfs_fd = -1,
                .image_cmd = image_cmd,
                .image_env = image_env,
                .command = command,
                .args = args,
                .env = env,
                .annotations = annotations,
                .user = { .has_run_as_user = true, .run_as_user = 1000, .has_run_as_group = true,
                          .run_as_group = 1000 },
                .hostname = "busybox-pod",
                .shm_path = "/run/crio/shm/pod/shm",
                .resolv_path = "/run/crio/pod/resolv.conf",
                .hostname_path = "/run/crio/pod/hostname",
                .network_ns_path = "/var/run/netns/pod",
                .ipc_ns_path = "/proc/1/ns/ipc",
                .uts_ns_path = "/proc/1/ns/uts",
                .pid_mode = OCI_PID_MODE_CONTAINER,
                .cgroup_parent = "kubepods-besteffort-pod123.slice",
                .mounts = cri_mounts,
                .n_mounts = ELEMENTSOF(cri_mounts),
                .resources = &res,
                .has_oom_score_adj = true,
                .oom_score_adj = 1000,
                .rlimits = rl,
                .n_rlimits = 1,
                .sysctls = sysctls,
                .apparmor_profile = "crio-default",
                .last_cap = 40,
                .has_bounding_set = true,
                .bounding_set = CAPABILITY_ALL_MASK,
                .kernel_release = "6.1.0",
        };
}

static JsonObject *parse_spec(const OciSpec *s, JsonParser **parser) {
        _cleanup_free_ char *json = NULL;
        size_t len = 0;

        if (oci_spec_to_json(s, &json, &len) < 0)
                return NULL;
        *parser = json_parser_new();
        if (!json_parser_load_from_data(*parser, json, (gssize) len, NULL))
                return NULL;
        return json_node_get_object(json_parser_get_root(*parser));
}

static JsonObject *obj(JsonObject *o, const char *key) {
        return o && json_object_has_member(o, key) ? json_object_get_object_member(o, key) : NULL;
}

static JsonArray *arr(JsonObject *o, const char *key) {
        return o && json_object_has_member(o, key) ? json_object_get_array_member(o, key) : NULL;
}

static JsonObject *mount_at(JsonObject *root, const char *dest) {
        JsonArray *m = arr(root, "mounts");

        for (guint i = 0; m && i < json_array_get_length(m); i++) {
                JsonObject *e = json_array_get_object_element(m, i);
                if (strcmp(json_object_get_string_member(e, "destination"), dest) == 0)
                        return e;
        }
        return NULL;
}

static bool array_has(JsonArray *a, const char *s) {
        for (guint i = 0; a && i < json_array_get_length(a); i++)
                if (strcmp(json_array_get_string_element(a, i), s) == 0)
                        return true;
        return false;
}

static int mount_index(JsonObject *root, const char *dest) {
        JsonArray *m = arr(root, "mounts");

        for (guint i = 0; m && i < json_array_get_length(m); i++)
                if (strcmp(json_object_get_string_member(json_array_get_object_element(m, i), "destination"), dest) == 0)
                        return (int) i;
        return -1;
}

static void test_busybox(void) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *profile = NULL;
        _cleanup_(oci_spec_freep) OciSpec *s = NULL;
        g_autoptr(JsonParser) parser = NULL;
        OciContainerConfig c = busybox();
        JsonObject *root, *process, *linux_, *res, *m;
        JsonArray *ns, *bounding;

        TAP_IS_INT(seccomp_profile_default(&profile), 0, "default seccomp profile");
        c.seccomp = profile;
        TAP_IS_INT(oci_spec_build(&c, &s), 0, "busybox spec builds");
        root = parse_spec(s, &parser);
        TAP_OK(root, "config.json parses back");
        if (!root)
                return;
        TAP_IS_STR(json_object_get_string_member(root, "ociVersion"), OCI_VERSION, "ociVersion");
        TAP_IS_STR(json_object_get_string_member(obj(root, "root"), "path"), "/var/lib/crio/rootfs", "root.path");
        TAP_IS_STR(json_object_get_string_member(root, "hostname"), "busybox-pod", "hostname");

        process = obj(root, "process");
        TAP_IS_INT(json_array_get_length(arr(process, "args")), 2, "args");
        TAP_IS_STR(json_array_get_string_element(arr(process, "args"), 0), "/bin/sleep", "args[0]");
        TAP_IS_INT(json_object_get_int_member(obj(process, "user"), "uid"), 1000, "uid");
        TAP_IS_INT(json_object_get_int_member(obj(process, "user"), "gid"), 1000, "gid");
        TAP_IS_STR(json_array_get_string_element(arr(process, "env"), 0), "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                   "image PATH first");
        TAP_OK(array_has(arr(process, "env"), "GREETING=hello") && array_has(arr(process, "env"), "HOSTNAME=busybox-pod")
               && array_has(arr(process, "env"), "HOME=/"), "env");
        TAP_IS_STR(json_object_get_string_member(process, "cwd"), "/", "cwd");
        bounding = arr(obj(process, "capabilities"), "bounding");
        TAP_IS_INT(json_array_get_length(bounding), 9, "nine capabilities");
        TAP_OK(array_has(bounding, "CAP_NET_BIND_SERVICE") && !array_has(bounding, "CAP_SYS_ADMIN"), "bounding set");
        TAP_OK(!json_object_has_member(obj(process, "capabilities"), "ambient") &&
               !json_object_has_member(obj(process, "capabilities"), "inheritable"), "no ambient or inheritable");
        TAP_IS_INT(json_object_get_int_member(process, "oomScoreAdj"), 1000, "oomScoreAdj");
        TAP_IS_STR(json_object_get_string_member(process, "apparmorProfile"), "crio-default", "apparmor");
        TAP_IS_STR(json_object_get_string_member(json_array_get_object_element(arr(process, "rlimits"), 0), "type"),
                   "RLIMIT_NOFILE", "rlimit");
        TAP_OK(!json_object_has_member(process, "terminal"), "no terminal");

        m = mount_at(root, "/dev/shm");
        TAP_OK(m && strcmp(json_object_get_string_member(m, "source"), "/run/crio/shm/pod/shm") == 0, "pod shm");
        m = mount_at(root, "/sys/fs/cgroup");
        TAP_OK(m && array_has(arr(m, "options"), "ro"), "cgroup read-only");
        TAP_OK(mount_at(root, "/proc") && mount_at(root, "/dev/pts") && mount_at(root, "/dev/mqueue") &&
               mount_at(root, "/sys") && mount_at(root, "/etc/resolv.conf") && mount_at(root, "/etc/hostname"),
               "default mounts");
        TAP_OK(!mount_at(root, "/etc/hosts"), "no host /etc/hosts in a pod network");
        m = mount_at(root, "/data");
        TAP_OK(m && !json_object_has_member(m, "type") && array_has(arr(m, "options"), "rslave") &&
               array_has(arr(m, "options"), "ro") && array_has(arr(m, "options"), "rbind"), "CRI mount /data");
        TAP_OK(mount_index(root, "/data") < mount_index(root, "/data/deep/er"), "shallow CRI mounts first");
        m = mount_at(root, "/data/deep/er");
        TAP_OK(m && array_has(arr(m, "options"), "rprivate") && array_has(arr(m, "options"), "rw"), "private mount");

        linux_ = obj(root, "linux");
        TAP_IS_STR(json_object_get_string_member(linux_, "cgroupsPath"),
                   "kubepods-besteffort-pod123.slice:crio:0123456789abcdef", "systemd cgroups path");
        TAP_IS_STR(json_object_get_string_member(linux_, "rootfsPropagation"), "rslave", "rootfs propagation");
        ns = arr(linux_, "namespaces");
        TAP_IS_INT(json_array_get_length(ns), 5, "five namespaces");
        TAP_IS_STR(json_object_get_string_member(json_array_get_object_element(ns, 1), "path"), "/var/run/netns/pod",
                   "pod network namespace joined");
        TAP_OK(!json_object_has_member(json_array_get_object_element(ns, 0), "path"), "own PID namespace");
        res = obj(linux_, "resources");
        TAP_IS_INT(json_object_get_int_member(obj(res, "cpu"), "shares"), 512, "cpu shares");
        TAP_IS_INT(json_object_get_int_member(obj(res, "cpu"), "quota"), 50000, "cpu quota");
        TAP_IS_STR(json_object_get_string_member(obj(res, "cpu"), "cpus"), "0-1", "cpuset");
        TAP_IS_INT(json_object_get_int_member(obj(res, "memory"), "limit"), 64 << 20, "memory limit");
        TAP_IS_INT(json_object_get_int_member(obj(res, "pids"), "limit"), 1024, "pids limit");
        TAP_OK(!json_object_get_boolean_member(json_array_get_object_element(arr(res, "devices"), 0), "allow"),
               "devices denied by default");
        TAP_OK(array_has(arr(linux_, "maskedPaths"), "/proc/kcore") &&
               array_has(arr(linux_, "readonlyPaths"), "/proc/sys"), "masked and read-only paths");
        TAP_IS_STR(json_object_get_string_member(obj(linux_, "sysctl"), "net.ipv4.ip_unprivileged_port_start"), "0",
                   "sysctl");
        TAP_IS_STR(json_object_get_string_member(obj(linux_, "seccomp"), "defaultAction"), "SCMP_ACT_ERRNO",
                   "seccomp");
        TAP_IS_STR(json_object_get_string_member(obj(root, "annotations"), "io.kubernetes.cri-o.ContainerID"),
                   "0123456789abcdef", "annotations");
}

static void test_privileged(void) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *profile = NULL;
        _cleanup_(oci_spec_freep) OciSpec *s = NULL;
        OciContainerConfig c = busybox();

        TAP_IS_INT(seccomp_profile_default(&profile), 0, "default seccomp profile");
        c.seccomp = profile;
        c.privileged = true;
        c.host_network = true;
        c.network_ns_path = NULL;
        c.uts_ns_path = NULL;
        c.pid_mode = OCI_PID_MODE_NODE;
        c.readonly_rootfs = true;
        TAP_IS_INT(oci_spec_build(&c, &s), 0, "privileged spec builds");
        TAP_OK(!s->linux.seccomp && !s->linux.masked_paths && !s->linux.readonly_paths && !s->process.apparmor_profile,
               "no seccomp, masks or AppArmor");
        TAP_OK(s->process.capabilities.ambient == CAPABILITY_ALL_MASK, "every capability");
        TAP_OK(s->linux.device_rules[0].allow, "all devices allowed");
        TAP_IS_INT(s->linux.n_namespaces, 2, "only ipc and mount: the host's pid, net and uts");
        for (size_t i = 0; i < s->n_mounts; i++)
                TAP_OK(!strv_contains(s->mounts[i].options, "ro"), "mount %s writable", s->mounts[i].destination);
        TAP_OK(s->root_readonly, "read-only rootfs kept");
        for (size_t i = 0; i < s->n_mounts; i++)
                if (strcmp(s->mounts[i].destination, "/etc/hosts") == 0)
                        TAP_IS_STR(s->mounts[i].source, "/etc/hosts", "host network gets /etc/hosts");
}

static const OciDevice *spec_device(const OciSpec *s, const char *path) {
        for (size_t i = 0; i < s->linux.n_devices; i++)
                if (strcmp(s->linux.devices[i].path, path) == 0)
                        return &s->linux.devices[i];
        return NULL;
}

static void test_privileged_devices(void) {
        static const OciDevice mine = { .path = (char *) "/dev/null", .type = 'c', .major = 1, .minor = 5 };
        _cleanup_(oci_spec_freep) OciSpec *s = NULL, *s2 = NULL, *s3 = NULL;
        OciContainerConfig c = busybox();
        const OciDevice *d;

        c.privileged = true;
        TAP_IS_INT(oci_spec_build(&c, &s), 0, "privileged spec with the host's devices");
        d = spec_device(s, "/dev/null");
        TAP_OK(d && d->type == 'c' && d->major == 1 && d->minor == 3 && d->has_file_mode, "host's /dev/null");
        TAP_OK(!spec_device(s, "/dev/console") && !spec_device(s, "/dev/stdin"), "no console, no symlinks");
        for (size_t i = 0; i < s->linux.n_devices; i++)
                if (strncmp(s->linux.devices[i].path, "/dev/pts/", 9) == 0)
                        TAP_OK(false, "%s is the container's own", s->linux.devices[i].path);
        TAP_OK(s->linux.n_device_rules == 1 && s->linux.device_rules[0].allow, "one rule allowing all");

        c.devices = &mine;
        c.n_devices = 1;
        TAP_IS_INT(oci_spec_build(&c, &s2), 0, "privileged spec with a request's device");
        d = spec_device(s2, "/dev/null");
        TAP_OK(d && d->minor == 5, "the request's device wins at its path");
        TAP_IS_INT(s2->linux.n_devices, s->linux.n_devices, "once");

        c.privileged_without_host_devices = true;
        TAP_IS_INT(oci_spec_build(&c, &s3), 0, "privileged_without_host_devices");
        TAP_IS_INT(s3->linux.n_devices, 1, "only the request's device");
}

static void test_host_devices(void) {
        char dir[] = "/tmp/test-oci-devices-XXXXXX", p[128];
        OciDevice *devices = NULL;
        size_t n = 0;
        bool can_mknod;

        TAP_OK(mkdtemp(dir) != NULL, "temporary /dev");
        snprintf(p, sizeof(p), "%s/fifo", dir);
        TAP_IS_INT(mkfifo(p, 0600), 0, "a FIFO");
        snprintf(p, sizeof(p), "%s/link", dir);
        TAP_IS_INT(symlink("/dev/null", p), 0, "a symlink");
        snprintf(p, sizeof(p), "%s/pts", dir);
        TAP_IS_INT(mkdir(p, 0755), 0, "pts");
        snprintf(p, sizeof(p), "%s/bus", dir);
        TAP_IS_INT(mkdir(p, 0755), 0, "bus");
        snprintf(p, sizeof(p), "%s/pts/0", dir);
        can_mknod = mknod(p, S_IFCHR | 0620, makedev(136, 0)) == 0;
        snprintf(p, sizeof(p), "%s/bus/zero", dir);
        can_mknod = can_mknod && mknod(p, S_IFCHR | 0640, makedev(1, 5)) == 0;
        snprintf(p, sizeof(p), "%s/console", dir);
        can_mknod = can_mknod && mknod(p, S_IFCHR | 0600, makedev(5, 1)) == 0;
        snprintf(p, sizeof(p), "%s/", dir);
        TAP_IS_INT(oci_host_devices(p, &devices, &n), 0, "walk");
        if (can_mknod) {
                snprintf(p, sizeof(p), "%s/bus/zero", dir);
                TAP_OK(n == 1 && strcmp(devices[0].path, p) == 0 && devices[0].file_mode == 0640 &&
                       devices[0].major == 1 && devices[0].minor == 5, "only bus/zero");
        } else
                TAP_IS_INT(n, 0, "nothing without mknod");
        oci_devices_free(devices, n);
        TAP_IS_INT(oci_host_devices("/nonexistent", &devices, &n), -ENOENT, "missing directory");
        TAP_IS_INT(oci_host_devices("dev", &devices, &n), -EINVAL, "relative");
        snprintf(p, sizeof(p), "rm -rf %s", dir);
        TAP_IS_INT(system(p), 0, "cleanup");
}

static void test_bad(void) {
        OciSpec *s = NULL;
        OciContainerConfig c;
        OciResources tiny = { .memory_limit = 1024 };
        OciCriMount rel = { "data", "/srv", false, OCI_PROPAGATION_PRIVATE };

        log_set_max_level(LOG_CRIT);
        c = busybox();
        c.command = NULL;
        c.args = NULL;
        c.image_cmd = NULL;
        TAP_IS_INT(oci_spec_build(&c, &s), -EINVAL, "no command");
        c = busybox();
        c.add_capabilities = L("CAP_TELEPORT");
        TAP_IS_INT(oci_spec_build(&c, &s), -EINVAL, "unknown capability");
        c = busybox();
        c.resources = &tiny;
        TAP_IS_INT(oci_spec_build(&c, &s), -EINVAL, "absurd memory limit");
        c = busybox();
        c.mounts = &rel;
        c.n_mounts = 1;
        TAP_IS_INT(oci_spec_build(&c, &s), -EINVAL, "relative mount destination");
        c = busybox();
        c.pid_mode = OCI_PID_MODE_TARGET;
        TAP_IS_INT(oci_spec_build(&c, &s), -EINVAL, "TARGET without a namespace path");
        c = busybox();
        c.user = (OciUserRequest) { .run_as_username = "nobody-here" };
        TAP_IS_INT(oci_spec_build(&c, &s), -ENOENT, "unknown user name");
        TAP_OK(!s, "nothing returned");
}

static void test_tables(void) {
        for (int i = 0; i < _OCI_NAMESPACE_TYPE_MAX; i++)
                TAP_IS_INT(oci_namespace_type_from_string(oci_namespace_type_to_string(i)), i, "namespace %d", i);
        for (int i = 0; i < _OCI_PROPAGATION_MAX; i++)
                TAP_IS_INT(oci_propagation_from_string(oci_propagation_to_string(i)), i, "propagation %d", i);
        for (int i = 0; i < _OCI_PID_MODE_MAX; i++)
                TAP_IS_INT(oci_pid_mode_from_string(oci_pid_mode_to_string(i)), i, "pid mode %d", i);
        TAP_IS_INT(oci_pid_mode_from_string("HOST"), -EINVAL, "unknown pid mode");
}

int main(void) {
        test_busybox();
        test_privileged();
        test_privileged_devices();
        test_host_devices();
        test_bad();
        test_tables();
        return tap_done();
}
