/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <time.h>

#include "api.pb-c.h"
#include "config.h"
#include "cri-call.h"
#include "cri-pending.h"
#include "cri-pod.h"
#include "log.h"
#include "strv.h"
#include "manager.h"
#include "pod-dbus.h"
#include "pod-json.h"
#include "pod-operation.h"
#include "pod-slice.h"
#include "pod-stats.h"
#include "pod-store.h"
#include "pod-sysctl.h"
#include "systemd-manager.h"

/* Every map entry of the CRI protobuf has this shape (only the descriptor differs). */
typedef struct MapEntry {
        ProtobufCMessage base;
        char *key;
        char *value;
} MapEntry;

static int pairs_from_entries(void *const *entries, size_t n, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;

        l = calloc(2 * n + 1, sizeof(char *));
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

CRI_DEFINE_MAP_ENTRIES(sandbox_labels, Runtime__V1__PodSandbox__LabelsEntry, RUNTIME__V1__POD_SANDBOX__LABELS_ENTRY__INIT)
CRI_DEFINE_MAP_ENTRIES(sandbox_annotations, Runtime__V1__PodSandbox__AnnotationsEntry,
               RUNTIME__V1__POD_SANDBOX__ANNOTATIONS_ENTRY__INIT)
CRI_DEFINE_MAP_ENTRIES(status_labels, Runtime__V1__PodSandboxStatus__LabelsEntry,
               RUNTIME__V1__POD_SANDBOX_STATUS__LABELS_ENTRY__INIT)
CRI_DEFINE_MAP_ENTRIES(status_annotations, Runtime__V1__PodSandboxStatus__AnnotationsEntry,
               RUNTIME__V1__POD_SANDBOX_STATUS__ANNOTATIONS_ENTRY__INIT)
CRI_DEFINE_MAP_ENTRIES(attributes_labels, Runtime__V1__PodSandboxAttributes__LabelsEntry,
               RUNTIME__V1__POD_SANDBOX_ATTRIBUTES__LABELS_ENTRY__INIT)
CRI_DEFINE_MAP_ENTRIES(attributes_annotations, Runtime__V1__PodSandboxAttributes__AnnotationsEntry,
               RUNTIME__V1__POD_SANDBOX_ATTRIBUTES__ANNOTATIONS_ENTRY__INIT)

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

static int resources_from_proto(const Runtime__V1__LinuxContainerResources *in, PodResources *out) {
        *out = (PodResources) {
                .cpu_period = in->cpu_period,
                .cpu_quota = in->cpu_quota,
                .cpu_shares = in->cpu_shares,
                .memory_limit_in_bytes = in->memory_limit_in_bytes,
        };
        if ((in->cpuset_cpus && *in->cpuset_cpus && !(out->cpuset_cpus = strdup(in->cpuset_cpus))) ||
            (in->cpuset_mems && *in->cpuset_mems && !(out->cpuset_mems = strdup(in->cpuset_mems))))
                return -ENOMEM;
        for (size_t i = 0; i < in->n_unified; i++)
                if (in->unified[i]->key && strcmp(in->unified[i]->key, "pids.max") == 0 && in->unified[i]->value)
                        out->pids_limit = strtoll(in->unified[i]->value, NULL, 10);
        return 0;
}

static const char *protocol_name(Runtime__V1__Protocol p) {
        return p == RUNTIME__V1__PROTOCOL__UDP ? "udp" : p == RUNTIME__V1__PROTOCOL__SCTP ? "sctp" : "tcp";
}

/* RunPodSandboxRequest into a PodConfig. -EINVAL with *ret_error for a request that cannot be. */
static int config_from_proto(const Runtime__V1__RunPodSandboxRequest *req, PodConfig *c, const char **ret_error) {
        const Runtime__V1__PodSandboxConfig *in = req->config;
        const Runtime__V1__LinuxPodSandboxConfig *lin;
        int r;

        if (!in || !in->metadata) {
                *ret_error = "PodSandboxConfig.Metadata is missing";
                return -EINVAL;
        }
        if (!in->metadata->name || !*in->metadata->name || !in->metadata->namespace_ || !*in->metadata->namespace_ ||
            !in->metadata->uid || !*in->metadata->uid) {
                *ret_error = "PodSandboxConfig.Metadata needs a name, a namespace and a uid";
                return -EINVAL;
        }
        /* The name becomes part of file names and the k8s_POD_ name. */
        if (strchr(in->metadata->name, '/') || strchr(in->metadata->namespace_, '/') ||
            strchr(in->metadata->uid, '/')) {
                *ret_error = "PodSandboxConfig.Metadata contains '/'";
                return -EINVAL;
        }

        c->name = strdup(in->metadata->name);
        c->namespace = strdup(in->metadata->namespace_);
        c->uid = strdup(in->metadata->uid);
        c->attempt = in->metadata->attempt;
        c->hostname = in->hostname && *in->hostname ? strdup(in->hostname) : NULL;
        c->log_directory = in->log_directory && *in->log_directory ? strdup(in->log_directory) : NULL;
        c->runtime_handler = strdup(req->runtime_handler ?: "");
        if (!c->name || !c->namespace || !c->uid || (in->hostname && *in->hostname && !c->hostname) ||
            (in->log_directory && *in->log_directory && !c->log_directory) || !c->runtime_handler)
                return -ENOMEM;
        if (c->hostname && (strlen(c->hostname) > 64 || strchr(c->hostname, '\n'))) {
                *ret_error = "invalid hostname";
                return -EINVAL;
        }

        if (in->dns_config) {
                r = strv_from_array(in->dns_config->servers, in->dns_config->n_servers, &c->dns_servers);
                if (r >= 0)
                        r = strv_from_array(in->dns_config->searches, in->dns_config->n_searches, &c->dns_searches);
                if (r >= 0)
                        r = strv_from_array(in->dns_config->options, in->dns_config->n_options, &c->dns_options);
                if (r < 0)
                        return r;
                for (char **s = c->dns_servers; s && *s; s++)
                        if (strpbrk(*s, " \n\t")) {
                                *ret_error = "invalid DNS server";
                                return -EINVAL;
                        }
                for (char **s = c->dns_searches; s && *s; s++)
                        if (strpbrk(*s, " \n\t")) {
                                *ret_error = "invalid DNS search domain";
                                return -EINVAL;
                        }
                for (char **s = c->dns_options; s && *s; s++)
                        if (strpbrk(*s, " \n\t")) {
                                *ret_error = "invalid DNS option";
                                return -EINVAL;
                        }
        }

        c->port_mappings = calloc(MAX(in->n_port_mappings, 1U), sizeof(PodPortMapping));
        if (!c->port_mappings)
                return -ENOMEM;
        for (size_t i = 0; i < in->n_port_mappings; i++) {
                const Runtime__V1__PortMapping *pm = in->port_mappings[i];
                PodPortMapping *out = &c->port_mappings[c->n_port_mappings];

                if (pm->container_port < 0 || pm->container_port > 65535 || pm->host_port < 0 || pm->host_port > 65535) {
                        *ret_error = "port mapping out of range";
                        return -EINVAL;
                }
                out->protocol = strdup(protocol_name(pm->protocol));
                out->container_port = (uint16_t) pm->container_port;
                out->host_port = (uint16_t) pm->host_port;
                out->host_ip = pm->host_ip && *pm->host_ip ? strdup(pm->host_ip) : NULL;
                c->n_port_mappings++;
                if (!out->protocol || (pm->host_ip && *pm->host_ip && !out->host_ip))
                        return -ENOMEM;
        }

        r = pairs_from_entries((void *const *) in->labels, in->n_labels, &c->labels);
        if (r >= 0)
                r = pairs_from_entries((void *const *) in->annotations, in->n_annotations, &c->annotations);
        if (r < 0)
                return r;

        /* Without namespace options CRI's defaults apply: every mode POD. */
        c->network_mode = c->pid_mode = c->ipc_mode = POD_NAMESPACE_POD;
        lin = in->linux;
        if (lin) {
                if (lin->cgroup_parent && *lin->cgroup_parent && !(c->cgroup_parent = strdup(lin->cgroup_parent)))
                        return -ENOMEM;
                if (lin->security_context) {
                        const Runtime__V1__NamespaceOption *ns = lin->security_context->namespace_options;

                        c->privileged = lin->security_context->privileged;
                        if (ns) {
                                c->network_mode = (PodNamespaceMode) ns->network;
                                c->pid_mode = (PodNamespaceMode) ns->pid;
                                c->ipc_mode = (PodNamespaceMode) ns->ipc;
                        }
                }
                r = pairs_from_entries((void *const *) lin->sysctls, lin->n_sysctls, &c->sysctls);
                if (r < 0)
                        return r;
                if (lin->resources) {
                        c->has_resources = true;
                        r = resources_from_proto(lin->resources, &c->resources);
                        if (r < 0)
                                return r;
                }
                if (lin->overhead) {
                        c->has_overhead = true;
                        r = resources_from_proto(lin->overhead, &c->overhead);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static GrpcStatus status_from_errno(int r) {
        return IN_SET(r, -EINVAL, -ENOTUNIQ) ? GRPC_STATUS_INVALID_ARGUMENT :
               r == -ENOENT ? GRPC_STATUS_NOT_FOUND :
               r == -ECANCELED ? GRPC_STATUS_CANCELLED :
               GRPC_STATUS_UNKNOWN;
}

/* RunPodSandbox: a run outlives a caller that goes away (kubelet's deadline) and its pod goes to the
 * retry of the request (cri-pending.c). */

static void *pending_pod_ref(void *object) {
        return pod_ref(object);
}

static void pending_pod_unref(void *object) {
        pod_unref(object);
}

static const char *pending_pod_id(const void *object) {
        return ((const Pod *) object)->id;
}

static bool pending_pod_exists(const void *object) {
        const Pod *p = object;

        return pod_store_get(p->manager->pods, p->id) == p;
}

static void pending_pod_set_unclaimed(void *object, bool unclaimed) {
        Pod *p = object;

        p->unclaimed = unclaimed;
        /* A run that ended while the pod was hidden announced nothing: now it is visible. */
        if (!unclaimed)
                (void) pod_dbus_send_new(p);
}

static void on_unclaimed_removed(Pod *p, int r, const char *error, void *userdata) {
        if (r < 0)
                log_pod_errno(p, LOG_WARNING, r, "Failed to remove the unclaimed pod sandbox %s: %s", p->name,
                              error ?: strerror(-r));
}

static void pending_pod_expire(void *object) {
        Pod *p = object;
        int r;

        r = pod_remove(p, on_unclaimed_removed, NULL, NULL);
        if (r < 0)
                log_pod_errno(p, LOG_WARNING, r, "Failed to remove the unclaimed pod sandbox %s: %m", p->name);
}

static void pending_pod_reply(GrpcCall *call, const char *id) {
        Runtime__V1__RunPodSandboxResponse reply = RUNTIME__V1__RUN_POD_SANDBOX_RESPONSE__INIT;

        reply.pod_sandbox_id = (char *) id;
        if (cri_call_reply(call, &reply.base) < 0)
                (void) grpc_call_finish(call, GRPC_STATUS_INTERNAL, "out of memory");
}

static void pending_pod_fail(GrpcCall *call, const char *name, int r, const char *error) {
        /* Only a bad request is the caller's fault; the rest is ours (a missing file included). */
        (void) grpc_call_finishf(call, r == -EINVAL ? GRPC_STATUS_INVALID_ARGUMENT : GRPC_STATUS_UNKNOWN,
                                 "failed to run pod sandbox %s: %s", name, error ?: strerror(-r));
}

static const CriPendingType pending_pod_type = {
        .what = "pod sandbox",
        .ref = pending_pod_ref,
        .unref = pending_pod_unref,
        .id = pending_pod_id,
        .exists = pending_pod_exists,
        .set_unclaimed = pending_pod_set_unclaimed,
        .expire = pending_pod_expire,
        .reply = pending_pod_reply,
        .fail = pending_pod_fail,
};

static int pending_pods(Manager *m, CriPending **ret) {
        int r;

        if (!m->pending_pods) {
                r = cri_pending_new(m->event, &pending_pod_type, &m->pending_pods);
                if (r < 0)
                        return r;
        }
        *ret = m->pending_pods;
        return 0;
}

static void on_run_done(Pod *p, int r, const char *error, void *userdata) {
        cri_pending_done(userdata, p, r, error);
}

int cri_pod_run(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        _cleanup_(pod_config_done) PodConfig config = {};
        _cleanup_(pod_unrefp) Pod *p = NULL;
        _cleanup_free_ char *name = NULL, *sysctl_error = NULL;
        Runtime__V1__RunPodSandboxRequest *req;
        const char *error = NULL, *handler;
        PodSysctl *sysctls = NULL;
        size_t n_sysctls = 0;
        CriPendingEntry *entry;
        CriPending *pending;
        Pod *existing;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__run_pod_sandbox_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__RunPodSandboxRequest *) msg;

        r = config_from_proto(req, &config, &error);
        if (r == -EINVAL)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, error);
        if (r < 0)
                return r;

        /* The same name, namespace, uid and attempt: kubelet retrying, it gets the pod it made. */
        r = pod_build_name(config.name, config.namespace, config.uid, config.attempt, &name);
        if (r < 0)
                return r;
        r = pending_pods(m, &pending);
        if (r < 0)
                return r;
        /* A run under way or put aside for a caller that went away: this call waits for it or takes it. */
        r = cri_pending_join(pending, name, call);
        if (r != 0)
                return MIN(r, 0);
        existing = pod_store_get_by_name(m->pods, name);
        if (existing && pod_is_visible(existing)) {
                Runtime__V1__RunPodSandboxResponse reply = RUNTIME__V1__RUN_POD_SANDBOX_RESPONSE__INIT;

                reply.pod_sandbox_id = existing->id;
                return cri_call_reply(call, &reply.base);
        }
        if (existing)
                /* One nobody claimed, being removed. */
                return grpc_call_finishf(call, GRPC_STATUS_UNKNOWN,
                                         "pod sandbox %s is being created or removed, try again", name);

        handler = *config.runtime_handler ? config.runtime_handler : m->config->default_runtime;
        if (!config_find_runtime(m->config, handler))
                return grpc_call_finishf(call, GRPC_STATUS_INVALID_ARGUMENT,
                                         "failed to find runtime handler %s from runtime list", handler);

        if (config.cgroup_parent) {
                _cleanup_free_ char *slice = NULL;

                if (pod_slice_name(config.cgroup_parent, "x", &slice) < 0)
                        return grpc_call_finishf(call, GRPC_STATUS_INVALID_ARGUMENT,
                                                 "cgroup_parent %s is not a systemd slice (\"*.slice\"), "
                                                 "as the systemd cgroup manager needs", config.cgroup_parent);
        }
        if (config.network_mode >= _POD_NAMESPACE_MODE_MAX || config.pid_mode >= _POD_NAMESPACE_MODE_MAX ||
            config.ipc_mode >= _POD_NAMESPACE_MODE_MAX)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "unknown namespace mode");

        r = pod_sysctls_build(m->config->default_sysctls, config.sysctls, config.network_mode == POD_NAMESPACE_NODE,
                              config.ipc_mode == POD_NAMESPACE_NODE, &sysctls, &n_sysctls, &sysctl_error);
        if (r == -EINVAL)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, sysctl_error ?: "invalid sysctl");
        if (r < 0)
                return r;

        r = pod_new(m, &config, &p);
        if (r < 0)
                goto fail;
        if (!m->systemd) {
                pod_sysctls_free(sysctls, n_sysctls);
                return grpc_call_finish(call, GRPC_STATUS_UNAVAILABLE, "crio has no connection to systemd");
        }
        p->runtime_handler = strdup(handler);
        if (!p->runtime_handler) {
                r = -ENOMEM;
                goto fail;
        }
        r = pod_slice_name(p->config.cgroup_parent, p->id, &p->slice);
        if (r < 0)
                goto fail;
        r = pod_store_add(m->pods, p);
        if (r < 0)
                goto fail;
        r = cri_pending_begin(pending, name, call, p, &entry);
        if (r < 0) {
                pod_store_remove(m->pods, p);
                goto fail;
        }
        log_pod(p, LOG_DEBUG, "Running pod sandbox %s (%s).", p->name, p->id);
        /* The run may end, and call back (freeing entry), before pod_run() returns. */
        r = pod_run(p, sysctls, n_sysctls, on_run_done, entry, /* ret= */ NULL);
        if (r < 0) {
                cri_pending_abort(entry);
                pod_store_remove(m->pods, p);
                goto fail;
        }
        return 0;

fail:
        pod_sysctls_free(sysctls, n_sysctls);
        return r;
}

