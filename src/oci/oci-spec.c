/* SPDX-License-Identifier: Apache-2.0 */

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "host-devices.h"
#include "log.h"
#include "oci-args.h"
#include "oci-spec.h"
#include "oci-util.h"

/* Below this a container cannot even start; CRI-O refuses such limits up front. */
#define OCI_MEMORY_LIMIT_MIN (12 * 1024 * 1024)

const char *const oci_default_masked_paths[] = {
        "/proc/acpi",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
        NULL,
};

const char *const oci_default_readonly_paths[] = {
        "/proc/asound",
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
        "/proc/sysrq-trigger",
        NULL,
};

static const char *const namespace_table[_OCI_NAMESPACE_TYPE_MAX] = {
        [OCI_NAMESPACE_PID] = "pid",
        [OCI_NAMESPACE_NETWORK] = "network",
        [OCI_NAMESPACE_IPC] = "ipc",
        [OCI_NAMESPACE_UTS] = "uts",
        [OCI_NAMESPACE_MOUNT] = "mount",
        [OCI_NAMESPACE_USER] = "user",
        [OCI_NAMESPACE_CGROUP] = "cgroup",
        [OCI_NAMESPACE_TIME] = "time",
};

static const char *const propagation_table[_OCI_PROPAGATION_MAX] = {
        [OCI_PROPAGATION_PRIVATE] = "PROPAGATION_PRIVATE",
        [OCI_PROPAGATION_HOST_TO_CONTAINER] = "PROPAGATION_HOST_TO_CONTAINER",
        [OCI_PROPAGATION_BIDIRECTIONAL] = "PROPAGATION_BIDIRECTIONAL",
};

static const char *const pid_mode_table[_OCI_PID_MODE_MAX] = {
        [OCI_PID_MODE_POD] = "POD",
        [OCI_PID_MODE_CONTAINER] = "CONTAINER",
        [OCI_PID_MODE_NODE] = "NODE",
        [OCI_PID_MODE_TARGET] = "TARGET",
};

static int table_lookup(const char *const *table, int n, const char *s) {
        if (s)
                for (int i = 0; i < n; i++)
                        if (strcmp(table[i], s) == 0)
                                return i;
        return -EINVAL;
}

const char *oci_namespace_type_to_string(OciNamespaceType t) {
        return t >= 0 && t < _OCI_NAMESPACE_TYPE_MAX ? namespace_table[t] : NULL;
}

OciNamespaceType oci_namespace_type_from_string(const char *s) {
        return table_lookup(namespace_table, _OCI_NAMESPACE_TYPE_MAX, s);
}

const char *oci_propagation_to_string(OciPropagation p) {
        return p >= 0 && p < _OCI_PROPAGATION_MAX ? propagation_table[p] : NULL;
}

OciPropagation oci_propagation_from_string(const char *s) {
        return table_lookup(propagation_table, _OCI_PROPAGATION_MAX, s);
}

const char *oci_pid_mode_to_string(OciPidMode m) {
        return m >= 0 && m < _OCI_PID_MODE_MAX ? pid_mode_table[m] : NULL;
}

OciPidMode oci_pid_mode_from_string(const char *s) {
        return table_lookup(pid_mode_table, _OCI_PID_MODE_MAX, s);
}

static void mount_done(OciMount *m) {
        free(m->destination);
        free(m->type);
        free(m->source);
        strv_free(m->options);
}

