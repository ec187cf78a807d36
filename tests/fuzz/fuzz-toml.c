/* SPDX-License-Identifier: Apache-2.0 */

/* Feeds arbitrary bytes to the TOML parser and walks whatever it accepts, so that the tree is fully
 * touched under the sanitizers. */

#include <stdint.h>
#include <stdio.h>

#include "toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const TomlValue *v) {
        size_t n = 1;
        const char *s;
        size_t length;

        switch (toml_value_type(v)) {
        case TOML_TABLE:
                for (size_t i = 0; i < toml_table_size(v); i++) {
                        /* Every key must be found again through the index. */
                        if (toml_table_get_length(v, toml_table_key_at(v, i), toml_table_key_length_at(v, i)) !=
                            toml_table_value_at(v, i))
                                __builtin_trap();
                        n += walk(toml_table_value_at(v, i));
                }
                break;
        case TOML_ARRAY:
                for (size_t i = 0; i < toml_array_size(v); i++)
                        n += walk(toml_array_get(v, i));
                break;
        case TOML_STRING:
                if (toml_value_get_string(v, &s, &length) < 0 || s[length] != 0)
                        __builtin_trap();
                break;
        default:
                break;
        }
        if (toml_value_line(v) == 0 || toml_value_column(v) == 0)
                __builtin_trap();
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(toml_value_freep) TomlValue *v = NULL;
        TomlError e;
        char buf[512];

        if (toml_parse((const char *) data, size, "fuzz.toml", &v, &e) < 0) {
                (void) toml_error_format(&e, buf, sizeof(buf));
                if (e.line == 0 || e.column == 0)
                        __builtin_trap();
                return 0;
        }
        (void) walk(v);
        return 0;
}