/* StopPodSandbox, RemovePodSandbox */

typedef struct CriPodCall {
        GrpcCall *call;
        PodOperation *operation;
} CriPodCall;

static void cri_pod_call_free(CriPodCall *c) {
        grpc_call_unref(c->call);
        free(c);
}

static void on_call_cancelled(GrpcCall *call, void *userdata) {
        CriPodCall *c = userdata;

        /* Clears the operation's callback; a stop or remove goes on to its end. */
        pod_operation_cancel(TAKE_PTR(c->operation));
        cri_pod_call_free(c);
}

static int start_operation(GrpcCall *call, Pod *p, PodOperationType type, PodOperationCallback callback) {
        CriPodCall *c;
        int r;

        c = calloc(1, sizeof(CriPodCall));
        if (!c)
                return -ENOMEM;
        c->call = grpc_call_ref(call);
        /* Set first: the operation may end (and call back) before pod_*() returns. */
        grpc_call_set_cancel_handler(call, on_call_cancelled, c);
        r = type == POD_OPERATION_STOP ? pod_stop(p, callback, c, &c->operation) :
                                         pod_remove(p, callback, c, &c->operation);
        if (r < 0) {
                grpc_call_set_cancel_handler(call, NULL, NULL);
                cri_pod_call_free(c);
        }
        return r;
}

