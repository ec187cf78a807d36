/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One exec, attach or port-forward session of the streaming server, and the backend interface the
 * daemon implements to run it: the server speaks the protocols and moves bytes; the backend starts
 * processes, connects to their stdio and opens connections to pod ports. */

#include <stdint.h>

#include "stream-request.h"

typedef struct StreamSession StreamSession;

/* The fds of a started process; the session owns them from then on. Unused ones are -EBADF. With a
 * tty, stdout_fd is the pty master and stdin_fd a dup of it, stderr_fd unused. */
typedef struct StreamProcessIO {
        int stdin_fd;
        int stdout_fd;
        int stderr_fd;
} StreamProcessIO;

typedef struct StreamBackend {
        /* Runs req's command (exec) or connects to the container's stdio (attach), with the streams
         * req asks for. On success fills *ret_io and *ret_handle; when the process exits, the backend
         * calls stream_session_process_exited() (not for attach when it cannot tell). A negative
         * errno fails the session; *ret_message (malloc()ed, may stay NULL) says why. */
        int (*start)(StreamSession *session, const StreamRequest *req, StreamProcessIO *ret_io, void **ret_handle,
                     char **ret_message, void *userdata);
        /* The terminal of a tty session changed size. */
        int (*resize)(void *handle, uint16_t width, uint16_t height, void *userdata);
        /* The client went away while the process still runs: an exec'd process gets its signal,
         * an attach just detaches. Always followed by release(). */
        void (*cancel)(void *handle, void *userdata);
        /* The session is over: forget handle; stream_session_process_exited() must not be called
         * for it any more. */
        void (*release)(void *handle, void *userdata);
        /* Where the ports of req's pod are: *ret_netns_path (malloc()ed) names the pin of its network
         * namespace, NULL its absence (a host-network pod: our own). A negative errno with an
         * optional malloc()ed *ret_message refuses the connection. The server connects there
         * itself, without blocking (stream-portforward.h). */
        int (*port_forward)(const StreamRequest *req, char **ret_netns_path, char **ret_message, void *userdata);
} StreamBackend;

/* Called by the backend when the process of session exited: exit_code 0-255, or 128+signal. */
void stream_session_process_exited(StreamSession *s, int exit_code);
const StreamRequest *stream_session_get_request(StreamSession *s) _pure_;
