/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A pod's namespaces, pinned without a process as CRI-O's pinns does: one short-lived child
 * unshares them all, sets the hostname, brings lo up, writes the sysctls, and bind-mounts each
 * namespace onto <namespaces_dir>/{netns,ipcns,utsns}/<name>. The mounts keep them alive. */

#include <stdbool.h>
#include <stddef.h>

#include "pod-sysctl.h"

typedef enum PodNamespaceType {
        POD_NAMESPACE_NET,
        POD_NAMESPACE_IPC,
        POD_NAMESPACE_UTS,
        _POD_NAMESPACE_TYPE_MAX,
        _POD_NAMESPACE_TYPE_INVALID = -EINVAL,
} PodNamespaceType;

/* "net", "ipc", "uts": the names under /proc/<pid>/ns/. */
const char *pod_namespace_type_to_string(PodNamespaceType t) _const_;
PodNamespaceType pod_namespace_type_from_string(const char *s) _pure_;
/* "netns", "ipcns", "utsns": the directories under namespaces_dir. */
const char *pod_namespace_type_dir(PodNamespaceType t) _const_;

typedef struct PodNamespacesRequest {
        const char *namespaces_dir;
        const char *name;                       /* the pin's file name (the pod id) */
        bool pin[_POD_NAMESPACE_TYPE_MAX];
        const char *hostname;                   /* set in the UTS namespace, if pinned */
        const PodSysctl *sysctls;
        size_t n_sysctls;
} PodNamespacesRequest;

/* Pins the requested namespaces; ret_paths[t] gets the pin path of each (NULL for the others).
 * On failure nothing is left behind and the error says which step failed. */
int pod_namespaces_pin(const PodNamespacesRequest *req, char *ret_paths[static _POD_NAMESPACE_TYPE_MAX],
                       char **ret_error);

/* Unmounts and deletes a pin; 0 also when it is gone already. */
int pod_namespace_unpin(const char *path);

/* The pin path of name for type t under namespaces_dir. */
int pod_namespace_path(const char *namespaces_dir, PodNamespaceType t, const char *name, char **ret);

/* Runs fn in a child that joined the namespace pinned at path (setns), and returns what it wrote
 * to the fd it gets (at most max bytes, NUL-terminated). For reading per-namespace /proc files. */
int pod_namespace_read(const char *path, PodNamespaceType t, const char *file, size_t max, char **ret);