static void on_stop_or_remove_done(Pod *p, int r, const char *error, void *userdata) {
        CriPodCall *c = userdata;

        grpc_call_set_cancel_handler(c->call, NULL, NULL);
        if (r < 0)
                (void) grpc_call_finishf(c->call, status_from_errno(r), "%s", error ?: strerror(-r));
        else {
                /* Both replies are empty messages. */
                Runtime__V1__StopPodSandboxResponse reply = RUNTIME__V1__STOP_POD_SANDBOX_RESPONSE__INIT;

                if (cri_call_reply(c->call, &reply.base) < 0)
                        (void) grpc_call_finish(c->call, GRPC_STATUS_INTERNAL, "out of memory");
        }
        cri_pod_call_free(c);
}

static int stop_or_remove(GrpcCall *call, Manager *m, const char *id, PodOperationType type) {
        Runtime__V1__StopPodSandboxResponse reply = RUNTIME__V1__STOP_POD_SANDBOX_RESPONSE__INIT;
        Pod *p;
        int r;

        if (!id || !*id)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "PodSandboxId should not be empty");
        r = pod_store_find(m->pods, id, &p);
        /* An unknown pod is stopped and removed already, as CRI-O answers. */
        if (r == -ENOENT)
                return cri_call_reply(call, &reply.base);
        if (r < 0)
                return grpc_call_finishf(call, GRPC_STATUS_INVALID_ARGUMENT, "pod sandbox id %s is ambiguous", id);
        return start_operation(call, p, type, on_stop_or_remove_done);
}

