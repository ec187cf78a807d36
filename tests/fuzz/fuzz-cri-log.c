/* SPDX-License-Identifier: Apache-2.0 */

/* CRI log records: every line of the input, and a format/parse round trip of each good one. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cri-log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *p = (const char *) data, *end = p + size;
        CriLogLine l;
        int r;

        while ((r = cri_log_next(&p, end, &l)) != 0) {
                char *s = NULL;
                size_t n;
                CriLogLine again;

                if (r < 0)
                        continue;
                if (l.content < (const char *) data || l.content + l.content_size > end)
                        abort();
                if (cri_log_line_format(&l, &s, &n) >= 0) {
                        if (cri_log_line_parse(s, n, &again) < 0 || again.sec != l.sec || again.nsec != l.nsec ||
                            again.stream != l.stream || again.partial != l.partial ||
                            again.content_size != l.content_size ||
                            memcmp(again.content, l.content, l.content_size) != 0)
                                abort();
                        free(s);
                }
        }
        return 0;
}
