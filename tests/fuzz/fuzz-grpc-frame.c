/* SPDX-License-Identifier: Apache-2.0 */

/* Feeds the gRPC framing decoder: the first byte picks the chunk size the rest is cut into, so
 * messages split at every possible place. */

#include <string.h>

#include "grpc-frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        GrpcFrameDecoder d;
        size_t chunk;

        if (size < 1)
                return 0;
        chunk = data[0] == 0 ? size : data[0];
        data++;
        size--;

        grpc_frame_decoder_init(&d, 4096);
        while (size > 0) {
                size_t n = MIN(chunk, size);
                const uint8_t *p = data;
                size_t left = n;

                while (left > 0) {
                        GrpcFrame f;
                        size_t consumed = 0;
                        int r;

                        r = grpc_frame_decoder_feed(&d, p, left, &consumed, &f);
                        if (r < 0)
                                goto done;
                        if (consumed > left)
                                __builtin_trap();
                        if (r > 0) {
                                volatile uint8_t sink = 0;

                                if (f.size > 4096)
                                        __builtin_trap();
                                /* Touch every byte so the sanitizers see a bad pointer. */
                                for (size_t i = 0; i < f.size; i++)
                                        sink ^= f.data[i];
                                (void) sink;
                        }
                        p += consumed;
                        left -= consumed;
                        if (r == 0 && left > 0)
                                __builtin_trap();
                }
                data += n;
                size -= n;
        }
done:
        grpc_frame_decoder_done(&d);
        return 0;
}
