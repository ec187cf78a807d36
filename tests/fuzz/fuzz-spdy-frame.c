/* SPDX-License-Identifier: Apache-2.0 */

/* Feeds the SPDY/3.1 frame parser and, for frames with header blocks, the zlib header inflater
 * with its connection-long state, as a client's bytes reach the streaming server. */

#include <string.h>

#include "spdy.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(spdy_inflater_freep) SpdyInflater *inf = NULL;

        if (spdy_inflater_new(&inf) < 0)
                return 0;
        while (size > 0) {
                SpdyFrame f;
                int r;

                r = spdy_frame_parse(data, size, 1024 * 1024, &f);
                if (r <= 0)
                        break;
                if (IN_SET(f.type, SPDY_SYN_STREAM, SPDY_SYN_REPLY, SPDY_HEADERS)) {
                        _cleanup_strv_free_ char **headers = NULL;

                        if (spdy_inflate_headers(inf, f.data, f.data_size, 64 * 1024, &headers) >= 0)
                                (void) spdy_headers_get(headers, "streamtype");
                }
                data += r;
                size -= (size_t) r;
        }
        return 0;
}
