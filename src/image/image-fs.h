/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* File system helpers of the image store, all relative to directory fds and never following
 * symlinks. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fileio.h"

/* Every temporary entry of the store starts with TEMP_FILE_PREFIX (fileio.h), so the start-up sweep
 * finds leftovers. */

/* Removes name below dir_fd and everything under it. Symlinks are removed, never followed.
 * A missing name is not an error. */
int image_fs_remove_tree(int dir_fd, const char *name);

/* Removes every entry of dir_fd whose name starts with TEMP_FILE_PREFIX. Returns the count. */
int image_fs_sweep_temp(int dir_fd);

/* Opens (creating if asked, mode 0700) a directory below dir_fd, without following symlinks. */
int image_fs_open_dir(int dir_fd, const char *name, bool create, int *ret_fd);

/* Bytes (allocated blocks) and inodes under dir_fd, each hardlinked inode counted once. */
int image_fs_usage(int dir_fd, uint64_t *ret_bytes, uint64_t *ret_inodes);
/* The same, but the top-level entry named except is counted alone, without what lies below it. */
int image_fs_usage_except(int dir_fd, const char *except, uint64_t *ret_bytes, uint64_t *ret_inodes);
/* The entry name below dir_fd itself plus, for a directory, everything below it. */
int image_fs_entry_usage(int dir_fd, const char *name, uint64_t *ret_bytes, uint64_t *ret_inodes);
