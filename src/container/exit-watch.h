/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Noticing container exits at once: conmon writes the exit code of container <id> into
 * <container_exits_dir>/<id> when it exits; an inotify watch on that directory reports each such
 * file with the code, the time (the file's mtime, as CRI-O takes it) and whether the kernel
 * OOM-killed the container (conmon's "oom" file in the container's directory). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"

/* CRI's reasons for a finished container, as CRI-O sets them. */
#define CONTAINER_REASON_COMPLETED "Completed"
#define CONTAINER_REASON_ERROR "Error"
#define CONTAINER_REASON_OOM_KILLED "OOMKilled"

/* "OOMKilled" when oom_killed, else "Completed" for 0 and "Error" for the rest. */
const char *container_exit_reason(int exit_code, bool oom_killed) _const_;

/* The content of an exit file: a decimal exit code, maybe with a newline. -EBADMSG otherwise. */
int exit_file_parse(const char *data, size_t size, int *ret);

/* Whether conmon left an "oom" file in dir. */
bool conmon_oom_file_exists(const char *dir);

typedef struct ContainerExit {
        const char *id;
        int exit_code;
        bool oom_killed;
        uint64_t finished_at_nsec;      /* CLOCK_REALTIME, ns */
        const char *reason;
} ContainerExit;

typedef struct ExitWatch ExitWatch;

/* Called for every exit file that appears (or exit_watch_check() finds); the watch may be used
 * but not freed from it. */
typedef void (*ExitWatchHandler)(ExitWatch *w, const ContainerExit *exit, void *userdata);

/* exits_dir is created if missing. */
int exit_watch_new(sd_event *event, const char *exits_dir, ExitWatchHandler handler, void *userdata,
                   ExitWatch **ret);
ExitWatch *exit_watch_free(ExitWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(ExitWatch *, exit_watch_free);

/* Registers where the "oom" file of container id appears (its bundle directory); exits of
 * containers not registered are reported too, never as OOM kills. */
int exit_watch_add(ExitWatch *w, const char *id, const char *oom_dir);
void exit_watch_remove(ExitWatch *w, const char *id);

/* Reads <exits_dir>/<id> now: 0 and *ret filled when the container has exited, -ENOENT when it
 * has not. For exits that happened while nobody watched. */
int exit_watch_read(ExitWatch *w, const char *id, int *ret_exit_code, bool *ret_oom_killed,
                    uint64_t *ret_finished_at_nsec);
/* Removes the exit file of id (after the container is removed). */
int exit_watch_forget(ExitWatch *w, const char *id);
