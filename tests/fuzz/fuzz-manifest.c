/* SPDX-License-Identifier: Apache-2.0 */

/* Manifests and indexes come from any registry a pull reaches. */

#include <stdint.h>
#include <stdlib.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Manifest *m = NULL;
        Index *i = NULL;
        Platform *wanted = NULL;
        size_t n = 0;

        if (manifest_parse((const char *) data, size, NULL, &m) >= 0)
                manifest_free(m);
        if (index_parse((const char *) data, size, NULL, &i) >= 0) {
                if (platform_wanted("linux", "arm", "v7", &wanted, &n) >= 0) {
                        (void) index_choose(i, wanted, n);
                        platform_array_free(wanted, n);
                }
                index_free(i);
        }
        return 0;
}
