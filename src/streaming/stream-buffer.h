/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A growable byte queue: bytes are appended at the end and consumed from the front, without moving
 * the rest on every consume. Used for socket input and output and for pending writes to fds. */

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef struct StreamBuffer {
        uint8_t *data;
        size_t start, end, allocated;
} StreamBuffer;

static inline size_t stream_buffer_size(const StreamBuffer *b) {
        return b->end - b->start;
}

static inline uint8_t *stream_buffer_head(const StreamBuffer *b) {
        return b->data + b->start;
}

/* Makes room for n more bytes at the end; the tail is at stream_buffer_tail() afterwards. */
int stream_buffer_reserve(StreamBuffer *b, size_t n);
static inline uint8_t *stream_buffer_tail(const StreamBuffer *b) {
        return b->data + b->end;
}
/* Marks n bytes written at the tail as part of the buffer. */
static inline void stream_buffer_commit(StreamBuffer *b, size_t n) {
        b->end += n;
}

int stream_buffer_append(StreamBuffer *b, const void *data, size_t size);
void stream_buffer_consume(StreamBuffer *b, size_t n);
void stream_buffer_done(StreamBuffer *b);
