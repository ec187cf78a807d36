/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.pb-c.h"
#include "cgroup-util.h"
#include "config.h"
#include "container-dbus.h"
#include "container-json.h"
#include "container-manager.h"
#include "container-stats.h"
#include "cri-call.h"
#include "cri-container.h"
#include "cri-pending.h"
#include "fileio.h"
#include "log.h"
#include "manager.h"
#include "pod-files.h"
#include "pod-store.h"
#include "strv.h"

/* CRI-O refuses memory limits below this (runtime handler's container_min_memory). */
#define CONTAINER_MIN_MEMORY (12 * 1024 * 1024)
/* ExecSync's answer when the command ran out of time, as CRI-O words it. */
#define EXEC_TIMED_OUT_MESSAGE "command timed out"

typedef struct MapEntry {
        ProtobufCMessage base;
        char *key;
        char *value;
} MapEntry;

static int pairs_from_entries(void *const *entries, size_t n, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(2 * n + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const MapEntry *e = entries[i];

                l[2 * i] = strdup(e->key ?: "");
                l[2 * i + 1] = strdup(e->value ?: "");
                if (!l[2 * i] || !l[2 * i + 1])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

CRI_DEFINE_MAP_ENTRIES(container_labels, Runtime__V1__Container__LabelsEntry, RUNTIME__V1__CONTAINER__LABELS_ENTRY__INIT)
CRI_DEFINE_MAP_ENTRIES(container_annotations, Runtime__V1__Container__AnnotationsEntry,
               RUNTIME__V1__CONTAINER__ANNOTATIONS_ENTRY__INIT)
CRI_DEFINE_MAP_ENTRIES(status_labels, Runtime__V1__ContainerStatus__LabelsEntry,
               RUNTIME__V1__CONTAINER_STATUS__LABELS_ENTRY__INIT)
CRI_DEFINE_MAP_ENTRIES(status_annotations, Runtime__V1__ContainerStatus__AnnotationsEntry,
               RUNTIME__V1__CONTAINER_STATUS__ANNOTATIONS_ENTRY__INIT)
CRI_DEFINE_MAP_ENTRIES(resources_unified, Runtime__V1__LinuxContainerResources__UnifiedEntry,
                       RUNTIME__V1__LINUX_CONTAINER_RESOURCES__UNIFIED_ENTRY__INIT)
CRI_DEFINE_MAP_ENTRIES(attributes_labels, Runtime__V1__ContainerAttributes__LabelsEntry,
               RUNTIME__V1__CONTAINER_ATTRIBUTES__LABELS_ENTRY__INIT)
CRI_DEFINE_MAP_ENTRIES(attributes_annotations, Runtime__V1__ContainerAttributes__AnnotationsEntry,
               RUNTIME__V1__CONTAINER_ATTRIBUTES__ANNOTATIONS_ENTRY__INIT)

static int strv_from_array(char *const *a, size_t n, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(n + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                l[i] = strdup(a[i] ?: "");
                if (!l[i])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static char *strdup_or_null(const char *s) {
        return s && *s ? strdup(s) : NULL;
}

static GrpcStatus status_from_errno(int r) {
        return IN_SET(r, -EINVAL, -ENOTUNIQ, -E2BIG) ? GRPC_STATUS_INVALID_ARGUMENT :
               r == -ENOENT ? GRPC_STATUS_NOT_FOUND :
               r == -EEXIST ? GRPC_STATUS_ALREADY_EXISTS :
               r == -ECANCELED ? GRPC_STATUS_CANCELLED :
               r == -ETIMEDOUT ? GRPC_STATUS_DEADLINE_EXCEEDED :
               GRPC_STATUS_UNKNOWN;
}

/* CRI's Signal enum, in its order. */
static int signal_from_proto(Runtime__V1__Signal s) {
        static const int table[] = {
                0, SIGABRT, SIGALRM, SIGBUS, SIGCHLD, SIGCHLD, SIGCONT, SIGFPE, SIGHUP, SIGILL, SIGINT, SIGIO,
                SIGIOT, SIGKILL, SIGPIPE, SIGPOLL, SIGPROF, SIGPWR, SIGQUIT, SIGSEGV, SIGSTKFLT, SIGSTOP, SIGSYS,
                SIGTERM, SIGTRAP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGUSR1, SIGUSR2, SIGVTALRM, SIGWINCH,
                SIGXCPU, SIGXFSZ,
        };

        if ((int) s < 0)
                return 0;
        if ((size_t) s < ELEMENTSOF(table))
                return table[s];
        /* SIGRTMIN, SIGRTMIN+1, ... */
        return SIGRTMIN + ((int) s - (int) ELEMENTSOF(table));
}

static Runtime__V1__Signal signal_to_proto(int signo) {
        for (int s = 1; s < 35; s++)
                if (signal_from_proto((Runtime__V1__Signal) s) == signo)
                        return (Runtime__V1__Signal) s;
        return RUNTIME__V1__SIGNAL__RUNTIME_DEFAULT;
}

/* LinuxContainerResources into OciResources, with CRI-O's checks. */
static int resources_from_proto(Manager *m, const char *handler, const Runtime__V1__LinuxContainerResources *in,
                                OciResources *out, const char **ret_error) {
        _cleanup_free_ uint8_t *mask = NULL;
        size_t mask_size;
        int r;

        if (in->cpu_period < 0 || in->cpu_shares < 0 || in->memory_limit_in_bytes < 0 ||
            in->memory_swap_limit_in_bytes < -1 || in->cpu_quota < -1) {
                *ret_error = "negative resource values";
                return -EINVAL;
        }
        if (in->cpu_period > 0 && (in->cpu_period < 1000 || in->cpu_period > 1000000)) {
                *ret_error = "cpu_period must be between 1000 and 1000000 microseconds";
                return -EINVAL;
        }
        if (in->cpu_quota > 0 && in->cpu_quota < 1000) {
                *ret_error = "cpu_quota must be at least 1000 microseconds";
                return -EINVAL;
        }
        if (in->cpu_shares > (int64_t) CGROUP_CPU_SHARES_MAX) {
                *ret_error = "cpu_shares above 262144";
                return -EINVAL;
        }
        if (in->memory_limit_in_bytes > 0 && in->memory_limit_in_bytes < CONTAINER_MIN_MEMORY) {
                *ret_error = "memory limit too low; should be at least 12582912 bytes";
                return -EINVAL;
        }
        if (in->oom_score_adj < -1000 || in->oom_score_adj > 1000) {
                *ret_error = "oom_score_adj out of [-1000, 1000]";
                return -EINVAL;
        }
        if ((in->cpuset_cpus && cgroup_cpuset_parse(in->cpuset_cpus, &mask, &mask_size) < 0) ||
            (in->cpuset_mems && (mask = mfree(mask), cgroup_cpuset_parse(in->cpuset_mems, &mask, &mask_size) < 0))) {
                *ret_error = "malformed cpuset";
                return -EINVAL;
        }

        *out = (OciResources) {
                .cpu_shares = (uint64_t) in->cpu_shares,
                .cpu_quota = in->cpu_quota,
                .cpu_period = (uint64_t) in->cpu_period,
                .memory_limit = in->memory_limit_in_bytes,
                .memory_swap = in->memory_swap_limit_in_bytes,
        };
        if (m->config->pids_limit > 0) {
                out->has_pids_limit = true;
                out->pids_limit = m->config->pids_limit;
        }
        out->cpuset_cpus = strdup_or_null(in->cpuset_cpus);
        out->cpuset_mems = strdup_or_null(in->cpuset_mems);
        if ((in->cpuset_cpus && *in->cpuset_cpus && !out->cpuset_cpus) ||
            (in->cpuset_mems && *in->cpuset_mems && !out->cpuset_mems))
                return -ENOMEM;
        if (in->n_hugepage_limits > 0) {
                out->hugepages = calloc(in->n_hugepage_limits, sizeof(OciHugepageLimit));
                if (!out->hugepages)
                        return -ENOMEM;
                for (size_t i = 0; i < in->n_hugepage_limits; i++) {
                        out->hugepages[i].page_size = strdup(in->hugepage_limits[i]->page_size ?: "");
                        out->hugepages[i].limit = in->hugepage_limits[i]->limit;
                        out->n_hugepages++;
                        if (!out->hugepages[i].page_size)
                                return -ENOMEM;
                }
        }
        r = pairs_from_entries((void *const *) in->unified, in->n_unified, &out->unified);
        if (r < 0)
                return r;
        for (char **p = out->unified; p[0] && p[1]; p += 2)
                if (strchr(p[0], '/') || strstr(p[0], "..")) {
                        *ret_error = "invalid unified cgroup key";
                        return -EINVAL;
                }
        return 0;
}

static int config_from_proto(Manager *m, const Runtime__V1__ContainerConfig *in, ContainerConfig *c,
                             const char **ret_error) {
        const Runtime__V1__LinuxContainerConfig *lin = in->linux;
        int r;

        if (!in->metadata || !in->metadata->name || !*in->metadata->name) {
                *ret_error = "ContainerConfig.Metadata.Name is empty";
                return -EINVAL;
        }
        if (!in->image || !in->image->image || !*in->image->image) {
                *ret_error = "ContainerConfig.Image.Image is empty";
                return -EINVAL;
        }
        c->name = strdup(in->metadata->name);
        c->attempt = in->metadata->attempt;
        c->image = strdup(in->image->image);
        c->working_dir = strdup_or_null(in->working_dir);
        c->log_path = strdup_or_null(in->log_path);
        if (!c->name || !c->image || (in->working_dir && *in->working_dir && !c->working_dir) ||
            (in->log_path && *in->log_path && !c->log_path))
                return -ENOMEM;
        c->stdin = in->stdin;
        c->stdin_once = in->stdin_once;
        c->tty = in->tty;

        r = strv_from_array(in->command, in->n_command, &c->command);
        if (r >= 0)
                r = strv_from_array(in->args, in->n_args, &c->args);
        if (r >= 0)
                r = pairs_from_entries((void *const *) in->labels, in->n_labels, &c->labels);
        if (r >= 0)
                r = pairs_from_entries((void *const *) in->annotations, in->n_annotations, &c->annotations);
        if (r < 0)
                return r;
        c->env = calloc(in->n_envs + 1, sizeof(char *));
        if (!c->env)
                return -ENOMEM;
        for (size_t i = 0; i < in->n_envs; i++) {
                const Runtime__V1__KeyValue *kv = in->envs[i];

                if (!kv->key || !*kv->key || strchr(kv->key, '=')) {
                        *ret_error = "environment variable with an empty name or '=' in it";
                        return -EINVAL;
                }
                if (memchr(kv->value.data, 0, kv->value.len)) {
                        *ret_error = "environment variable value with a NUL byte";
                        return -EINVAL;
                }
                if (asprintf(&c->env[i], "%s=%.*s", kv->key, (int) kv->value.len, (const char *) kv->value.data) < 0)
                        return -ENOMEM;
        }

        c->mounts = calloc(MAX(in->n_mounts, 1U), sizeof(ContainerMount));
        if (!c->mounts)
                return -ENOMEM;
        for (size_t i = 0; i < in->n_mounts; i++) {
                const Runtime__V1__Mount *mi = in->mounts[i];
                ContainerMount *mo = &c->mounts[c->n_mounts++];

                if (mi->image && mi->image->image && *mi->image->image) {
                        *ret_error = "image volumes are not supported";
                        return -EINVAL;
                }
                mo->container_path = strdup(mi->container_path ?: "");
                mo->host_path = strdup(mi->host_path ?: "");
                if (!mo->container_path || !mo->host_path)
                        return -ENOMEM;
                mo->readonly = mi->readonly;
                mo->selinux_relabel = mi->selinux_relabel;
                mo->propagation = mi->propagation == RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_HOST_TO_CONTAINER ?
                                          OCI_PROPAGATION_HOST_TO_CONTAINER :
                                  mi->propagation == RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_BIDIRECTIONAL ?
                                          OCI_PROPAGATION_BIDIRECTIONAL :
                                  mi->propagation == RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_PRIVATE ?
                                          OCI_PROPAGATION_PRIVATE : _OCI_PROPAGATION_INVALID;
        }
        c->devices = calloc(MAX(in->n_devices, 1U), sizeof(ContainerDevice));
        if (!c->devices)
                return -ENOMEM;
        for (size_t i = 0; i < in->n_devices; i++) {
                ContainerDevice *d = &c->devices[c->n_devices++];

                d->container_path = strdup(in->devices[i]->container_path ?: "");
                d->host_path = strdup(in->devices[i]->host_path ?: "");
                d->permissions = strdup(in->devices[i]->permissions ?: "");
                if (!d->container_path || !d->host_path || !d->permissions)
                        return -ENOMEM;
        }

        c->seccomp_mode = CONTAINER_SECCOMP_UNCONFINED;
        /* CRI's default (POD, 0) as CRI-O reads it: the pod's infra namespace, the container's own
         * when the pod runs no infra process. */
        c->pid_mode = OCI_PID_MODE_POD;
        if (!lin)
                return 0;
        if (lin->resources) {
                const char *error = NULL;

                r = resources_from_proto(m, NULL, lin->resources, &c->resources, &error);
                if (r < 0) {
                        *ret_error = error;
                        return r;
                }
                c->has_resources = true;
                c->has_oom_score_adj = lin->resources->oom_score_adj != 0;
                c->oom_score_adj = (int) lin->resources->oom_score_adj;
        }
        if (lin->security_context) {
                const Runtime__V1__LinuxContainerSecurityContext *sc = lin->security_context;

                c->privileged = sc->privileged;
                if (sc->capabilities) {
                        r = strv_from_array(sc->capabilities->add_capabilities, sc->capabilities->n_add_capabilities,
                                            &c->add_capabilities);
                        if (r >= 0)
                                r = strv_from_array(sc->capabilities->drop_capabilities,
                                                    sc->capabilities->n_drop_capabilities, &c->drop_capabilities);
                        if (r < 0)
                                return r;
                }
                if (sc->run_as_user) {
                        c->has_run_as_user = true;
                        c->run_as_user = sc->run_as_user->value;
                }
                if (sc->run_as_group) {
                        c->has_run_as_group = true;
                        c->run_as_group = sc->run_as_group->value;
                }
                if ((sc->run_as_user && (sc->run_as_user->value < 0 || sc->run_as_user->value > UINT32_MAX - 1)) ||
                    (sc->run_as_group && (sc->run_as_group->value < 0 || sc->run_as_group->value > UINT32_MAX - 1))) {
                        *ret_error = "run_as_user or run_as_group out of range";
                        return -EINVAL;
                }
                c->run_as_username = strdup_or_null(sc->run_as_username);
                if (sc->run_as_username && *sc->run_as_username && !c->run_as_username)
                        return -ENOMEM;
                if (sc->n_supplemental_groups > 0) {
                        c->supplemental_groups = calloc(sc->n_supplemental_groups, sizeof(int64_t));
                        if (!c->supplemental_groups)
                                return -ENOMEM;
                        for (size_t i = 0; i < sc->n_supplemental_groups; i++) {
                                if (sc->supplemental_groups[i] < 0 || sc->supplemental_groups[i] > UINT32_MAX - 1) {
                                        *ret_error = "supplemental group out of range";
                                        return -EINVAL;
                                }
                                c->supplemental_groups[i] = sc->supplemental_groups[i];
                        }
                        c->n_supplemental_groups = sc->n_supplemental_groups;
                }
                c->supplemental_groups_policy = sc->supplemental_groups_policy == RUNTIME__V1__SUPPLEMENTAL_GROUPS_POLICY__Strict ?
                                                SUPPLEMENTAL_GROUPS_POLICY_STRICT : SUPPLEMENTAL_GROUPS_POLICY_MERGE;
                c->readonly_rootfs = sc->readonly_rootfs;
                c->no_new_privs = sc->no_new_privs;
                /* kubelet always sends the lists (the defaults unless procMount is Unmasked). */
                c->has_masked_paths = sc->n_masked_paths > 0;
                c->has_readonly_paths = sc->n_readonly_paths > 0;
                r = strv_from_array(sc->masked_paths, sc->n_masked_paths, &c->masked_paths);
                if (r >= 0)
                        r = strv_from_array(sc->readonly_paths, sc->n_readonly_paths, &c->readonly_paths);
                if (r < 0)
                        return r;

                /* No seccomp field: unconfined (kubelet sends RuntimeDefault when asked for it). */
                if (sc->seccomp) {
                        switch (sc->seccomp->profile_type) {
                        case RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__RuntimeDefault:
                                c->seccomp_mode = CONTAINER_SECCOMP_RUNTIME_DEFAULT;
                                break;
                        case RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Localhost:
                                c->seccomp_mode = CONTAINER_SECCOMP_LOCALHOST;
                                c->seccomp_localhost = strdup(sc->seccomp->localhost_ref ?: "");
                                if (!c->seccomp_localhost)
                                        return -ENOMEM;
                                break;
                        default:
                                c->seccomp_mode = CONTAINER_SECCOMP_UNCONFINED;
                        }
                }
                if (sc->apparmor && sc->apparmor->profile_type == RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Localhost &&
                    sc->apparmor->localhost_ref && *sc->apparmor->localhost_ref) {
                        c->apparmor_profile = strdup(sc->apparmor->localhost_ref);
                        if (!c->apparmor_profile)
                                return -ENOMEM;
                }
                if (sc->selinux_options && sc->selinux_options->type && *sc->selinux_options->type &&
                    asprintf(&c->selinux_label, "%s:%s:%s:%s", sc->selinux_options->user ?: "",
                             sc->selinux_options->role ?: "", sc->selinux_options->type,
                             sc->selinux_options->level ?: "") < 0)
                        return -ENOMEM;
                if (sc->namespace_options) {
                        const Runtime__V1__NamespaceOption *ns = sc->namespace_options;

                        c->pid_mode = ns->pid == RUNTIME__V1__NAMESPACE_MODE__POD ? OCI_PID_MODE_POD :
                                      ns->pid == RUNTIME__V1__NAMESPACE_MODE__NODE ? OCI_PID_MODE_NODE :
                                      ns->pid == RUNTIME__V1__NAMESPACE_MODE__TARGET ? OCI_PID_MODE_TARGET :
                                      OCI_PID_MODE_CONTAINER;
                        c->target_id = strdup_or_null(ns->target_id);
                        if (ns->target_id && *ns->target_id && !c->target_id)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* A call waiting for a container operation. */
typedef struct CriContainerCall {
        GrpcCall *call;
        int64_t timeout;
        ConmonReopen *reopen;
        OciOperation *exec;
        Container *container;
} CriContainerCall;

static CriContainerCall *cri_container_call_new(GrpcCall *call) {
        CriContainerCall *c = calloc(1, sizeof(CriContainerCall));

        if (c)
                c->call = grpc_call_ref(call);
        return c;
}

static void cri_container_call_free(CriContainerCall *c) {
        conmon_reopen_free(c->reopen);
        oci_operation_free(c->exec);
        container_unref(c->container);
        grpc_call_unref(c->call);
        free(c);
}

static void reply_empty(CriContainerCall *c, const ProtobufCMessageDescriptor *descriptor) {
        /* Every reply of these RPCs is an empty message: an empty buffer encodes them all. */
        (void) descriptor;
        if (grpc_call_reply(c->call, (const uint8_t *) "", 0) < 0)
                (void) grpc_call_finish(c->call, GRPC_STATUS_INTERNAL, "out of memory");
}

/* CreateContainer: a creation outlives a caller that goes away (kubelet's deadline) and its container
 * goes to the retry of the request (cri-pending.c). */

static void *pending_container_ref(void *object) {
        return container_ref(object);
}

static void pending_container_unref(void *object) {
        container_unref(object);
}

static const char *pending_container_id(const void *object) {
        return ((const Container *) object)->id;
}

static bool pending_container_exists(const void *object) {
        const Container *c = object;

        /* Its pod's removal may have removed it meanwhile. */
        return container_get(c->manager, c->id) == c && !c->removing;
}

static void pending_container_set_unclaimed(void *object, bool unclaimed) {
        Container *c = object;

        c->unclaimed = unclaimed;
        /* The creation announced it on the bus while it was hidden, which D-Bus passed over: now. */
        if (!unclaimed && c->state != CONTAINER_STATE_CREATING)
                (void) container_dbus_send_new(c);
}

static void on_unclaimed_removed(Container *c, int r, const char *error, void *userdata) {
        if (r < 0)
                log_container_errno(c, LOG_WARNING, r, "Failed to remove the unclaimed container %s: %s", c->name,
                                    error ?: strerror(-r));
}

static void pending_container_expire(void *object) {
        Container *c = object;
        int r;

        r = container_remove(c, on_unclaimed_removed, NULL);
        if (r < 0)
                log_container_errno(c, LOG_WARNING, r, "Failed to remove the unclaimed container %s: %m", c->name);
}

static void pending_container_reply(GrpcCall *call, const char *id) {
        Runtime__V1__CreateContainerResponse reply = RUNTIME__V1__CREATE_CONTAINER_RESPONSE__INIT;

        reply.container_id = (char *) id;
        if (cri_call_reply(call, &reply.base) < 0)
                (void) grpc_call_finish(call, GRPC_STATUS_INTERNAL, "out of memory");
}

static void pending_container_fail(GrpcCall *call, const char *name, int r, const char *error) {
        (void) grpc_call_finishf(call, status_from_errno(r), "%s", error ?: strerror(-r));
}

static const CriPendingType pending_container_type = {
        .what = "container",
        .ref = pending_container_ref,
        .unref = pending_container_unref,
        .id = pending_container_id,
        .exists = pending_container_exists,
        .set_unclaimed = pending_container_set_unclaimed,
        .expire = pending_container_expire,
        .reply = pending_container_reply,
        .fail = pending_container_fail,
};

static int pending_containers(Manager *m, CriPending **ret) {
        int r;

        if (!m->pending_containers) {
                r = cri_pending_new(m->event, &pending_container_type, &m->pending_containers);
                if (r < 0)
                        return r;
        }
        *ret = m->pending_containers;
        return 0;
}

static void on_created(Container *ctr, int r, const char *error, void *userdata) {
        cri_pending_done(userdata, ctr, r, error);
}

int cri_container_create(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        _cleanup_(container_config_done) ContainerConfig config = {};
        _cleanup_free_ char *error_text = NULL, *name = NULL;
        Runtime__V1__CreateContainerRequest *req;
        const char *error = NULL;
        CriPendingEntry *entry;
        CriPending *pending;
        Pod *p;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__create_container_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__CreateContainerRequest *) msg;
        if (!req->pod_sandbox_id || !*req->pod_sandbox_id)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "PodSandboxId should not be empty");
        if (!req->config)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "ContainerConfig is missing");
        if (!m->pods || pod_store_find(m->pods, req->pod_sandbox_id, &p) < 0)
                return grpc_call_finishf(call, GRPC_STATUS_NOT_FOUND, "pod sandbox %s not found", req->pod_sandbox_id);

        r = config_from_proto(m, req->config, &config, &error);
        if (r == -EINVAL)
                return grpc_call_finishf(call, GRPC_STATUS_INVALID_ARGUMENT, "%s", error);
        if (r < 0)
                return r;

        r = container_build_name(config.name, p->config.name, p->config.namespace, p->config.uid, config.attempt,
                                 &name);
        if (r < 0)
                return r;
        r = pending_containers(m, &pending);
        if (r < 0)
                return r;
        /* As container_create() would say: before the store, so that a pod stopped meanwhile does not
         * hand out what was made in it. */
        if (p->state != POD_STATE_READY)
                return grpc_call_finishf(call, GRPC_STATUS_INVALID_ARGUMENT, "pod sandbox %s is not ready",
                                         p->id);
        /* A creation under way or put aside for a caller that went away: this call waits for it or
         * takes it. */
        r = cri_pending_join(pending, name, call);
        if (r != 0)
                return MIN(r, 0);

        r = cri_pending_begin(pending, name, call, /* object= */ NULL, &entry);
        if (r < 0)
                return r;
        r = container_create(m, p, &config, on_created, entry, &error_text);
        if (r < 0) {
                cri_pending_abort(entry);
                return grpc_call_finishf(call, status_from_errno(r), "%s", error_text ?: strerror(-r));
        }
        /* In the store, being created, under that name (the callback comes later, from the loop). */
        cri_pending_set_object(entry, container_get_by_name(m, name));
        return 0;
}

static int find_or_not_found(GrpcCall *call, Manager *m, const char *id, Container **ret) {
        int r;

        if (!id || !*id)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "ContainerId should not be empty"), 0;
        r = container_find(m, id, ret);
        if (r == -ENOENT)
                return grpc_call_finishf(call, GRPC_STATUS_NOT_FOUND, "could not find container \"%s\"", id), 0;
        if (r < 0)
                return grpc_call_finishf(call, GRPC_STATUS_INVALID_ARGUMENT, "container id %s is ambiguous", id), 0;
        return 1;
}

static void on_done_empty(Container *ctr, int r, const char *error, void *userdata) {
        CriContainerCall *c = userdata;

        if (r < 0)
                (void) grpc_call_finishf(c->call, status_from_errno(r), "%s", error ?: strerror(-r));
        else
                reply_empty(c, NULL);
        cri_container_call_free(c);
}

int cri_container_start(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        CriContainerCall *c;
        Container *ctr;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__start_container_request__descriptor, message, size);
        if (!msg)
                return 0;
        if (find_or_not_found(call, m, ((Runtime__V1__StartContainerRequest *) msg)->container_id, &ctr) <= 0)
                return 0;
        if (ctr->state != CONTAINER_STATE_CREATED)
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "container %s is not in created state: %s",
                                         ctr->id, container_state_to_string(ctr->state));
        c = cri_container_call_new(call);
        if (!c)
                return -ENOMEM;
        r = container_start(ctr, on_done_empty, c);
        if (r < 0) {
                cri_container_call_free(c);
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "starting container %s: %s", ctr->id,
                                         strerror(-r));
        }
        return 0;
}

