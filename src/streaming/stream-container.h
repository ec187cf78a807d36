/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The daemon's streaming backend (stream-manager.c): exec through the OCI runtime (stream-exec.c)
 * and attach through conmon's attach socket (stream-attach.c); port-forward only names the pod's
 * network namespace, the server connects there (stream-portforward.h). The handles of exec and
 * attach start with their request type, so the backend's resize, cancel and release can tell them
 * apart. */

#include <stdint.h>

#include "container.h"
#include "stream-request.h"
#include "stream-session.h"

typedef struct StreamExec StreamExec;
typedef struct StreamAttach StreamAttach;

/* "<runtime> exec --process <file> --pid-file <file> <id>" in the foreground, its stdio pipes or a
 * pty of ours (the runtime then puts the process on a pty in the container and relays, resizing it
 * when we resize ours). Its exit status is the exec's exit code. */
int stream_exec_start(Container *c, StreamSession *session, const StreamRequest *req, StreamProcessIO *ret_io,
                      StreamExec **ret, char **ret_message);
int stream_exec_resize(StreamExec *e, uint16_t width, uint16_t height);
/* SIGKILL to the exec'd process (by the runtime's pid file; retried until the file is there). */
void stream_exec_cancel(StreamExec *e);
/* The session forgets e; e lives on until the runtime's exec is reaped. */
void stream_exec_release(StreamExec *e);
/* At shutdown: kills and reaps every exec still running. */
void stream_exec_reap_all(void);

/* Connects to <socket_dir>/<id>/attach (SOCK_SEQPACKET): packets from conmon start with the stream
 * (2 stdout, 3 stderr), packets to conmon are stdin. Resize goes to <bundle>/ctl. */
int stream_attach_start(Container *c, const char *socket_dir, StreamSession *session, const StreamRequest *req,
                        StreamProcessIO *ret_io, StreamAttach **ret, char **ret_message);
int stream_attach_resize(StreamAttach *a, uint16_t width, uint16_t height);
StreamAttach *stream_attach_free(StreamAttach *a);
