/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Whole-file reads, crash-safe writes and directory creation, shared by every subsystem. */

#include <stddef.h>
#include <sys/types.h>

#include "macro.h"

/* Temporary files start with this, so a start-up sweep can tell them from real content. */
#define TEMP_FILE_PREFIX ".tmp-"

typedef enum ReadFileFlags {
        READ_FILE_NOFOLLOW = 1 << 0,    /* refuse a symlink as the last component */
} ReadFileFlags;

/* Reads a whole regular file relative to dir_fd (or AT_FDCWD), NUL-terminated. More than max bytes
 * is -EFBIG; a directory -EISDIR; anything else that is not a regular file -EBADFD. */
int read_full_file_at(int dir_fd, const char *path, size_t max, ReadFileFlags flags, char **ret, size_t *ret_size);

/* Reads what is left of fd, at most max bytes (-EFBIG beyond), NUL-terminated. */
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size);

/* Writes all of data, resuming after short writes and EINTR. */
int loop_write(int fd, const void *data, size_t size);

/* A fresh name TEMP_FILE_PREFIX "<tag>-<random>" (not created). */
int tempfile_name(const char *tag, char **ret);

/* Writes path (relative to dir_fd, may contain '/') crash-safely: a temporary file beside it, fsync,
 * rename, fsync of the directory. A crash leaves the old content or the new, never a mix. */
int write_file_atomic_at(int dir_fd, const char *path, const void *data, size_t size, mode_t mode);

/* Creates the directory and its missing parents; mkdir_parents() only the parents of path. */
int mkdir_p(const char *path, mode_t mode);
int mkdir_parents(const char *path, mode_t mode);