int cri_pod_stop(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__stop_pod_sandbox_request__descriptor, message, size);
        if (!msg)
                return 0;
        return stop_or_remove(call, userdata, ((Runtime__V1__StopPodSandboxRequest *) msg)->pod_sandbox_id,
                              POD_OPERATION_STOP);
}

int cri_pod_remove(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__remove_pod_sandbox_request__descriptor, message, size);
        if (!msg)
                return 0;
        return stop_or_remove(call, userdata, ((Runtime__V1__RemovePodSandboxRequest *) msg)->pod_sandbox_id,
                              POD_OPERATION_REMOVE);
}

static int find_or_not_found(GrpcCall *call, Manager *m, const char *id, Pod **ret) {
        int r;

        if (!id || !*id)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "PodSandboxId should not be empty"), 0;
        r = pod_store_find(m->pods, id, ret);
        if (r == -ENOENT)
                return grpc_call_finishf(call, GRPC_STATUS_NOT_FOUND, "could not find pod \"%s\"", id), 0;
        if (r < 0)
                return grpc_call_finishf(call, GRPC_STATUS_INVALID_ARGUMENT, "pod sandbox id %s is ambiguous", id), 0;
        return 1;
}

static Runtime__V1__PodSandboxState state_to_proto(PodState s) {
        return s == POD_STATE_READY ? RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY :
                                      RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY;
}

static void fill_metadata(Runtime__V1__PodSandboxMetadata *md, const Pod *p) {
        md->name = p->config.name;
        md->namespace_ = p->config.namespace;
        md->uid = p->config.uid;
        md->attempt = p->config.attempt;
}

/* PodSandboxStatus */

int cri_pod_status_fill(CriPodStatus *s, const Pod *p) {
        size_t n_ips;

        *s = (CriPodStatus) {
                .status = RUNTIME__V1__POD_SANDBOX_STATUS__INIT,
                .metadata = RUNTIME__V1__POD_SANDBOX_METADATA__INIT,
                .network = RUNTIME__V1__POD_SANDBOX_NETWORK_STATUS__INIT,
                .linux_status = RUNTIME__V1__LINUX_POD_SANDBOX_STATUS__INIT,
                .ns = RUNTIME__V1__NAMESPACE__INIT,
                .options = RUNTIME__V1__NAMESPACE_OPTION__INIT,
        };
        s->status.id = p->id;
        fill_metadata(&s->metadata, p);
        s->status.metadata = &s->metadata;
        s->status.state = state_to_proto(p->state);
        s->status.created_at = p->created_at;
        s->status.runtime_handler = p->runtime_handler;

        /* The first IP is "ip", the others additional_ips, as CRI-O reports them. */
        n_ips = strv_length(p->ips);
        s->ips = calloc(MAX(n_ips, 1U), sizeof(Runtime__V1__PodIP));
        s->ip_pointers = calloc(MAX(n_ips, 1U), sizeof(Runtime__V1__PodIP *));
        if (!s->ips || !s->ip_pointers)
                return -ENOMEM;
        for (size_t i = 1; i < n_ips; i++) {
                s->ips[i] = (Runtime__V1__PodIP) RUNTIME__V1__POD_IP__INIT;
                s->ips[i].ip = p->ips[i];
                s->ip_pointers[i - 1] = &s->ips[i];
        }
        if (n_ips > 0) {
                s->network.ip = p->ips[0];
                s->network.n_additional_ips = n_ips - 1;
                s->network.additional_ips = s->ip_pointers;
        }
        s->status.network = &s->network;

        s->options.network = pod_is_host_network(p) ? RUNTIME__V1__NAMESPACE_MODE__NODE :
                                                      RUNTIME__V1__NAMESPACE_MODE__POD;
        s->options.ipc = pod_is_host_ipc(p) ? RUNTIME__V1__NAMESPACE_MODE__NODE : RUNTIME__V1__NAMESPACE_MODE__POD;
        s->options.pid = (Runtime__V1__NamespaceMode) p->config.pid_mode;
        s->ns.options = &s->options;
        s->linux_status.namespaces = &s->ns;
        s->status.linux = &s->linux_status;

        s->labels = status_labels(p->config.labels, &s->status.n_labels);
        s->annotations = status_annotations(p->config.annotations, &s->status.n_annotations);
        if (!s->labels || !s->annotations)
                return -ENOMEM;
        s->status.labels = s->labels;
        s->status.annotations = s->annotations;
        return 0;
}

