/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The CRI edge: protobuf-c messages are decoded and encoded here and nowhere else. */

#include <protobuf-c/protobuf-c.h>

#include "grpc-server.h"
#include "strv.h"

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

/* Defines func(pairs, &n): a protobuf map field (Type entries) from a flat key, value, ..., NULL list,
 * borrowing the strings. One allocation holds the pointer array and the entries; free() it. */
#define CRI_DEFINE_MAP_ENTRIES(func, Type, init)                                             \
        static Type **func(char *const *pairs, size_t *ret_n) {                              \
                size_t n = strv_length(pairs) / 2;                                           \
                Type **l = calloc(1, n * (sizeof(Type *) + sizeof(Type)) + 1);               \
                Type *e;                                                                     \
                                                                                             \
                if (!l)                                                                      \
                        return NULL;                                                         \
                e = (Type *) (l + n);                                                        \
                for (size_t i = 0; i < n; i++) {                                             \
                        e[i] = (Type) init;                                                  \
                        e[i].key = pairs[2 * i];                                             \
                        e[i].value = pairs[2 * i + 1];                                       \
                        l[i] = &e[i];                                                        \
                }                                                                            \
                *ret_n = n;                                                                  \
                return l;                                                                    \
        }
