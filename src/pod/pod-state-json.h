/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The record of a pod that crio keeps on disk, so that a restarted crio finds its pods again.
 *
 * One JSON object: "version" (1), "boot_id" (the boot the record was written in) and every field of
 * the Pod that outlives the process: its id, name, state, config and the things made for it (slice,
 * namespaces, files, network). What only lives in memory (references, watches, operations, the journal
 * fields) is left out and rebuilt by the caller. */

#include <stddef.h>

#include "pod.h"

/* Writes the record of p. boot_id may be NULL (written as null). */
int pod_state_to_json(const Pod *p, const char *boot_id, char **ret);

/* Reads a record into p, which must be zeroed (calloc): sets every field the record holds, never
 * manager, n_ref, log_fields, slice_active, slice_watch, infra, operation or queue. -EBADMSG for
 * anything malformed: not JSON, wrong types, unknown enum strings, no "id" or "name", a "version"
 * other than 1. On success and on failure alike, p may hold allocated fields: pod_state_done() frees
 * them all. *ret_boot_id (may be NULL) is set only on success, NULL when the record has none. */
int pod_state_from_json(const char *json, size_t size, Pod *p, char **ret_boot_id);

/* Frees every field pod_state_from_json() may set (the config included), leaving NULL pointers; the
 * fields it never sets are left alone. The pod's own destructor frees them too. */
void pod_state_done(Pod *p);