void cri_pod_status_done(CriPodStatus *s) {
        free(s->labels);
        free(s->annotations);
        free(s->ips);
        free(s->ip_pointers);
        *s = (CriPodStatus) {};
}

int cri_pod_status(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        Runtime__V1__PodSandboxStatusRequest *req;
        Runtime__V1__PodSandboxStatusResponse reply = RUNTIME__V1__POD_SANDBOX_STATUS_RESPONSE__INIT;
        _cleanup_(cri_pod_status_done) CriPodStatus status = {};
        Runtime__V1__PodSandboxStatusResponse__InfoEntry info = RUNTIME__V1__POD_SANDBOX_STATUS_RESPONSE__INFO_ENTRY__INIT;
        Runtime__V1__PodSandboxStatusResponse__InfoEntry *infos[] = { &info };
        _cleanup_free_ char *json = NULL;
        struct timespec ts;
        Pod *p;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__pod_sandbox_status_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__PodSandboxStatusRequest *) msg;
        if (find_or_not_found(call, m, req->pod_sandbox_id, &p) <= 0)
                return 0;

        r = cri_pod_status_fill(&status, p);
        if (r < 0)
                return r;
        reply.status = &status.status;

        if (req->verbose) {
                r = pod_info_to_json(p, &json);
                if (r < 0)
                        return r;
                info.key = (char *) "info";
                info.value = json;
                reply.n_info = 1;
                reply.info = infos;
        }
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        reply.timestamp = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
        return cri_call_reply(call, &reply.base);
}

/* ListPodSandbox, StreamPodSandboxes */

typedef struct CriSandbox {
        Runtime__V1__PodSandbox sandbox;
        Runtime__V1__PodSandboxMetadata metadata;
        Runtime__V1__PodSandbox__LabelsEntry **labels;
        Runtime__V1__PodSandbox__AnnotationsEntry **annotations;
} CriSandbox;

static bool filter_match(const Pod *p, const Runtime__V1__PodSandboxFilter *f, char *const *selector) {
        if (!f)
                return true;
        if (f->id && *f->id && strncmp(p->id, f->id, strlen(f->id)) != 0)
                return false;
        if (f->state && state_to_proto(p->state) != f->state->state)
                return false;
        return pod_labels_match(p->config.labels, selector);
}

#define CRI_POD_STREAM_BATCH 100

