/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The daemon's side of streaming: the Manager's StreamServer from [crio.api] stream_*, and the
 * hooks through which containers and pods back exec, attach and port-forward. */

#include <stdbool.h>

#include "manager.h"

/* Starts the streaming server on the Manager's loop; logs and returns a negative errno on failure. */
int manager_start_streaming(Manager *m);
void manager_stop_streaming(Manager *m);

/* Looks a container up for Exec and Attach: 0 with *ret_running set, -ENOENT if there is none.
 * TODO(containers): answers -ENOENT until src/container/ keeps a store of containers in the
 * Manager; the container work fills this in (and manager_streaming_backend's start/resize/cancel/
 * release below: runtime "exec --process" in the container's scope, conmon's attach socket and
 * ctl fifo). */
int manager_streaming_lookup_container(Manager *m, const char *id, bool *ret_running);
/* Looks a pod up for PortForward: 0, or -ENOENT. */
int manager_streaming_lookup_pod(Manager *m, const char *id);
