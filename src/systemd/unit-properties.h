/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A plain list of typed unit properties: what crio asks systemd to set on a slice or scope
 * (StartTransientUnit, SetUnitProperties take them as a(sv)), and what it reads back with
 * Properties.Get. Building and decoding are pure: no connection is needed. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "macro.h"

typedef enum UnitPropertyType {
        UNIT_PROPERTY_STRING,   /* s, and o when read back */
        UNIT_PROPERTY_BOOLEAN,  /* b */
        UNIT_PROPERTY_UINT32,   /* u */
        UNIT_PROPERTY_INT32,    /* i */
        UNIT_PROPERTY_UINT64,   /* t */
        UNIT_PROPERTY_INT64,    /* x */
        UNIT_PROPERTY_UINT32_ARRAY, /* au: PIDs */
        UNIT_PROPERTY_STRV,     /* as */
        UNIT_PROPERTY_BYTES,    /* ay: AllowedCPUs, AllowedMemoryNodes */
        _UNIT_PROPERTY_TYPE_MAX,
        _UNIT_PROPERTY_TYPE_INVALID = -EINVAL,
} UnitPropertyType;

const char *unit_property_type_to_string(UnitPropertyType t) _const_;
UnitPropertyType unit_property_type_from_string(const char *s) _pure_;
/* The D-Bus signature of a type: "s", "b", ..., "au". */
const char *unit_property_type_signature(UnitPropertyType t) _const_;

typedef struct UnitProperty {
        char *name;
        UnitPropertyType type;
        union {
                char *string;
                bool boolean;
                uint32_t u32;
                int32_t i32;
                uint64_t u64;
                int64_t i64;
                struct {
                        uint32_t *items;
                        size_t n;
                } u32_array;
                char **strv;    /* NULL-terminated */
                struct {
                        uint8_t *data;
                        size_t size;
                } bytes;
        };
} UnitProperty;

typedef struct UnitPropertyList {
        UnitProperty *items;
        size_t n_items;
        size_t n_allocated;
} UnitPropertyList;

int unit_property_list_new(UnitPropertyList **ret);
UnitPropertyList *unit_property_list_free(UnitPropertyList *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitPropertyList *, unit_property_list_free);
/* A deep copy; l may be NULL (gives an empty list). */
int unit_property_list_copy(const UnitPropertyList *l, UnitPropertyList **ret);

/* Each add replaces an earlier property of the same name, so a later setting wins.
 * Names must be non-empty; -EINVAL otherwise. */
int unit_property_list_add_string(UnitPropertyList *l, const char *name, const char *value);
int unit_property_list_add_boolean(UnitPropertyList *l, const char *name, bool value);
int unit_property_list_add_uint32(UnitPropertyList *l, const char *name, uint32_t value);
int unit_property_list_add_int32(UnitPropertyList *l, const char *name, int32_t value);
int unit_property_list_add_uint64(UnitPropertyList *l, const char *name, uint64_t value);
int unit_property_list_add_int64(UnitPropertyList *l, const char *name, int64_t value);
int unit_property_list_add_uint32_array(UnitPropertyList *l, const char *name, const uint32_t *items,
                                        size_t n);
/* "PIDs" from pid_t values; -EINVAL for a non-positive pid. */
int unit_property_list_add_pids(UnitPropertyList *l, const pid_t *pids, size_t n);
int unit_property_list_add_strv(UnitPropertyList *l, const char *name, char *const *strv);
int unit_property_list_add_bytes(UnitPropertyList *l, const char *name, const void *data, size_t size);
/* A cpuset list ("0-3,6") as systemd's byte mask, for AllowedCPUs= and AllowedMemoryNodes=. */
int unit_property_list_add_cpuset(UnitPropertyList *l, const char *name, const char *list);

const UnitProperty *unit_property_list_find(const UnitPropertyList *l, const char *name) _pure_;
static inline bool unit_property_list_contains(const UnitPropertyList *l, const char *name) {
        return unit_property_list_find(l, name);
}
/* Removes the named property: 1 if it was there, 0 if not. */
int unit_property_list_remove(UnitPropertyList *l, const char *name);
static inline size_t unit_property_list_size(const UnitPropertyList *l) {
        return l ? l->n_items : 0;
}

/* Typed look-ups for values read back: -ENOENT when absent, -EBADMSG when of another type. */
int unit_property_list_get_string(const UnitPropertyList *l, const char *name, const char **ret);
int unit_property_list_get_boolean(const UnitPropertyList *l, const char *name, bool *ret);
/* Accepts any integer type that is non-negative. */
int unit_property_list_get_uint64(const UnitPropertyList *l, const char *name, uint64_t *ret);

/* Appends one property as the struct (sv). */
int unit_property_append(sd_bus_message *m, const UnitProperty *p);
/* Appends the whole list as a(sv); l may be NULL (an empty array). */
int unit_property_list_append(sd_bus_message *m, const UnitPropertyList *l);

/* Reads one variant at the message's read position (as Properties.Get returns it) and adds it
 * under name. Types we have no use for are skipped and give -EOPNOTSUPP. */
int unit_property_list_read_variant(UnitPropertyList *l, const char *name, sd_bus_message *m);

/* A one-line "Name=value Name=value" rendering, for logs and tests. */
int unit_property_list_format(const UnitPropertyList *l, char **ret);

/* The property a systemd error names as unknown or read-only, among the names in l: systemd (and
 * older versions, in other words) puts the name in the message text of PropertyReadOnly,
 * UnknownProperty or InvalidArgs errors. Returns the name (owned by l) or NULL when the error is of
 * another kind or names none of l's properties. */
const char *unit_property_list_find_rejected(const UnitPropertyList *l, const sd_bus_error *error);
