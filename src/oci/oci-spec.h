/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The OCI runtime spec (config.json) of a container, built the way CRI-O builds it.
 *
 * OciContainerConfig is the plain-C description the CRI layer fills from the request, the image and
 * the pod; oci_spec_build() turns it into an OciSpec, a plain mirror of config.json that
 * oci_spec_to_json() serializes. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capabilities.h"
#include "macro.h"
#include "passwd.h"
#include "seccomp-profile.h"

/* CRI-O 1.36 writes its runtime-spec's "1.2.1", but crun before 1.9 (Debian 12 ships 1.8.1) refuses
 * any version without "1.0" in it; we write no field newer than 1.0.2 unless asked (umask), and every
 * 1.x runtime takes a 1.0 config. */
#define OCI_VERSION "1.0.2-dev"

typedef enum OciNamespaceType {
        OCI_NAMESPACE_PID,
        OCI_NAMESPACE_NETWORK,
        OCI_NAMESPACE_IPC,
        OCI_NAMESPACE_UTS,
        OCI_NAMESPACE_MOUNT,
        OCI_NAMESPACE_USER,
        OCI_NAMESPACE_CGROUP,
        OCI_NAMESPACE_TIME,
        _OCI_NAMESPACE_TYPE_MAX,
        _OCI_NAMESPACE_TYPE_INVALID = -EINVAL,
} OciNamespaceType;

const char *oci_namespace_type_to_string(OciNamespaceType t) _const_;
OciNamespaceType oci_namespace_type_from_string(const char *s) _pure_;

/* CRI's MountPropagation. */
typedef enum OciPropagation {
        OCI_PROPAGATION_PRIVATE,
        OCI_PROPAGATION_HOST_TO_CONTAINER,      /* rslave */
        OCI_PROPAGATION_BIDIRECTIONAL,          /* rshared */
        _OCI_PROPAGATION_MAX,
        _OCI_PROPAGATION_INVALID = -EINVAL,
} OciPropagation;

const char *oci_propagation_to_string(OciPropagation p) _const_;
OciPropagation oci_propagation_from_string(const char *s) _pure_;

/* CRI's NamespaceMode for the PID namespace. */
typedef enum OciPidMode {
        OCI_PID_MODE_POD,
        OCI_PID_MODE_CONTAINER,
        OCI_PID_MODE_NODE,
        OCI_PID_MODE_TARGET,
        _OCI_PID_MODE_MAX,
        _OCI_PID_MODE_INVALID = -EINVAL,
} OciPidMode;

const char *oci_pid_mode_to_string(OciPidMode m) _const_;
OciPidMode oci_pid_mode_from_string(const char *s) _pure_;

typedef struct OciMount {
        char *destination;
        char *type;             /* NULL: left out, as CRI-O leaves it out for CRI bind mounts */
        char *source;
        char **options;
} OciMount;

typedef struct OciRlimit {
        char *type;             /* "RLIMIT_NOFILE" */
        uint64_t hard;
        uint64_t soft;
} OciRlimit;

typedef struct OciNamespace {
        OciNamespaceType type;
        char *path;             /* NULL: a new namespace */
} OciNamespace;

typedef struct OciIdMapping {
        uint32_t container_id;
        uint32_t host_id;
        uint32_t size;
} OciIdMapping;

typedef struct OciDevice {
        char *path;             /* inside the container */
        char type;              /* 'c', 'b', 'u' or 'p' */
        int64_t major;
        int64_t minor;
        bool has_file_mode;
        uint32_t file_mode;
        bool has_uid;
        uint32_t uid;
        bool has_gid;
        uint32_t gid;
        char *access;           /* cgroup permissions, "rwm" when NULL */
} OciDevice;

typedef struct OciDeviceRule {
        bool allow;
        char type;              /* 0: all */
        int64_t major;          /* -1: all */
        int64_t minor;          /* -1: all */
        char *access;
} OciDeviceRule;

typedef struct OciHugepageLimit {
        char *page_size;        /* "2MB" */
        uint64_t limit;
} OciHugepageLimit;

/* Resources from the CRI LinuxContainerResources; zero means unset, as in CRI. */
typedef struct OciResources {
        uint64_t cpu_shares;
        int64_t cpu_quota;
        uint64_t cpu_period;
        char *cpuset_cpus;
        char *cpuset_mems;
        int64_t memory_limit;
        int64_t memory_swap;
        bool has_pids_limit;
        int64_t pids_limit;
        OciHugepageLimit *hugepages;
        size_t n_hugepages;
        char **unified;         /* key, value, ..., NULL */
} OciResources;

