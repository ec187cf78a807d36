/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "grpc-frame.h"
#include "tap.h"

static size_t frame(uint8_t *buf, uint8_t flag, const char *msg) {
        size_t n = strlen(msg);

        grpc_frame_write_header(buf, false, (uint32_t) n);
        buf[0] = flag;
        memcpy(buf + GRPC_FRAME_HEADER_SIZE, msg, n);
        return GRPC_FRAME_HEADER_SIZE + n;
}

static void test_whole_and_multiple(void) {
        GrpcFrameDecoder d;
        uint8_t buf[64];
        size_t n, consumed;
        GrpcFrame f;

        n = frame(buf, 0, "hello");
        n += frame(buf + n, 0, "");
        n += frame(buf + n, 0, "world!");

        grpc_frame_decoder_init(&d, 1024);
        TAP_IS_INT(grpc_frame_decoder_feed(&d, buf, n, &consumed, &f), 1, "first message complete");
        TAP_IS_INT(consumed, 10, "consumed exactly the first message");
        TAP_OK(f.size == 5 && memcmp(f.data, "hello", 5) == 0 && !f.compressed, "first message content");
        TAP_OK(f.data == buf + 5, "complete message is not copied");

        TAP_IS_INT(grpc_frame_decoder_feed(&d, buf + 10, n - 10, &consumed, &f), 1, "empty message complete");
        TAP_IS_INT(f.size, 0, "empty message has size 0");
        TAP_IS_INT(grpc_frame_decoder_feed(&d, buf + 15, n - 15, &consumed, &f), 1, "third message complete");
        TAP_OK(f.size == 6 && memcmp(f.data, "world!", 6) == 0, "third message content");
        TAP_IS_INT(consumed, n - 15, "all consumed");
        TAP_OK(!grpc_frame_decoder_is_partial(&d), "nothing pending");
        grpc_frame_decoder_done(&d);
}

static void test_partial(void) {
        GrpcFrameDecoder d;
        uint8_t buf[64];
        size_t n, consumed, total = 0;
        GrpcFrame f = {};
        int r = 0;

        n = frame(buf, 0, "byte by byte");
        grpc_frame_decoder_init(&d, 1024);
        for (size_t i = 0; i < n; i++) {
                r = grpc_frame_decoder_feed(&d, buf + i, 1, &consumed, &f);
                total += consumed;
                if (i + 1 < n && r != 0)
                        break;
                if (i + 1 < n)
                        TAP_OK(grpc_frame_decoder_is_partial(&d) || i == 0, "partial after byte %zu", i);
        }
        TAP_IS_INT(r, 1, "message completes with its last byte");
        TAP_IS_INT(total, n, "every byte consumed");
        TAP_OK(f.size == 12 && memcmp(f.data, "byte by byte", 12) == 0, "reassembled content");

        /* Split inside the header, then inside the body. */
        TAP_IS_INT(grpc_frame_decoder_feed(&d, buf, 3, &consumed, &f), 0, "split header needs more");
        TAP_IS_INT(grpc_frame_decoder_feed(&d, buf + 3, 6, &consumed, &f), 0, "split body needs more");
        TAP_IS_INT(grpc_frame_decoder_feed(&d, buf + 9, n - 9, &consumed, &f), 1, "rest completes");
        TAP_OK(f.size == 12 && memcmp(f.data, "byte by byte", 12) == 0, "split content");
        grpc_frame_decoder_done(&d);
}

static void test_oversize_and_flags(void) {
        GrpcFrameDecoder d;
        uint8_t buf[64];
        size_t n, consumed;
        GrpcFrame f;

        grpc_frame_decoder_init(&d, 4);
        n = frame(buf, 0, "too long");
        TAP_IS_INT(grpc_frame_decoder_feed(&d, buf, n, &consumed, &f), -EMSGSIZE, "oversize refused");
        TAP_IS_INT(d.length, 8, "declared length reported");
        TAP_IS_INT(consumed, 5, "only the header was consumed");
        grpc_frame_decoder_done(&d);

        /* Oversize is seen from the prefix alone, before the body arrives. */
        grpc_frame_decoder_init(&d, 1024);
        grpc_frame_write_header(buf, false, 80U * 1024U * 1024U);
        TAP_IS_INT(grpc_frame_decoder_feed(&d, buf, 5, &consumed, &f), -EMSGSIZE, "huge prefix refused at once");
        TAP_OK(d.buffer == NULL, "nothing allocated for it");
        grpc_frame_decoder_done(&d);

        grpc_frame_decoder_init(&d, 1024);
        n = frame(buf, 1, "zip");
        TAP_IS_INT(grpc_frame_decoder_feed(&d, buf, n, &consumed, &f), 1, "compressed message decoded");
        TAP_OK(f.compressed, "compressed flag reported");
        n = frame(buf, 2, "bad");
        TAP_IS_INT(grpc_frame_decoder_feed(&d, buf, n, &consumed, &f), -EBADMSG, "flag 2 refused");
        grpc_frame_decoder_done(&d);
}

int main(void) {
        test_whole_and_multiple();
        test_partial();
        test_oversize_and_flags();
        return tap_done();
}
