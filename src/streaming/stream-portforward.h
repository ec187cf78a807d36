/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A TCP connection to a port on the loopback of a pod's network namespace, made without blocking
 * the loop: a short-lived thread enters the namespace only to create the sockets (a socket stays in
 * the namespace it was made in) and hands them back; the loop then connects them non-blocking,
 * 127.0.0.1 first, ::1 when that is refused, as kubelet dials "localhost". */

#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"

/* The time a connection may take before it counts as failed (a listener whose backlog is full
 * drops our SYNs). */
#define STREAM_PORT_FORWARD_CONNECT_TIMEOUT_USEC (10ULL * 1000000ULL)

typedef struct StreamPortForward StreamPortForward;

/* Called once, from the loop: fd is a connected non-blocking O_CLOEXEC socket the callee owns, or a
 * negative errno, message then says why in kubelet's words (what follows "error forwarding port N
 * to pod ID: "). pf is freed right after the callback returns. */
typedef void (*StreamPortForwardDone)(StreamPortForward *pf, int fd, const char *message, void *userdata);

/* Starts connecting to port on the loopback of the network namespace pinned at netns_path (NULL:
 * ours). done is never called from within this call. On failure returns a negative errno and may
 * set *ret_message. */
int stream_port_forward_start(sd_event *event, const char *netns_path, uint16_t port, StreamPortForwardDone done,
                              void *userdata, StreamPortForward **ret, char **ret_message);
/* Cancels a connection on its way; done is not called. */
StreamPortForward *stream_port_forward_free(StreamPortForward *pf);
DEFINE_TRIVIAL_CLEANUP_FUNC(StreamPortForward *, stream_port_forward_free);
