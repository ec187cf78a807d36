/* SPDX-License-Identifier: Apache-2.0 */

/* CNI plugins print results and errors we parse; network configs and cache entries are files that
 * other software writes. All of it goes through here. */

#include <stdint.h>
#include <stdlib.h>

#include "cni-cache.h"
#include "cni-config.h"
#include "cni-result.h"
#include "cni-util.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *s = (const char *) data;
        CniResult *result = NULL;
        CniNetwork *net = NULL;
        CniCacheEntry *entry = NULL;
        CniError error = {};

        log_set_max_level(LOG_CRIT);

        if (cni_result_parse(s, size, &result) >= 0) {
                char **ips = NULL;

                if (cni_result_get_pod_ips(result, &ips) >= 0)
                        strv_free(ips);
                cni_result_free(result);
        }
        if (cni_error_parse(s, size, &error) >= 0) {
                char *text = NULL;

                if (cni_error_format(&error, &text) >= 0)
                        free(text);
                cni_error_done(&error);
        }
        for (int single = 0; single <= 1; single++)
                if (cni_network_parse(s, size, single, "fuzz", &net) >= 0)
                        net = cni_network_unref(net);
        if (cni_cache_entry_from_json(s, size, &entry) >= 0) {
                char *json = NULL;

                if (cni_cache_entry_to_json(entry, &json) >= 0)
                        free(json);
                cni_cache_entry_free(entry);
        }
        return 0;
}
