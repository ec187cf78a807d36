/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "config-schema.h"
#include "container-manager.h"
#include "log.h"
#include "pod-store.h"
#include "pod.h"
#include "stream-container.h"
#include "stream-manager.h"
#include "stream-server.h"

int manager_streaming_lookup_container(Manager *m, const char *id, bool *ret_running) {
        Container *c;

        if (!id || !*id || container_find(m, id, &c) < 0)
                return -ENOENT;
        *ret_running = c->state == CONTAINER_STATE_RUNNING;
        return 0;
}

int manager_streaming_lookup_pod(Manager *m, const char *id) {
        Pod *p;

        if (!m->pods || !id || !*id)
                return -ENOENT;
        return pod_store_find(m->pods, id, &p) < 0 ? -ENOENT : 0;
}

/* The handles of exec and attach both start with their type. */
static StreamRequestType handle_type(void *handle) {
        return *(StreamRequestType *) handle;
}

static int backend_start(StreamSession *session, const StreamRequest *req, StreamProcessIO *ret_io,
                         void **ret_handle, char **ret_message, void *userdata) {
        Manager *m = userdata;
        Container *c;
        int r;

        /* The container may have gone or stopped since the URL was handed out. */
        r = container_find(m, req->container_id, &c);
        if (r < 0) {
                (void) asprintf(ret_message, "could not find container \"%s\"", req->container_id);
                return -ENOENT;
        }
        if (c->state != CONTAINER_STATE_RUNNING || !c->runtime) {
                (void) asprintf(ret_message, "container %s is not created or running", c->id);
                return -ESRCH;
        }
        if (req->type == STREAM_REQUEST_EXEC)
                return stream_exec_start(c, session, req, ret_io, (StreamExec **) ret_handle, ret_message);
        if (req->type == STREAM_REQUEST_ATTACH)
                return stream_attach_start(c, m->config->container_attach_socket_dir, session, req, ret_io,
                                           (StreamAttach **) ret_handle, ret_message);
        return -EOPNOTSUPP;
}

static int backend_resize(void *handle, uint16_t width, uint16_t height, void *userdata) {
        if (handle_type(handle) == STREAM_REQUEST_EXEC)
                return stream_exec_resize(handle, width, height);
        return stream_attach_resize(handle, width, height);
}

static void backend_cancel(void *handle, void *userdata) {
        /* An attach just detaches: release() closes its side. */
        if (handle_type(handle) == STREAM_REQUEST_EXEC)
                stream_exec_cancel(handle);
}

static void backend_release(void *handle, void *userdata) {
        if (handle_type(handle) == STREAM_REQUEST_EXEC)
                stream_exec_release(handle);
        else
                stream_attach_free(handle);
}

static int backend_port_forward(const StreamRequest *req, char **ret_netns_path, char **ret_message,
                                void *userdata) {
        Manager *m = userdata;
        Pod *p;

        if (!m->pods || pod_store_find(m->pods, req->pod_sandbox_id, &p) < 0) {
                (void) asprintf(ret_message, "could not find pod \"%s\"", req->pod_sandbox_id);
                return -ENOENT;
        }
        if (p->state != POD_STATE_READY) {
                (void) asprintf(ret_message, "pod %s is not ready", p->id);
                return -ESRCH;
        }
        /* Host-network pods have no namespace of their own: their ports are the host's. */
        if (!p->netns_path) {
                *ret_netns_path = NULL;
                return 0;
        }
        *ret_netns_path = strdup(p->netns_path);
        return *ret_netns_path ? 0 : -ENOMEM;
}

static const StreamBackend manager_streaming_backend = {
        .start = backend_start,
        .resize = backend_resize,
        .cancel = backend_cancel,
        .release = backend_release,
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
        log_info("Streaming server listening on %s:%u%s.", m->config->stream_address ?: "",
                 stream_server_get_port(m->stream_server), m->config->stream_enable_tls ? " (TLS)" : "");
        return 0;
}

void manager_stop_streaming(Manager *m) {
        m->stream_server = stream_server_free(m->stream_server);
        /* Execs whose client left but whose runtime has not exited yet. */
        stream_exec_reap_all();
}
