/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Stopping the systemd units of containers and pods from the offline tools (crio wipe, crio check,
 * and the daemon before its loop runs): plain blocking sd-bus calls, which only the event loop's
 * request paths must avoid. Without a reachable system bus there is nothing to stop. */

#include <stdint.h>

#include "macro.h"

typedef struct StorageUnits StorageUnits;

/* Connects to the system bus; -errno when it is not reachable (callers go on without). */
int storage_units_open(StorageUnits **ret);
StorageUnits *storage_units_free(StorageUnits *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(StorageUnits *, storage_units_free);

/* Kills every process of the unit (SIGKILL), then stops it and waits up to timeout_usec for the
 * stop job to end. 0 when stopped or when systemd does not know the unit. */
int storage_units_stop(StorageUnits *u, const char *unit, uint64_t timeout_usec);

/* The same for a container's two scopes, crio-<id>.scope and crio-conmon-<id>.scope. */
int storage_units_stop_container(StorageUnits *u, const char *id);
