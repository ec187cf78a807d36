/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Small helpers of the container files: NULL-terminated string arrays and whole-fd I/O. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "macro.h"

char **container_strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, container_strv_free);
size_t container_strv_length(char *const *l) _pure_;
int container_strv_push(char ***l, const char *s);
/* Appends each argument up to a NULL. */
int container_strv_extend(char ***l, ...) __attribute__((sentinel));
int container_strv_pushf(char ***l, const char *format, ...) _printf_(2, 3);

int container_write_all(int fd, const void *data, size_t size);

/* Reads a small file (at most max bytes, -EFBIG beyond) relative to dir_fd, NUL-terminated. */
int container_read_file_at(int dir_fd, const char *path, size_t max, char **ret, size_t *ret_size);

/* Reads a PID file as conmon and the runtimes write it: a decimal PID, maybe a newline. */
/* The same from the current offset of fd. */
int container_read_fd(int fd, size_t max, char **ret, size_t *ret_size);

int container_read_pid_file(const char *path, pid_t *ret);

/* Container IDs as CRI-O makes them and runc accepts them: [A-Za-z0-9_.-], 1 to 1024 characters,
 * not "." or ".."; they end up in paths and argv. */
bool container_id_valid(const char *id) _pure_;