OciSpec *oci_spec_free(OciSpec *s) {
        if (!s)
                return NULL;
        free(s->oci_version);
        oci_user_done(&s->process.user);
        strv_free(s->process.args);
        strv_free(s->process.env);
        free(s->process.cwd);
        for (size_t i = 0; i < s->process.n_rlimits; i++)
                free(s->process.rlimits[i].type);
        free(s->process.rlimits);
        free(s->process.apparmor_profile);
        free(s->process.selinux_label);
        free(s->root_path);
        free(s->hostname);
        for (size_t i = 0; i < s->n_mounts; i++)
                mount_done(&s->mounts[i]);
        free(s->mounts);
        strv_free(s->annotations);
        free(s->linux.uid_mappings);
        free(s->linux.gid_mappings);
        strv_free(s->linux.sysctl);
        free(s->linux.resources.cpuset_cpus);
        free(s->linux.resources.cpuset_mems);
        for (size_t i = 0; i < s->linux.resources.n_hugepages; i++)
                free(s->linux.resources.hugepages[i].page_size);
        free(s->linux.resources.hugepages);
        strv_free(s->linux.resources.unified);
        for (size_t i = 0; i < s->linux.n_device_rules; i++)
                free(s->linux.device_rules[i].access);
        free(s->linux.device_rules);
        free(s->linux.cgroups_path);
        for (size_t i = 0; i < s->linux.n_namespaces; i++)
                free(s->linux.namespaces[i].path);
        free(s->linux.namespaces);
        for (size_t i = 0; i < s->linux.n_devices; i++) {
                free(s->linux.devices[i].path);
                free(s->linux.devices[i].access);
        }
        free(s->linux.devices);
        seccomp_profile_free(s->linux.seccomp);
        free(s->linux.rootfs_propagation);
        strv_free(s->linux.masked_paths);
        strv_free(s->linux.readonly_paths);
        free(s->linux.mount_label);
        return mfree(s);
}

static int strdup_opt(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static void mount_remove(OciSpec *s, const char *destination) {
        for (size_t i = 0; i < s->n_mounts;)
                if (strcmp(s->mounts[i].destination, destination) == 0) {
                        mount_done(&s->mounts[i]);
                        memmove(s->mounts + i, s->mounts + i + 1, (s->n_mounts - i - 1) * sizeof(OciMount));
                        s->n_mounts--;
                } else
                        i++;
}

/* Takes options; like runtime-tools' callers in CRI-O, a mount at the same place goes first. */
static int mount_add(OciSpec *s, const char *destination, const char *type, const char *source, char **options) {
        _cleanup_(strv_freep) char **opts = options;
        OciMount m = {};
        OciMount *n;

        if (!opts)
                return -ENOMEM;
        mount_remove(s, destination);
        n = reallocarray(s->mounts, s->n_mounts + 1, sizeof(OciMount));
        if (!n)
                return -ENOMEM;
        s->mounts = n;
        m.destination = strdup(destination);
        m.type = type ? strdup(type) : NULL;
        m.source = strdup(source);
        if (!m.destination || (type && !m.type) || !m.source) {
                m.options = NULL;
                mount_done(&m);
                return -ENOMEM;
        }
        m.options = TAKE_PTR(opts);
        s->mounts[s->n_mounts++] = m;
        return 0;
}

/* A NULL-terminated option list, or NULL when out of memory. */
static char **opts(const char *first, ...) {
        _cleanup_(strv_freep) char **l = calloc(1, sizeof(char *));
        va_list ap;
        int r = 0;

        if (!l)
                return NULL;
        va_start(ap, first);
        for (const char *o = first; o; o = va_arg(ap, const char *)) {
                r = strv_push(&l, o);
                if (r < 0)
                        break;
        }
        va_end(ap);
        return r < 0 ? NULL : TAKE_PTR(l);
}

static bool path_equal_clean(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);

        while (la > 1 && a[la - 1] == '/')
                la--;
        while (lb > 1 && b[lb - 1] == '/')
                lb--;
        return la == lb && strncmp(a, b, la) == 0;
}

static bool in_cri_mounts(const OciContainerConfig *c, const char *destination) {
        for (size_t i = 0; i < c->n_mounts; i++)
                if (path_equal_clean(c->mounts[i].container_path, destination))
                        return true;
        return false;
}

