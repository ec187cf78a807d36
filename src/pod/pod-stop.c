/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "container-events.h"
#include "container-manager.h"
#include "log.h"
#include "manager.h"
#include "pod-dbus.h"
#include "pod-network.h"
#include "pod-operation.h"
#include "pod-state.h"

/* StopPodSandbox: the pod's containers stop (container-manager.c), its network is torn down; the
 * pod stays, NOTREADY, with its namespaces, until it is removed. A second stop finds nothing left to do. */
enum {
        STOP_STEP_CONTAINERS,   /* async */
        STOP_STEP_INFRA,        /* async: after the containers, as CRI-O */
        STOP_STEP_NETWORK,      /* async */
        STOP_STEP_DONE,
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
        pod_stop_next(op);
}

/* The steps shared with remove: 1 when a callback continues, 0 when done, < 0 on failure. */
int pod_stop_network(PodOperation *op, CniOperationHandler handler) {
        Pod *p = op->pod;
        int r;

        if (!p->network_up || !p->network_name)
                return 0;
        r = pod_network_del(p, handler, op, &op->cni_operation);
        if (r < 0)
                return pod_operation_fail(op, r, "tearing down the network of pod %s: %s", p->name, strerror(-r));
        return 1;
}

static void on_containers_stopped(Pod *p, int r, void *userdata) {
        PodOperation *op = userdata;

        if (r < 0)
                (void) pod_operation_fail(op, r, "stopping the containers of pod %s: %s", p->name, strerror(-r));
        pod_stop_next(op);
}

static void on_infra_stopped(Container *c, int r, const char *error, void *userdata) {
        PodOperation *op = userdata;

        if (r < 0)
                (void) pod_operation_fail(op, r, "stopping the infra container of pod %s: %s", op->pod->name,
                                          error ?: strerror(-r));
        pod_stop_next(op);
}

void pod_stop_next(PodOperation *op) {
        Pod *p = op->pod;

        if (op->error < 0)
                return pod_operation_finish(op, op->error);

        switch (op->step++) {
        case STOP_STEP_CONTAINERS:
                if (pod_containers_stop(p, /* remove= */ false, on_containers_stopped, op) >= 0)
                        return;
                _fallthrough_;
        case STOP_STEP_INFRA:
                if (p->infra && container_terminate(p->infra, 0, on_infra_stopped, op) >= 0)
                        return;
                _fallthrough_;
        case STOP_STEP_NETWORK:
                if (pod_stop_network(op, on_network_deleted) != 0)
                        return;
                _fallthrough_;
        default:
                if (p->state == POD_STATE_READY) {
                        log_pod(p, LOG_INFO, "Stopped pod sandbox %s (%s).", p->name, p->id);
                        p->state = POD_STATE_NOTREADY;
                        /* Before the reply: a client seeing StopPodSandbox return sees the state too. */
                        (void) pod_dbus_send_changed(p, "State", NULL);
                        container_events_publish_pod(p, CONTAINER_EVENT_STOPPED);
                }
                p->state = POD_STATE_NOTREADY;
                (void) pod_state_save(p);
                return pod_operation_finish(op, 0);
        }
}

int pod_stop(Pod *p, PodOperationCallback callback, void *userdata, PodOperation **ret) {
        PodOperation *op;
        int r;

        r = pod_operation_new(p, POD_OPERATION_STOP, callback, userdata, &op);
        if (r < 0)
                return r;
        if (ret)
                *ret = op;
        pod_operation_enqueue(op);
        return 0;
}
