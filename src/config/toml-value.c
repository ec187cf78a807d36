/* SPDX-License-Identifier: Apache-2.0 */

/* The TOML value tree: construction for the parser, access for everyone else. */

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "toml-internal.h"

/* Tables this small are searched linearly; the index appears when they grow. */
#define TABLE_INDEX_MIN 8

static const char *const toml_type_table[_TOML_TYPE_MAX] = {
        [TOML_STRING] = "string",
        [TOML_INTEGER] = "integer",
        [TOML_FLOAT] = "float",
        [TOML_BOOLEAN] = "bool",
        [TOML_DATETIME] = "datetime",
        [TOML_DATETIME_LOCAL] = "datetime-local",
        [TOML_DATE_LOCAL] = "date-local",
        [TOML_TIME_LOCAL] = "time-local",
        [TOML_ARRAY] = "array",
        [TOML_TABLE] = "table",
};

const char *toml_type_to_string(TomlType t) {
        if (t < 0 || t >= _TOML_TYPE_MAX)
                return NULL;
        return toml_type_table[t];
}

TomlType toml_type_from_string(const char *s) {
        if (!s)
                return _TOML_TYPE_INVALID;
        for (TomlType t = 0; t < _TOML_TYPE_MAX; t++)
                if (strcmp(toml_type_table[t], s) == 0)
                        return t;
        return _TOML_TYPE_INVALID;
}

TomlValue *toml_value_new(TomlType type, unsigned line, unsigned column) {
        TomlValue *v;

        v = calloc(1, sizeof(TomlValue));
        if (!v)
                return NULL;
        v->type = type;
        v->line = line;
        v->column = column;
        return v;
}

TomlValue *toml_value_new_string(const char *text, size_t length, unsigned line, unsigned column) {
        TomlValue *v;

        /* The text lives in the same allocation: one malloc() less per string. */
        if (length > SIZE_MAX - sizeof(TomlValue) - 1)
                return NULL;
        v = malloc(sizeof(TomlValue) + length + 1);
        if (!v)
                return NULL;
        *v = (TomlValue) {
                .type = TOML_STRING,
                .line = line,
                .column = column,
        };
        v->string.text = (char *) (v + 1);
        memcpy(v->string.text, text, length);
        v->string.text[length] = 0;
        v->string.length = length;
        return v;
}

TomlValue *toml_value_free(TomlValue *v) {
        if (!v)
                return NULL;

        switch (v->type) {
        case TOML_ARRAY:
                for (size_t i = 0; i < v->array.n; i++)
                        toml_value_free(v->array.items[i]);
                free(v->array.items);
                break;
        case TOML_TABLE:
                for (size_t i = 0; i < v->table.n; i++) {
                        free(v->table.entries[i].key);
                        toml_value_free(v->table.entries[i].value);
                }
                free(v->table.entries);
                free(v->table.index);
                break;
        default:
                break;
        }
        return mfree(v);
}

uint32_t toml_key_hash(const char *key, size_t length) {
        /* FNV-1a: keys are short and come from a config file, not from an adversary who could gain
         * anything from collisions beyond a slower parse. */
        uint32_t h = 2166136261u;

        for (size_t i = 0; i < length; i++) {
                h ^= (uint8_t) key[i];
                h *= 16777619u;
        }
        return h;
}

static int table_rebuild_index(TomlValue *t, size_t size) {
        uint32_t *index;

        index = calloc(size, sizeof(uint32_t));
        if (!index)
                return -ENOMEM;

        for (size_t i = 0; i < t->table.n; i++) {
                size_t slot = t->table.entries[i].hash & (size - 1);

                while (index[slot] != 0)
                        slot = (slot + 1) & (size - 1);
                index[slot] = (uint32_t) i + 1;
        }

        free(t->table.index);
        t->table.index = index;
        t->table.index_size = size;
        return 0;
}

static bool entry_matches(const TomlEntry *e, const char *key, size_t length, uint32_t hash) {
        return e->hash == hash && e->key_length == length && memcmp(e->key, key, length) == 0;
}

/* Position of the key in the entries, or -ENOENT. */
static ssize_t table_lookup_index(const TomlValue *t, const char *key, size_t length, uint32_t hash) {
        if (!t->table.index) {
                for (size_t i = 0; i < t->table.n; i++)
                        if (entry_matches(t->table.entries + i, key, length, hash))
                                return (ssize_t) i;
                return -ENOENT;
        }

        for (size_t slot = hash & (t->table.index_size - 1);; slot = (slot + 1) & (t->table.index_size - 1)) {
                uint32_t i = t->table.index[slot];

                if (i == 0)
                        return -ENOENT;
                if (entry_matches(t->table.entries + i - 1, key, length, hash))
                        return (ssize_t) i - 1;
        }
}

TomlValue *toml_table_lookup(const TomlValue *t, const char *key, size_t length, uint32_t hash) {
        ssize_t i;

        if (!t || t->type != TOML_TABLE)
                return NULL;
        i = table_lookup_index(t, key, length, hash);
        return i >= 0 ? t->table.entries[i].value : NULL;
}