static bool path_below(const char *path, const char *dir) {
        size_t n = strlen(dir);

        return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static size_t path_depth(const char *p) {
        size_t n = 0;

        for (; *p; p++)
                if (*p == '/' && p[1] && p[1] != '/')
                        n++;
        return n;
}

static int mounts_default(OciSpec *s, const OciContainerConfig *c) {
        static const struct {
                const char *destination, *type, *source, *options[7];
        } defaults[] = {
                { "/proc", "proc", "proc", { "nosuid", "noexec", "nodev" } },
                { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
                { "/dev/pts", "devpts", "devpts",
                  { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
                { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
                { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
        };
        bool cri_dev = in_cri_mounts(c, "/dev"), cri_sys = in_cri_mounts(c, "/sys");
        int r;

        for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
                _cleanup_(strv_freep) char **o = NULL;

                /* The request's own mounts win, and a /dev or /sys of its own takes all below. */
                if (in_cri_mounts(c, defaults[i].destination) ||
                    (cri_dev && path_below(defaults[i].destination, "/dev")) ||
                    (cri_sys && path_below(defaults[i].destination, "/sys")))
                        continue;
                r = strv_copy((char *const *) defaults[i].options, &o);
                if (r < 0)
                        return r;
                r = mount_add(s, defaults[i].destination, defaults[i].type, defaults[i].source, TAKE_PTR(o));
                if (r < 0)
                        return r;
        }
        if (!cri_sys) {
                r = mount_add(s, "/sys/fs/cgroup", "cgroup", "cgroup",
                              opts("nosuid", "noexec", "nodev", "relatime", "ro", NULL));
                if (r < 0)
                        return r;
        }
        if (c->host_network && !cri_sys) {
                r = mount_add(s, "/sys", "sysfs", "sysfs", opts("nosuid", "noexec", "nodev", "ro", NULL));
                if (r >= 0)
                        r = mount_add(s, "/sys/fs/cgroup", "cgroup", "cgroup",
                                      opts("nosuid", "noexec", "nodev", "relatime", "ro", NULL));
                if (r < 0)
                        return r;
        }
        if (c->privileged) {
                r = mount_add(s, "/sys", "sysfs", "sysfs", opts("nosuid", "noexec", "nodev", "rw", "rslave", NULL));
                if (r >= 0)
                        r = mount_add(s, "/sys/fs/cgroup", "cgroup", "cgroup",
                                      opts("nosuid", "noexec", "nodev", "rw", "relatime", "rslave", NULL));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int mounts_pod(OciSpec *s, const OciContainerConfig *c) {
        const char *rw = c->readonly_rootfs ? "ro" : "rw";
        int r;

        if (c->shm_path && !in_cri_mounts(c, "/dev/shm")) {
                r = mount_add(s, "/dev/shm", "bind", c->shm_path, opts("rw", "bind", NULL));
                if (r < 0)
                        return r;
        }
        if (c->resolv_path && !in_cri_mounts(c, "/etc/resolv.conf")) {
                r = mount_add(s, "/etc/resolv.conf", "bind", c->resolv_path,
                              opts(rw, "bind", "nodev", "nosuid", "noexec", NULL));
                if (r < 0)
                        return r;
        }
        if (c->hostname_path && !in_cri_mounts(c, "/etc/hostname")) {
                r = mount_add(s, "/etc/hostname", "bind", c->hostname_path, opts(rw, "bind", NULL));
                if (r < 0)
                        return r;
        }
        if (c->containerenv_path && !in_cri_mounts(c, "/run/.containerenv")) {
                r = mount_add(s, "/run/.containerenv", "bind", c->containerenv_path, opts(rw, "bind", NULL));
                if (r < 0)
                        return r;
        }
        if (c->host_network && !in_cri_mounts(c, "/etc/hosts")) {
                r = mount_add(s, "/etc/hosts", "bind", "/etc/hosts", opts(rw, "bind", NULL));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int mounts_cri(OciSpec *s, const OciContainerConfig *c) {
        _cleanup_free_ size_t *order = NULL;
        int r;

        if (c->n_mounts == 0)
                return 0;
        order = calloc(c->n_mounts, sizeof(size_t));
        if (!order)
                return -ENOMEM;
        /* Shallow destinations first so that deeper ones are not hidden; stable otherwise. */
        for (size_t i = 0; i < c->n_mounts; i++) {
                size_t j = i;

                while (j > 0 && path_depth(c->mounts[order[j - 1]].container_path) >
                                path_depth(c->mounts[i].container_path)) {
                        order[j] = order[j - 1];
                        j--;
                }
                order[j] = i;
        }
        for (size_t k = 0; k < c->n_mounts; k++) {
                const OciCriMount *m = &c->mounts[order[k]];
                const char *prop;

                if (!m->container_path || m->container_path[0] != '/')
                        return log_debug_errno(EINVAL, "Mount container path \"%s\" is not absolute.",
                                               m->container_path ?: "");
                if (!m->host_path || m->host_path[0] != '/')
                        return log_debug_errno(EINVAL, "Mount host path \"%s\" is not absolute.",
                                               m->host_path ?: "");
                switch (m->propagation) {
                case OCI_PROPAGATION_BIDIRECTIONAL:
                        prop = "rshared";
                        free(s->linux.rootfs_propagation);
                        s->linux.rootfs_propagation = strdup("rshared");
                        break;
                case OCI_PROPAGATION_HOST_TO_CONTAINER:
                        prop = "rslave";
                        if (!s->linux.rootfs_propagation)
                                s->linux.rootfs_propagation = strdup("rslave");
                        break;
                default:
                        prop = "rprivate";
                }
                if (strcmp(prop, "rprivate") != 0 && !s->linux.rootfs_propagation)
                        return -ENOMEM;
                r = mount_add(s, m->container_path, NULL, m->host_path,
                              opts("rbind", prop, m->readonly ? "ro" : "rw", NULL));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Privileged containers get every mount writable, as CRI-O clears "ro" everywhere. */
static int mounts_clear_readonly(OciSpec *s) {
        int r;

        for (size_t i = 0; i < s->n_mounts; i++) {
                _cleanup_(strv_freep) char **o = calloc(1, sizeof(char *));

                if (!o)
                        return -ENOMEM;
                if (strv_contains(s->mounts[i].options, "rw"))
                        continue;
                for (char **p = s->mounts[i].options; p && *p; p++)
                        if (strcmp(*p, "ro") != 0) {
                                r = strv_push(&o, *p);
                                if (r < 0)
                                        return r;
                        }
                r = strv_push(&o, "rw");
                if (r < 0)
                        return r;
                strv_free(s->mounts[i].options);
                s->mounts[i].options = TAKE_PTR(o);
        }
        return 0;
}

static int namespace_add(OciSpec *s, OciNamespaceType type, const char *path) {
        OciNamespace *n = reallocarray(s->linux.namespaces, s->linux.n_namespaces + 1, sizeof(OciNamespace));
        char *p = NULL;

        if (!n)
                return -ENOMEM;
        s->linux.namespaces = n;
        if (path && !(p = strdup(path)))
                return -ENOMEM;
        n[s->linux.n_namespaces++] = (OciNamespace) { .type = type, .path = p };
        return 0;
}

static int namespaces_build(OciSpec *s, const OciContainerConfig *c) {
        int r = 0;

        switch (c->pid_mode) {
        case OCI_PID_MODE_POD:
        case OCI_PID_MODE_TARGET:
                if (!c->pid_ns_path)
                        return log_debug_errno(EINVAL, "PID namespace mode %s needs a namespace path.",
                                               oci_pid_mode_to_string(c->pid_mode));
                r = namespace_add(s, OCI_NAMESPACE_PID, c->pid_ns_path);
                break;
        case OCI_PID_MODE_CONTAINER:
                r = namespace_add(s, OCI_NAMESPACE_PID, NULL);
                break;
        case OCI_PID_MODE_NODE:
                break;
        default:
                return -EINVAL;
        }
        if (r >= 0 && !(c->host_network && !c->network_ns_path))
                r = namespace_add(s, OCI_NAMESPACE_NETWORK, c->network_ns_path);
        if (r >= 0 && !(c->host_ipc && !c->ipc_ns_path))
                r = namespace_add(s, OCI_NAMESPACE_IPC, c->ipc_ns_path);
        if (r >= 0 && !(c->host_network && !c->uts_ns_path))
                r = namespace_add(s, OCI_NAMESPACE_UTS, c->uts_ns_path);
        if (r >= 0)
                r = namespace_add(s, OCI_NAMESPACE_MOUNT, NULL);
        if (r >= 0 && (c->user_ns_path || c->n_uid_mappings > 0))
                r = namespace_add(s, OCI_NAMESPACE_USER, c->user_ns_path);
        return r;
}

static int cgroups_path_build(const OciContainerConfig *c, char **ret) {
        const char *parent = c->cgroup_parent && c->cgroup_parent[0] ? c->cgroup_parent : "system.slice";
        size_t n = strlen(parent);
        int k;

        /* The systemd driver's "slice:prefix:name", which runc and crun turn into crio-<id>.scope;
         * a cgroupfs parent gets a plain directory. */
        if (n > 6 && strcmp(parent + n - 6, ".slice") == 0)
                k = asprintf(ret, "%s:crio:%s", parent, c->container_id);
        else
                k = asprintf(ret, "%s/crio-%s", parent, c->container_id);
        return k < 0 ? -ENOMEM : 0;
}

static int device_rule_add(OciSpec *s, bool allow, char type, int64_t major, int64_t minor, const char *access) {
        OciDeviceRule *n = reallocarray(s->linux.device_rules, s->linux.n_device_rules + 1, sizeof(OciDeviceRule));
        char *a = strdup(access);

        if (!n || !a) {
                free(a);
                if (n)
                        s->linux.device_rules = n;
                return -ENOMEM;
        }
        s->linux.device_rules = n;
        n[s->linux.n_device_rules++] = (OciDeviceRule) {
                .allow = allow, .type = type, .major = major, .minor = minor, .access = a,
        };
        return 0;
}

static bool devices_have_path(const OciDevice *devices, size_t n, const char *path) {
        for (size_t i = 0; i < n; i++)
                if (devices[i].path && strcmp(devices[i].path, path) == 0)
                        return true;
        return false;
}

static int devices_build(OciSpec *s, const OciContainerConfig *c) {
        OciDevice *host = NULL;
        size_t n_host = 0;
        int r;

        /* runtime-tools' starting point: nothing allowed, or everything for a privileged container. */
        r = device_rule_add(s, c->privileged, 0, -1, -1, "rwm");
        if (r < 0)
                return r;
        /* A privileged container sees the host's devices, as under CRI-O; the request's own devices
         * come after them and win at the same path. */
        if (c->privileged && !c->privileged_without_host_devices) {
                r = oci_host_devices(c->host_devices_dir ?: "/dev", &host, &n_host);
                if (r < 0)
                        return r;
        }
        if (n_host + c->n_devices == 0)
                return 0;
        s->linux.devices = calloc(n_host + c->n_devices, sizeof(OciDevice));
        if (!s->linux.devices) {
                oci_devices_free(host, n_host);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_host; i++) {
                if (devices_have_path(c->devices, c->n_devices, host[i].path)) {
                        free(TAKE_PTR(host[i].path));
                        continue;
                }
                s->linux.devices[s->linux.n_devices++] = host[i];
                host[i].path = NULL;
        }
        oci_devices_free(host, n_host);

        for (size_t i = 0; i < c->n_devices; i++) {
                const OciDevice *d = &c->devices[i];
                OciDevice *o = &s->linux.devices[s->linux.n_devices];

                if (!d->path || d->path[0] != '/' || !strchr("cbup", d->type) || d->type == 0)
                        return log_debug_errno(EINVAL, "Invalid device \"%s\".", d->path ?: "");
                *o = *d;
                o->path = strdup(d->path);
                o->access = NULL;
                if (!o->path)
                        return -ENOMEM;
                s->linux.n_devices++;
                if (!c->privileged) {
                        r = device_rule_add(s, true, d->type, d->major, d->minor, d->access ?: "rwm");
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int resources_build(OciSpec *s, const OciContainerConfig *c) {
        const OciResources *in = c->resources;
        OciResources *o = &s->linux.resources;
        int r;

        if (!in)
                return 0;
        if (in->memory_limit < 0 || (in->memory_limit > 0 && in->memory_limit < OCI_MEMORY_LIMIT_MIN))
                return log_debug_errno(EINVAL, "Memory limit %" PRIi64 " too low; should be at least %d.",
                                       in->memory_limit, OCI_MEMORY_LIMIT_MIN);
        if (in->memory_swap < -1 || in->cpu_quota < -1 || (in->has_pids_limit && in->pids_limit < -1))
                return log_debug_errno(EINVAL, "Negative resource limit.");
        if (in->memory_swap > 0 && in->memory_limit > 0 && in->memory_swap < in->memory_limit)
                return log_debug_errno(EINVAL, "Memory and swap limit %" PRIi64 " is below the memory limit.",
                                       in->memory_swap);
        o->cpu_shares = in->cpu_shares;
        o->cpu_quota = in->cpu_quota;
        o->cpu_period = in->cpu_period;
        o->memory_limit = in->memory_limit;
        o->memory_swap = in->memory_swap;
        o->has_pids_limit = in->has_pids_limit;
        o->pids_limit = in->pids_limit;
        r = strdup_opt(in->cpuset_cpus && in->cpuset_cpus[0] ? in->cpuset_cpus : NULL, &o->cpuset_cpus);
        if (r >= 0)
                r = strdup_opt(in->cpuset_mems && in->cpuset_mems[0] ? in->cpuset_mems : NULL, &o->cpuset_mems);
        if (r >= 0 && in->unified)
                r = strv_copy(in->unified, &o->unified);
        if (r < 0)
                return r;
        if (in->n_hugepages > 0) {
                o->hugepages = calloc(in->n_hugepages, sizeof(OciHugepageLimit));
                if (!o->hugepages)
                        return -ENOMEM;
                for (size_t i = 0; i < in->n_hugepages; i++) {
                        if (!in->hugepages[i].page_size)
                                return -EINVAL;
                        o->hugepages[i].page_size = strdup(in->hugepages[i].page_size);
                        if (!o->hugepages[i].page_size)
                                return -ENOMEM;
                        o->hugepages[i].limit = in->hugepages[i].limit;
                        o->n_hugepages++;
                }
        }
        return 0;
}

static int copy_mappings(const OciIdMapping *in, size_t n, OciIdMapping **ret, size_t *ret_n) {
        if (n == 0)
                return 0;
        *ret = calloc(n, sizeof(OciIdMapping));
        if (!*ret)
                return -ENOMEM;
        memcpy(*ret, in, n * sizeof(OciIdMapping));
        *ret_n = n;
        return 0;
}

static int process_build(OciSpec *s, const OciContainerConfig *c) {
        OciEnvInput env = {
                .image_env = c->image_env,
                .cri_env = c->env,
                .default_env = c->default_env,
                .hostname = c->hostname,
        };
        CapabilityRequest caps = {
                .defaults = c->default_capabilities,
                .add = c->add_capabilities,
                .drop = c->drop_capabilities,
                .privileged = c->privileged,
                .add_inheritable = c->add_inheritable_capabilities,
                .last_cap = c->last_cap,
                .has_bounding = c->has_bounding_set,
                .bounding = c->bounding_set,
        };
        const char *cwd;
        int r;

        s->process.terminal = c->tty;
        r = oci_args_build(c->image_entrypoint, c->image_cmd, c->command, c->args, &s->process.args);
        if (r < 0)
                return r;
        r = oci_user_resolve(c->rootfs_fd, &c->user, &s->process.user);
        if (r < 0)
                return r;
        env.home = s->process.user.home;
        r = oci_env_build(&env, &s->process.env);
        if (r < 0)
                return r;
        cwd = c->working_dir && c->working_dir[0] ? c->working_dir :
              c->image_working_dir && c->image_working_dir[0] ? c->image_working_dir : "/";
        if (cwd[0] != '/')
                return log_debug_errno(EINVAL, "Working directory \"%s\" is not absolute.", cwd);
        s->process.cwd = strdup(cwd);
        if (!s->process.cwd)
                return -ENOMEM;
        r = capabilities_resolve(&caps, &s->process.capabilities);
        if (r < 0)
                return r;
        s->process.has_capabilities = true;
        s->process.has_umask = c->has_umask;
        s->process.umask = c->umask;
        s->process.no_new_privileges = c->no_new_privs;
        s->process.has_oom_score_adj = c->has_oom_score_adj;
        s->process.oom_score_adj = c->oom_score_adj;
        if (c->has_oom_score_adj && (c->oom_score_adj < -1000 || c->oom_score_adj > 1000))
                return log_debug_errno(EINVAL, "oom_score_adj %d is out of range.", c->oom_score_adj);
        /* Privileged containers run without AppArmor and SELinux confinement of the process. */
        if (!c->privileged) {
                r = strdup_opt(c->apparmor_profile, &s->process.apparmor_profile);
                if (r >= 0)
                        r = strdup_opt(c->selinux_process_label, &s->process.selinux_label);
                if (r < 0)
                        return r;
        }
        if (c->n_rlimits > 0) {
                s->process.rlimits = calloc(c->n_rlimits, sizeof(OciRlimit));
                if (!s->process.rlimits)
                        return -ENOMEM;
                for (size_t i = 0; i < c->n_rlimits; i++) {
                        if (!c->rlimits[i].type || strncmp(c->rlimits[i].type, "RLIMIT_", 7) != 0 ||
                            c->rlimits[i].soft > c->rlimits[i].hard)
                                return log_debug_errno(EINVAL, "Invalid rlimit \"%s\".", c->rlimits[i].type ?: "");
                        s->process.rlimits[i] = c->rlimits[i];
                        s->process.rlimits[i].type = strdup(c->rlimits[i].type);
                        if (!s->process.rlimits[i].type)
                                return -ENOMEM;
                        s->process.n_rlimits++;
                }
        }
        return 0;
}

static int paths_build(OciSpec *s, const OciContainerConfig *c) {
        int r;

        if (c->privileged)
                return 0;
        r = strv_copy(c->has_masked_paths ? c->masked_paths : (char *const *) oci_default_masked_paths,
                          &s->linux.masked_paths);
        if (r < 0)
                return r;
        return strv_copy(c->has_readonly_paths ? c->readonly_paths : (char *const *) oci_default_readonly_paths,
                             &s->linux.readonly_paths);
}

int oci_spec_build(const OciContainerConfig *c, OciSpec **ret) {
        _cleanup_(oci_spec_freep) OciSpec *s = NULL;
        int r;

        if (!c->container_id || !c->container_id[0] || !c->rootfs)
                return log_debug_errno(EINVAL, "Container ID and rootfs are required.");
        if (strv_length(c->sysctls) % 2 != 0 || strv_length(c->annotations) % 2 != 0)
                return -EINVAL;

        s = calloc(1, sizeof(OciSpec));
        if (!s)
                return -ENOMEM;
        s->oci_version = strdup(OCI_VERSION);
        s->root_path = strdup(c->rootfs);
        if (!s->oci_version || !s->root_path)
                return -ENOMEM;
        s->root_readonly = c->readonly_rootfs;
        r = strdup_opt(c->hostname, &s->hostname);
        if (r < 0)
                return r;

        r = process_build(s, c);
        if (r < 0)
                return r;
        r = mounts_default(s, c);
        if (r < 0)
                return r;
        r = mounts_pod(s, c);
        if (r < 0)
                return r;
        r = mounts_cri(s, c);
        if (r < 0)
                return r;
        if (c->privileged) {
                r = mounts_clear_readonly(s);
                if (r < 0)
                        return r;
        }

        r = strv_copy(c->annotations, &s->annotations);
        if (r < 0)
                return r;
        r = strv_copy(c->sysctls, &s->linux.sysctl);
        if (r < 0)
                return r;
        r = copy_mappings(c->uid_mappings, c->n_uid_mappings, &s->linux.uid_mappings, &s->linux.n_uid_mappings);
        if (r < 0)
                return r;
        r = copy_mappings(c->gid_mappings, c->n_gid_mappings, &s->linux.gid_mappings, &s->linux.n_gid_mappings);
        if (r < 0)
                return r;
        r = resources_build(s, c);
        if (r < 0)
                return r;
        r = devices_build(s, c);
        if (r < 0)
                return r;
        r = cgroups_path_build(c, &s->linux.cgroups_path);
        if (r < 0)
                return r;
        r = namespaces_build(s, c);
        if (r < 0)
                return r;
        r = paths_build(s, c);
        if (r < 0)
                return r;
        r = strdup_opt(c->selinux_mount_label, &s->linux.mount_label);
        if (r < 0)
                return r;

        if (c->seccomp && !c->privileged) {
                SeccompTarget t = {
                        .capabilities = s->process.capabilities.bounding,
                        .kernel_release = c->kernel_release,
                };

                r = seccomp_profile_resolve(c->seccomp, &t, c->seccomp_flags, &s->linux.seccomp);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(s);
        return 0;
}
