/* SPDX-License-Identifier: Apache-2.0 */

/* Feeds the WebSocket frame parser and message reassembly, as a client's bytes reach the
 * streaming server: masks, 16- and 64-bit lengths, fragments, control frames, close payloads. */

#include <string.h>

#include "websocket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        WebSocketAssembler a = {};
        uint8_t *copy, *p;
        size_t left = size;

        /* The parser unmasks in place: give it writable bytes. */
        copy = malloc(size ?: 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        for (p = copy; left > 0;) {
                WebSocketOpcode op;
                WebSocketFrame f;
                uint16_t code;
                int n, r;

                n = websocket_frame_parse(p, left, 1024 * 1024, true, &f);
                if (n <= 0)
                        break;
                if (f.opcode == WEBSOCKET_CLOSE)
                        (void) websocket_parse_close(f.payload, f.payload_size, &code);
                else if (f.opcode < WEBSOCKET_CLOSE) {
                        r = websocket_assembler_add(&a, &f, 1024 * 1024, &op);
                        if (r < 0)
                                break;
                        if (r > 0)
                                websocket_assembler_reset(&a);
                }
                p += n;
                left -= (size_t) n;
        }
        websocket_assembler_done(&a);
        free(copy);
        return 0;
}
