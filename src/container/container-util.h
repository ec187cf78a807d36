/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Small helpers of the container files: PID files and container IDs. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fileio.h"
#include "macro.h"
#include "strv.h"

/* Reads a PID file as conmon and the runtimes write it: a decimal PID, maybe a newline. */
int container_read_pid_file(const char *path, pid_t *ret);

/* Container IDs as CRI-O makes them and runc accepts them: [A-Za-z0-9_.-], 1 to 1024 characters,
 * not "." or ".."; they end up in paths and argv. */
bool container_id_valid(const char *id) _pure_;
