/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A container's record on disk, <layer_dir>/state.json, so that a restarted crio finds every container
 * again (container-restore.c). It is written whole and atomically (temporary file, fsync, rename, fsync
 * of the directory) once the container is created and at each change after that: a crio killed at any
 * instant leaves the previous record or the next one, never a mix. A container without a record was
 * still being made and is undone at the next start. */

#include "container.h"

#define CONTAINER_STATE_FILE "state.json"

/* Writes the record; a failure is logged and returned, the container goes on. */
int container_state_save(Container *c);
/* This boot's id (cached), or NULL when /proc cannot tell. */
const char *container_state_boot_id(void);
