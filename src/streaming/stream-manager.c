/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "config-schema.h"
#include "log.h"
#include "pod-store.h"
#include "stream-manager.h"
#include "stream-server.h"

int manager_streaming_lookup_container(Manager *m, const char *id, bool *ret_running) {
        /* TODO(containers): find id (or a unique prefix) in the Manager's containers; *ret_running
         * from its state. Until containers land in the daemon there are none. */
        return -ENOENT;
}

int manager_streaming_lookup_pod(Manager *m, const char *id) {
        Pod *p;

        if (!m->pods || !id || !*id)
                return -ENOENT;
        return pod_store_find(m->pods, id, &p) < 0 ? -ENOENT : 0;
}

static int backend_start(StreamSession *session, const StreamRequest *req, StreamProcessIO *ret_io,
                         void **ret_handle, char **ret_message, void *userdata) {
        /* TODO(containers): exec runs "<runtime> exec --process" with the container's user, env and
         * cwd in its scope, through a pty when req->tty; attach connects to conmon's attach socket.
         * Call stream_session_process_exited() when the process exits. */
        *ret_message = strdup("exec and attach are not wired to containers yet");
        return -EOPNOTSUPP;
}

static int backend_port_forward(const StreamRequest *req, uint16_t port, int *ret_fd, char **ret_message,
                                void *userdata) {
        /* TODO(pods): connect to port inside the pod's network namespace (setns in a helper that
         * passes the socket back), or on the host for host-network pods. */
        *ret_message = strdup("port forwarding is not wired to pods yet");
        return -EOPNOTSUPP;
}

static const StreamBackend manager_streaming_backend = {
        .start = backend_start,
        .port_forward = backend_port_forward,
};

int manager_start_streaming(Manager *m) {
        int64_t idle_nsec = 0;
        unsigned long port;
        char *end;
        int r;

        if (m->stream_server)
                return 0;
        errno = 0;
        port = strtoul(m->config->stream_port ?: "0", &end, 10);
        if (errno != 0 || *end != '\0' || port > 65535)
                return log_error_errno(EINVAL, "Invalid stream_port \"%s\".", m->config->stream_port);
        if (m->config->stream_idle_timeout && *m->config->stream_idle_timeout) {
                r = duration_parse(m->config->stream_idle_timeout, &idle_nsec);
                if (r < 0)
                        return log_error_errno(r, "Invalid stream_idle_timeout \"%s\".", m->config->stream_idle_timeout);
        }

        r = stream_server_new(m->event, &(StreamServerSettings) {
                        .address = m->config->stream_address,
                        .port = (uint16_t) port,
                        .idle_timeout_usec = idle_nsec > 0 ? (uint64_t) idle_nsec / 1000U : 0,
                        .enable_tls = m->config->stream_enable_tls,
                        .tls_cert = m->config->stream_tls_cert,
                        .tls_key = m->config->stream_tls_key,
                        .tls_ca = m->config->stream_tls_ca,
                }, &manager_streaming_backend, m, &m->stream_server);
        if (r < 0)
                return log_error_errno(r, "Failed to start the streaming server: %m");
        log_info("Streaming server listening on %s:%u.", m->config->stream_address ?: "",
                 stream_server_get_port(m->stream_server));
        return 0;
}

void manager_stop_streaming(Manager *m) {
        m->stream_server = stream_server_free(m->stream_server);
}