static int list_reply(GrpcCall *call, Manager *m, const Runtime__V1__PodSandboxFilter *filter, bool stream) {
        _cleanup_free_ Pod **pods = NULL;
        _cleanup_free_ CriSandbox *items = NULL;
        _cleanup_free_ Runtime__V1__PodSandbox **pointers = NULL;
        _cleanup_strv_free_ char **selector = NULL;
        size_t n_pods, n = 0;
        int r;

        if (filter) {
                r = pairs_from_entries((void *const *) filter->label_selector, filter->n_label_selector, &selector);
                if (r < 0)
                        return r;
        }
        r = pod_store_list(m->pods, &pods, &n_pods);
        if (r < 0)
                return r;
        items = calloc(MAX(n_pods, 1U), sizeof(CriSandbox));
        pointers = calloc(MAX(n_pods, 1U), sizeof(Runtime__V1__PodSandbox *));
        if (!items || !pointers)
                return -ENOMEM;
        for (size_t i = 0; i < n_pods; i++) {
                Pod *p = pods[i];
                CriSandbox *s = &items[n];

                if (!filter_match(p, filter, selector))
                        continue;
                s->sandbox = (Runtime__V1__PodSandbox) RUNTIME__V1__POD_SANDBOX__INIT;
                s->metadata = (Runtime__V1__PodSandboxMetadata) RUNTIME__V1__POD_SANDBOX_METADATA__INIT;
                fill_metadata(&s->metadata, p);
                s->sandbox.id = p->id;
                s->sandbox.metadata = &s->metadata;
                s->sandbox.state = state_to_proto(p->state);
                s->sandbox.created_at = p->created_at;
                s->sandbox.runtime_handler = p->runtime_handler;
                s->labels = sandbox_labels(p->config.labels, &s->sandbox.n_labels);
                s->annotations = sandbox_annotations(p->config.annotations, &s->sandbox.n_annotations);
                s->sandbox.labels = s->labels;
                s->sandbox.annotations = s->annotations;
                pointers[n++] = &s->sandbox;
                if (!s->labels || !s->annotations) {
                        r = -ENOMEM;
                        break;
                }
        }

        if (r >= 0 && !stream) {
                Runtime__V1__ListPodSandboxResponse reply = RUNTIME__V1__LIST_POD_SANDBOX_RESPONSE__INIT;

                reply.n_items = n;
                reply.items = pointers;
                r = cri_call_reply(call, &reply.base);
        } else if (r >= 0) {
                for (size_t i = 0; i < n && r >= 0; i += CRI_POD_STREAM_BATCH) {
                        Runtime__V1__StreamPodSandboxesResponse reply = RUNTIME__V1__STREAM_POD_SANDBOXES_RESPONSE__INIT;

                        reply.n_pod_sandboxes = MIN(n - i, (size_t) CRI_POD_STREAM_BATCH);
                        reply.pod_sandboxes = pointers + i;
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

int cri_pod_list(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__list_pod_sandbox_request__descriptor, message, size);
        if (!msg)
                return 0;
        return list_reply(call, userdata, ((Runtime__V1__ListPodSandboxRequest *) msg)->filter, false);
}

int cri_pod_stream(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__stream_pod_sandboxes_request__descriptor, message, size);
        if (!msg)
                return 0;
        return list_reply(call, userdata, ((Runtime__V1__StreamPodSandboxesRequest *) msg)->filter, true);
}

/* UpdatePodSandboxResources */

typedef struct CriUpdate {
        GrpcCall *call;
        Pod *pod;
        SystemdRequest *request;
        PodResources resources, overhead;
        bool has_resources, has_overhead;
} CriUpdate;

static void cri_update_free(CriUpdate *u) {
        systemd_request_free(u->request);
        grpc_call_unref(u->call);
        pod_unref(u->pod);
        pod_resources_done(&u->resources);
        pod_resources_done(&u->overhead);
        free(u);
}

static void on_update_cancelled(GrpcCall *call, void *userdata) {
        cri_update_free(userdata);
}

static void on_update_done(int r, const char *result, void *userdata) {
        CriUpdate *u = userdata;
        Pod *p = u->pod;
        _unused_ _cleanup_(systemd_request_freep) SystemdRequest *request = TAKE_PTR(u->request);

        grpc_call_set_cancel_handler(u->call, NULL, NULL);
        if (r < 0)
                (void) grpc_call_finishf(u->call, GRPC_STATUS_UNKNOWN, "updating slice %s of pod %s: %s", p->slice,
                                         p->id, strerror(-r));
        else {
                Runtime__V1__UpdatePodSandboxResourcesResponse reply =
                        RUNTIME__V1__UPDATE_POD_SANDBOX_RESOURCES_RESPONSE__INIT;

                /* Kept for the status and the next update. */
                if (u->has_resources) {
                        pod_resources_done(&p->config.resources);
                        p->config.resources = u->resources;
                        u->resources = (PodResources) {};
                        p->config.has_resources = true;
                }
                if (u->has_overhead) {
                        pod_resources_done(&p->config.overhead);
                        p->config.overhead = u->overhead;
                        u->overhead = (PodResources) {};
                        p->config.has_overhead = true;
                }
                log_pod(p, LOG_INFO, "Updated the resources of pod %s.", p->name);
                if (cri_call_reply(u->call, &reply.base) < 0)
                        (void) grpc_call_finish(u->call, GRPC_STATUS_INTERNAL, "out of memory");
        }
        cri_update_free(u);
}

int cri_pod_update_resources(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        _cleanup_(unit_property_list_freep) UnitPropertyList *properties = NULL;
        Runtime__V1__UpdatePodSandboxResourcesRequest *req;
        CriUpdate *u;
        Pod *p;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__update_pod_sandbox_resources_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__UpdatePodSandboxResourcesRequest *) msg;
        if (find_or_not_found(call, m, req->pod_sandbox_id, &p) <= 0)
                return 0;
        if (!m->systemd)
                return grpc_call_finish(call, GRPC_STATUS_UNAVAILABLE, "crio has no connection to systemd");

        u = calloc(1, sizeof(CriUpdate));
        if (!u)
                return -ENOMEM;
        u->pod = pod_ref(p);
        u->call = grpc_call_ref(call);
        r = 0;
        if (req->resources) {
                u->has_resources = true;
                r = resources_from_proto(req->resources, &u->resources);
        } else if (p->config.has_resources)
                r = pod_resources_copy(&p->config.resources, &u->resources);
        if (r >= 0 && req->overhead) {
                u->has_overhead = true;
                r = resources_from_proto(req->overhead, &u->overhead);
        } else if (r >= 0 && p->config.has_overhead)
                r = pod_resources_copy(&p->config.overhead, &u->overhead);
        if (r >= 0)
                r = pod_slice_properties(p, &u->resources, &u->overhead, /* with_accounting= */ false, &properties);
        if (r >= 0)
                r = systemd_client_set_unit_properties(m->systemd, p->slice, /* runtime= */ true, properties,
                                                       on_update_done, u, &u->request);
        if (r < 0) {
                cri_update_free(u);
                return r;
        }
        grpc_call_set_cancel_handler(call, on_update_cancelled, u);
        return 0;
}

/* PodSandboxStats, ListPodSandboxStats */

typedef struct CriStats {
        Runtime__V1__PodSandboxStats stats;
        Runtime__V1__PodSandboxAttributes attributes;
        Runtime__V1__PodSandboxMetadata metadata;
        Runtime__V1__LinuxPodSandboxStats lin;
        Runtime__V1__CpuUsage cpu;
        Runtime__V1__MemoryUsage memory;
        Runtime__V1__ProcessUsage process;
        Runtime__V1__NetworkUsage network;
        Runtime__V1__UInt64Value cpu_usage, memory_usage, memory_working_set, process_count;
        Runtime__V1__NetworkInterfaceUsage *interfaces;
        Runtime__V1__NetworkInterfaceUsage **interface_pointers;
        Runtime__V1__UInt64Value *interface_values;
        Runtime__V1__PodSandboxAttributes__LabelsEntry **labels;
        Runtime__V1__PodSandboxAttributes__AnnotationsEntry **annotations;
        char **interface_names;
        Pod *pod;
        PodStatsRequest *request;
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
                CriStats *s = &c->items[i];

                pod_stats_request_free(s->request);
                free(s->interfaces);
                free(s->interface_pointers);
                free(s->interface_values);
                free(s->labels);
                free(s->annotations);
                strv_free(s->interface_names);
                pod_unref(s->pod);
        }
        free(c->items);
        grpc_call_unref(c->call);
        free(c);
}

