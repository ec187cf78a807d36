/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* StopContainer as CRI-O does it: "<runtime> kill <id> <stop signal>", then waiting for the
 * container's init process to go; after the timeout "kill <id> KILL", repeated until it is gone.
 * The process is watched through a pidfd (polled where the kernel has none). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "oci-runtime.h"

/* CRI-O's ctr_stop_timeout default: the floor for a StopContainer timeout. */
#define CONTAINER_STOP_TIMEOUT_MIN_USEC (30 * 1000000ULL)

typedef struct ContainerStop ContainerStop;

/* r: 0 once the process is gone (at once for one already gone: stop is idempotent), or a negative
 * errno when even SIGKILL could not be delivered. The handler may free the operation. */
typedef void (*ContainerStopHandler)(ContainerStop *s, int r, void *userdata);

/* pid: the container's init PID (from conmon). timeout_usec: the caller's, floored by the caller
 * (CRI-O floors kubelet's timeout at ctr_stop_timeout). */
int container_stop(OciRuntime *rt, sd_event *event, const char *id, pid_t pid, int signo, uint64_t timeout_usec,
                   ContainerStopHandler handler, void *userdata, ContainerStop **ret);
ContainerStop *container_stop_free(ContainerStop *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ContainerStop *, container_stop_free);
/* Whether the stop signal was not enough and SIGKILL was sent. */
bool container_stop_killed(const ContainerStop *s) _pure_;
