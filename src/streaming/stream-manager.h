/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The daemon's side of streaming: the Manager's StreamServer from [crio.api] stream_*, and the
 * hooks through which containers and pods back exec, attach and port-forward. */

#include <stdbool.h>

#include "manager.h"

/* Starts the streaming server on the Manager's loop; logs and returns a negative errno on failure. */
int manager_start_streaming(Manager *m);
/* Also kills and reaps execs whose client left but whose runtime has not exited yet. */
void manager_stop_streaming(Manager *m);

/* Looks a container up for Exec and Attach (a full id or a unique prefix): 0 with *ret_running set,
 * -ENOENT if there is none. The backend behind the server: stream-exec.c, stream-attach.c and
 * stream-portforward.c (stream-container.h). */
int manager_streaming_lookup_container(Manager *m, const char *id, bool *ret_running);
/* Looks a pod up for PortForward: 0, or -ENOENT. */
int manager_streaming_lookup_pod(Manager *m, const char *id);
