/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What /proc says about this boot and about a process: enough to tell a process from a later one
 * that reuses its pid, and a record of this boot from one of an earlier boot. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel's boot id, 36 characters (/proc/sys/kernel/random/boot_id). */
int proc_boot_id(char **ret);
/* The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat); -ESRCH when
 * there is no such process, -EBADMSG when the file cannot be parsed. */
int proc_pid_starttime(pid_t pid, uint64_t *ret);
/* Whether pid runs and is the process that started at starttime (0: any process with that pid). */
bool proc_pid_is(pid_t pid, uint64_t starttime);
/* Field 22 out of the text of a stat file; the command name (field 2) may hold spaces and ')'. */
int proc_stat_parse_starttime(const char *text, uint64_t *ret);
