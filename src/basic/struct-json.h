/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A plain C struct to and from a JSON object, described once by a table of its fields: the writer and
 * the reader walk the same table, so a field can't be written and then forgotten on reading. Used by
 * the records crio keeps on disk (pod-state-json.c, container-state-json.c); only *-json.c files
 * include this.
 *
 * Keys are written in the table's order. On reading, keys the table doesn't name are ignored (a newer
 * crio may add some); a key that is missing leaves its field zero, null leaves a pointer field NULL;
 * anything else of the wrong type or out of range is -EBADMSG. The reader stores what it allocates
 * into the struct as it goes, so after a failure the struct's usual destructor frees it all. */

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

typedef enum StructFieldType {
        STRUCT_FIELD_TYPE_STRING,       /* char *: a string, null for NULL */
        STRUCT_FIELD_TYPE_STRV,         /* char **: an array of strings, null for NULL ([] stays empty) */
        STRUCT_FIELD_TYPE_PAIRS,        /* char ** key, value, ..., NULL: an object of strings */
        STRUCT_FIELD_TYPE_BOOL,
        STRUCT_FIELD_TYPE_INT,
        STRUCT_FIELD_TYPE_UINT16,
        STRUCT_FIELD_TYPE_UINT32,
        STRUCT_FIELD_TYPE_INT64,
        STRUCT_FIELD_TYPE_UINT64,       /* a number up to INT64_MAX, a decimal string above it */
        STRUCT_FIELD_TYPE_INT64_ARRAY,  /* int64_t * and its size_t count at n_offset */
        STRUCT_FIELD_TYPE_ENUM,         /* an int-sized enum, by the names of its string table */
        STRUCT_FIELD_TYPE_OBJECT,       /* a struct inside the struct, by its own table */
        STRUCT_FIELD_TYPE_ARRAY,        /* a pointer to structs of size bytes, size_t count at n_offset */
        _STRUCT_FIELD_TYPE_MAX,
        _STRUCT_FIELD_TYPE_INVALID = -EINVAL,
} StructFieldType;

typedef struct StructField {
        const char *name;               /* NULL ends a table */
        StructFieldType type;
        size_t offset;
        size_t n_offset;                /* INT64_ARRAY, ARRAY */
        size_t size;                    /* ARRAY: one element */
        const struct StructField *fields;       /* OBJECT, ARRAY */
        const char *(*to_string)(int v);        /* ENUM */
        int (*from_string)(const char *s);      /* ENUM: negative for an unknown name */
        bool required;                  /* present and not null; a string not empty */
} StructField;

/* offsetof(T, f), refused at compile time unless T.f has the given type. */
#define STRUCT_FIELD_OFFSET(T, f, type)                                                                  \
        __builtin_choose_expr(__builtin_types_compatible_p(typeof(((T *) 0)->f), type), offsetof(T, f), \
                              (void) 0)

#define STRUCT_FIELD_SIMPLE(key, T, f, t, ctype) \
        { .name = (key), .type = STRUCT_FIELD_TYPE_##t, .offset = STRUCT_FIELD_OFFSET(T, f, ctype) }

#define STRUCT_FIELD_STRING(key, T, f) STRUCT_FIELD_SIMPLE(key, T, f, STRING, char *)
#define STRUCT_FIELD_STRV(key, T, f) STRUCT_FIELD_SIMPLE(key, T, f, STRV, char **)
#define STRUCT_FIELD_PAIRS(key, T, f) STRUCT_FIELD_SIMPLE(key, T, f, PAIRS, char **)
#define STRUCT_FIELD_BOOL(key, T, f) STRUCT_FIELD_SIMPLE(key, T, f, BOOL, bool)
#define STRUCT_FIELD_INT(key, T, f) STRUCT_FIELD_SIMPLE(key, T, f, INT, int)
#define STRUCT_FIELD_UINT16(key, T, f) STRUCT_FIELD_SIMPLE(key, T, f, UINT16, uint16_t)
#define STRUCT_FIELD_UINT32(key, T, f) STRUCT_FIELD_SIMPLE(key, T, f, UINT32, uint32_t)
#define STRUCT_FIELD_INT64(key, T, f) STRUCT_FIELD_SIMPLE(key, T, f, INT64, int64_t)
#define STRUCT_FIELD_UINT64(key, T, f) STRUCT_FIELD_SIMPLE(key, T, f, UINT64, uint64_t)

#define STRUCT_FIELD_REQUIRED_STRING(key, T, f) \
        { .name = (key), .type = STRUCT_FIELD_TYPE_STRING, .offset = STRUCT_FIELD_OFFSET(T, f, char *), \
          .required = true }

#define STRUCT_FIELD_INT64_ARRAY(key, T, f, n)                                                    \
        { .name = (key), .type = STRUCT_FIELD_TYPE_INT64_ARRAY,                                   \
          .offset = STRUCT_FIELD_OFFSET(T, f, int64_t *), .n_offset = STRUCT_FIELD_OFFSET(T, n, size_t) }

/* An enum field of type E, whose names come from prefix_to_string()/prefix_from_string() through the
 * wrappers STRUCT_FIELD_DEFINE_ENUM(prefix, E) defines. */
#define STRUCT_FIELD_ENUM(key, T, f, E, prefix)                                                   \
        { .name = (key), .type = STRUCT_FIELD_TYPE_ENUM, .offset = STRUCT_FIELD_OFFSET(T, f, E),  \
          .to_string = prefix##_to_string_int, .from_string = prefix##_from_string_int }

#define STRUCT_FIELD_DEFINE_ENUM(prefix, E)                                                       \
        _Static_assert(sizeof(E) == sizeof(int), #E " is not int-sized");                         \
        static const char *prefix##_to_string_int(int v) {                                        \
                return prefix##_to_string((E) v);                                                 \
        }                                                                                         \
        static int prefix##_from_string_int(const char *s) {                                      \
                return (int) prefix##_from_string(s);                                             \
        }

#define STRUCT_FIELD_OBJECT(key, T, f, S, table)                                                  \
        { .name = (key), .type = STRUCT_FIELD_TYPE_OBJECT, .offset = STRUCT_FIELD_OFFSET(T, f, S), \
          .fields = (table) }

#define STRUCT_FIELD_ARRAY(key, T, f, n, S, table)                                                \
        { .name = (key), .type = STRUCT_FIELD_TYPE_ARRAY, .offset = STRUCT_FIELD_OFFSET(T, f, S *), \
          .n_offset = STRUCT_FIELD_OFFSET(T, n, size_t), .size = sizeof(S), .fields = (table) }

/* Adds the members of s to the object b has open. -EINVAL for an enum value without a name. */
int struct_json_build(JsonBuilder *b, const StructField *fields, const void *s);

/* Fills s (zeroed by the caller) from o. -EBADMSG for malformed input (logged at debug level),
 * -ENOMEM. */
int struct_json_parse(JsonObject *o, const StructField *fields, void *s);

/* The text of b's root, as libc memory. */
int struct_json_builder_to_string(JsonBuilder *b, char **ret);

/* Parses json (size bytes, no NUL needed) into *ret_parser, whose root must be an object: returned in
 * *ret_object, owned by the parser. -EBADMSG otherwise. */
int struct_json_parse_object(const char *json, size_t size, JsonParser **ret_parser,
                             JsonObject **ret_object);
