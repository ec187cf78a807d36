/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A pod's own directory (POD_RUN_DIR/<id>): resolv.conf from the DNSConfig, the hostname file,
 * the per-pod /dev/shm tmpfs, and a record of what was made for the pod, appended before each
 * step, so that a crio killed half-way through can undo it at its next start. */

#include <stdint.h>

#include "pod.h"

#define POD_RUN_DIR "/run/crio/pods"
#define POD_SHM_SIZE_DEFAULT (UINT64_C(64) * 1024 * 1024)
/* The annotation CRI-O reads the /dev/shm size from. */
#define POD_SHM_SIZE_ANNOTATION "io.kubernetes.cri-o.ShmSize"
#define POD_RECORD_FILE "record"

/* resolv.conf text: "search", "nameserver" lines, "options"; NULL (and 0) when all are empty. */
int pod_resolv_conf_render(char *const *servers, char *const *searches, char *const *options, char **ret);

/* A Kubernetes quantity as bytes: "67108864", "64Mi", "1G", "512k". -EINVAL when malformed,
 * -ERANGE when it overflows. */
int pod_quantity_parse(const char *s, uint64_t *ret);

/* Creates the pod directory (and the record file in it). */
int pod_files_create_dir(Pod *p, const char *run_root);
/* Appends "key=value\n" to the record; failures are logged and returned. */
int pod_record_append(Pod *p, const char *key, const char *value);
/* Writes resolv.conf (when there is a DNSConfig) and hostname, mounts /dev/shm (own IPC only). */
int pod_files_setup(Pod *p, char **ret_error);
/* Unmounts the shm and deletes the directory; 0 also when there was nothing. */
int pod_files_remove(Pod *p);
/* Same, for a directory without a Pod (start-up cleanup). */
int pod_files_remove_dir(const char *dir);