typedef struct OciSpec {
        char *oci_version;
        struct {
                bool terminal;
                OciUser user;
                bool has_umask;
                uint32_t umask;
                char **args;
                char **env;
                char *cwd;
                bool has_capabilities;
                OciCapabilities capabilities;
                OciRlimit *rlimits;
                size_t n_rlimits;
                bool no_new_privileges;
                char *apparmor_profile;
                bool has_oom_score_adj;
                int oom_score_adj;
                char *selinux_label;
        } process;
        char *root_path;
        bool root_readonly;
        char *hostname;
        OciMount *mounts;
        size_t n_mounts;
        char **annotations;     /* key, value, ..., NULL */
        struct {
                OciIdMapping *uid_mappings;
                size_t n_uid_mappings;
                OciIdMapping *gid_mappings;
                size_t n_gid_mappings;
                char **sysctl;  /* key, value, ..., NULL */
                OciResources resources;
                OciDeviceRule *device_rules;
                size_t n_device_rules;
                char *cgroups_path;
                OciNamespace *namespaces;
                size_t n_namespaces;
                OciDevice *devices;
                size_t n_devices;
                SeccompProfile *seccomp;
                char *rootfs_propagation;
                char **masked_paths;
                char **readonly_paths;
                char *mount_label;
        } linux;
} OciSpec;

OciSpec *oci_spec_free(OciSpec *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(OciSpec *, oci_spec_free);

/* A bind mount from the CRI request; the host path is already resolved by the caller. */
typedef struct OciCriMount {
        const char *container_path;
        const char *host_path;
        bool readonly;
        OciPropagation propagation;
} OciCriMount;

typedef struct OciContainerConfig {
        const char *container_id;
        const char *rootfs;                     /* root.path: the mounted rootfs */
        int rootfs_fd;                          /* for /etc/passwd and /etc/group; -1: no lookup */

        /* The image config. */
        char *const *image_entrypoint;
        char *const *image_cmd;
        char *const *image_env;
        const char *image_working_dir;
        const char *image_user;

        /* The CRI container config. */
        char *const *command;
        char *const *args;
        char *const *env;                       /* "KEY=VALUE" */
        const char *working_dir;
        bool tty;
        char *const *annotations;               /* key, value, ..., NULL: copied as they are */

        /* The security context. */
        OciUserRequest user;
        bool privileged;
        char *const *add_capabilities;
        char *const *drop_capabilities;
        bool no_new_privs;
        bool readonly_rootfs;
        bool has_masked_paths;                  /* the request's lists replace the defaults */
        char *const *masked_paths;
        bool has_readonly_paths;
        char *const *readonly_paths;
        const SeccompProfile *seccomp;          /* unresolved; NULL: unconfined */
        SeccompResolveFlags seccomp_flags;
        const char *apparmor_profile;           /* NULL: none */
        const char *selinux_process_label;
        const char *selinux_mount_label;
        bool has_umask;
        uint32_t umask;

        /* The pod. */
        const char *hostname;
        const char *shm_path;                   /* bound on /dev/shm */
        const char *resolv_path;                /* bound on /etc/resolv.conf, when set */
        const char *hostname_path;              /* bound on /etc/hostname, when set */
        const char *containerenv_path;          /* bound on /run/.containerenv, when set */
        bool host_network;                      /* /sys and /etc/hosts from the host */
        const char *network_ns_path;            /* NULL: a new one (or the host's with host_network) */
        const char *ipc_ns_path;                /* NULL with host_ipc: the host's */
        bool host_ipc;
        const char *uts_ns_path;
        OciPidMode pid_mode;
        const char *pid_ns_path;                /* POD: the pod's; TARGET: the target container's */
        const char *user_ns_path;               /* with mappings below */
        const OciIdMapping *uid_mappings;
        size_t n_uid_mappings;
        const OciIdMapping *gid_mappings;
        size_t n_gid_mappings;
        const char *cgroup_parent;              /* "kubepods-besteffort-pod123.slice" */

        /* Mounts, devices, resources. */
        const OciCriMount *mounts;
        size_t n_mounts;
        const OciDevice *devices;               /* host nodes already looked up */
        size_t n_devices;
        bool privileged_without_host_devices;   /* the runtime handler's key */
        const char *host_devices_dir;           /* privileged containers get its devices; NULL: "/dev" */
        const OciResources *resources;
        bool has_oom_score_adj;
        int oom_score_adj;
        const OciRlimit *rlimits;               /* default_ulimits */
        size_t n_rlimits;
        char *const *sysctls;                   /* key, value, ..., NULL */

        /* The server config. */
        char *const *default_capabilities;      /* NULL: CRI-O's */
        bool add_inheritable_capabilities;
        char *const *default_env;
        int last_cap;                           /* 0: the kernel's */
        bool has_bounding_set;                  /* false: crio's own (capability_bounding_set()) */
        uint64_t bounding_set;
        const char *kernel_release;             /* NULL: uname() */
} OciContainerConfig;

/* CRI-O's defaults when the request brings no lists, NULL-terminated. */
extern const char *const oci_default_masked_paths[];
extern const char *const oci_default_readonly_paths[];

/* The spec CRI-O would write for this container. -EINVAL (logged) for a config that cannot run:
 * no command, unknown capability, user or group not found, absurd values. */
int oci_spec_build(const OciContainerConfig *c, OciSpec **ret);

/* config.json, pretty-printed, NUL-terminated. */
int oci_spec_to_json(const OciSpec *s, char **ret, size_t *ret_size);
/* Writes config.json atomically into the bundle directory. */
int oci_spec_write(const OciSpec *s, int bundle_fd);
