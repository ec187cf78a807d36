/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Start-up: every container crio recorded (container-state.h) comes back, and what was left without a
 * record is undone.
 *
 * A recorded container whose pod came back is adopted as it is: still running when its conmon is the
 * same process as before (pid and start time, so a reused pid is never taken for it), exited with its
 * real code and time when conmon left an exit file while crio was down. A container whose conmon is
 * gone but whose own process still runs stays running and is watched through a pidfd; one with
 * neither is reported exited with code 255, as CRI-O reports a container lost without an exit file.
 * Records from an earlier boot, records whose pod is gone and container directories without a record
 * (a create crio died in) are undone: both scopes stopped, the runtime's state deleted, the overlay
 * unmounted and the directories removed, in the background after start-up. */

#include "manager.h"

/* After the pods are restored. Returns the number of containers restored. */
int container_restore_all(Manager *m);
/* Drops cleanups still under way (at exit): the next start takes them up again. */
void container_restore_cancel(void);
