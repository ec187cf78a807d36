/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "cni-watch.h"
#include "config.h"
#include "container-events.h"
#include "container-manager.h"
#include "image-pull.h"
#include "log.h"
#include "manager.h"
#include "pod-files.h"
#include "pod-namespaces.h"
#include "pod-network.h"
#include "pod-dbus.h"
#include "pod-operation.h"
#include "pod-slice.h"
#include "pod-state.h"
#include "pod-store.h"
#include "systemd-manager.h"

/* RunPodSandbox, step by step. Each step that makes something is undone by the rollback, in
 * reverse, when a later one fails or the caller goes away; the record in the pod's directory
 * (written before each step) lets the next start of crio undo a run that crio died in. */
enum {
        RUN_STEP_DIR,
        RUN_STEP_SLICE,         /* sent here, waited for below */
        RUN_STEP_NAMESPACES,
        RUN_STEP_FILES,
        RUN_STEP_LOG_DIRECTORY,
        RUN_STEP_NETWORK,       /* sent here: CNI needs the netns, not the slice */
        RUN_STEP_WAIT_SLICE,
        RUN_STEP_WAIT_NETWORK,
        RUN_STEP_INFRA_IMAGE,   /* the steps of a pod that needs an infra container: async */
        RUN_STEP_INFRA_CREATE,
        RUN_STEP_INFRA_START,
        RUN_STEP_WAIT_INFRA,
        RUN_STEP_WATCH,
        RUN_STEP_DONE,
};

enum {
        ROLLBACK_INFRA,         /* async */
        ROLLBACK_NETWORK,       /* async */
        ROLLBACK_NAMESPACES,
        ROLLBACK_SLICE,         /* async */
        ROLLBACK_DONE,
};

static void rollback_next(PodOperation *op);

static void on_slice_started(int r, const char *result, void *userdata) {
        PodOperation *op = userdata;
        Pod *p = op->pod;
        /* result belongs to the request: it is freed on the way out, after the last use. */
        _unused_ _cleanup_(systemd_request_freep) SystemdRequest *request = TAKE_PTR(op->systemd_request);

        if (r == -EEXIST) {
                /* kubelet's slice (or one left by an earlier attempt): used as it is. */
                log_pod(p, LOG_DEBUG, "Slice %s exists already, using it.", p->slice);
                r = 0;
        } else if (r >= 0 && !p->slice_created) {
                p->slice_created = true;
                (void) pod_record_append(p, "slice_created", "1");
        }
        if (r < 0)
                (void) pod_operation_fail(op, r, "starting slice %s: %s", p->slice,
                                          result ? result : strerror(-r));
        /* Other steps ran while systemd worked: go on only if the steps wait. */
        if (op->waiting)
                pod_run_next(op);
}

static int run_start_slice(PodOperation *op) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *properties = NULL;
        _cleanup_free_ char *own = NULL, *description = NULL;
        Pod *p = op->pod;
        int r;

        r = pod_slice_properties(p, p->config.has_resources ? &p->config.resources : NULL,
                                 p->config.has_overhead ? &p->config.overhead : NULL,
                                 /* with_accounting= */ true, &properties);
        if (r < 0)
                return pod_operation_fail(op, r, "building slice properties: %s", strerror(-r));

        r = pod_record_append(p, "slice", p->slice);
        if (r < 0)
                return pod_operation_fail(op, r, "recording the pod: %s", strerror(-r));
        /* Our own slice is ours to stop even when the start is cut off half-way. */
        r = pod_slice_name(NULL, p->id, &own);
        if (r < 0)
                return pod_operation_fail(op, r, NULL);
        if (strcmp(own, p->slice) == 0)
                p->slice_created = true;

        r = pod_slice_description(p, &description);
        if (r < 0)
                return pod_operation_fail(op, r, NULL);
        r = systemd_client_start_transient_slice(p->manager->systemd, p->slice, description, properties,
                                                 on_slice_started, op, &op->systemd_request);
        if (r < 0)
                return pod_operation_fail(op, r, "starting slice %s: %s", p->slice, strerror(-r));
        return 1;
}

static int run_pin_namespaces(PodOperation *op) {
        Pod *p = op->pod;
        char *paths[_POD_NAMESPACE_TYPE_MAX] = {};
        _cleanup_free_ char *error = NULL;
        PodNamespacesRequest req = {
                .namespaces_dir = p->manager->config->namespaces_dir,
                .name = p->id,
                .pin = {
                        [POD_NAMESPACE_NET] = !pod_is_host_network(p),
                        [POD_NAMESPACE_IPC] = !pod_is_host_ipc(p),
                        /* Host network pods share the host's hostname too, as kubelet expects. */
                        [POD_NAMESPACE_UTS] = !pod_is_host_network(p),
                },
                .hostname = p->config.hostname && *p->config.hostname ? p->config.hostname : NULL,
                .sysctls = op->sysctls,
                .n_sysctls = op->n_sysctls,
        };
        int r;

        r = pod_namespaces_pin(&req, paths, &error);
        if (r < 0)
                return pod_operation_fail(op, r, "%s", error ?: strerror(-r));
        p->netns_path = paths[POD_NAMESPACE_NET];
        p->ipcns_path = paths[POD_NAMESPACE_IPC];
        p->utsns_path = paths[POD_NAMESPACE_UTS];
        return 0;
}

