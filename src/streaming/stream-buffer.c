/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "stream-buffer.h"

int stream_buffer_reserve(StreamBuffer *b, size_t n) {
        size_t used = stream_buffer_size(b), want;
        uint8_t *p;

        if (b->allocated - b->end >= n)
                return 0;
        /* Move the live bytes to the front first when that alone makes enough room and the
         * front holds at least as much as we would copy. */
        if (b->start > 0 && b->allocated - used >= n && b->start >= used) {
                memmove(b->data, b->data + b->start, used);
                b->start = 0;
                b->end = used;
                return 0;
        }
        if (used > SIZE_MAX / 2 - n)
                return -ENOMEM;
        want = MAX(MAX(b->allocated * 2, used + n), (size_t) 4096);
        if (b->start > 0) {
                memmove(b->data, b->data + b->start, used);
                b->start = 0;
                b->end = used;
        }
        p = realloc(b->data, want);
        if (!p)
                return -ENOMEM;
        b->data = p;
        b->allocated = want;
        return 0;
}

int stream_buffer_append(StreamBuffer *b, const void *data, size_t size) {
        int r;

        if (size == 0)
                return 0;
        r = stream_buffer_reserve(b, size);
        if (r < 0)
                return r;
        memcpy(b->data + b->end, data, size);
        b->end += size;
        return 0;
}

void stream_buffer_consume(StreamBuffer *b, size_t n) {
        b->start += MIN(n, stream_buffer_size(b));
        if (b->start == b->end)
                b->start = b->end = 0;
}

void stream_buffer_done(StreamBuffer *b) {
        b->data = mfree(b->data);
        b->start = b->end = b->allocated = 0;
}
