/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The sysctls a pod may set: only those the kernel keeps per namespace (kernel.shm*, kernel.msg*,
 * kernel.sem, fs.mqueue.* in the IPC namespace, net.* in the network namespace), and only when
 * the pod has that namespace of its own. Values are checked so that no second setting can ride
 * along (CVE-2022-0811 put "+other.key=value" into a value that pinns split on '+'). */

#include <stdbool.h>

#include "macro.h"

typedef struct PodSysctl {
        char *key;              /* dotted, as given */
        char *value;
        char *path;             /* "/proc/sys/kernel/shmmax" */
} PodSysctl;

void pod_sysctls_free(PodSysctl *l, size_t n);

/* 0 if key=value may be set in a pod with the given host namespaces; else -EINVAL with
 * *ret_reason (static text) saying why. */
int pod_sysctl_validate(const char *key, const char *value, bool host_network, bool host_ipc,
                        const char **ret_reason);

/* The /proc/sys path of a key: dots are separators, unless the key uses slashes ("net/ipv4/x"),
 * in which case dots inside a part stay dots, as Kubernetes reads them. */
int pod_sysctl_path(const char *key, char **ret);

/* The sysctls a pod gets: the defaults ("key=value" strings; those that do not apply to the
 * pod are skipped with a debug line), then the request's pairs (key, value, ... NULL), which
 * replace a default of the same key. A request pair that fails validation fails the whole set:
 * -EINVAL with *ret_error naming it (free()). */
int pod_sysctls_build(char *const *defaults, char *const *requested, bool host_network, bool host_ipc,
                      PodSysctl **ret, size_t *ret_n, char **ret_error);