static void on_network_added(CniOperation *cni, int r, void *userdata) {
        PodOperation *op = userdata;
        Pod *p = op->pod;

        if (r < 0)
                /* cni_exec_add() already ran DEL for the plugins it started. */
                (void) pod_operation_fail(op, r, "setting up the pod network: %s",
                                          cni_operation_get_error_message(cni) ?: strerror(-r));
        else {
                p->network_up = true;
                r = pod_network_take_result(p, cni);
                if (r < 0)
                        (void) pod_operation_fail(op, r, "reading the CNI result: %s", strerror(-r));
        }
        op->cni_operation = cni_operation_free(op->cni_operation);
        if (op->waiting)
                pod_run_next(op);
}

static int run_network(PodOperation *op) {
        Pod *p = op->pod;
        int r;

        if (pod_is_host_network(p))
                return 0;
        if (!p->manager->cni_watch || !cni_watch_get_network(p->manager->cni_watch))
                return pod_operation_fail(op, -ENETDOWN, "network plugin is not ready: %s",
                                          p->manager->cni_watch ? cni_watch_get_reason(p->manager->cni_watch) :
                                          "CNI is not set up");
        r = pod_record_append(p, "network", cni_watch_get_network(p->manager->cni_watch)->name);
        if (r < 0)
                return pod_operation_fail(op, r, "recording the pod: %s", strerror(-r));
        r = pod_network_add(p, on_network_added, op, &op->cni_operation);
        if (r < 0)
                return pod_operation_fail(op, r, "setting up the pod network: %s", strerror(-r));
        return 1;
}

static void on_pause_image_pulled(int error, const char *message, const ImageRecord *image, void *userdata) {
        PodOperation *op = userdata;

        op->pull_waiter = NULL;
        op->infra_pending = false;
        if (error < 0)
                (void) pod_operation_fail(op, error, "pulling the pause image %s: %s",
                                          op->pod->manager->config->pause_image, message ?: strerror(-error));
        if (op->waiting)
                pod_run_next(op);
}

/* The pause image, pulled when it is missing, as CRI-O does, with pause_image_auth_file's credentials. */
static int run_infra_image(PodOperation *op) {
        Manager *m = op->pod->manager;
        const char *image = m->config->pause_image, *auth_file = m->config->pause_image_auth_file;
        _cleanup_(registry_credentials_freep) RegistryCredentials *credentials = NULL;
        _cleanup_(reference_freep) Reference *ref = NULL;
        ImageRecord *record;
        int r;

        if (!m->image_puller)
                return pod_operation_fail(op, -ENXIO, "crio has no image store for the pause image");
        r = image_puller_find(m->image_puller, image, &record);
        if (r >= 0)
                return 0;
        if (r != -ENOENT)
                return pod_operation_fail(op, r, "looking up the pause image %s: %s", image, strerror(-r));
        if (auth_file && *auth_file && reference_parse(image, &ref, NULL) >= 0) {
                r = auth_file_lookup(auth_file, ref, &credentials);
                if (r < 0)
                        log_pod_errno(op->pod, LOG_WARNING, r, "Failed to read %s, pulling %s without it: %m",
                                      auth_file, image);
        }
        log_pod(op->pod, LOG_INFO, "Pulling the pause image %s.", image);
        r = image_puller_pull(m->image_puller, image, credentials, on_pause_image_pulled, op, &op->pull_waiter);
        if (r < 0)
                return pod_operation_fail(op, r, "pulling the pause image %s: %s", image, strerror(-r));
        op->infra_pending = true;
        return 1;
}

static void on_infra_created(Container *c, int r, const char *error, void *userdata) {
        PodOperation *op = userdata;
        Pod *p = op->pod;

        op->infra_pending = false;
        if (r < 0) {
                /* The create undid itself. */
                p->infra = container_unref(p->infra);
                (void) pod_operation_fail(op, r, "%s", error ?: strerror(-r));
        }
        if (op->waiting)
                pod_run_next(op);
}

static int run_infra_create(PodOperation *op) {
        Pod *p = op->pod;
        _cleanup_free_ char *error = NULL;
        int r;

        r = container_create_infra(p->manager, p, on_infra_created, op, &p->infra, &error);
        if (r < 0)
                return pod_operation_fail(op, r, "creating the infra container: %s", error ?: strerror(-r));
        op->infra_pending = true;
        return 1;
}

