/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The CRI edge: protobuf-c messages are decoded and encoded here and nowhere else. */

#include <protobuf-c/protobuf-c.h>

#include "grpc-server.h"

/* Decodes a request; on failure finishes the call INVALID_ARGUMENT naming the message type and
 * returns NULL. Free the result with protobuf_c_message_free_unpacked(). */
ProtobufCMessage *cri_call_unpack(GrpcCall *call, const ProtobufCMessageDescriptor *descriptor,
                                  const uint8_t *message, size_t size);

/* Encodes one message and queues it (server-streaming calls send many before finishing). */
int cri_call_send(GrpcCall *call, const ProtobufCMessage *message);

/* Encodes the reply and finishes the call OK. */
int cri_call_reply(GrpcCall *call, const ProtobufCMessage *reply);

/* Handler for the RPCs no issue has implemented yet: UNIMPLEMENTED, naming the RPC. */
int cri_call_unimplemented(GrpcCall *call, const uint8_t *message, size_t size, void *userdata);

static inline void protobuf_c_message_freep(ProtobufCMessage **m) {
        if (*m)
                protobuf_c_message_free_unpacked(*m, NULL);
}
#define _cleanup_message_ _cleanup_(protobuf_c_message_freep)
