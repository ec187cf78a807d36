/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* gRPC's length-prefixed message framing: one flag byte (1 = compressed), a 32-bit big-endian
 * length, then the message. The decoder is incremental and knows nothing of sockets, so the unit
 * tests and the fuzzer drive it directly. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define GRPC_FRAME_HEADER_SIZE 5U

typedef struct GrpcFrameDecoder {
        size_t max_size;
        uint8_t header[GRPC_FRAME_HEADER_SIZE];
        size_t header_size;        /* header bytes collected so far */
        uint32_t length;           /* declared length of the current message */
        bool compressed;
        uint8_t *buffer;           /* lazily allocated when a message spans input chunks */
        size_t buffer_size;
        size_t buffer_allocated;
} GrpcFrameDecoder;

/* One decoded message. data points either into the input given to grpc_frame_decoder_feed() or into
 * the decoder's buffer; it stays valid until the next feed or done. */
typedef struct GrpcFrame {
        bool compressed;
        const uint8_t *data;
        size_t size;
} GrpcFrame;

void grpc_frame_decoder_init(GrpcFrameDecoder *d, size_t max_size);
void grpc_frame_decoder_done(GrpcFrameDecoder *d);

/* Consumes input up to and including the next complete message. Returns 1 with *ret_frame set when a
 * message is complete, 0 when all input was consumed without completing one. *ret_consumed says how
 * many bytes were used in both cases. Errors: -EMSGSIZE when the declared length exceeds max_size
 * (d->length holds it), -EBADMSG for a flag byte other than 0 or 1, -ENOMEM. */
int grpc_frame_decoder_feed(GrpcFrameDecoder *d, const uint8_t *data, size_t size,
                            size_t *ret_consumed, GrpcFrame *ret_frame);

/* True while part of a message (or its header) has been consumed but not completed. */
static inline bool grpc_frame_decoder_is_partial(const GrpcFrameDecoder *d) {
        return d->header_size > 0;
}

/* Writes the 5-byte prefix for a message of the given size. */
void grpc_frame_write_header(uint8_t header[static GRPC_FRAME_HEADER_SIZE], bool compressed, uint32_t size);