int cri_container_stop(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        Runtime__V1__StopContainerRequest *req;
        CriContainerCall *c;
        Container *ctr;
        int64_t timeout;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__stop_container_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__StopContainerRequest *) msg;
        if (!req->container_id || !*req->container_id)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "ContainerId should not be empty");
        r = container_find(m, req->container_id, &ctr);
        /* Gone already: stopped, as CRI-O answers. */
        if (r == -ENOENT) {
                Runtime__V1__StopContainerResponse reply = RUNTIME__V1__STOP_CONTAINER_RESPONSE__INIT;

                return cri_call_reply(call, &reply.base);
        }
        if (r < 0)
                return grpc_call_finishf(call, GRPC_STATUS_INVALID_ARGUMENT, "container id %s is ambiguous",
                                         req->container_id);
        /* CRI-O floors kubelet's timeout at ctr_stop_timeout. */
        timeout = MAX(req->timeout, m->config->ctr_stop_timeout);
        if (timeout < 0)
                timeout = 0;
        c = cri_container_call_new(call);
        if (!c)
                return -ENOMEM;
        r = container_terminate(ctr, (uint64_t) timeout * 1000000ULL, on_done_empty, c);
        if (r < 0) {
                cri_container_call_free(c);
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "stopping container %s: %s", ctr->id,
                                         strerror(-r));
        }
        return 0;
}

