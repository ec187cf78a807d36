/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A TOML 1.0.0 parser producing a read-only value tree. Tables keep their keys in insertion order and
 * carry a hash index, and every value remembers the line and column of the key that defined it, so the
 * config layer can say "crio.conf:12:5: unknown key 'x'". Plain libc only. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef enum TomlType {
        TOML_STRING,
        TOML_INTEGER,
        TOML_FLOAT,
        TOML_BOOLEAN,
        TOML_DATETIME,          /* offset date-time: 1979-05-27T07:32:00Z */
        TOML_DATETIME_LOCAL,    /* 1979-05-27T07:32:00 */
        TOML_DATE_LOCAL,        /* 1979-05-27 */
        TOML_TIME_LOCAL,        /* 07:32:00 */
        TOML_ARRAY,
        TOML_TABLE,
        _TOML_TYPE_MAX,
        _TOML_TYPE_INVALID = -EINVAL,
} TomlType;

const char *toml_type_to_string(TomlType t) _const_;
TomlType toml_type_from_string(const char *s) _pure_;

/* Fields that a type does not have are zero: a local time has no date, only TOML_DATETIME has an
 * offset. Fractional seconds beyond nanoseconds are truncated, as the spec permits. */
typedef struct TomlDatetime {
        int year, month, day;
        int hour, minute, second;
        uint32_t nanosecond;
        unsigned fraction_digits;       /* digits written after the '.', at most 9; 0 when absent */
        int offset_minutes;             /* east of UTC */
} TomlDatetime;

#define TOML_ERROR_MESSAGE_MAX 256

typedef struct TomlError {
        const char *filename;           /* borrowed from the caller of toml_parse() */
        unsigned line, column;          /* 1-based; column counts characters, not bytes */
        char message[TOML_ERROR_MESSAGE_MAX];
} TomlError;

typedef struct TomlValue TomlValue;

/* Returns 0 on success, -EBADMSG on a syntax or semantic error (with ret_error filled in), -ENOMEM, or
 * for toml_parse_file() the errno of open/read (ret_error then names the file and the failure). */
int toml_parse(const char *text, size_t size, const char *filename, TomlValue **ret, TomlError *ret_error);
int toml_parse_file(const char *path, TomlValue **ret, TomlError *ret_error);

/* "file:line:column: message", or "line:column: message" without a filename. Returns buf. */
char *toml_error_format(const TomlError *e, char *buf, size_t size);

TomlValue *toml_value_free(TomlValue *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(TomlValue*, toml_value_free);

TomlType toml_value_type(const TomlValue *v) _pure_;
/* Where the value was defined: the key of a key/value pair, the header of a [table] or [[array]]
 * element, the first mention of an implicitly created table, or the position of an array item. */
unsigned toml_value_line(const TomlValue *v) _pure_;
unsigned toml_value_column(const TomlValue *v) _pure_;

/* Typed getters: 0 on success, -EINVAL if the value has another type (ret is left alone). */
int toml_value_get_string(const TomlValue *v, const char **ret, size_t *ret_length);
int toml_value_get_integer(const TomlValue *v, int64_t *ret);
int toml_value_get_float(const TomlValue *v, double *ret);
int toml_value_get_boolean(const TomlValue *v, bool *ret);
/* Accepts all four date/time types; check toml_value_type() to tell them apart. */
int toml_value_get_datetime(const TomlValue *v, TomlDatetime *ret);

/* Arrays. Out-of-range indexes and non-arrays yield 0/NULL. */
size_t toml_array_size(const TomlValue *a) _pure_;
TomlValue *toml_array_get(const TomlValue *a, size_t i) _pure_;

/* Tables, in insertion order. Keys are NUL-terminated; a key may contain NUL through a \u0000 escape,
 * toml_table_key_length_at() gives its full length. */
size_t toml_table_size(const TomlValue *t) _pure_;
const char *toml_table_key_at(const TomlValue *t, size_t i) _pure_;
size_t toml_table_key_length_at(const TomlValue *t, size_t i) _pure_;
TomlValue *toml_table_value_at(const TomlValue *t, size_t i) _pure_;
TomlValue *toml_table_get(const TomlValue *t, const char *key) _pure_;
TomlValue *toml_table_get_length(const TomlValue *t, const char *key, size_t key_length) _pure_;
/* Index of the key, or -ENOENT (-EINVAL when t is not a table). */
int toml_table_find(const TomlValue *t, const char *key, size_t *ret_index);
