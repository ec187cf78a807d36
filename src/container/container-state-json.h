/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The record of a container that crio keeps on disk, so that a restarted crio finds its containers
 * again.
 *
 * One JSON object: "version" (1), "boot_id" (the boot the record was written in), "pod_id" and every
 * field of the Container that outlives the process: its id, name, config, image, state, times, exit,
 * processes and the things made for it (layers, bundle, scopes). What only lives in memory
 * (references, conmon, operations, waiters, timers, the journal fields) is left out. */

#include <stddef.h>

#include "container.h"

/* Writes the record of c, with c->pod->id as "pod_id": -EINVAL without a pod. boot_id may be NULL. */
int container_state_to_json(const Container *c, const char *boot_id, char **ret);

/* Reads a record into c, which must be zeroed (calloc): sets every field the record holds, never
 * manager, n_ref, pod, runtime, log_fields, conmon, start_operation, stop, waiters, exit_timer or
 * removing. -EBADMSG for anything malformed: not JSON, wrong types, unknown enum strings, no "id",
 * "name" or "pod_id", a "version" other than 1. On success and on failure alike, c may hold allocated
 * fields: container_state_done() frees them all. *ret_pod_id and *ret_boot_id (each may be NULL) are
 * set only on success; the boot id is NULL when the record has none. */
int container_state_from_json(const char *json, size_t size, Container *c, char **ret_pod_id,
                              char **ret_boot_id);

/* Frees every field container_state_from_json() may set (the config included), leaving NULL
 * pointers; the fields it never sets are left alone. The container's own destructor frees them too. */
void container_state_done(Container *c);
