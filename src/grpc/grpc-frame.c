/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "grpc-frame.h"

/* Grow the buffer of a partial message at most this much ahead of what arrived, so a peer that
 * only announces a huge message does not make us allocate all of it. */
#define GRPC_FRAME_BUFFER_STEP (256U * 1024U)

void grpc_frame_decoder_init(GrpcFrameDecoder *d, size_t max_size) {
        *d = (GrpcFrameDecoder) {
                .max_size = max_size,
        };
}

void grpc_frame_decoder_done(GrpcFrameDecoder *d) {
        d->buffer = mfree(d->buffer);
        d->buffer_size = d->buffer_allocated = 0;
        d->header_size = 0;
}

void grpc_frame_write_header(uint8_t header[static GRPC_FRAME_HEADER_SIZE], bool compressed, uint32_t size) {
        header[0] = compressed;
        header[1] = (uint8_t) (size >> 24);
        header[2] = (uint8_t) (size >> 16);
        header[3] = (uint8_t) (size >> 8);
        header[4] = (uint8_t) size;
}

static int grpc_frame_buffer_reserve(GrpcFrameDecoder *d, size_t need) {
        size_t a;
        uint8_t *p;

        if (need <= d->buffer_allocated)
                return 0;

        a = MAX(need, MIN((size_t) d->length, MAX(d->buffer_allocated * 2, (size_t) GRPC_FRAME_BUFFER_STEP)));
        p = realloc(d->buffer, a);
        if (!p)
                return -ENOMEM;
        d->buffer = p;
        d->buffer_allocated = a;
        return 0;
}

int grpc_frame_decoder_feed(GrpcFrameDecoder *d, const uint8_t *data, size_t size,
                            size_t *ret_consumed, GrpcFrame *ret_frame) {
        size_t consumed = 0, n;
        int r;

        if (d->header_size < GRPC_FRAME_HEADER_SIZE) {
                n = MIN(size, GRPC_FRAME_HEADER_SIZE - d->header_size);
                if (n > 0)
                        memcpy(d->header + d->header_size, data, n);
                d->header_size += n;
                consumed += n;
                if (d->header_size < GRPC_FRAME_HEADER_SIZE) {
                        *ret_consumed = consumed;
                        return 0;
                }

                if (d->header[0] > 1) {
                        *ret_consumed = consumed;
                        return -EBADMSG;
                }
                d->compressed = d->header[0] == 1;
                d->length = (uint32_t) d->header[1] << 24 | (uint32_t) d->header[2] << 16 |
                            (uint32_t) d->header[3] << 8 | (uint32_t) d->header[4];
                d->buffer_size = 0;
                if (d->length > d->max_size) {
                        *ret_consumed = consumed;
                        return -EMSGSIZE;
                }

                /* Fast path: the whole message is in this chunk, hand it out without copying. */
                if (size - consumed >= d->length) {
                        *ret_frame = (GrpcFrame) {
                                .compressed = d->compressed,
                                .data = data + consumed,
                                .size = d->length,
                        };
                        *ret_consumed = consumed + d->length;
                        d->header_size = 0;
                        return 1;
                }
        }

        n = MIN(size - consumed, (size_t) d->length - d->buffer_size);
        if (n > 0) {
                r = grpc_frame_buffer_reserve(d, d->buffer_size + n);
                if (r < 0) {
                        *ret_consumed = consumed;
                        return r;
                }
                memcpy(d->buffer + d->buffer_size, data + consumed, n);
                d->buffer_size += n;
                consumed += n;
        }
        *ret_consumed = consumed;
        if (d->buffer_size < d->length)
                return 0;

        *ret_frame = (GrpcFrame) {
                .compressed = d->compressed,
                .data = d->buffer,
                .size = d->length,
        };
        d->header_size = 0;
        return 1;
}
