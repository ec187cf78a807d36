/* SPDX-License-Identifier: Apache-2.0 */

/* Feeds arbitrary bytes to the configuration loader as a crio.conf, then checks what it accepts:
 * finalize must not crash, and `crio config` output must read back to the same text. */

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "config-load.h"
#include "config-toml.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(config_freep) Config *c = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL, *text2 = NULL;

        log_set_max_level(LOG_EMERG - 1);
        if (config_new_default(&c) < 0)
                return 0;
        if (config_load_text(c, (const char *) data, size, "fuzz.conf") < 0)
                return 0;
        (void) config_collect_not_acted_on(c);
        if (config_finalize(c) < 0)
                return 0;
        if (config_to_toml(c, &text) < 0)
                return 0;

        if (config_new_default(&again) < 0)
                return 0;
        if (config_load_text(again, text, strlen(text), "again.conf") < 0 || config_finalize(again) < 0)
                abort();
        if (config_to_toml(again, &text2) < 0)
                return 0;
        if (strcmp(text, text2) != 0)
                abort();

        /* `crio config` comments defaults out; that form must read back the same too. */
        {
                _cleanup_(config_freep) Config *third = NULL;
                _cleanup_free_ char *commented = NULL, *text3 = NULL;
                size_t n = 0;
                FILE *f = open_memstream(&commented, &n);

                if (!f)
                        return 0;
                if (config_write_toml(c, /* comment_defaults= */ true, f) < 0) {
                        fclose(f);
                        return 0;
                }
                if (fclose(f) != 0 || config_new_default(&third) < 0)
                        return 0;
                if (config_load_text(third, commented, n, "commented.conf") < 0 || config_finalize(third) < 0)
                        abort();
                if (config_to_toml(third, &text3) < 0)
                        return 0;
                if (strcmp(text, text3) != 0)
                        abort();
        }
        return 0;
}
