/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "api.pb-c.h"
#include "cri-call.h"
#include "cri-streaming.h"
#include "manager.h"
#include "stream-manager.h"
#include "stream-server.h"
#include "strv.h"

/* Checks what Exec and Attach share; finishes the call and returns false when the request is
 * refused. */
static bool validate_stdio(GrpcCall *call, Manager *m, const char *container_id, bool tty, bool in, bool out,
                           bool err) {
        bool running = false;
        int r;

        if (tty && err) {
                (void) grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "tty and stderr cannot both be true");
                return false;
        }
        if (!in && !out && !err) {
                (void) grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT,
                                        "one of stdin, stdout, or stderr must be set");
                return false;
        }
        if (!container_id || !*container_id) {
                (void) grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "container ID must not be empty");
                return false;
        }
        r = manager_streaming_lookup_container(m, container_id, &running);
        if (r < 0) {
                (void) grpc_call_finishf(call, GRPC_STATUS_NOT_FOUND, "could not find container \"%s\"", container_id);
                return false;
        }
        if (!running) {
                (void) grpc_call_finishf(call, GRPC_STATUS_FAILED_PRECONDITION, "container %s is not running",
                                         container_id);
                return false;
        }
        if (!m->stream_server) {
                (void) grpc_call_finish(call, GRPC_STATUS_UNAVAILABLE, "the streaming server is not running");
                return false;
        }
        return true;
}

static int reply_url(GrpcCall *call, Manager *m, StreamRequest *req, ProtobufCMessage *reply, char **url_field) {
        _cleanup_free_ char *url = NULL;
        int r;

        r = stream_server_get_url(m->stream_server, req, &url);
        if (r == -EBUSY)
                return grpc_call_finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED,
                                        "too many streaming requests in flight");
        if (r < 0)
                return grpc_call_finishf(call, GRPC_STATUS_INTERNAL, "failed to make a streaming URL: %s", strerror(-r));
        *url_field = url;
        return cri_call_reply(call, reply);
}

int cri_streaming_exec(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        _cleanup_(stream_request_freep) StreamRequest *req = NULL;
        Runtime__V1__ExecResponse reply = RUNTIME__V1__EXEC_RESPONSE__INIT;
        const Runtime__V1__ExecRequest *in;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__exec_request__descriptor, message, size);
        if (!msg)
                return 0;
        in = (const Runtime__V1__ExecRequest *) msg;
        if (in->n_cmd == 0)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "cmd must not be empty");
        if (!validate_stdio(call, m, in->container_id, in->tty, in->stdin, in->stdout, in->stderr))
                return 0;

        r = stream_request_new(STREAM_REQUEST_EXEC, &req);
        if (r < 0)
                return r;
        req->container_id = strdup(in->container_id);
        if (!req->container_id)
                return -ENOMEM;
        for (size_t k = 0; k < in->n_cmd; k++) {
                r = strv_push(&req->cmd, in->cmd[k]);
                if (r < 0)
                        return r;
        }
        req->tty = in->tty;
        req->stdin = in->stdin;
        req->stdout = in->stdout;
        req->stderr = in->stderr;
        return reply_url(call, m, TAKE_PTR(req), &reply.base, &reply.url);
}

int cri_streaming_attach(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        _cleanup_(stream_request_freep) StreamRequest *req = NULL;
        Runtime__V1__AttachResponse reply = RUNTIME__V1__ATTACH_RESPONSE__INIT;
        const Runtime__V1__AttachRequest *in;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__attach_request__descriptor, message, size);
        if (!msg)
                return 0;
        in = (const Runtime__V1__AttachRequest *) msg;
        if (!validate_stdio(call, m, in->container_id, in->tty, in->stdin, in->stdout, in->stderr))
                return 0;

        r = stream_request_new(STREAM_REQUEST_ATTACH, &req);
        if (r < 0)
                return r;
        req->container_id = strdup(in->container_id);
        if (!req->container_id)
                return -ENOMEM;
        req->tty = in->tty;
        req->stdin = in->stdin;
        req->stdout = in->stdout;
        req->stderr = in->stderr;
        return reply_url(call, m, TAKE_PTR(req), &reply.base, &reply.url);
}

int cri_streaming_port_forward(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        _cleanup_(stream_request_freep) StreamRequest *req = NULL;
        Runtime__V1__PortForwardResponse reply = RUNTIME__V1__PORT_FORWARD_RESPONSE__INIT;
        const Runtime__V1__PortForwardRequest *in;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__port_forward_request__descriptor, message, size);
        if (!msg)
                return 0;
        in = (const Runtime__V1__PortForwardRequest *) msg;
        if (!in->pod_sandbox_id || !*in->pod_sandbox_id)
                return grpc_call_finish(call, GRPC_STATUS_INVALID_ARGUMENT, "pod sandbox ID must not be empty");
        for (size_t k = 0; k < in->n_port; k++)
                if (in->port[k] <= 0 || in->port[k] > 65535)
                        return grpc_call_finishf(call, GRPC_STATUS_INVALID_ARGUMENT, "invalid port %d", in->port[k]);
        if (manager_streaming_lookup_pod(m, in->pod_sandbox_id) < 0)
                return grpc_call_finishf(call, GRPC_STATUS_NOT_FOUND, "could not find pod \"%s\"", in->pod_sandbox_id);
        if (!m->stream_server)
                return grpc_call_finish(call, GRPC_STATUS_UNAVAILABLE, "the streaming server is not running");

        r = stream_request_new(STREAM_REQUEST_PORT_FORWARD, &req);
        if (r < 0)
                return r;
        req->pod_sandbox_id = strdup(in->pod_sandbox_id);
        if (!req->pod_sandbox_id)
                return -ENOMEM;
        if (in->n_port > 0) {
                req->ports = calloc(in->n_port, sizeof(uint16_t));
                if (!req->ports)
                        return -ENOMEM;
                for (size_t k = 0; k < in->n_port; k++)
                        req->ports[req->n_ports++] = (uint16_t) in->port[k];
        }
        return reply_url(call, m, TAKE_PTR(req), &reply.base, &reply.url);
}
