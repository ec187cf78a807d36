/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The lexical pieces of the TOML parser that need no parser state: UTF-8 checks, a growable byte
 * buffer, and the scanner for bare values (numbers, booleans, dates and times). */

#include "toml.h"

typedef struct TomlBuffer {
        char *data;
        size_t length, allocated;
} TomlBuffer;

int toml_buffer_put(TomlBuffer *b, const char *data, size_t length);
int toml_buffer_put_utf8(TomlBuffer *b, uint32_t codepoint);
/* Returns the contents NUL-terminated (never NULL unless out of memory) and empties the buffer. */
char *toml_buffer_steal(TomlBuffer *b, size_t *ret_length);

/* Returns the first byte that is not part of valid UTF-8 (overlong forms, surrogates and code points
 * past U+10FFFF included), or NULL if all is well. */
const char *toml_utf8_validate(const char *s, const char *end);

int toml_hex_digit(int c) _const_;

typedef struct TomlScalar {
        TomlType type;
        const char *end;        /* first byte after the value */
        const char *error_at;   /* where a failure was noticed */
        union {
                int64_t integer;
                double fp;
                bool boolean;
                TomlDatetime datetime;
        };
} TomlScalar;

/* Scans an integer, float, boolean or date/time starting at s. On failure returns -EBADMSG and sets
 * *ret_error to a static message and ret->error_at. */
int toml_scan_scalar(const char *s, const char *end, TomlScalar *ret, const char **ret_error);
