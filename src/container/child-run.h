/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One run of a helper program (an OCI runtime command) watched on sd-event: input from a memfd,
 * stdout and stderr read from pipes as they come (kept up to a cap, the rest read and dropped, so
 * the program never blocks on us), its exit a child event source, and a timer that kills it with
 * its process group when it takes too long. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct ChildRun ChildRun;

/* r: 0 when the program exited with 0, -EPROTO for another exit status, -ETIMEDOUT when it was
 * killed at the timeout, -ECHILD when a signal killed it. The handler may free the run. */
typedef void (*ChildRunHandler)(ChildRun *run, int r, void *userdata);

/* Called when the timeout fired, before the program is killed: a chance to kill what the program
 * started elsewhere (the process a "runc exec" runs in the container). */
typedef void (*ChildRunTimeoutHook)(ChildRun *run, void *userdata);

#define CHILD_RUN_OUTPUT_MAX_DEFAULT (1024U * 1024U)

typedef struct ChildRunOptions {
        char *const *env;               /* the complete environment; NULL: ours */
        const char *input;              /* stdin; NULL: /dev/null */
        size_t input_size;
        size_t output_max;              /* stdout and stderr together; 0: the default */
        uint64_t timeout_usec;          /* 0 or UINT64_MAX: none */
        ChildRunTimeoutHook timeout_hook;
} ChildRunOptions;

int child_run_start(sd_event *event, char *const *argv, const ChildRunOptions *options,
                    ChildRunHandler handler, void *userdata, ChildRun **ret);
/* A run still in progress is killed (with its process group) and reaped. */
ChildRun *child_run_free(ChildRun *run);
DEFINE_TRIVIAL_CLEANUP_FUNC(ChildRun *, child_run_free);

pid_t child_run_get_pid(const ChildRun *run) _pure_;
/* What the program printed, NUL-terminated ("" when nothing). */
const char *child_run_get_stdout(const ChildRun *run, size_t *ret_size);
const char *child_run_get_stderr(const ChildRun *run, size_t *ret_size);
/* Output beyond options.output_max was dropped. */
bool child_run_output_truncated(const ChildRun *run) _pure_;
/* The exit status, or -1 when a signal ended it (see child_run_get_signal()) or it still runs. */
int child_run_get_exit_status(const ChildRun *run) _pure_;
int child_run_get_signal(const ChildRun *run) _pure_;
bool child_run_timed_out(const ChildRun *run) _pure_;
/* stderr with trailing white space cut, at most 1 KiB: for error messages. */
int child_run_stderr_summary(const ChildRun *run, char **ret);