int cri_container_remove(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        Runtime__V1__RemoveContainerRequest *req;
        CriContainerCall *c;
        Container *ctr;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__remove_container_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__RemoveContainerRequest *) msg;
        if (!req->container_id || !*req->container_id)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "ContainerId should not be empty");
        r = container_find(m, req->container_id, &ctr);
        if (r == -ENOENT) {
                Runtime__V1__RemoveContainerResponse reply = RUNTIME__V1__REMOVE_CONTAINER_RESPONSE__INIT;

                return cri_call_reply(call, &reply.base);
        }
        if (r < 0)
                return grpc_call_finishf(call, GRPC_STATUS_INVALID_ARGUMENT, "container id %s is ambiguous",
                                         req->container_id);
        c = cri_container_call_new(call);
        if (!c)
                return -ENOMEM;
        r = container_remove(ctr, on_done_empty, c);
        if (r < 0) {
                cri_container_call_free(c);
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "removing container %s: %s", ctr->id,
                                         strerror(-r));
        }
        return 0;
}

/* ListContainers, StreamContainers */

static Runtime__V1__ContainerState state_to_proto(ContainerState s) {
        switch (s) {
        case CONTAINER_STATE_CREATED:
                return RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED;
        case CONTAINER_STATE_RUNNING:
                return RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
        case CONTAINER_STATE_EXITED:
                return RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED;
        default:
                return RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN;
        }
}

