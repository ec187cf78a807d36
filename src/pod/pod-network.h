/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A pod's CNI attachment: ADD with the pod's CNI_ARGS and capability arguments (port mappings,
 * bandwidth, DNS), the result's IPs kept on the pod, DEL from the cache. */

#include "cni-exec.h"
#include "pod.h"

#define POD_CNI_CACHE_DIR "/var/lib/cni"
#define POD_INGRESS_BANDWIDTH_ANNOTATION "kubernetes.io/ingress-bandwidth"
#define POD_EGRESS_BANDWIDTH_ANNOTATION "kubernetes.io/egress-bandwidth"

/* ADD on the manager's default network (-ENETDOWN when there is none). */
int pod_network_add(Pod *p, CniOperationHandler handler, void *userdata, CniOperation **ret);
/* Takes the IPs and the result JSON from a finished ADD. */
int pod_network_take_result(Pod *p, const CniOperation *op);
/* DEL of p's network (name and config from the cache, the current config if the cache has none). */
int pod_network_del(Pod *p, CniOperationHandler handler, void *userdata, CniOperation **ret);
/* DEL for a pod known only by id (start-up cleanup). */
int pod_network_del_by_id(struct Manager *m, const char *network_name, const char *id, const char *netns,
                          CniOperationHandler handler, void *userdata, CniOperation **ret);
