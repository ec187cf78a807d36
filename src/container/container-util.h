/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Small helpers of the container files: argv building, fd I/O, PID files and container IDs. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "macro.h"
#include "strv.h"

/* strv_push() of each argument up to a NULL. */
int container_strv_push_many(char ***l, ...) __attribute__((sentinel));

int container_write_all(int fd, const void *data, size_t size);

/* Reads what is left of fd (at most max bytes, -EFBIG beyond), NUL-terminated. */
int container_read_fd(int fd, size_t max, char **ret, size_t *ret_size);

/* Reads a PID file as conmon and the runtimes write it: a decimal PID, maybe a newline. */
int container_read_pid_file(const char *path, pid_t *ret);

/* Container IDs as CRI-O makes them and runc accepts them: [A-Za-z0-9_.-], 1 to 1024 characters,
 * not "." or ".."; they end up in paths and argv. */
bool container_id_valid(const char *id) _pure_;
