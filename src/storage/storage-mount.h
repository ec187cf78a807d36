/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What /proc/self/mountinfo says about the storage: mounts to take down before a directory may be
 * removed (removing through a mount would empty what is mounted), and the layers of a mounted
 * container rootfs. */

/* Unmounts everything at or below path (deepest first, lazily). 0 when nothing is left mounted
 * there, -EBUSY when mounts keep coming back. */
int storage_unmount_below(const char *path);

/* The layer ids (hex) of the overlay mounted at target, from its lowerdir=<root>/overlay/<id>/diff
 * entries, top layer first; NULL when no overlay is mounted there. */
int storage_mounted_layers(const char *target, char ***ret);
