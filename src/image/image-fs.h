/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* File system helpers of the image store, all relative to directory fds and never following
 * symlinks. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every temporary entry of the store starts with this, so the start-up sweep finds leftovers. */
#define IMAGE_TEMP_PREFIX ".tmp-"

/* A fresh name ".tmp-<tag>-<16 random hex>". */
int image_fs_temp_name(const char *tag, char **ret);

/* Removes name below dir_fd and everything under it. Symlinks are removed, never followed.
 * A missing name is not an error. */
int image_fs_remove_tree(int dir_fd, const char *name);

/* Removes every entry of dir_fd whose name starts with IMAGE_TEMP_PREFIX. Returns the count. */
int image_fs_sweep_temp(int dir_fd);

/* Opens (creating if asked, mode 0700) a directory below dir_fd, without following symlinks. */
int image_fs_open_dir(int dir_fd, const char *name, bool create, int *ret_fd);

/* Replaces name atomically: writes a temp file beside it, fsyncs, renames over, fsyncs the
 * directory. A crash leaves the old or the new content. */
int image_fs_write_atomic(int dir_fd, const char *name, const void *data, size_t size, unsigned mode);

/* Reads a whole regular file, refusing more than max bytes (-EFBIG). The buffer is NUL-terminated. */
int image_fs_read_file(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_size);

/* Bytes (allocated blocks) and inodes under dir_fd, each hardlinked inode counted once. */
int image_fs_usage(int dir_fd, uint64_t *ret_bytes, uint64_t *ret_inodes);
