/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cni-exec.h"
#include "log.h"
#include "pod-operation.h"
#include "systemd-manager.h"

static const char *const type_table[_POD_OPERATION_TYPE_MAX] = {
        [POD_OPERATION_RUN] = "run",
        [POD_OPERATION_STOP] = "stop",
        [POD_OPERATION_REMOVE] = "remove",
};

const char *pod_operation_type_to_string(PodOperationType t) {
        return t >= 0 && t < _POD_OPERATION_TYPE_MAX ? type_table[t] : NULL;
}

int pod_operation_new(Pod *p, PodOperationType type, PodOperationCallback callback, void *userdata,
                      PodOperation **ret) {
        PodOperation *op;

        op = calloc(1, sizeof(PodOperation));
        if (!op)
                return -ENOMEM;
        op->pod = pod_ref(p);
        op->type = type;
        op->callback = callback;
        op->userdata = userdata;
        *ret = op;
        return 0;
}

static void operation_start(PodOperation *op) {
        switch (op->type) {
        case POD_OPERATION_RUN:
                pod_run_next(op);
                break;
        case POD_OPERATION_STOP:
                pod_stop_next(op);
                break;
        default:
                pod_remove_next(op);
        }
}

void pod_operation_enqueue(PodOperation *op) {
        Pod *p = op->pod;
        PodOperation **tail;

        if (p->operation) {
                for (tail = &p->queue; *tail; tail = &(*tail)->next)
                        ;
                *tail = op;
                return;
        }
        p->operation = op;
        operation_start(op);
}

int pod_operation_fail(PodOperation *op, int r, const char *format, ...) {
        va_list ap;

        r = -abs(r);
        if (op->error < 0)
                return r;
        op->error = r;
        if (format) {
                va_start(ap, format);
                if (vasprintf(&op->error_message, format, ap) < 0)
                        op->error_message = NULL;
                va_end(ap);
        }
        return r;
}

void pod_operation_finish(PodOperation *op, int r) {
        Pod *p = op->pod;
        PodOperation *next;

        if (r < 0)
                (void) pod_operation_fail(op, r, NULL);
        if (op->callback)
                op->callback(p, op->error, op->error_message ?: (op->error < 0 ? strerror(-op->error) : NULL),
                             op->userdata);

        systemd_request_free(op->systemd_request);
        cni_operation_free(op->cni_operation);
        pod_sysctls_free(op->sysctls, op->n_sysctls);
        free(op->error_message);
        if (p->operation == op) {
                p->operation = NULL;
                next = p->queue;
                if (next) {
                        p->queue = next->next;
                        next->next = NULL;
                }
        } else
                next = NULL;
        free(op);

        if (next)
                pod_operation_enqueue(next);
        pod_unref(p);
}

void pod_operation_cancel(PodOperation *op) {
        if (!op)
                return;
        op->callback = NULL;
        if (op->type != POD_OPERATION_RUN || op->rolling_back)
                return;
        /* A queued run cannot happen (a run is a pod's first operation): only the current one. */
        if (op->pod->operation != op)
                return;
        /* Stop what is under way; the step code sees the error and rolls back. */
        op->systemd_request = systemd_request_free(op->systemd_request);
        if (op->cni_operation) {
                op->cni_operation = cni_operation_free(op->cni_operation);
                /* The ADD was cut off half-way: DEL undoes whatever the plugins did. */
                op->pod->network_up = true;
        }
        (void) pod_operation_fail(op, -ECANCELED, "cancelled by the caller");
        pod_run_next(op);
}