static int stats_fill(CriStats *s, const PodStats *in) {
        const Pod *p = s->pod;
        size_t n = in->n_interfaces;

        s->stats = (Runtime__V1__PodSandboxStats) RUNTIME__V1__POD_SANDBOX_STATS__INIT;
        s->attributes = (Runtime__V1__PodSandboxAttributes) RUNTIME__V1__POD_SANDBOX_ATTRIBUTES__INIT;
        s->metadata = (Runtime__V1__PodSandboxMetadata) RUNTIME__V1__POD_SANDBOX_METADATA__INIT;
        s->lin = (Runtime__V1__LinuxPodSandboxStats) RUNTIME__V1__LINUX_POD_SANDBOX_STATS__INIT;
        fill_metadata(&s->metadata, p);
        s->attributes.id = p->id;
        s->attributes.metadata = &s->metadata;
        s->labels = attributes_labels(p->config.labels, &s->attributes.n_labels);
        s->annotations = attributes_annotations(p->config.annotations, &s->attributes.n_annotations);
        if (!s->labels || !s->annotations)
                return -ENOMEM;
        s->attributes.labels = s->labels;
        s->attributes.annotations = s->annotations;
        s->stats.attributes = &s->attributes;
        s->stats.linux = &s->lin;

        if (in->have_cpu) {
                s->cpu = (Runtime__V1__CpuUsage) RUNTIME__V1__CPU_USAGE__INIT;
                s->cpu_usage = (Runtime__V1__UInt64Value) RUNTIME__V1__UINT64_VALUE__INIT;
                s->cpu.timestamp = in->timestamp;
                s->cpu_usage.value = in->cpu_usage_nsec;
                s->cpu.usage_core_nano_seconds = &s->cpu_usage;
                s->lin.cpu = &s->cpu;
        }
        if (in->have_memory) {
                s->memory = (Runtime__V1__MemoryUsage) RUNTIME__V1__MEMORY_USAGE__INIT;
                s->memory_usage = (Runtime__V1__UInt64Value) RUNTIME__V1__UINT64_VALUE__INIT;
                s->memory_working_set = (Runtime__V1__UInt64Value) RUNTIME__V1__UINT64_VALUE__INIT;
                s->memory.timestamp = in->timestamp;
                s->memory_usage.value = s->memory_working_set.value = in->memory_current;
                s->memory.usage_bytes = &s->memory_usage;
                s->memory.working_set_bytes = &s->memory_working_set;
                s->lin.memory = &s->memory;
        }
        if (in->have_tasks) {
                s->process = (Runtime__V1__ProcessUsage) RUNTIME__V1__PROCESS_USAGE__INIT;
                s->process_count = (Runtime__V1__UInt64Value) RUNTIME__V1__UINT64_VALUE__INIT;
                s->process.timestamp = in->timestamp;
                s->process_count.value = in->tasks_current;
                s->process.process_count = &s->process_count;
                s->lin.process = &s->process;
        }
        if (n > 0) {
                s->network = (Runtime__V1__NetworkUsage) RUNTIME__V1__NETWORK_USAGE__INIT;
                s->interfaces = calloc(n, sizeof(Runtime__V1__NetworkInterfaceUsage));
                s->interface_pointers = calloc(n, sizeof(Runtime__V1__NetworkInterfaceUsage *));
                s->interface_values = calloc(4 * n, sizeof(Runtime__V1__UInt64Value));
                s->interface_names = calloc(n + 1, sizeof(char *));
                if (!s->interfaces || !s->interface_pointers || !s->interface_values || !s->interface_names)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        Runtime__V1__NetworkInterfaceUsage *u = &s->interfaces[i];
                        Runtime__V1__UInt64Value *v = &s->interface_values[4 * i];

                        *u = (Runtime__V1__NetworkInterfaceUsage) RUNTIME__V1__NETWORK_INTERFACE_USAGE__INIT;
                        for (size_t k = 0; k < 4; k++)
                                v[k] = (Runtime__V1__UInt64Value) RUNTIME__V1__UINT64_VALUE__INIT;
                        s->interface_names[i] = strdup(in->interfaces[i].name);
                        if (!s->interface_names[i])
                                return -ENOMEM;
                        u->name = s->interface_names[i];
                        v[0].value = in->interfaces[i].rx_bytes;
                        v[1].value = in->interfaces[i].rx_errors;
                        v[2].value = in->interfaces[i].tx_bytes;
                        v[3].value = in->interfaces[i].tx_errors;
                        u->rx_bytes = &v[0];
                        u->rx_errors = &v[1];
                        u->tx_bytes = &v[2];
                        u->tx_errors = &v[3];
                        s->interface_pointers[i] = u;
                        /* kubelet reads the default interface, eth0 in CRI-O. */
                        if (strcmp(u->name, "eth0") == 0 || !s->network.default_interface)
                                s->network.default_interface = u;
                }
                s->network.timestamp = in->timestamp;
                s->network.n_interfaces = n;
                s->network.interfaces = s->interface_pointers;
                s->lin.network = &s->network;
        }
        return 0;
}