static bool labels_match(char *const *labels, char *const *selector) {
        for (char *const *s = selector; s && s[0] && s[1]; s += 2) {
                bool found = false;

                for (char *const *l = labels; l && l[0] && l[1]; l += 2)
                        if (strcmp(l[0], s[0]) == 0) {
                                found = strcmp(l[1], s[1]) == 0;
                                break;
                        }
                if (!found)
                        return false;
        }
        return true;
}

static bool id_prefix_match(const char *id, const char *prefix) {
        return !prefix || !*prefix || strncmp(id, prefix, strlen(prefix)) == 0;
}

typedef struct CriListItem {
        Runtime__V1__Container container;
        Runtime__V1__ContainerMetadata metadata;
        Runtime__V1__ImageSpec image;
        Runtime__V1__Container__LabelsEntry **labels;
        Runtime__V1__Container__AnnotationsEntry **annotations;
} CriListItem;

#define CRI_CONTAINER_STREAM_BATCH 100

static int list_reply(GrpcCall *call, Manager *m, const Runtime__V1__ContainerFilter *f, bool stream) {
        _cleanup_free_ Container **l = NULL;
        _cleanup_free_ CriListItem *items = NULL;
        _cleanup_free_ Runtime__V1__Container **pointers = NULL;
        _cleanup_strv_free_ char **selector = NULL;
        size_t n_all, n = 0;
        int r = 0;

        if (f) {
                r = pairs_from_entries((void *const *) f->label_selector, f->n_label_selector, &selector);
                if (r < 0)
                        return r;
        }
        r = container_list(m, &l, &n_all);
        if (r < 0)
                return r;
        items = calloc(MAX(n_all, 1U), sizeof(CriListItem));
        pointers = calloc(MAX(n_all, 1U), sizeof(Runtime__V1__Container *));
        if (!items || !pointers)
                return -ENOMEM;
        for (size_t i = 0; i < n_all; i++) {
                Container *c = l[i];
                CriListItem *it = &items[n];

                if (f && (!id_prefix_match(c->id, f->id) || !id_prefix_match(c->pod->id, f->pod_sandbox_id) ||
                          (f->state && state_to_proto(c->state) != f->state->state) ||
                          !labels_match(c->config.labels, selector)))
                        continue;
                it->container = (Runtime__V1__Container) RUNTIME__V1__CONTAINER__INIT;
                it->metadata = (Runtime__V1__ContainerMetadata) RUNTIME__V1__CONTAINER_METADATA__INIT;
                it->image = (Runtime__V1__ImageSpec) RUNTIME__V1__IMAGE_SPEC__INIT;
                it->metadata.name = c->config.name;
                it->metadata.attempt = c->config.attempt;
                it->image.image = c->image_name;
                it->image.user_specified_image = c->config.image;
                it->container.id = c->id;
                it->container.pod_sandbox_id = c->pod->id;
                it->container.metadata = &it->metadata;
                it->container.image = &it->image;
                it->container.image_ref = c->image_ref;
                it->container.image_id = c->image_id;
                it->container.state = state_to_proto(c->state);
                it->container.created_at = c->created_at;
                it->labels = container_labels(c->config.labels, &it->container.n_labels);
                it->annotations = container_annotations(c->config.annotations, &it->container.n_annotations);
                it->container.labels = it->labels;
                it->container.annotations = it->annotations;
                pointers[n++] = &it->container;
                if (!it->labels || !it->annotations) {
                        r = -ENOMEM;
                        break;
                }
        }

        if (r >= 0 && !stream) {
                Runtime__V1__ListContainersResponse reply = RUNTIME__V1__LIST_CONTAINERS_RESPONSE__INIT;

                reply.n_containers = n;
                reply.containers = pointers;
                r = cri_call_reply(call, &reply.base);
        } else if (r >= 0) {
                for (size_t i = 0; i < n && r >= 0; i += CRI_CONTAINER_STREAM_BATCH) {
                        Runtime__V1__StreamContainersResponse reply = RUNTIME__V1__STREAM_CONTAINERS_RESPONSE__INIT;

                        reply.n_containers = MIN(n - i, (size_t) CRI_CONTAINER_STREAM_BATCH);
                        reply.containers = pointers + i;
                        r = cri_call_send(call, &reply.base);
                }
                if (r >= 0)
                        r = grpc_call_finish(call, GRPC_STATUS_OK, NULL);
        }
        for (size_t i = 0; i < n; i++) {
                free(items[i].labels);
                free(items[i].annotations);
        }
        return r;
}