static void on_infra_started(Container *c, int r, const char *error, void *userdata) {
        PodOperation *op = userdata;

        op->infra_pending = false;
        if (r < 0)
                (void) pod_operation_fail(op, r, "%s", error ?: strerror(-r));
        if (op->waiting)
                pod_run_next(op);
}

void pod_infra_exited(Pod *p) {
        if (p->state != POD_STATE_READY)
                return;
        log_pod(p, LOG_WARNING, "The infra container of pod %s exited, the pod is not ready.", p->name);
        p->state = POD_STATE_NOTREADY;
        (void) pod_state_save(p);
        (void) pod_dbus_send_changed(p, "State", NULL);
}

void pod_run_next(PodOperation *op) {
        Pod *p = op->pod;
        int r;

        op->waiting = false;
        for (;;) {
                if (op->error < 0 && !op->rolling_back) {
                        log_pod_errno(p, LOG_WARNING, op->error, "Failed to run pod %s, rolling back: %s",
                                      p->name, op->error_message ?: strerror(-op->error));
                        op->rolling_back = true;
                        op->step = 0;
                }
                if (op->rolling_back)
                        return rollback_next(op);

                switch (op->step++) {
                case RUN_STEP_DIR:
                        r = pod_files_create_dir(p, POD_RUN_DIR);
                        if (r < 0)
                                r = pod_operation_fail(op, r, "creating the pod directory: %s", strerror(-r));
                        break;
                case RUN_STEP_SLICE:
                        /* Failures are kept in op and seen at the top of the loop. */
                        (void) run_start_slice(op);
                        break;
                case RUN_STEP_WAIT_SLICE:
                case RUN_STEP_WAIT_NETWORK:
                        /* Either call's callback brings us back here to look again. */
                        if (op->step - 1 == RUN_STEP_WAIT_SLICE ? !!op->systemd_request : !!op->cni_operation) {
                                op->step--;
                                op->waiting = true;
                                return;
                        }
                        break;
                case RUN_STEP_INFRA_IMAGE:
                case RUN_STEP_INFRA_CREATE:
                case RUN_STEP_INFRA_START:
                case RUN_STEP_WAIT_INFRA:
                        /* Each step waits for the one before it. */
                        if (op->infra_pending) {
                                op->step--;
                                op->waiting = true;
                                return;
                        }
                        if (!pod_needs_infra(p, p->manager->config->drop_infra_ctr))
                                break;
                        if (op->step - 1 == RUN_STEP_INFRA_IMAGE)
                                (void) run_infra_image(op);
                        else if (op->step - 1 == RUN_STEP_INFRA_CREATE)
                                (void) run_infra_create(op);
                        else if (op->step - 1 == RUN_STEP_INFRA_START) {
                                r = container_start(p->infra, on_infra_started, op);
                                if (r < 0)
                                        (void) pod_operation_fail(op, r, "starting the infra container: %s",
                                                                  strerror(-r));
                                else
                                        op->infra_pending = true;
                        } else if (p->infra->state != CONTAINER_STATE_RUNNING)
                                /* pause_command missing from the image, or gone at once. */
                                (void) pod_operation_fail(op, -ESRCH, "the infra container of pod %s exited "
                                                          "right after its start (exit code %d)", p->name,
                                                          p->infra->exit_code);
                        break;
                case RUN_STEP_WATCH:
                        r = pod_slice_watch(p);
                        if (r < 0)
                                log_pod_errno(p, LOG_WARNING, r, "Failed to watch slice %s, ignoring: %m", p->slice);
                        break;
                case RUN_STEP_NAMESPACES:
                        (void) run_pin_namespaces(op);
                        break;
                case RUN_STEP_FILES: {
                        _cleanup_free_ char *error = NULL;

                        r = pod_files_setup(p, &error);
                        if (r < 0)
                                r = pod_operation_fail(op, r, "%s", error ?: strerror(-r));
                        break;
                }
                case RUN_STEP_LOG_DIRECTORY:
                        if (p->config.log_directory && *p->config.log_directory) {
                                r = mkdir_p(p->config.log_directory, 0700);
                                if (r < 0)
                                        r = pod_operation_fail(op, r, "creating log directory %s: %s",
                                                               p->config.log_directory, strerror(-r));
                        }
                        break;
                case RUN_STEP_NETWORK:
                        (void) run_network(op);
                        break;
                default:
                        p->state = POD_STATE_READY;
                        log_pod(p, LOG_INFO, "Ran pod sandbox %s (%s) in %s%s%s.", p->name, p->id, p->slice,
                                p->ips && p->ips[0] ? ", IP " : "", p->ips && p->ips[0] ? p->ips[0] : "");
                        /* Recorded whole, then visible from here on, to CRI and D-Bus alike. */
                        (void) pod_state_save(p);
                        /* A run whose caller went away stays hidden until kubelet's retry takes it. */
                        (void) pod_dbus_send_new(p);
                        container_events_publish_pod(p, CONTAINER_EVENT_CREATED);
                        container_events_publish_pod(p, CONTAINER_EVENT_STARTED);
                        return pod_operation_finish(op, 0);
                }
        }
}

