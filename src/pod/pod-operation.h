/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The asynchronous work on a pod: RunPodSandbox (pod-run.c), StopPodSandbox (pod-stop.c) and
 * RemovePodSandbox (pod-remove.c). A pod runs one operation at a time; later ones wait in its
 * queue, so a remove that arrives during a stop runs after it. */

#include "cni-exec.h"
#include "pod-sysctl.h"
#include "pod.h"

typedef struct PodOperation PodOperation;

/* r: 0 or a negative errno; error: text for the CRI caller when r < 0 (may be NULL). The pod
 * is valid during the call (a failed run has been rolled back and left the store). */
typedef void (*PodOperationCallback)(Pod *p, int r, const char *error, void *userdata);

typedef enum PodOperationType {
        POD_OPERATION_RUN,
        POD_OPERATION_STOP,
        POD_OPERATION_REMOVE,
        _POD_OPERATION_TYPE_MAX,
        _POD_OPERATION_TYPE_INVALID = -EINVAL,
} PodOperationType;

const char *pod_operation_type_to_string(PodOperationType t) _const_;

struct PodOperation {
        Pod *pod;
        PodOperationType type;
        int step;
        int error;
        char *error_message;
        PodOperationCallback callback;
        void *userdata;

        /* What is under way right now. */
        struct SystemdRequest *systemd_request;
        struct CniOperation *cni_operation;
        struct ImagePullWaiter *pull_waiter;    /* RUN: the pause image */
        bool infra_pending;                     /* an infra container call awaits its callback */

        /* RUN: the sysctls, applied when the namespaces are pinned. */
        PodSysctl *sysctls;
        size_t n_sysctls;
        bool rolling_back;
        /* A step waits for the callback of a call sent by an earlier step. */
        bool waiting;

        PodOperation *next;     /* in the pod's queue */
};

/* The pod must be in the manager's store. ret (optional) may be used to cancel. */
int pod_run(Pod *p, PodSysctl *sysctls, size_t n_sysctls, PodOperationCallback callback, void *userdata,
            PodOperation **ret);
int pod_stop(Pod *p, PodOperationCallback callback, void *userdata, PodOperation **ret);
int pod_remove(Pod *p, PodOperationCallback callback, void *userdata, PodOperation **ret);

/* The caller is gone: its callback will not run. A run under way stops and rolls back; a stop or
 * remove goes on to its end. */
void pod_operation_cancel(PodOperation *op);

/* Shared by the operation files. */
int pod_operation_new(Pod *p, PodOperationType type, PodOperationCallback callback, void *userdata,
                      PodOperation **ret);
/* Starts op now or after the ones before it. */
void pod_operation_enqueue(PodOperation *op);
/* Runs the callback, frees op and starts the next queued operation. */
void pod_operation_finish(PodOperation *op, int r);
/* Keeps the first error and its text. */
int pod_operation_fail(PodOperation *op, int r, const char *format, ...) _printf_(3, 4);

/* Network teardown shared by stop and remove: 1 when handler will continue, 0 when there is
 * nothing to tear down, < 0 on failure (recorded in op). */
int pod_stop_network(PodOperation *op, CniOperationHandler handler);

/* The operation-specific step functions, called by pod_operation_enqueue(). */
void pod_run_next(PodOperation *op);
void pod_stop_next(PodOperation *op);
void pod_remove_next(PodOperation *op);
