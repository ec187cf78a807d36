/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The user and groups a container runs as, looked up in the image's own /etc/passwd and /etc/group
 * the way runc's user package does it for CRI-O: files are opened beneath the rootfs and never
 * through a symlink leading out of it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef enum SupplementalGroupsPolicy {
        SUPPLEMENTAL_GROUPS_POLICY_MERGE,       /* image's /etc/group memberships + the request's */
        SUPPLEMENTAL_GROUPS_POLICY_STRICT,      /* only the request's */
        _SUPPLEMENTAL_GROUPS_POLICY_MAX,
        _SUPPLEMENTAL_GROUPS_POLICY_INVALID = -EINVAL,
} SupplementalGroupsPolicy;

const char *supplemental_groups_policy_to_string(SupplementalGroupsPolicy p) _const_;
SupplementalGroupsPolicy supplemental_groups_policy_from_string(const char *s) _pure_;

typedef struct OciUser {
        uint32_t uid;
        uint32_t gid;
        char *home;                     /* from passwd, "/" when the user has no entry */
        uint32_t *additional_gids;      /* the primary gid first, no duplicates */
        size_t n_additional_gids;
} OciUser;

void oci_user_done(OciUser *u);

typedef struct OciUserRequest {
        bool has_run_as_user;
        int64_t run_as_user;
        const char *run_as_username;
        bool has_run_as_group;
        int64_t run_as_group;
        const char *image_user;                 /* the image config's "user[:group]" */
        const int64_t *supplemental_groups;     /* from the security context */
        size_t n_supplemental_groups;
        SupplementalGroupsPolicy policy;
} OciUserRequest;

/* Opens path (absolute, inside the rootfs) for reading with every symlink resolved as if rootfs_fd
 * were "/": openat2(RESOLVE_IN_ROOT), or a component walk refusing symlinks on older kernels. */
int oci_open_in_root(int rootfs_fd, const char *path, int *ret_fd);

/* Resolves "user[:group]" (names or numbers) against the rootfs: a numeric user without an entry
 * is fine (gid 0 unless given, home "/"), a user or group name without one is -ENOENT; groups
 * listing the user become supplementary ones when no group was given. */
int oci_user_lookup(int rootfs_fd, const char *spec, OciUser *ret);

/* CRI-O's order: run_as_user, else run_as_username, else the image's user; run_as_group replaces
 * the group; then the policy decides whether /etc/group memberships stay, and the request's
 * supplemental groups are added. */
int oci_user_resolve(int rootfs_fd, const OciUserRequest *req, OciUser *ret);