static void on_rollback_network(CniOperation *cni, int r, void *userdata) {
        PodOperation *op = userdata;
        Pod *p = op->pod;

        if (r < 0)
                log_pod_errno(p, LOG_WARNING, r, "Failed to tear down the network of pod %s, ignoring: %s",
                              p->name, cni_operation_get_error_message(cni) ?: strerror(-r));
        else
                p->network_up = false;
        op->cni_operation = cni_operation_free(op->cni_operation);
        rollback_next(op);
}

static void on_rollback_slice(int r, const char *result, void *userdata) {
        PodOperation *op = userdata;
        Pod *p = op->pod;
        _unused_ _cleanup_(systemd_request_freep) SystemdRequest *request = TAKE_PTR(op->systemd_request);

        if (r < 0 && r != -ENOENT)
                log_pod_errno(p, LOG_WARNING, r, "Failed to stop slice %s, ignoring: %m", p->slice);
        rollback_next(op);
}

static void on_rollback_infra(Container *c, int r, const char *error, void *userdata) {
        PodOperation *op = userdata;
        Pod *p = op->pod;

        if (r < 0)
                log_pod_errno(p, LOG_WARNING, r, "Failed to remove the infra container of pod %s, ignoring: %s",
                              p->name, error ?: strerror(-r));
        p->infra = container_unref(p->infra);
        rollback_next(op);
}

static void rollback_next(PodOperation *op) {
        Pod *p = op->pod;
        int r;

        for (;;)
                switch (op->step++) {
                case ROLLBACK_INFRA:
                        op->pull_waiter = image_pull_waiter_cancel(op->pull_waiter);
                        /* A create or start under way: what it made is known at its end. */
                        if (op->infra_pending && p->infra) {
                                op->step--;
                                op->waiting = true;
                                return;
                        }
                        op->infra_pending = false;
                        if (!p->infra)
                                break;
                        r = container_remove(p->infra, on_rollback_infra, op);
                        if (r >= 0)
                                return;
                        log_pod_errno(p, LOG_WARNING, r, "Failed to remove the infra container of pod %s, ignoring: %m",
                                      p->name);
                        p->infra = container_unref(p->infra);
                        break;
                case ROLLBACK_NETWORK:
                        if (op->cni_operation) {
                                /* An ADD still under way is cut off; DEL undoes what it did. */
                                op->cni_operation = cni_operation_free(op->cni_operation);
                                p->network_up = true;
                        }
                        if (!p->network_up || !p->network_name)
                                break;
                        r = pod_network_del(p, on_rollback_network, op, &op->cni_operation);
                        if (r >= 0)
                                return;
                        log_pod_errno(p, LOG_WARNING, r, "Failed to tear down the network of pod %s, ignoring: %m",
                                      p->name);
                        break;
                case ROLLBACK_NAMESPACES:
                        p->slice_watch = unit_watch_free(p->slice_watch);
                        (void) pod_namespace_unpin(p->netns_path);
                        (void) pod_namespace_unpin(p->ipcns_path);
                        (void) pod_namespace_unpin(p->utsns_path);
                        break;
                case ROLLBACK_SLICE:
                        /* A start still under way: whether it made the slice is known at its end. */
                        if (op->systemd_request) {
                                op->step--;
                                op->waiting = true;
                                return;
                        }
                        if (!p->slice_created)
                                break;
                        r = systemd_client_stop_unit(p->manager->systemd, p->slice, NULL, on_rollback_slice, op,
                                                     &op->systemd_request);
                        if (r >= 0)
                                return;
                        log_pod_errno(p, LOG_WARNING, r, "Failed to stop slice %s, ignoring: %m", p->slice);
                        break;
                default:
                        /* Last: the directory holds the record of what to undo. */
                        (void) pod_files_remove(p);
                        pod_store_remove(p->manager->pods, p);
                        return pod_operation_finish(op, 0);
                }
}

int pod_run(Pod *p, PodSysctl *sysctls, size_t n_sysctls, PodOperationCallback callback, void *userdata,
            PodOperation **ret) {
        PodOperation *op;
        int r;

        r = pod_operation_new(p, POD_OPERATION_RUN, callback, userdata, &op);
        if (r < 0)
                return r;
        op->sysctls = sysctls;
        op->n_sysctls = n_sysctls;
        if (ret)
                *ret = op;
        pod_operation_enqueue(op);
        return 0;
}
