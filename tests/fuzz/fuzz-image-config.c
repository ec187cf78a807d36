/* SPDX-License-Identifier: Apache-2.0 */

/* The OCI image config parser, and the store's index parsers, on arbitrary bytes. */

#include <stdlib.h>

#include "image-json.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ImageConfig config = {};
        ImageRecord **records = NULL;
        ImageLayer **layers = NULL;
        size_t n = 0;

        log_set_max_level(LOG_CRIT);
        if (image_config_from_json((const char *) data, size, &config) >= 0)
                image_config_done(&config);
        if (image_records_from_json((const char *) data, size, &records, &n) >= 0) {
                for (size_t i = 0; i < n; i++)
                        image_record_free(records[i]);
                free(records);
        }
        if (image_layers_from_json((const char *) data, size, &layers, &n) >= 0) {
                for (size_t i = 0; i < n; i++)
                        image_layer_free(layers[i]);
                free(layers);
        }
        return 0;
}
