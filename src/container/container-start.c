/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "container-dbus.h"
#include "container-manager.h"
#include "log.h"

/* StartContainer: "<runtime> start <id>" on a created container. */

typedef struct ContainerStart {
        Container *container;
        ContainerCallback callback;
        void *userdata;
} ContainerStart;

static void on_started(OciOperation *operation, int r, void *userdata) {
        ContainerStart *op = userdata;
        Container *c = op->container;
        _cleanup_free_ char *error = NULL;
        struct timespec ts;

        if (r < 0) {
                const char *why = oci_operation_get_error(operation);

                log_container_errno(c, LOG_ERR, r, "Failed to start container %s: %s", c->id, why ?: strerror(-r));
                if (asprintf(&error, "starting container %s: %s", c->id, why ?: strerror(-r)) < 0)
                        error = NULL;
        } else {
                (void) clock_gettime(CLOCK_REALTIME, &ts);
                if (c->started_at == 0)
                        c->started_at = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
                /* The exit may have been seen already, for a short-lived process. */
                if (c->state == CONTAINER_STATE_CREATED)
                        c->state = CONTAINER_STATE_RUNNING;
                if (!c->infra)
                        (void) container_dbus_send_changed(c, "State", "StartedAt", NULL);
                log_container(c, LOG_INFO, "Started container %s (%s).", c->name, c->id);
                container_changed(c, CONTAINER_EVENT_STARTED);
        }
        c->start_operation = oci_operation_free(c->start_operation);
        op->callback(c, r, error, op->userdata);
        container_unref(op->container);
        free(op);
}

int container_start(Container *c, ContainerCallback callback, void *userdata) {
        ContainerStart *op;
        int r;

        if (c->state != CONTAINER_STATE_CREATED || c->start_operation || c->removing)
                return -EBUSY;
        op = calloc(1, sizeof(ContainerStart));
        if (!op)
                return -ENOMEM;
        op->container = container_ref(c);
        op->callback = callback;
        op->userdata = userdata;
        r = oci_runtime_start_container(c->runtime, c->id, on_started, op, &c->start_operation);
        if (r < 0) {
                container_unref(op->container);
                free(op);
        }
        return r;
}