int toml_table_insert(TomlValue *t, char *key, size_t length, uint32_t hash, TomlValue *value) {
        if (t->table.n >= UINT32_MAX - 1)
                return -E2BIG;

        if (t->table.n >= t->table.allocated) {
                size_t n = MAX(t->table.allocated * 2, 4u);
                TomlEntry *entries;

                entries = reallocarray(t->table.entries, n, sizeof(TomlEntry));
                if (!entries)
                        return -ENOMEM;
                t->table.entries = entries;
                t->table.allocated = n;
        }

        t->table.entries[t->table.n++] = (TomlEntry) {
                .key = key,
                .key_length = length,
                .hash = hash,
                .value = value,
        };

        /* Keep the index at most half full. */
        if (t->table.n >= TABLE_INDEX_MIN && t->table.n * 2 > t->table.index_size) {
                int r;

                r = table_rebuild_index(t, MAX(t->table.index_size * 2, (size_t) TABLE_INDEX_MIN * 4));
                if (r < 0) {
                        t->table.n--;
                        return r;
                }
        } else if (t->table.index) {
                size_t slot = hash & (t->table.index_size - 1);

                while (t->table.index[slot] != 0)
                        slot = (slot + 1) & (t->table.index_size - 1);
                t->table.index[slot] = (uint32_t) t->table.n;
        }

        return 0;
}

int toml_array_append(TomlValue *a, TomlValue *item) {
        if (a->array.n >= a->array.allocated) {
                size_t n = MAX(a->array.allocated * 2, 4u);
                TomlValue **items;

                items = reallocarray(a->array.items, n, sizeof(TomlValue*));
                if (!items)
                        return -ENOMEM;
                a->array.items = items;
                a->array.allocated = n;
        }
        a->array.items[a->array.n++] = item;
        return 0;
}

TomlType toml_value_type(const TomlValue *v) {
        return v ? v->type : _TOML_TYPE_INVALID;
}

unsigned toml_value_line(const TomlValue *v) {
        return v ? v->line : 0;
}

unsigned toml_value_column(const TomlValue *v) {
        return v ? v->column : 0;
}

int toml_value_get_string(const TomlValue *v, const char **ret, size_t *ret_length) {
        if (!v || v->type != TOML_STRING)
                return -EINVAL;
        if (ret)
                *ret = v->string.text;
        if (ret_length)
                *ret_length = v->string.length;
        return 0;
}

int toml_value_get_integer(const TomlValue *v, int64_t *ret) {
        if (!v || v->type != TOML_INTEGER)
                return -EINVAL;
        if (ret)
                *ret = v->integer;
        return 0;
}

int toml_value_get_float(const TomlValue *v, double *ret) {
        if (!v || v->type != TOML_FLOAT)
                return -EINVAL;
        if (ret)
                *ret = v->fp;
        return 0;
}

int toml_value_get_boolean(const TomlValue *v, bool *ret) {
        if (!v || v->type != TOML_BOOLEAN)
                return -EINVAL;
        if (ret)
                *ret = v->boolean;
        return 0;
}

int toml_value_get_datetime(const TomlValue *v, TomlDatetime *ret) {
        if (!v || !IN_SET(v->type, TOML_DATETIME, TOML_DATETIME_LOCAL, TOML_DATE_LOCAL, TOML_TIME_LOCAL))
                return -EINVAL;
        if (ret)
                *ret = v->datetime;
        return 0;
}

size_t toml_array_size(const TomlValue *a) {
        return a && a->type == TOML_ARRAY ? a->array.n : 0;
}

TomlValue *toml_array_get(const TomlValue *a, size_t i) {
        return a && a->type == TOML_ARRAY && i < a->array.n ? a->array.items[i] : NULL;
}

size_t toml_table_size(const TomlValue *t) {
        return t && t->type == TOML_TABLE ? t->table.n : 0;
}

const char *toml_table_key_at(const TomlValue *t, size_t i) {
        return t && t->type == TOML_TABLE && i < t->table.n ? t->table.entries[i].key : NULL;
}

size_t toml_table_key_length_at(const TomlValue *t, size_t i) {
        return t && t->type == TOML_TABLE && i < t->table.n ? t->table.entries[i].key_length : 0;
}

TomlValue *toml_table_value_at(const TomlValue *t, size_t i) {
        return t && t->type == TOML_TABLE && i < t->table.n ? t->table.entries[i].value : NULL;
}

TomlValue *toml_table_get_length(const TomlValue *t, const char *key, size_t key_length) {
        if (!key)
                return NULL;
        return toml_table_lookup(t, key, key_length, toml_key_hash(key, key_length));
}

TomlValue *toml_table_get(const TomlValue *t, const char *key) {
        if (!key)
                return NULL;
        return toml_table_get_length(t, key, strlen(key));
}

int toml_table_find(const TomlValue *t, const char *key, size_t *ret_index) {
        size_t length;
        ssize_t i;

        if (!t || t->type != TOML_TABLE || !key)
                return -EINVAL;

        length = strlen(key);
        i = table_lookup_index(t, key, length, toml_key_hash(key, length));
        if (i < 0)
                return (int) i;
        if (ret_index)
                *ret_index = (size_t) i;
        return 0;
}