int cri_container_list(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__list_containers_request__descriptor, message, size);
        if (!msg)
                return 0;
        return list_reply(call, userdata, ((Runtime__V1__ListContainersRequest *) msg)->filter, false);
}

int cri_container_stream(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__stream_containers_request__descriptor, message, size);
        if (!msg)
                return 0;
        return list_reply(call, userdata, ((Runtime__V1__StreamContainersRequest *) msg)->filter, true);
}

/* ContainerStatus */

static int read_config_json(const Container *c, char **ret, size_t *ret_size) {
        _cleanup_free_ char *path = NULL;

        if (!c->bundle_dir || asprintf(&path, "%s/config.json", c->bundle_dir) < 0)
                return -ENOMEM;
        return read_full_file_at(AT_FDCWD, path, 16 * 1024 * 1024, 0, ret, ret_size);
}

int cri_container_status_fill(CriContainerStatus *s, const Container *c) {
        *s = (CriContainerStatus) {
                .status = RUNTIME__V1__CONTAINER_STATUS__INIT,
                .metadata = RUNTIME__V1__CONTAINER_METADATA__INIT,
                .image = RUNTIME__V1__IMAGE_SPEC__INIT,
                .resources = RUNTIME__V1__CONTAINER_RESOURCES__INIT,
                .linux_resources = RUNTIME__V1__LINUX_CONTAINER_RESOURCES__INIT,
        };
        s->status.id = c->id;
        s->metadata.name = c->config.name;
        s->metadata.attempt = c->config.attempt;
        s->status.metadata = &s->metadata;
        s->status.state = state_to_proto(c->state);
        s->status.created_at = c->created_at;
        s->status.started_at = c->started_at;
        s->status.finished_at = c->finished_at;
        s->status.exit_code = c->state == CONTAINER_STATE_EXITED ? c->exit_code : 0;
        s->image.image = c->image_name;
        s->image.user_specified_image = c->config.image;
        s->status.image = &s->image;
        s->status.image_ref = c->image_ref;
        s->status.image_id = c->image_id;
        s->status.reason = c->reason ?: (char *) "";
        s->status.message = c->message ?: (char *) "";
        s->status.log_path = c->log_path;
        s->status.stop_signal = signal_to_proto(c->stop_signal);
        s->labels = status_labels(c->config.labels, &s->status.n_labels);
        s->annotations = status_annotations(c->config.annotations, &s->status.n_annotations);
        if (!s->labels || !s->annotations)
                return -ENOMEM;
        s->status.labels = s->labels;
        s->status.annotations = s->annotations;

        s->mounts = calloc(MAX(c->config.n_mounts, 1U), sizeof(Runtime__V1__Mount));
        s->mount_pointers = calloc(MAX(c->config.n_mounts, 1U), sizeof(Runtime__V1__Mount *));
        if (!s->mounts || !s->mount_pointers)
                return -ENOMEM;
        for (size_t i = 0; i < c->config.n_mounts; i++) {
                const ContainerMount *cm = &c->config.mounts[i];

                s->mounts[i] = (Runtime__V1__Mount) RUNTIME__V1__MOUNT__INIT;
                s->mounts[i].container_path = cm->container_path;
                s->mounts[i].host_path = cm->host_path;
                s->mounts[i].readonly = cm->readonly;
                s->mounts[i].selinux_relabel = cm->selinux_relabel;
                s->mounts[i].propagation = (Runtime__V1__MountPropagation) cm->propagation;
                s->mount_pointers[i] = &s->mounts[i];
        }
        s->status.n_mounts = c->config.n_mounts;
        s->status.mounts = s->mount_pointers;

        if (c->config.has_resources) {
                const OciResources *r = &c->config.resources;
                Runtime__V1__LinuxContainerResources *lin = &s->linux_resources;

                lin->cpu_period = (int64_t) r->cpu_period;
                lin->cpu_quota = r->cpu_quota;
                lin->cpu_shares = (int64_t) r->cpu_shares;
                lin->memory_limit_in_bytes = r->memory_limit;
                lin->memory_swap_limit_in_bytes = r->memory_swap;
                lin->oom_score_adj = c->config.oom_score_adj;
                lin->cpuset_cpus = r->cpuset_cpus ?: (char *) "";
                lin->cpuset_mems = r->cpuset_mems ?: (char *) "";
                /* As CRI-O reports them: what was asked for, hugepages and the unified map included. */
                if (r->n_hugepages > 0) {
                        s->hugepages = calloc(r->n_hugepages, sizeof(Runtime__V1__HugepageLimit));
                        s->hugepage_pointers = calloc(r->n_hugepages, sizeof(Runtime__V1__HugepageLimit *));
                        if (!s->hugepages || !s->hugepage_pointers)
                                return -ENOMEM;
                        for (size_t i = 0; i < r->n_hugepages; i++) {
                                s->hugepages[i] = (Runtime__V1__HugepageLimit) RUNTIME__V1__HUGEPAGE_LIMIT__INIT;
                                s->hugepages[i].page_size = r->hugepages[i].page_size ?: (char *) "";
                                s->hugepages[i].limit = r->hugepages[i].limit;
                                s->hugepage_pointers[i] = &s->hugepages[i];
                        }
                        lin->hugepage_limits = s->hugepage_pointers;
                        lin->n_hugepage_limits = r->n_hugepages;
                }
                if (r->unified && r->unified[0]) {
                        s->unified = resources_unified(r->unified, &lin->n_unified);
                        if (!s->unified)
                                return -ENOMEM;
                        lin->unified = s->unified;
                }
                s->resources.linux = lin;
                s->status.resources = &s->resources;
        }
        return 0;
}

