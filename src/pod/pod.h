/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A pod (CRI's "pod sandbox"): a systemd slice, the namespaces pinned for it, its files (resolv.conf,
 * hostname, /dev/shm) and its CNI attachment. This file holds the object and its plain data; the
 * steps that build and tear it down live in pod-run.c, pod-stop.c and pod-remove.c. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

struct Manager;
struct SystemdRequest;
struct UnitWatch;
struct CniOperation;
struct Container;

typedef enum PodState {
        POD_STATE_CREATING,     /* RunPodSandbox under way: not visible through CRI yet */
        POD_STATE_READY,
        POD_STATE_NOTREADY,
        _POD_STATE_MAX,
        _POD_STATE_INVALID = -EINVAL,
} PodState;

const char *pod_state_to_string(PodState s) _const_;
PodState pod_state_from_string(const char *s) _pure_;

/* CRI's NamespaceMode, in its order. */
typedef enum PodNamespaceMode {
        POD_NAMESPACE_POD,
        POD_NAMESPACE_CONTAINER,
        POD_NAMESPACE_NODE,
        POD_NAMESPACE_TARGET,
        _POD_NAMESPACE_MODE_MAX,
        _POD_NAMESPACE_MODE_INVALID = -EINVAL,
} PodNamespaceMode;

const char *pod_namespace_mode_to_string(PodNamespaceMode m) _const_;
PodNamespaceMode pod_namespace_mode_from_string(const char *s) _pure_;

typedef struct PodPortMapping {
        char *protocol;         /* "tcp", "udp", "sctp" */
        uint16_t container_port;
        uint16_t host_port;
        char *host_ip;
} PodPortMapping;

/* CRI's LinuxContainerResources, the part a slice can carry. 0 means unset throughout. */
typedef struct PodResources {
        int64_t cpu_period;
        int64_t cpu_quota;
        int64_t cpu_shares;
        int64_t memory_limit_in_bytes;
        char *cpuset_cpus;
        char *cpuset_mems;
        int64_t pids_limit;     /* from the "pids.max" entry of the unified map */
} PodResources;

void pod_resources_done(PodResources *r);
int pod_resources_copy(const PodResources *from, PodResources *to);

/* What RunPodSandbox asks for, already out of protobuf. */
typedef struct PodConfig {
        char *name;
        char *namespace;
        char *uid;
        uint32_t attempt;
        char *hostname;
        char *log_directory;
        char **dns_servers;
        char **dns_searches;
        char **dns_options;
        PodPortMapping *port_mappings;
        size_t n_port_mappings;
        char **labels;          /* key, value, ..., NULL */
        char **annotations;     /* key, value, ..., NULL */
        char *cgroup_parent;
        PodNamespaceMode network_mode;
        PodNamespaceMode pid_mode;
        PodNamespaceMode ipc_mode;
        char **sysctls;         /* key, value, ..., NULL */
        bool has_overhead, has_resources;
        PodResources overhead;
        PodResources resources;
        bool privileged;
        char *runtime_handler;
} PodConfig;

void pod_config_done(PodConfig *c);

typedef struct Pod {
        struct Manager *manager;
        unsigned n_ref;

        char *id;               /* 64 hex characters */
        char *name;             /* k8s_POD_<name>_<namespace>_<uid>_<attempt> */
        PodConfig config;
        PodState state;
        int64_t created_at;     /* nanoseconds since the epoch */
        char *runtime_handler;  /* the resolved handler name */

        /* "POD_ID=...", "POD_NAME=...", "POD_NAMESPACE=...", NULL: journal fields. */
        char *log_fields[4];

        char *slice;
        bool slice_created;     /* we started it, so we stop it */
        bool slice_active;      /* as systemd last said */
        struct UnitWatch *slice_watch;

        char *netns_path;       /* NULL: host network */
        char *ipcns_path;       /* NULL: host IPC */
        char *utsns_path;       /* NULL: host UTS */

        char *run_dir;          /* the pod's own directory: files, shm, cleanup record */
        char *resolv_path;
        char *hostname_path;
        char *shm_path;
        bool shm_mounted;
        uint64_t shm_size;

        char *network_name;     /* the CNI network ADD ran for, NULL when none */
        char *network_result;   /* the CNI result JSON */
        char **ips;             /* NULL-terminated */
        bool network_up;

        /* The pause process of a pod that needs one (pod_needs_infra()), NULL otherwise: a
         * container kept out of the container store, holding a reference to the pod in turn (the
         * remove, a failed run or the store's end drops ours). */
        struct Container *infra;

        /* The operation under way, at most one at a time (run, stop or remove). */
        struct PodOperation *operation;
        struct PodOperation *queue;     /* operations waiting for it */

        /* Run for a RunPodSandbox whose caller went away: hidden, as if still being created, until
         * a retry of the request claims it, removed when none comes in time (src/cri/cri-pending.c). */
        bool unclaimed;
} Pod;

int pod_new(struct Manager *m, PodConfig *config, Pod **ret);
Pod *pod_ref(Pod *p);
Pod *pod_unref(Pod *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Pod *, pod_unref);

/* What CRI and D-Bus see: neither a pod being created nor one nobody claimed yet. */
static inline bool pod_is_visible(const Pod *p) {
        return p->state != POD_STATE_CREATING && !p->unclaimed;
}

/* 64 random hex characters. */
int pod_id_new(char **ret);
/* "k8s_POD_<name>_<namespace>_<uid>_<attempt>": -EINVAL when a part is empty. */
int pod_build_name(const char *name, const char *namespace, const char *uid, uint32_t attempt, char **ret);
/* True when every key=value of selector (key, value, ... NULL) is among labels. */
bool pod_labels_match(char *const *labels, char *const *selector) _pure_;
/* Looks up a key in a key, value, ... NULL list. */
const char *pod_strv_pair_get(char *const *pairs, const char *key) _pure_;

/* Needs a process of its own (the pause "infra" process): a POD-level PID namespace, or
 * drop_infra_ctr off, as CRI-O decides. */
bool pod_needs_infra(const Pod *p, bool drop_infra_ctr) _pure_;
bool pod_is_host_network(const Pod *p) _pure_;
/* The infra process exited (the exit watch): a READY pod is NOTREADY from then on, as in CRI-O. */
void pod_infra_exited(Pod *p);
bool pod_is_host_ipc(const Pod *p) _pure_;

/* Journal lines about the pod carry POD_ID, POD_NAME and POD_NAMESPACE. */
#define log_pod(p, level, ...) \
        log_struct_internal((level), 0, __FILE__, __LINE__, __func__, (const char *const *) (p)->log_fields, __VA_ARGS__)
#define log_pod_errno(p, level, error, ...) \
        log_struct_internal((level), (error), __FILE__, __LINE__, __func__, (const char *const *) (p)->log_fields, __VA_ARGS__)
