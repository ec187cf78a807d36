/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A container's files: the rootfs, an overlay of its image's layers (lowerdir, top layer first)
 * with a writable layer of its own, and the bundle directory conmon and the runtime work in:
 *
 *   <root>/overlay-containers/<id>/{diff,work,merged}      upper, work and mount point
 *   <runroot>/overlay-containers/<id>/userdata             config.json, pid files, ctl, oom
 *
 * Kept apart from <root>/overlay/, which the image store sweeps of what it does not know. The
 * overlay is mounted in crio's own mount namespace, where conmon and the runtime start. */

#include <stdint.h>

#include "container.h"
#include "image-record.h"

#define CONTAINER_LAYERS_DIR "overlay-containers"

/* Makes the directories and mounts the overlay; sets c->layer_dir, c->rootfs, c->bundle_dir. */
int container_rootfs_create(Container *c, const ImageRecord *image, char **ret_error);
/* Unmounts the overlay and deletes both directories; 0 also when there was nothing. */
int container_rootfs_remove(Container *c);
/* The writable layer's usage: bytes and inodes under diff. */
int container_rootfs_usage(const Container *c, uint64_t *ret_bytes, uint64_t *ret_inodes);
