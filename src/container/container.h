/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A container (CRI's "container"): its config as CreateContainer gave it, the image and pod it
 * belongs to, its files (bundle, rootfs overlay, log), its units (crio-<id>.scope made by the OCI
 * runtime, crio-conmon-<id>.scope made by crio for conmon) and its state. The steps that create,
 * start, stop and remove it live in container-create.c, container-start.c and container-remove.c;
 * the daemon-wide parts (store, exit watch, runtimes) in container-manager.c. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <string.h>

#include "macro.h"
#include "oci-spec.h"

/* Equal strings, or both NULL. */
static inline bool strings_equal(const char *a, const char *b) {
        return a == b || (a && b && strcmp(a, b) == 0);
}

struct Manager;
struct Pod;
struct OciRuntime;
struct Conmon;
struct OciOperation;
struct ContainerStop;

typedef enum ContainerState {
        CONTAINER_STATE_CREATING,       /* CreateContainer under way: not visible through CRI yet */
        CONTAINER_STATE_CREATED,
        CONTAINER_STATE_RUNNING,
        CONTAINER_STATE_EXITED,
        CONTAINER_STATE_UNKNOWN,
        _CONTAINER_STATE_MAX,
        _CONTAINER_STATE_INVALID = -EINVAL,
} ContainerState;

/* "created", "running", "exited", ...; CRI's names are CONTAINER_ + upper case. */
const char *container_state_to_string(ContainerState s) _const_;
ContainerState container_state_from_string(const char *s) _pure_;

typedef enum ContainerSeccompMode {
        CONTAINER_SECCOMP_UNCONFINED,
        CONTAINER_SECCOMP_RUNTIME_DEFAULT,
        CONTAINER_SECCOMP_LOCALHOST,
        _CONTAINER_SECCOMP_MODE_MAX,
        _CONTAINER_SECCOMP_MODE_INVALID = -EINVAL,
} ContainerSeccompMode;

/* "unconfined", "runtime-default", "localhost" (CRI's SecurityProfile types, in lower case). */
const char *container_seccomp_mode_to_string(ContainerSeccompMode m) _const_;
ContainerSeccompMode container_seccomp_mode_from_string(const char *s) _pure_;

typedef struct ContainerMount {
        char *container_path;
        char *host_path;        /* as requested; resolved when the container is created */
        bool readonly;
        bool selinux_relabel;
        OciPropagation propagation;
} ContainerMount;

typedef struct ContainerDevice {
        char *container_path;
        char *host_path;
        char *permissions;      /* "rwm" */
} ContainerDevice;

/* What CreateContainer asks for, out of protobuf. */
typedef struct ContainerConfig {
        char *name;
        uint32_t attempt;
        char *image;                    /* as kubelet names it */
        char **command;
        char **args;
        char *working_dir;
        char **env;                     /* "KEY=VALUE" */
        ContainerMount *mounts;
        size_t n_mounts;
        ContainerDevice *devices;
        size_t n_devices;
        char **labels;                  /* key, value, ..., NULL */
        char **annotations;             /* key, value, ..., NULL */
        char *log_path;                 /* relative to the pod's log_directory */
        bool stdin, stdin_once, tty;

        bool has_resources;
        OciResources resources;         /* strings and arrays owned */
        bool has_oom_score_adj;
        int oom_score_adj;

        /* The security context. */
        bool privileged;
        char **add_capabilities;
        char **drop_capabilities;
        bool has_run_as_user;
        int64_t run_as_user;
        char *run_as_username;
        bool has_run_as_group;
        int64_t run_as_group;
        int64_t *supplemental_groups;
        size_t n_supplemental_groups;
        SupplementalGroupsPolicy supplemental_groups_policy;
        bool readonly_rootfs;
        bool no_new_privs;
        bool has_masked_paths, has_readonly_paths;
        char **masked_paths;
        char **readonly_paths;
        ContainerSeccompMode seccomp_mode;
        char *seccomp_localhost;        /* the profile file for LOCALHOST */
        char *apparmor_profile;
        char *selinux_label;            /* "user:role:type:level", NULL when unset */
        OciPidMode pid_mode;
        char *target_id;                /* PID namespace of this container for TARGET */
} ContainerConfig;

void container_config_done(ContainerConfig *c);
void container_resources_done(OciResources *r);
int container_resources_copy(const OciResources *from, OciResources *to);

typedef struct Container {
        struct Manager *manager;
        unsigned n_ref;

        char *id;                       /* 64 hex characters */
        char *name;                     /* k8s_<ctr>_<pod>_<namespace>_<uid>_<attempt> */
        struct Pod *pod;                /* a reference */
        ContainerConfig config;

        char *image_id;                 /* the store's id (hex) */
        char *image_ref;                /* "repo@digest" when known, else the image id */
        char *image_name;               /* the first name of the image, else what kubelet asked */
        char *runtime_handler;
        struct OciRuntime *runtime;     /* the manager's, for runtime_handler */

        ContainerState state;
        int64_t created_at, started_at, finished_at;    /* nanoseconds since the epoch, 0: not yet */
        int exit_code;
        char *reason;
        char *message;
        pid_t pid;                      /* the container's init process */
        pid_t conmon_pid;
        /* Their start times (clock ticks since boot, /proc/<pid>/stat field 22), so that a restarted
         * crio never mistakes a reused pid for them; 0: unknown. */
        uint64_t pid_starttime;
        uint64_t conmon_starttime;
        int stop_signal;
        bool privileged;

        char *layer_dir;                /* <root>/overlay-containers/<id>: diff, work, merged */
        char *rootfs;                   /* <layer_dir>/merged */
        bool rootfs_mounted;
        char *bundle_dir;               /* <runroot>/overlay-containers/<id>/userdata */
        char *log_path;                 /* absolute */
        char *scope;                    /* crio-<id>.scope */
        char *conmon_scope;             /* crio-conmon-<id>.scope */
        char *cgroup_path;              /* the scope's cgroup below /sys/fs/cgroup */

        /* "CONTAINER_ID=...", "CONTAINER_NAME=...", "POD_ID=...", NULL: journal fields. */
        char *log_fields[4];

        /* Under way. */
        struct Conmon *conmon;
        struct OciOperation *start_operation;
        struct ContainerStop *stop;
        struct ContainerWaiter *waiters;        /* stop and remove calls waiting for the exit */
        struct sd_event_source *exit_timer;     /* stopped, but the exit file is late */
        /* conmon is gone (killed by someone, found so at start-up): the container's exit through a pidfd. */
        struct sd_event_source *pid_watch;
        bool removing;
        /* The pod's pause process: its id is the pod's, it stays out of the store (CRI and D-Bus
         * never see it) and is reached through the pod. */
        bool infra;
        /* Made for a CreateContainer whose caller went away: hidden, as if still being created,
         * until a retry of the request claims it, removed when none comes in time
         * (src/cri/cri-pending.c). */
        bool unclaimed;
} Container;

int container_new(struct Manager *m, struct Pod *pod, ContainerConfig *config, Container **ret);
Container *container_ref(Container *c);
Container *container_unref(Container *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Container *, container_unref);

/* What CRI and D-Bus see: neither a container being created nor one nobody claimed yet. */
static inline bool container_is_visible(const Container *c) {
        return c->state != CONTAINER_STATE_CREATING && !c->unclaimed;
}

/* "k8s_<ctr>_<pod>_<namespace>_<uid>_<attempt>": -EINVAL when a part is empty. */
int container_build_name(const char *ctr, const char *pod, const char *namespace, const char *uid,
                         uint32_t attempt, char **ret);

/* The lifecycle events of CRI's ContainerEventType, in its order. */
typedef enum ContainerEvent {
        CONTAINER_EVENT_CREATED,
        CONTAINER_EVENT_STARTED,
        CONTAINER_EVENT_STOPPED,
        CONTAINER_EVENT_DELETED,
        _CONTAINER_EVENT_MAX,
        _CONTAINER_EVENT_INVALID = -EINVAL,
} ContainerEvent;

const char *container_event_to_string(ContainerEvent e) _const_;
ContainerEvent container_event_from_string(const char *s) _pure_;

/* Every lifecycle change of a container passes here once (the infra container's too), after the object
 * holds its new state: the event stream (container-events.c) and the record on disk hear of it. D-Bus
 * signals stay with the callers, which know which properties changed. */
void container_changed(Container *c, ContainerEvent e);

/* Records the exit (from the exit watch or a late read of the exit file). */
void container_set_exited(Container *c, int exit_code, bool oom_killed, int64_t finished_at);

/* Journal lines about the container carry CONTAINER_ID, CONTAINER_NAME and POD_ID. */
#define log_container(c, level, ...) \
        log_struct_internal((level), 0, __FILE__, __LINE__, __func__, (const char *const *) (c)->log_fields, __VA_ARGS__)
#define log_container_errno(c, level, error, ...) \
        log_struct_internal((level), (error), __FILE__, __LINE__, __func__, (const char *const *) (c)->log_fields, __VA_ARGS__)
