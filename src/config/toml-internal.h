/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The value tree as the parser builds it; only toml.c and toml-value.c see this. */

#include "toml.h"

typedef struct TomlEntry {
        char *key;
        size_t key_length;
        uint32_t hash;
        TomlValue *value;
} TomlEntry;

struct TomlValue {
        TomlType type;
        unsigned line, column;

        /* Bookkeeping for the redefinition rules of the spec (tables and arrays only). */
        bool frozen:1;          /* inline table or static array, or anything inside one */
        bool defined:1;         /* defined by a [header] (or [[header]] element): no second header */
        bool dotted:1;          /* created by a dotted key; see dotted_section */
        bool table_array:1;     /* array created by [[header]], may be appended to */
        unsigned dotted_section;/* the section whose dotted keys created this table */

        union {
                struct {
                        char *text;     /* NUL-terminated, may contain NUL; in the same allocation */
                        size_t length;
                } string;
                int64_t integer;
                double fp;
                bool boolean;
                TomlDatetime datetime;
                struct {
                        TomlValue **items;
                        size_t n, allocated;
                } array;
                struct {
                        TomlEntry *entries;
                        size_t n, allocated;
                        uint32_t *index;        /* open addressing, entry number + 1; NULL while small */
                        size_t index_size;      /* power of two */
                } table;
        };
};

TomlValue *toml_value_new(TomlType type, unsigned line, unsigned column);
TomlValue *toml_value_new_string(const char *text, size_t length, unsigned line, unsigned column);
uint32_t toml_key_hash(const char *key, size_t length) _pure_;
/* Lookup with a precomputed hash. */
TomlValue *toml_table_lookup(const TomlValue *t, const char *key, size_t length, uint32_t hash);
/* Takes ownership of key (must be allocated with length + 1 bytes, NUL-terminated) and value; the key must
 * not be present yet. On failure frees neither. */
int toml_table_insert(TomlValue *t, char *key, size_t length, uint32_t hash, TomlValue *value);
int toml_array_append(TomlValue *a, TomlValue *item);
