/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The Manager's pod side: the systemd client, CNI (exec and the watch of network_dir), the pod
 * store, and the start-up cleanup of what a crio that died left behind. */

#include "manager.h"

/* Sets everything up; without a system bus crio goes on, and RunPodSandbox fails. */
int manager_start_pods(Manager *m);
/* Frees the pods (leaving them on the host) and the services. */
void manager_free_pods(Manager *m);

/* The next start of crio undoes the pods a crio killed half-way left: their network (through the
 * CNI cache), pins, /dev/shm, directory and slice. Runs in the background. */
int pod_cleanup_stale(Manager *m);
/* Ends the cleanups still waiting for CNI, before CNI goes away. */
void pod_cleanup_stale_cancel(void);
