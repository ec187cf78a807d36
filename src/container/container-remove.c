/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "container-dbus.h"
#include "container-manager.h"
#include "container-rootfs.h"
#include "container-stop.h"
#include "exit-watch.h"
#include "log.h"
#include "pod-dbus.h"

/* StopContainer and RemoveContainer. A stop sends the stop signal (SIGKILL after the timeout)
 * and completes once conmon's exit file is read, so the status that follows has the exit code;
 * calls arriving during a stop wait for the same exit. Both are idempotent. */

/* How long after the process is gone the exit file may take before the exit is recorded without it. */
#define CONTAINER_EXIT_FILE_GRACE_USEC (3 * 1000000ULL)

struct ContainerWaiter {
        ContainerCallback callback;
        void *userdata;
        ContainerWaiter *next;
};

static void waiters_run(Container *c, int r, const char *error) {
        ContainerWaiter *w = TAKE_PTR(c->waiters);

        container_ref(c);
        while (w) {
                ContainerWaiter *next = w->next;

                w->callback(c, r, error, w->userdata);
                free(w);
                w = next;
        }
        container_unref(c);
}

void container_drop_waiters(Container *c) {
        while (c->waiters) {
                ContainerWaiter *w = c->waiters;

                c->waiters = w->next;
                free(w);
        }
}

void container_notify_exit(Container *c) {
        c->exit_timer = sd_event_source_disable_unref(c->exit_timer);
        waiters_run(c, 0, NULL);
}

int container_wait_exit(Container *c, uint64_t timeout_usec, ContainerCallback callback, void *userdata) {
        ContainerWaiter *w, **tail;

        if (c->state == CONTAINER_STATE_EXITED) {
                callback(c, 0, NULL, userdata);
                return 0;
        }
        w = calloc(1, sizeof(ContainerWaiter));
        if (!w)
                return -ENOMEM;
        w->callback = callback;
        w->userdata = userdata;
        for (tail = &c->waiters; *tail; tail = &(*tail)->next)
                ;
        *tail = w;
        return 0;
}

static int64_t now_nsec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The exit file, if conmon wrote it; else, at the end of the grace period, an exit without it. */
static bool exit_read(Container *c, bool give_up) {
        uint64_t finished = 0;
        bool oom = false;
        int code = -1;

        if (c->state == CONTAINER_STATE_EXITED)
                return true;
        if (c->manager->exit_watch &&
            exit_watch_read(c->manager->exit_watch, c->id, &code, &oom, &finished) >= 0) {
                container_set_exited(c, code, oom, (int64_t) finished);
                return true;
        }
        if (!give_up)
                return false;
        /* conmon is gone without a word (killed with the container): CRI-O reports 255 then. */
        container_set_exited(c, 255, false, now_nsec());
        free(c->message);
        c->message = strdup("container exited without an exit file from conmon");
        return true;
}

static int on_exit_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Container *c = userdata;

        (void) exit_read(c, /* give_up= */ true);
        container_notify_exit(c);
        return 0;
}

static void on_stopped(ContainerStop *s, int r, void *userdata) {
        Container *c = userdata;
        _cleanup_free_ char *error = NULL;

        c->stop = container_stop_free(c->stop);
        if (r < 0) {
                if (asprintf(&error, "stopping container %s: %s", c->id, strerror(-r)) < 0)
                        error = NULL;
                log_container_errno(c, LOG_ERR, r, "Failed to stop container %s: %m", c->id);
                return waiters_run(c, r, error);
        }
        if (exit_read(c, /* give_up= */ false))
                return container_notify_exit(c);
        if (!c->exit_timer) {
                r = sd_event_add_time_relative(c->manager->event, &c->exit_timer, CLOCK_MONOTONIC,
                                               CONTAINER_EXIT_FILE_GRACE_USEC, 0, on_exit_timer, c);
                if (r < 0) {
                        (void) exit_read(c, /* give_up= */ true);
                        container_notify_exit(c);
                }
        }
}

