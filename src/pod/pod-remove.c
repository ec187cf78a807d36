/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "container-events.h"
#include "container-manager.h"
#include "log.h"
#include "manager.h"
#include "pod-dbus.h"
#include "pod-files.h"
#include "pod-namespaces.h"
#include "pod-network.h"
#include "pod-operation.h"
#include "pod-store.h"
#include "pod-state.h"
#include "systemd-manager.h"

/* RemovePodSandbox: removes the pod's containers, stops the pod if it is not stopped yet, unpins
 * its namespaces, stops the slice if crio started it, deletes its directory and forgets it. */
enum {
        REMOVE_STEP_CONTAINERS, /* async */
        REMOVE_STEP_INFRA,      /* async */
        REMOVE_STEP_NETWORK,    /* async */
        REMOVE_STEP_NAMESPACES,
        REMOVE_STEP_SLICE,      /* async */
        REMOVE_STEP_DONE,
};

static void on_network_deleted(CniOperation *cni, int r, void *userdata) {
        PodOperation *op = userdata;
        Pod *p = op->pod;

        if (r < 0)
                (void) pod_operation_fail(op, r, "tearing down the network of pod %s: %s", p->name,
                                          cni_operation_get_error_message(cni) ?: strerror(-r));
        else
                p->network_up = false;
        op->cni_operation = cni_operation_free(op->cni_operation);
        pod_remove_next(op);
}

static void on_slice_stopped(int r, const char *result, void *userdata) {
        PodOperation *op = userdata;
        Pod *p = op->pod;
        _unused_ _cleanup_(systemd_request_freep) SystemdRequest *request = TAKE_PTR(op->systemd_request);

        /* The slice may be gone already (an administrator stopped it): that is the goal anyway. */
        if (r < 0 && r != -ENOENT)
                log_pod_errno(p, LOG_WARNING, r, "Failed to stop slice %s, ignoring: %m", p->slice);
        pod_remove_next(op);
}

static void on_containers_removed(Pod *p, int r, void *userdata) {
        PodOperation *op = userdata;

        if (r < 0)
                (void) pod_operation_fail(op, r, "removing the containers of pod %s: %s", p->name, strerror(-r));
        pod_remove_next(op);
}

static void on_infra_removed(Container *c, int r, const char *error, void *userdata) {
        PodOperation *op = userdata;
        Pod *p = op->pod;

        if (r < 0)
                (void) pod_operation_fail(op, r, "removing the infra container of pod %s: %s", p->name,
                                          error ?: strerror(-r));
        else
                p->infra = container_unref(p->infra);
        pod_remove_next(op);
}

void pod_remove_next(PodOperation *op) {
        Pod *p = op->pod;
        int r;

        /* A failed network teardown keeps the pod, so that kubelet's retry tries again. */
        if (op->error < 0)
                return pod_operation_finish(op, op->error);

        for (;;)
                switch (op->step++) {
                case REMOVE_STEP_CONTAINERS:
                        if (pod_containers_stop(p, /* remove= */ true, on_containers_removed, op) >= 0)
                                return;
                        break;
                case REMOVE_STEP_INFRA:
                        if (p->infra && container_remove(p->infra, on_infra_removed, op) >= 0)
                                return;
                        break;
                case REMOVE_STEP_NETWORK:
                        if (pod_stop_network(op, on_network_deleted) != 0)
                                return;
                        if (p->state != POD_STATE_NOTREADY) {
                                p->state = POD_STATE_NOTREADY;
                                (void) pod_state_save(p);
                                (void) pod_dbus_send_changed(p, "State", NULL);
                        }
                        break;
                case REMOVE_STEP_NAMESPACES:
                        p->slice_watch = unit_watch_free(p->slice_watch);
                        (void) pod_namespace_unpin(p->netns_path);
                        (void) pod_namespace_unpin(p->ipcns_path);
                        (void) pod_namespace_unpin(p->utsns_path);
                        break;
                case REMOVE_STEP_SLICE:
                        if (!p->slice_created)
                                break;
                        r = systemd_client_stop_unit(p->manager->systemd, p->slice, NULL, on_slice_stopped, op,
                                                     &op->systemd_request);
                        if (r >= 0)
                                return;
                        log_pod_errno(p, LOG_WARNING, r, "Failed to stop slice %s, ignoring: %m", p->slice);
                        break;
                default:
                        (void) pod_files_remove(p);
                        log_pod(p, LOG_INFO, "Removed pod sandbox %s (%s).", p->name, p->id);
                        /* Sent while the pod is still findable: InterfacesRemoved lists its interfaces. */
                        (void) pod_dbus_send_removed(p);
                        container_events_publish_pod(p, CONTAINER_EVENT_DELETED);
                        pod_store_remove(p->manager->pods, p);
                        return pod_operation_finish(op, 0);
                }
}

int pod_remove(Pod *p, PodOperationCallback callback, void *userdata, PodOperation **ret) {
        PodOperation *op;
        int r;

        r = pod_operation_new(p, POD_OPERATION_REMOVE, callback, userdata, &op);
        if (r < 0)
                return r;
        if (ret)
                *ret = op;
        pod_operation_enqueue(op);
        return 0;
}