void cri_container_status_done(CriContainerStatus *s) {
        free(s->labels);
        free(s->annotations);
        free(s->mounts);
        free(s->mount_pointers);
        free(s->hugepages);
        free(s->hugepage_pointers);
        free(s->unified);
        *s = (CriContainerStatus) {};
}

int cri_container_status(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        Runtime__V1__ContainerStatusRequest *req;
        Runtime__V1__ContainerStatusResponse reply = RUNTIME__V1__CONTAINER_STATUS_RESPONSE__INIT;
        _cleanup_(cri_container_status_done) CriContainerStatus status = {};
        Runtime__V1__ContainerStatusResponse__InfoEntry info = RUNTIME__V1__CONTAINER_STATUS_RESPONSE__INFO_ENTRY__INIT;
        Runtime__V1__ContainerStatusResponse__InfoEntry *infos[] = { &info };
        _cleanup_free_ char *json = NULL, *config_json = NULL;
        size_t config_size = 0;
        Container *c;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__container_status_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__ContainerStatusRequest *) msg;
        if (find_or_not_found(call, m, req->container_id, &c) <= 0)
                return 0;

        r = cri_container_status_fill(&status, c);
        if (r < 0)
                return r;
        reply.status = &status.status;

        if (req->verbose) {
                (void) read_config_json(c, &config_json, &config_size);
                if (container_status_info_json(c, config_json, config_size, &json) < 0)
                        return -ENOMEM;
                info.key = (char *) "info";
                info.value = json;
                reply.n_info = ELEMENTSOF(infos);
                reply.info = infos;
        }
        return cri_call_reply(call, &reply.base);
}

/* CheckpointContainer */

int cri_container_checkpoint(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__checkpoint_container_request__descriptor, message, size);
        if (!msg)
                return 0;
        /* crio has no criu support: CRI-O's answer when enable_criu_support is off or criu missing. */
        return grpc_call_finish(call, GRPC_STATUS_UNKNOWN, "checkpoint/restore support not available");
}

/* UpdateContainerResources */

int cri_container_update_resources(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        _cleanup_(container_resources_done) OciResources res = {};
        Runtime__V1__UpdateContainerResourcesRequest *req;
        const char *error = NULL;
        CriContainerCall *c;
        Container *ctr;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__update_container_resources_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__UpdateContainerResourcesRequest *) msg;
        if (find_or_not_found(call, m, req->container_id, &ctr) <= 0)
                return 0;
        if (!req->linux) {
                Runtime__V1__UpdateContainerResourcesResponse reply = RUNTIME__V1__UPDATE_CONTAINER_RESOURCES_RESPONSE__INIT;

                return cri_call_reply(call, &reply.base);
        }
        r = resources_from_proto(m, ctr->runtime_handler, req->linux, &res, &error);
        if (r == -EINVAL)
                return grpc_call_finishf(call, GRPC_STATUS_INVALID_ARGUMENT, "%s", error);
        if (r < 0)
                return r;
        c = cri_container_call_new(call);
        if (!c)
                return -ENOMEM;
        r = container_update_resources(ctr, &res, on_done_empty, c);
        if (r < 0) {
                cri_container_call_free(c);
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "updating container %s: %s", ctr->id,
                                         r == -ESRCH ? "container is not created or running" : strerror(-r));
        }
        return 0;
}

/* ReopenContainerLog */

static void on_reopened(ConmonReopen *op, int r, void *userdata) {
        CriContainerCall *c = userdata;

        if (r < 0)
                (void) grpc_call_finishf(c->call, GRPC_STATUS_UNKNOWN, "reopening the log of container %s: %s",
                                         c->container->id, r == -ESRCH ? "container is not running" : strerror(-r));
        else
                reply_empty(c, NULL);
        cri_container_call_free(c);
}