int container_terminate(Container *c, uint64_t timeout_usec, ContainerCallback callback, void *userdata) {
        int r;

        if (c->state == CONTAINER_STATE_CREATING)
                return -EBUSY;
        if (c->state == CONTAINER_STATE_EXITED || c->state == CONTAINER_STATE_UNKNOWN || c->pid <= 0) {
                callback(c, 0, NULL, userdata);
                return 0;
        }
        /* The exit may have happened while nobody looked. */
        if (exit_read(c, false)) {
                callback(c, 0, NULL, userdata);
                return 0;
        }
        r = container_wait_exit(c, UINT64_MAX, callback, userdata);
        if (r < 0)
                return r;
        if (c->stop || c->exit_timer)
                return 0;
        log_container(c, LOG_INFO, "Stopping container %s (%s) with signal %d, timeout %llus.", c->name, c->id,
                      c->stop_signal, (unsigned long long) (timeout_usec / 1000000ULL));
        r = container_stop(c->runtime, c->manager->event, c->id, c->pid, c->stop_signal, timeout_usec, on_stopped,
                           c, &c->stop);
        if (r < 0) {
                _cleanup_free_ char *error = NULL;

                if (asprintf(&error, "stopping container %s: %s", c->id, strerror(-r)) < 0)
                        error = NULL;
                waiters_run(c, r, error);
        }
        return 0;
}

typedef struct ContainerRemove {
        Container *container;
        ContainerCallback callback;
        void *userdata;
} ContainerRemove;

static void remove_finish(ContainerRemove *op, int r, const char *error) {
        Container *c = op->container;

        if (r < 0)
                c->removing = false;
        else {
                Manager *m = c->manager;

                if (m->exit_watch) {
                        exit_watch_remove(m->exit_watch, c->id);
                        (void) exit_watch_forget(m->exit_watch, c->id);
                }
                log_container(c, LOG_INFO, "Removed container %s (%s).", c->name, c->id);
                /* Announced while the object can still be found, the pod's list after it is gone. */
                if (!c->infra)
                        (void) container_dbus_send_removed(c);
                container_changed(c, CONTAINER_EVENT_DELETED);
                container_store_remove(m, c);
                if (!c->infra)
                        (void) pod_dbus_send_changed(c->pod, "Containers", NULL);
        }
        op->callback(c, r, error, op->userdata);
        container_unref(c);
        free(op);
}

static void on_deleted(OciOperation *operation, int r, void *userdata) {
        ContainerRemove *op = userdata;
        Container *c = op->container;
        _cleanup_free_ char *error = NULL;

        if (r < 0 && r != -ENOENT) {
                const char *why = oci_operation_get_error(operation);

                if (asprintf(&error, "deleting container %s: %s", c->id, why ?: strerror(-r)) < 0)
                        error = NULL;
                oci_operation_free(operation);
                return remove_finish(op, r, error);
        }
        oci_operation_free(operation);
        r = container_rootfs_remove(c);
        if (r < 0) {
                if (asprintf(&error, "removing the files of container %s: %s", c->id, strerror(-r)) < 0)
                        error = NULL;
                return remove_finish(op, r, error);
        }
        remove_finish(op, 0, NULL);
}

static void on_remove_stopped(Container *c, int r, const char *error, void *userdata) {
        ContainerRemove *op = userdata;
        OciOperation *operation = NULL;

        if (r < 0)
                return remove_finish(op, r, error);
        r = oci_runtime_delete(c->runtime, c->id, /* force= */ true, on_deleted, op, &operation);
        if (r < 0)
                remove_finish(op, r, "running the runtime's delete failed");
}

int container_remove(Container *c, ContainerCallback callback, void *userdata) {
        ContainerRemove *op;

        if (c->state == CONTAINER_STATE_CREATING)
                return -EBUSY;
        if (c->removing) {
                /* One removal at a time; the second caller finds it gone soon after. */
                callback(c, 0, NULL, userdata);
                return 0;
        }
        op = calloc(1, sizeof(ContainerRemove));
        if (!op)
                return -ENOMEM;
        op->container = container_ref(c);
        op->callback = callback;
        op->userdata = userdata;
        c->removing = true;
        /* RemoveContainer gives no grace period: the process is killed at once. */
        return container_terminate(c, 0, on_remove_stopped, op);
}
