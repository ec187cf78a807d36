/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "cri-call.h"
#include "log.h"

ProtobufCMessage *cri_call_unpack(GrpcCall *call, const ProtobufCMessageDescriptor *descriptor,
                                  const uint8_t *message, size_t size) {
        ProtobufCMessage *m;

        m = protobuf_c_message_unpack(descriptor, /* allocator= */ NULL, size, message);
        if (!m) {
                log_debug("%s: malformed %s (%zu bytes)", grpc_call_get_path(call), descriptor->name, size);
                (void) grpc_call_finishf(call, GRPC_STATUS_INVALID_ARGUMENT,
                                         "failed to decode %s: malformed protobuf message", descriptor->name);
        }
        return m;
}

static int pack_message(const ProtobufCMessage *message, uint8_t **ret, size_t *ret_size) {
        size_t size;
        uint8_t *buf;

        size = protobuf_c_message_get_packed_size(message);
        /* malloc(0) may return NULL; always ask for at least one byte. */
        buf = malloc(size ?: 1);
        if (!buf)
                return -ENOMEM;
        (void) protobuf_c_message_pack(message, buf);
        *ret = buf;
        *ret_size = size;
        return 0;
}

int cri_call_send(GrpcCall *call, const ProtobufCMessage *message) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t size;
        int r;

        r = pack_message(message, &buf, &size);
        if (r < 0)
                return r;
        return grpc_call_send(call, buf, size);
}

int cri_call_reply(GrpcCall *call, const ProtobufCMessage *reply) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t size;
        int r;

        r = pack_message(reply, &buf, &size);
        if (r < 0)
                return r;
        return grpc_call_reply(call, buf, size);
}

int cri_call_unimplemented(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        const char *path = grpc_call_get_path(call), *method;

        method = strrchr(path, '/');
        method = method ? method + 1 : path;
        return grpc_call_finishf(call, GRPC_STATUS_UNIMPLEMENTED, "%s is not implemented by crio yet", method);
}
