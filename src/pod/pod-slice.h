/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A pod's slice in systemd: its name, the properties it carries (description, accounting, the
 * limits of LinuxPodSandboxConfig's resources plus overhead), and the watch that notices an
 * administrator stopping it. */

#include "pod.h"
#include "systemd-manager.h"
#include "unit-properties.h"

/* The slice a pod lives in: kubelet's cgroup_parent, which must be a slice ("...slice", else
 * -EINVAL), or "crio-<id>.slice" (under crio.slice) without one. */
int pod_slice_name(const char *cgroup_parent, const char *id, char **ret);

/* "crio pod <namespace>/<name> (<id>)": what systemctl status shows. */
int pod_slice_description(const Pod *p, char **ret);

/* The properties for resources + overhead (either may be NULL), as systemd names them for the
 * host's cgroup mode; with_accounting adds the CPU, memory and tasks accounting switches. */
int pod_slice_properties(const Pod *p, const PodResources *resources, const PodResources *overhead,
                         bool with_accounting, UnitPropertyList **ret);

/* Follows the slice: READY turns NOTREADY when it goes inactive or disappears. */
int pod_slice_watch(Pod *p);
