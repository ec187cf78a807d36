/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The daemon's side of crio wipe and crio check (src/storage/): at start, internal_repair after an
 * unclean shutdown and internal_wipe after a reboot or an upgrade, then the version stamps; at a
 * clean stop, the clean-shutdown file. */

#include "manager.h"

/* Early in start-up, before the image store is opened and before pods and containers are read
 * back: repairs or wipes what CRI-O would. Fails only when the storage could not be made usable. */
int manager_wipe_if_needed(Manager *m);

/* Once started: writes version_file and version_file_persist, removes clean_shutdown_file. */
int manager_storage_started(Manager *m);

/* After the loop ended cleanly: syncs the storage, then writes clean_shutdown_file. */
int manager_storage_stopped(Manager *m);