int cri_container_reopen_log(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        CriContainerCall *c;
        Container *ctr;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__reopen_container_log_request__descriptor, message, size);
        if (!msg)
                return 0;
        if (find_or_not_found(call, m, ((Runtime__V1__ReopenContainerLogRequest *) msg)->container_id, &ctr) <= 0)
                return 0;
        if (ctr->state != CONTAINER_STATE_RUNNING)
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "container %s is not running", ctr->id);
        c = cri_container_call_new(call);
        if (!c)
                return -ENOMEM;
        c->container = container_ref(ctr);
        r = conmon_reopen_log(m->event, ctr->bundle_dir, ctr->log_path, CONMON_REOPEN_TIMEOUT_USEC, on_reopened, c,
                              &c->reopen);
        if (r < 0) {
                cri_container_call_free(c);
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "reopening the log of container %s: %s",
                                         ctr->id, r == -ESRCH ? "container is not running" : strerror(-r));
        }
        return 0;
}

/* ExecSync */

static void on_exec_done(OciOperation *op, int r, void *userdata) {
        CriContainerCall *c = userdata;
        Runtime__V1__ExecSyncResponse reply = RUNTIME__V1__EXEC_SYNC_RESPONSE__INIT;
        size_t out_size = 0, err_size = 0;
        const char *out, *err;

        if (r < 0 && r != -ETIMEDOUT) {
                (void) grpc_call_finishf(c->call, GRPC_STATUS_UNKNOWN, "command error: %s",
                                         oci_operation_get_error(op) ?: strerror(-r));
                return cri_container_call_free(c);
        }
        out = oci_operation_get_stdout(op, &out_size);
        err = oci_operation_get_stderr(op, &err_size);
        reply.stdout.data = (uint8_t *) out;
        reply.stdout.len = out_size;
        if (r == -ETIMEDOUT) {
                reply.stderr.data = (uint8_t *) EXEC_TIMED_OUT_MESSAGE;
                reply.stderr.len = strlen(EXEC_TIMED_OUT_MESSAGE);
                reply.exit_code = -1;
        } else {
                reply.stderr.data = (uint8_t *) err;
                reply.stderr.len = err_size;
                reply.exit_code = oci_operation_get_exit_code(op);
        }
        if (cri_call_reply(c->call, &reply.base) < 0)
                (void) grpc_call_finish(c->call, GRPC_STATUS_INTERNAL, "out of memory");
        cri_container_call_free(c);
}

int cri_container_exec_sync(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *config_json = NULL, *process = NULL;
        Runtime__V1__ExecSyncRequest *req;
        CriContainerCall *c;
        size_t config_size;
        Container *ctr;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__exec_sync_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__ExecSyncRequest *) msg;
        if (find_or_not_found(call, m, req->container_id, &ctr) <= 0)
                return 0;
        if (req->n_cmd == 0)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "cmd should not be empty");
        if (req->timeout < 0)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "timeout must not be negative");
        if (!IN_SET(ctr->state, CONTAINER_STATE_CREATED, CONTAINER_STATE_RUNNING))
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "container %s is not created or running",
                                         ctr->id);
        r = strv_from_array(req->cmd, req->n_cmd, &argv);
        if (r < 0)
                return r;
        r = read_config_json(ctr, &config_json, &config_size);
        if (r >= 0)
                r = container_exec_process_json(config_json, config_size, argv, &process);
        if (r < 0)
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "reading the spec of container %s: %s", ctr->id,
                                         strerror(-r));
        c = cri_container_call_new(call);
        if (!c)
                return -ENOMEM;
        r = oci_runtime_exec_sync(ctr->runtime, ctr->id, process, (uint64_t) req->timeout * 1000000ULL, on_exec_done,
                                  c, &c->exec);
        if (r < 0) {
                cri_container_call_free(c);
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN, "exec in container %s: %s", ctr->id, strerror(-r));
        }
        /* Freed with the call: the operation must outlive on_exec_done()'s use of it. */
        return 0;
}

/* ContainerStats, ListContainerStats, StreamContainerStats */

typedef struct CriStats {
        Runtime__V1__ContainerStats stats;
        Runtime__V1__ContainerAttributes attributes;
        Runtime__V1__ContainerMetadata metadata;
        Runtime__V1__CpuUsage cpu;
        Runtime__V1__MemoryUsage memory;
        Runtime__V1__FilesystemUsage layer;
        Runtime__V1__FilesystemIdentifier fs_id;
        Runtime__V1__UInt64Value cpu_usage, memory_usage, memory_working_set, layer_bytes, layer_inodes;
        Runtime__V1__ContainerAttributes__LabelsEntry **labels;
        Runtime__V1__ContainerAttributes__AnnotationsEntry **annotations;
        char *mountpoint;
        Container *container;
        ContainerStatsRequest *request;
        bool done;
} CriStats;

typedef enum CriStatsKind {
        CRI_STATS_ONE,
        CRI_STATS_LIST,
        CRI_STATS_STREAM,
} CriStatsKind;

typedef struct CriStatsCall {
        GrpcCall *call;
        CriStatsKind kind;
        CriStats *items;
        size_t n_items, n_pending;
} CriStatsCall;

static void cri_stats_call_free(CriStatsCall *c) {
        for (size_t i = 0; i < c->n_items; i++) {
                container_stats_request_free(c->items[i].request);
                free(c->items[i].labels);
                free(c->items[i].annotations);
                free(c->items[i].mountpoint);
                container_unref(c->items[i].container);
        }
        free(c->items);
        grpc_call_unref(c->call);
        free(c);
}

