/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The Manager's container side: the containers by id and by name, the watch on conmon's exits
 * directory, one OciRuntime per runtime handler, and the asynchronous operations on a container:
 * create (container-create.c), start (container-start.c), stop and remove (container-remove.c). */

#include <stdbool.h>
#include <stdint.h>

#include "conmon.h"
#include "container.h"
#include "manager.h"
#include "oci-runtime.h"

struct Pod;

/* Sets up the exit watch; called once the pods are up. */
int manager_start_containers(Manager *m);
/* Forgets the containers (they keep running on the host) and the runtimes. */
void manager_free_containers(Manager *m);

/* -EEXIST when the name is taken. The store holds a reference. */
int container_store_add(Manager *m, Container *c);
void container_store_remove(Manager *m, Container *c);
Container *container_get(Manager *m, const char *id) _pure_;
Container *container_get_by_name(Manager *m, const char *name) _pure_;
/* A full id or a unique prefix, containers not visible (container_is_visible()) left out: -ENOENT,
 * -ENOTUNIQ. */
int container_find(Manager *m, const char *id_or_prefix, Container **ret);
/* Every visible container (container_is_visible()), oldest first; free() the array. */
int container_list(Manager *m, Container ***ret, size_t *ret_n);
size_t container_count(Manager *m) _pure_;

/* The OciRuntime and conmon settings of a handler (runtime_path, runtime_root, monitor_*). The
 * ConmonConfig's strings belong to m->config; monitor_cgroup gives the slice of conmon's scope. */
int manager_get_runtime(Manager *m, const char *handler, OciRuntime **ret);
int manager_conmon_config(Manager *m, const char *handler, ConmonConfig *ret, const char **ret_monitor_cgroup);

/* Whether some container uses the image (for RemoveImage). */
bool manager_image_in_use(Manager *m, const char *image_id);

/* r: 0 or a negative errno; error: text for the caller when r < 0 (may be NULL). */
typedef void (*ContainerCallback)(Container *c, int r, const char *error, void *userdata);

/* CreateContainer: takes config; the container is in the store (CREATING) until the callback,
 * CREATED after a success, gone again after a failure. *ret_error is set for bad requests that
 * fail at once (-EINVAL, -ENOENT). */
int container_create(Manager *m, struct Pod *pod, ContainerConfig *config, ContainerCallback callback,
                     void *userdata, char **ret_error);
/* The pod's infra (pause) container, before the pod is READY: the pod's id, pause_command from
 * pause_image (which must be stored), a PID namespace of its own; *ret holds a reference. */
int container_create_infra(Manager *m, struct Pod *pod, ContainerCallback callback, void *userdata,
                           Container **ret, char **ret_error);
int container_start(Container *c, ContainerCallback callback, void *userdata);
/* StopContainer: the stop signal, SIGKILL after timeout_usec; completes when the exit is recorded.
 * At once for a container that is not running. */
int container_terminate(Container *c, uint64_t timeout_usec, ContainerCallback callback, void *userdata);
/* RemoveContainer: stops (killing at once), deletes it in the runtime, unmounts and deletes its
 * files, forgets it. */
int container_remove(Container *c, ContainerCallback callback, void *userdata);

/* The pod's containers, all stopped (remove: also removed); callback once all are done. */
int pod_containers_stop(struct Pod *p, bool remove, void (*callback)(struct Pod *p, int r, void *userdata),
                        void *userdata);

/* Waiting for the exit of a container (stop, remove): runs when the exit is recorded. */
typedef struct ContainerWaiter ContainerWaiter;
int container_wait_exit(Container *c, uint64_t timeout_usec, ContainerCallback callback, void *userdata);
/* Runs the waiters (after container_set_exited()). */
void container_notify_exit(Container *c);
/* Forgets the waiters without running them (the container is freed with calls pending, at exit:
 * their owners drop them on their side). */
void container_drop_waiters(Container *c);
