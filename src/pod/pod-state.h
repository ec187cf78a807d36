/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A pod's record, pod.json in its directory, written whole and atomically once RunPodSandbox has made
 * everything and again at each change (stop, infra exit, slice gone, resources): a restarted crio takes
 * the pod back from it (pod-restore.c). A pod directory without pod.json is a run crio died in, undone
 * at the next start from the step record (pod-cleanup.c). */

#include "manager.h"
#include "pod.h"

#define POD_STATE_FILE "pod.json"

/* Writes the record; a failure is logged and returned, the pod goes on. */
int pod_state_save(Pod *p);

/* Start-up, before the containers: the pods recorded in this boot come back. Returns their number. */
int pod_restore_all(Manager *m);
/* After the containers: a pod that needs an infra container and got none back is not ready. */
void pod_restore_finish(Manager *m);