static void stats_reply(CriStatsCall *c) {
        _cleanup_free_ Runtime__V1__PodSandboxStats **pointers = NULL;
        size_t n = 0;
        int r;

        grpc_call_set_cancel_handler(c->call, NULL, NULL);
        pointers = calloc(MAX(c->n_items, 1U), sizeof(Runtime__V1__PodSandboxStats *));
        if (!pointers) {
                (void) grpc_call_finish(c->call, GRPC_STATUS_INTERNAL, "out of memory");
                return cri_stats_call_free(c);
        }
        for (size_t i = 0; i < c->n_items; i++)
                if (c->items[i].done)
                        pointers[n++] = &c->items[i].stats;

        if (c->kind == CRI_STATS_LIST) {
                Runtime__V1__ListPodSandboxStatsResponse reply = RUNTIME__V1__LIST_POD_SANDBOX_STATS_RESPONSE__INIT;

                reply.n_stats = n;
                reply.stats = pointers;
                r = cri_call_reply(c->call, &reply.base);
        } else if (c->kind == CRI_STATS_STREAM) {
                /* In batches, as StreamPodSandboxes sends its pods; none at all is a stream of none. */
                r = 0;
                for (size_t i = 0; i < n && r >= 0; i += CRI_POD_STREAM_BATCH) {
                        Runtime__V1__StreamPodSandboxStatsResponse reply =
                                RUNTIME__V1__STREAM_POD_SANDBOX_STATS_RESPONSE__INIT;

                        reply.n_pod_sandbox_stats = MIN(n - i, (size_t) CRI_POD_STREAM_BATCH);
                        reply.pod_sandbox_stats = pointers + i;
                        r = cri_call_send(c->call, &reply.base);
                }
                if (r >= 0)
                        r = grpc_call_finish(c->call, GRPC_STATUS_OK, NULL);
        } else if (n == 0)
                r = grpc_call_finishf(c->call, GRPC_STATUS_UNKNOWN, "reading the accounting of pod %s failed",
                                      c->items[0].pod->id);
        else {
                Runtime__V1__PodSandboxStatsResponse reply = RUNTIME__V1__POD_SANDBOX_STATS_RESPONSE__INIT;

                reply.stats = pointers[0];
                r = cri_call_reply(c->call, &reply.base);
        }
        if (r < 0)
                (void) grpc_call_finish(c->call, GRPC_STATUS_INTERNAL, "out of memory");
        cri_stats_call_free(c);
}

static void on_stats(Pod *p, int r, const PodStats *stats, void *userdata) {
        CriStatsCall *c = userdata;

        for (size_t i = 0; i < c->n_items; i++) {
                CriStats *s = &c->items[i];

                if (s->pod != p || !s->request)
                        continue;
                /* stats lives in the request: used before the request goes. */
                if (r >= 0)
                        s->done = stats_fill(s, stats) >= 0;
                else
                        log_pod_errno(p, LOG_DEBUG, r, "Failed to read the accounting of pod %s: %m", p->id);
                s->request = pod_stats_request_free(s->request);
                break;
        }
        if (--c->n_pending == 0)
                stats_reply(c);
}

static void on_stats_cancelled(GrpcCall *call, void *userdata) {
        cri_stats_call_free(userdata);
}

static int stats_start(GrpcCall *call, Pod **pods, size_t n, CriStatsKind kind) {
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
                c->items[i].pod = pod_ref(pods[i]);
                c->n_items++;
        }
        /* Counted up front, so a request that completes at once cannot reply early. */
        c->n_pending = 1;
        for (size_t i = 0; i < n; i++) {
                r = pod_stats_collect(pods[i], on_stats, c, &c->items[i].request);
                if (r < 0)
                        log_pod_errno(pods[i], LOG_DEBUG, r, "Failed to read the accounting of pod %s: %m", pods[i]->id);
                else
                        c->n_pending++;
        }
        grpc_call_set_cancel_handler(call, on_stats_cancelled, c);
        if (--c->n_pending == 0)
                stats_reply(c);
        return 0;
}

int cri_pod_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        Pod *p;

        msg = cri_call_unpack(call, &runtime__v1__pod_sandbox_stats_request__descriptor, message, size);
        if (!msg)
                return 0;
        if (find_or_not_found(call, m, ((Runtime__V1__PodSandboxStatsRequest *) msg)->pod_sandbox_id, &p) <= 0)
                return 0;
        return stats_start(call, &p, 1, CRI_STATS_ONE);
}

static int list_stats(GrpcCall *call, Manager *m, const Runtime__V1__PodSandboxStatsFilter *f, CriStatsKind kind) {
        _cleanup_free_ Pod **pods = NULL;
        _cleanup_strv_free_ char **selector = NULL;
        size_t n_pods, n = 0;
        int r;

        if (f) {
                r = pairs_from_entries((void *const *) f->label_selector, f->n_label_selector, &selector);
                if (r < 0)
                        return r;
        }
        r = pod_store_list(m->pods, &pods, &n_pods);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_pods; i++) {
                Pod *p = pods[i];

                /* Stats are of running pods, as CRI-O lists them. */
                if (p->state != POD_STATE_READY)
                        continue;
                if (f && f->id && *f->id && strncmp(p->id, f->id, strlen(f->id)) != 0)
                        continue;
                if (!pod_labels_match(p->config.labels, selector))
                        continue;
                pods[n++] = p;
        }
        return stats_start(call, pods, n, kind);
}

int cri_pod_list_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__list_pod_sandbox_stats_request__descriptor, message, size);
        if (!msg)
                return 0;
        return list_stats(call, userdata, ((Runtime__V1__ListPodSandboxStatsRequest *) msg)->filter, CRI_STATS_LIST);
}

int cri_pod_stream_stats(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;

        msg = cri_call_unpack(call, &runtime__v1__stream_pod_sandbox_stats_request__descriptor, message, size);
        if (!msg)
                return 0;
        return list_stats(call, userdata, ((Runtime__V1__StreamPodSandboxStatsRequest *) msg)->filter,
                          CRI_STATS_STREAM);
}