static int stats_fill(CriStats *s, const ContainerStats *in) {
        const Container *c = s->container;

        s->stats = (Runtime__V1__ContainerStats) RUNTIME__V1__CONTAINER_STATS__INIT;
        s->attributes = (Runtime__V1__ContainerAttributes) RUNTIME__V1__CONTAINER_ATTRIBUTES__INIT;
        s->metadata = (Runtime__V1__ContainerMetadata) RUNTIME__V1__CONTAINER_METADATA__INIT;
        s->metadata.name = c->config.name;
        s->metadata.attempt = c->config.attempt;
        s->attributes.id = c->id;
        s->attributes.metadata = &s->metadata;
        s->labels = attributes_labels(c->config.labels, &s->attributes.n_labels);
        s->annotations = attributes_annotations(c->config.annotations, &s->attributes.n_annotations);
        if (!s->labels || !s->annotations)
                return -ENOMEM;
        s->attributes.labels = s->labels;
        s->attributes.annotations = s->annotations;
        s->stats.attributes = &s->attributes;

        if (in->have_cpu) {
                s->cpu = (Runtime__V1__CpuUsage) RUNTIME__V1__CPU_USAGE__INIT;
                s->cpu_usage = (Runtime__V1__UInt64Value) RUNTIME__V1__UINT64_VALUE__INIT;
                s->cpu.timestamp = in->timestamp;
                s->cpu_usage.value = in->cpu_usage_nsec;
                s->cpu.usage_core_nano_seconds = &s->cpu_usage;
                s->stats.cpu = &s->cpu;
        }
        if (in->have_memory) {
                s->memory = (Runtime__V1__MemoryUsage) RUNTIME__V1__MEMORY_USAGE__INIT;
                s->memory_usage = (Runtime__V1__UInt64Value) RUNTIME__V1__UINT64_VALUE__INIT;
                s->memory_working_set = (Runtime__V1__UInt64Value) RUNTIME__V1__UINT64_VALUE__INIT;
                s->memory.timestamp = in->timestamp;
                s->memory_usage.value = in->memory_current;
                s->memory_working_set.value = in->memory_working_set;
                s->memory.usage_bytes = &s->memory_usage;
                s->memory.working_set_bytes = &s->memory_working_set;
                s->stats.memory = &s->memory;
        }
        if (in->have_layer) {
                s->layer = (Runtime__V1__FilesystemUsage) RUNTIME__V1__FILESYSTEM_USAGE__INIT;
                s->fs_id = (Runtime__V1__FilesystemIdentifier) RUNTIME__V1__FILESYSTEM_IDENTIFIER__INIT;
                s->layer_bytes = (Runtime__V1__UInt64Value) RUNTIME__V1__UINT64_VALUE__INIT;
                s->layer_inodes = (Runtime__V1__UInt64Value) RUNTIME__V1__UINT64_VALUE__INIT;
                if (asprintf(&s->mountpoint, "%s/diff", c->layer_dir) < 0)
                        return -ENOMEM;
                s->fs_id.mountpoint = s->mountpoint;
                s->layer.timestamp = in->timestamp;
                s->layer.fs_id = &s->fs_id;
                s->layer_bytes.value = in->layer_bytes;
                s->layer_inodes.value = in->layer_inodes;
                s->layer.used_bytes = &s->layer_bytes;
                s->layer.inodes_used = &s->layer_inodes;
                s->stats.writable_layer = &s->layer;
        }
        return 0;
}

static void stats_reply(CriStatsCall *c) {
        _cleanup_free_ Runtime__V1__ContainerStats **pointers = NULL;
        size_t n = 0;
        int r;

        pointers = calloc(MAX(c->n_items, 1U), sizeof(Runtime__V1__ContainerStats *));
        if (!pointers) {
                (void) grpc_call_finish(c->call, GRPC_STATUS_INTERNAL, "out of memory");
                return cri_stats_call_free(c);
        }
        for (size_t i = 0; i < c->n_items; i++)
                if (c->items[i].done)
                        pointers[n++] = &c->items[i].stats;

        if (c->kind == CRI_STATS_LIST) {
                Runtime__V1__ListContainerStatsResponse reply = RUNTIME__V1__LIST_CONTAINER_STATS_RESPONSE__INIT;

                reply.n_stats = n;
                reply.stats = pointers;
                r = cri_call_reply(c->call, &reply.base);
        } else if (c->kind == CRI_STATS_STREAM) {
                Runtime__V1__StreamContainerStatsResponse reply = RUNTIME__V1__STREAM_CONTAINER_STATS_RESPONSE__INIT;

                reply.n_container_stats = n;
                reply.container_stats = pointers;
                r = cri_call_reply(c->call, &reply.base);
        } else if (n == 0)
                r = grpc_call_finishf(c->call, GRPC_STATUS_UNKNOWN, "reading the accounting of container %s failed",
                                      c->items[0].container->id);
        else {
                Runtime__V1__ContainerStatsResponse reply = RUNTIME__V1__CONTAINER_STATS_RESPONSE__INIT;

                reply.stats = pointers[0];
                r = cri_call_reply(c->call, &reply.base);
        }
        if (r < 0)
                (void) grpc_call_finish(c->call, GRPC_STATUS_INTERNAL, "out of memory");
        cri_stats_call_free(c);
}

static void on_stats(Container *ctr, int r, const ContainerStats *stats, void *userdata) {
        CriStatsCall *c = userdata;

        for (size_t i = 0; i < c->n_items; i++) {
                CriStats *s = &c->items[i];

                if (s->container != ctr || !s->request || s->done)
                        continue;
                /* Without systemd's accounting the writable layer still counts. */
                s->done = stats_fill(s, stats) >= 0;
                if (r < 0)
                        log_container_errno(ctr, LOG_DEBUG, r, "Failed to read the accounting of %s: %m", ctr->scope);
                break;
        }
        if (--c->n_pending == 0)
                stats_reply(c);
}

static int stats_start(GrpcCall *call, Container **l, size_t n, CriStatsKind kind) {
        CriStatsCall *c;
        int r;

        c = calloc(1, sizeof(CriStatsCall));
        if (!c)
                return -ENOMEM;
        c->call = grpc_call_ref(call);
        c->kind = kind;
        c->items = calloc(MAX(n, 1U), sizeof(CriStats));
        if (!c->items) {
                cri_stats_call_free(c);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                c->items[i].container = container_ref(l[i]);
                c->n_items++;
        }
        c->n_pending = 1;
        for (size_t i = 0; i < n; i++) {
                r = container_stats_collect(l[i], on_stats, c, &c->items[i].request);
                if (r < 0)
                        log_container_errno(l[i], LOG_DEBUG, r, "Failed to read the accounting of %s: %m", l[i]->id);
                else
                        c->n_pending++;
        }
        if (--c->n_pending == 0)
                stats_reply(c);
        return 0;
}

int cri_container_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        Container *c;

        msg = cri_call_unpack(call, &runtime__v1__container_stats_request__descriptor, message, size);
        if (!msg)
                return 0;
        if (find_or_not_found(call, m, ((Runtime__V1__ContainerStatsRequest *) msg)->container_id, &c) <= 0)
                return 0;
        return stats_start(call, &c, 1, CRI_STATS_ONE);
}

static int list_stats(GrpcCall *call, Manager *m, const Runtime__V1__ContainerStatsFilter *f, CriStatsKind kind) {
        _cleanup_free_ Container **l = NULL;
        _cleanup_strv_free_ char **selector = NULL;
        size_t n_all, n = 0;
        int r;

        if (f) {
                r = pairs_from_entries((void *const *) f->label_selector, f->n_label_selector, &selector);
                if (r < 0)
                        return r;
        }
        r = container_list(m, &l, &n_all);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_all; i++) {
                Container *c = l[i];

                /* Stats are of running containers, as CRI-O lists them. */
                if (c->state != CONTAINER_STATE_RUNNING)
                        continue;
                if (f && (!id_prefix_match(c->id, f->id) || !id_prefix_match(c->pod->id, f->pod_sandbox_id) ||
                          !labels_match(c->config.labels, selector)))
                        continue;
                l[n++] = c;
        }
        return stats_start(call, l, n, kind);
}

int cri_container_list_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__list_container_stats_request__descriptor, message, size);
        if (!msg)
                return 0;
        return list_stats(call, userdata, ((Runtime__V1__ListContainerStatsRequest *) msg)->filter, CRI_STATS_LIST);
}

int cri_container_stream_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__stream_container_stats_request__descriptor, message, size);
        if (!msg)
                return 0;
        return list_stats(call, userdata, ((Runtime__V1__StreamContainerStatsRequest *) msg)->filter,
                          CRI_STATS_STREAM);
}
