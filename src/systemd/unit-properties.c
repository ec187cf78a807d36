/* SPDX-License-Identifier: Apache-2.0 */

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-util.h"
#include "unit-properties.h"

static const char *const unit_property_type_table[_UNIT_PROPERTY_TYPE_MAX] = {
        [UNIT_PROPERTY_STRING] = "string",
        [UNIT_PROPERTY_BOOLEAN] = "boolean",
        [UNIT_PROPERTY_UINT32] = "uint32",
        [UNIT_PROPERTY_INT32] = "int32",
        [UNIT_PROPERTY_UINT64] = "uint64",
        [UNIT_PROPERTY_INT64] = "int64",
        [UNIT_PROPERTY_UINT32_ARRAY] = "uint32-array",
        [UNIT_PROPERTY_STRV] = "strv",
        [UNIT_PROPERTY_BYTES] = "bytes",
};

static const char *const unit_property_signature_table[_UNIT_PROPERTY_TYPE_MAX] = {
        [UNIT_PROPERTY_STRING] = "s",
        [UNIT_PROPERTY_BOOLEAN] = "b",
        [UNIT_PROPERTY_UINT32] = "u",
        [UNIT_PROPERTY_INT32] = "i",
        [UNIT_PROPERTY_UINT64] = "t",
        [UNIT_PROPERTY_INT64] = "x",
        [UNIT_PROPERTY_UINT32_ARRAY] = "au",
        [UNIT_PROPERTY_STRV] = "as",
        [UNIT_PROPERTY_BYTES] = "ay",
};

const char *unit_property_type_to_string(UnitPropertyType t) {
        if (t < 0 || t >= _UNIT_PROPERTY_TYPE_MAX)
                return NULL;
        return unit_property_type_table[t];
}

UnitPropertyType unit_property_type_from_string(const char *s) {
        if (!s)
                return _UNIT_PROPERTY_TYPE_INVALID;
        for (UnitPropertyType t = 0; t < _UNIT_PROPERTY_TYPE_MAX; t++)
                if (strcmp(unit_property_type_table[t], s) == 0)
                        return t;
        return _UNIT_PROPERTY_TYPE_INVALID;
}

const char *unit_property_type_signature(UnitPropertyType t) {
        if (t < 0 || t >= _UNIT_PROPERTY_TYPE_MAX)
                return NULL;
        return unit_property_signature_table[t];
}

static void strv_free(char **strv) {
        if (!strv)
                return;
        for (char **s = strv; *s; s++)
                free(*s);
        free(strv);
}

static int strv_copy(char *const *strv, char ***ret) {
        size_t n = 0;
        char **c;

        for (char *const *s = strv; s && *s; s++)
                n++;
        c = calloc(n + 1, sizeof(char *));
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(strv[i]);
                if (!c[i]) {
                        strv_free(c);
                        return -ENOMEM;
                }
        }
        *ret = c;
        return 0;
}

static void unit_property_done(UnitProperty *p) {
        free(p->name);
        switch (p->type) {
        case UNIT_PROPERTY_STRING:
                free(p->string);
                break;
        case UNIT_PROPERTY_UINT32_ARRAY:
                free(p->u32_array.items);
                break;
        case UNIT_PROPERTY_STRV:
                strv_free(p->strv);
                break;
        case UNIT_PROPERTY_BYTES:
                free(p->bytes.data);
                break;
        default:
                break;
        }
        *p = (UnitProperty) {};
}

/* Deep copy of the value part of src into dst, whose name is already set. */
static int unit_property_copy_value(UnitProperty *dst, const UnitProperty *src) {
        dst->type = src->type;
        switch (src->type) {
        case UNIT_PROPERTY_STRING:
                dst->string = strdup(src->string);
                return dst->string ? 0 : -ENOMEM;
        case UNIT_PROPERTY_UINT32_ARRAY:
                dst->u32_array.n = src->u32_array.n;
                dst->u32_array.items = NULL;
                if (src->u32_array.n == 0)
                        return 0;
                dst->u32_array.items = malloc(src->u32_array.n * sizeof(uint32_t));
                if (!dst->u32_array.items)
                        return -ENOMEM;
                memcpy(dst->u32_array.items, src->u32_array.items, src->u32_array.n * sizeof(uint32_t));
                return 0;
        case UNIT_PROPERTY_STRV:
                return strv_copy(src->strv, &dst->strv);
        case UNIT_PROPERTY_BYTES:
                dst->bytes.size = src->bytes.size;
                dst->bytes.data = NULL;
                if (src->bytes.size == 0)
                        return 0;
                dst->bytes.data = malloc(src->bytes.size);
                if (!dst->bytes.data)
                        return -ENOMEM;
                memcpy(dst->bytes.data, src->bytes.data, src->bytes.size);
                return 0;
        case UNIT_PROPERTY_BOOLEAN:
                dst->boolean = src->boolean;
                return 0;
        case UNIT_PROPERTY_UINT32:
                dst->u32 = src->u32;
                return 0;
        case UNIT_PROPERTY_INT32:
                dst->i32 = src->i32;
                return 0;
        case UNIT_PROPERTY_UINT64:
                dst->u64 = src->u64;
                return 0;
        case UNIT_PROPERTY_INT64:
                dst->i64 = src->i64;
                return 0;
        default:
                return -EINVAL;
        }
}

int unit_property_list_new(UnitPropertyList **ret) {
        UnitPropertyList *l;

        if (!ret)
                return -EINVAL;
        l = calloc(1, sizeof(UnitPropertyList));
        if (!l)
                return -ENOMEM;
        *ret = l;
        return 0;
}

UnitPropertyList *unit_property_list_free(UnitPropertyList *l) {
        if (!l)
                return NULL;
        for (size_t i = 0; i < l->n_items; i++)
                unit_property_done(&l->items[i]);
        free(l->items);
        return mfree(l);
}

static UnitProperty *list_find(const UnitPropertyList *l, const char *name) {
        if (!l || !name)
                return NULL;
        for (size_t i = 0; i < l->n_items; i++)
                if (strcmp(l->items[i].name, name) == 0)
                        return &l->items[i];
        return NULL;
}

const UnitProperty *unit_property_list_find(const UnitPropertyList *l, const char *name) {
        return list_find(l, name);
}

/* Puts p (whose contents the list takes over, on success only) at the end, or in place of a
 * property of the same name. */
static int list_put(UnitPropertyList *l, UnitProperty *p) {
        UnitProperty *old;

        old = list_find(l, p->name);
        if (old) {
                unit_property_done(old);
                *old = *p;
                *p = (UnitProperty) {};
                return 0;
        }
        if (l->n_items == l->n_allocated) {
                size_t n = l->n_allocated ? l->n_allocated * 2 : 8;
                UnitProperty *items = reallocarray(l->items, n, sizeof(UnitProperty));
                if (!items)
                        return -ENOMEM;
                l->items = items;
                l->n_allocated = n;
        }
        l->items[l->n_items++] = *p;
        *p = (UnitProperty) {};
        return 0;
}

/* Adds a copy of the value in v (its name ignored) under name. */
static int list_add(UnitPropertyList *l, const char *name, const UnitProperty *v) {
        UnitProperty p = {};
        int r;

        if (!l || !name || name[0] == '\0')
                return -EINVAL;
        p.name = strdup(name);
        if (!p.name)
                return -ENOMEM;
        r = unit_property_copy_value(&p, v);
        if (r >= 0)
                r = list_put(l, &p);
        unit_property_done(&p);
        return r;
}

int unit_property_list_copy(const UnitPropertyList *l, UnitPropertyList **ret) {
        _cleanup_(unit_property_list_freep) UnitPropertyList *c = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        r = unit_property_list_new(&c);
        if (r < 0)
                return r;
        for (size_t i = 0; l && i < l->n_items; i++) {
                r = list_add(c, l->items[i].name, &l->items[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

int unit_property_list_add_string(UnitPropertyList *l, const char *name, const char *value) {
        if (!value)
                return -EINVAL;
        return list_add(l, name, &(UnitProperty) { .type = UNIT_PROPERTY_STRING, .string = (char *) value });
}

int unit_property_list_add_boolean(UnitPropertyList *l, const char *name, bool value) {
        return list_add(l, name, &(UnitProperty) { .type = UNIT_PROPERTY_BOOLEAN, .boolean = value });
}

int unit_property_list_add_uint32(UnitPropertyList *l, const char *name, uint32_t value) {
        return list_add(l, name, &(UnitProperty) { .type = UNIT_PROPERTY_UINT32, .u32 = value });
}

int unit_property_list_add_int32(UnitPropertyList *l, const char *name, int32_t value) {
        return list_add(l, name, &(UnitProperty) { .type = UNIT_PROPERTY_INT32, .i32 = value });
}

int unit_property_list_add_uint64(UnitPropertyList *l, const char *name, uint64_t value) {
        return list_add(l, name, &(UnitProperty) { .type = UNIT_PROPERTY_UINT64, .u64 = value });
}

int unit_property_list_add_int64(UnitPropertyList *l, const char *name, int64_t value) {
        return list_add(l, name, &(UnitProperty) { .type = UNIT_PROPERTY_INT64, .i64 = value });
}

int unit_property_list_add_uint32_array(UnitPropertyList *l, const char *name, const uint32_t *items,
                                        size_t n) {
        if (n > 0 && !items)
                return -EINVAL;
        return list_add(l, name, &(UnitProperty) {
                .type = UNIT_PROPERTY_UINT32_ARRAY,
                .u32_array.items = (uint32_t *) items,
                .u32_array.n = n,
        });
}

int unit_property_list_add_pids(UnitPropertyList *l, const pid_t *pids, size_t n) {
        _cleanup_free_ uint32_t *items = NULL;

        if (n > 0 && !pids)
                return -EINVAL;
        items = malloc(MAX(n, (size_t) 1) * sizeof(uint32_t));
        if (!items)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (pids[i] <= 0)
                        return -EINVAL;
                items[i] = (uint32_t) pids[i];
        }
        return unit_property_list_add_uint32_array(l, "PIDs", items, n);
}

int unit_property_list_add_strv(UnitPropertyList *l, const char *name, char *const *strv) {
        return list_add(l, name, &(UnitProperty) { .type = UNIT_PROPERTY_STRV, .strv = (char **) strv });
}

int unit_property_list_add_bytes(UnitPropertyList *l, const char *name, const void *data, size_t size) {
        if (size > 0 && !data)
                return -EINVAL;
        return list_add(l, name, &(UnitProperty) {
                .type = UNIT_PROPERTY_BYTES,
                .bytes.data = (uint8_t *) data,
                .bytes.size = size,
        });
}

int unit_property_list_add_cpuset(UnitPropertyList *l, const char *name, const char *list) {
        _cleanup_free_ uint8_t *mask = NULL;
        size_t size;
        int r;

        r = cgroup_cpuset_parse(list, &mask, &size);
        if (r < 0)
                return r;
        return unit_property_list_add_bytes(l, name, mask, size);
}

int unit_property_list_remove(UnitPropertyList *l, const char *name) {
        UnitProperty *p = list_find(l, name);
        size_t i;

        if (!p)
                return 0;
        i = (size_t) (p - l->items);
        unit_property_done(p);
        memmove(l->items + i, l->items + i + 1, (l->n_items - i - 1) * sizeof(UnitProperty));
        l->n_items--;
        return 1;
}

int unit_property_list_get_string(const UnitPropertyList *l, const char *name, const char **ret) {
        const UnitProperty *p = list_find(l, name);

        if (!p)
                return -ENOENT;
        if (p->type != UNIT_PROPERTY_STRING)
                return -EBADMSG;
        *ret = p->string;
        return 0;
}

int unit_property_list_get_boolean(const UnitPropertyList *l, const char *name, bool *ret) {
        const UnitProperty *p = list_find(l, name);

        if (!p)
                return -ENOENT;
        if (p->type != UNIT_PROPERTY_BOOLEAN)
                return -EBADMSG;
        *ret = p->boolean;
        return 0;
}

int unit_property_list_get_uint64(const UnitPropertyList *l, const char *name, uint64_t *ret) {
        const UnitProperty *p = list_find(l, name);

        if (!p)
                return -ENOENT;
        switch (p->type) {
        case UNIT_PROPERTY_UINT64:
                *ret = p->u64;
                return 0;
        case UNIT_PROPERTY_UINT32:
                *ret = p->u32;
                return 0;
        case UNIT_PROPERTY_INT64:
                if (p->i64 < 0)
                        return -ERANGE;
                *ret = (uint64_t) p->i64;
                return 0;
        case UNIT_PROPERTY_INT32:
                if (p->i32 < 0)
                        return -ERANGE;
                *ret = (uint64_t) p->i32;
                return 0;
        default:
                return -EBADMSG;
        }
}

static int append_value(sd_bus_message *m, const UnitProperty *p) {
        int r;

        switch (p->type) {
        case UNIT_PROPERTY_STRING:
                return sd_bus_message_append_basic(m, 's', p->string);
        case UNIT_PROPERTY_BOOLEAN: {
                int b = p->boolean;
                return sd_bus_message_append_basic(m, 'b', &b);
        }
        case UNIT_PROPERTY_UINT32:
                return sd_bus_message_append_basic(m, 'u', &p->u32);
        case UNIT_PROPERTY_INT32:
                return sd_bus_message_append_basic(m, 'i', &p->i32);
        case UNIT_PROPERTY_UINT64:
                return sd_bus_message_append_basic(m, 't', &p->u64);
        case UNIT_PROPERTY_INT64:
                return sd_bus_message_append_basic(m, 'x', &p->i64);
        case UNIT_PROPERTY_UINT32_ARRAY:
                return sd_bus_message_append_array(m, 'u', p->u32_array.items,
                                                   p->u32_array.n * sizeof(uint32_t));
        case UNIT_PROPERTY_STRV:
                r = sd_bus_message_open_container(m, 'a', "s");
                if (r < 0)
                        return r;
                for (char **s = p->strv; s && *s; s++) {
                        r = sd_bus_message_append_basic(m, 's', *s);
                        if (r < 0)
                                return r;
                }
                return sd_bus_message_close_container(m);
        case UNIT_PROPERTY_BYTES:
                return sd_bus_message_append_array(m, 'y', p->bytes.data, p->bytes.size);
        default:
                return -EINVAL;
        }
}

int unit_property_append(sd_bus_message *m, const UnitProperty *p) {
        const char *sig;
        int r;

        if (!m || !p || !p->name)
                return -EINVAL;
        sig = unit_property_type_signature(p->type);
        if (!sig)
                return -EINVAL;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(m, 's', p->name);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'v', sig);
        if (r < 0)
                return r;
        r = append_value(m, p);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

int unit_property_list_append(sd_bus_message *m, const UnitPropertyList *l) {
        int r;

        if (!m)
                return -EINVAL;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        for (size_t i = 0; l && i < l->n_items; i++) {
                r = unit_property_append(m, &l->items[i]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static int read_array(sd_bus_message *m, char type, size_t element_size, void **ret, size_t *ret_n) {
        const void *data;
        size_t size;
        void *copy = NULL;
        int r;

        r = sd_bus_message_read_array(m, type, &data, &size);
        if (r < 0)
                return r;
        if (size > 0) {
                copy = malloc(size);
                if (!copy)
                        return -ENOMEM;
                memcpy(copy, data, size);
        }
        *ret = copy;
        *ret_n = size / element_size;
        return 0;
}

int unit_property_list_read_variant(UnitPropertyList *l, const char *name, sd_bus_message *m) {
        UnitProperty p = {};
        const char *contents;
        char type;
        int r;

        if (!l || !name || name[0] == '\0' || !m)
                return -EINVAL;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0 || type != SD_BUS_TYPE_VARIANT)
                return -EBADMSG;

        if (strcmp(contents, "s") == 0 || strcmp(contents, "o") == 0 || strcmp(contents, "g") == 0) {
                const char *s;

                r = sd_bus_message_read(m, "v", contents, &s);
                if (r < 0)
                        return r;
                p.type = UNIT_PROPERTY_STRING;
                p.string = strdup(s);
                if (!p.string)
                        return -ENOMEM;
        } else if (strcmp(contents, "b") == 0) {
                int b;

                r = sd_bus_message_read(m, "v", "b", &b);
                if (r < 0)
                        return r;
                p.type = UNIT_PROPERTY_BOOLEAN;
                p.boolean = b;
        } else if (strcmp(contents, "u") == 0) {
                r = sd_bus_message_read(m, "v", "u", &p.u32);
                if (r < 0)
                        return r;
                p.type = UNIT_PROPERTY_UINT32;
        } else if (strcmp(contents, "i") == 0) {
                r = sd_bus_message_read(m, "v", "i", &p.i32);
                if (r < 0)
                        return r;
                p.type = UNIT_PROPERTY_INT32;
        } else if (strcmp(contents, "t") == 0) {
                r = sd_bus_message_read(m, "v", "t", &p.u64);
                if (r < 0)
                        return r;
                p.type = UNIT_PROPERTY_UINT64;
        } else if (strcmp(contents, "x") == 0) {
                r = sd_bus_message_read(m, "v", "x", &p.i64);
                if (r < 0)
                        return r;
                p.type = UNIT_PROPERTY_INT64;
        } else if (strcmp(contents, "au") == 0 || strcmp(contents, "ay") == 0) {
                bool bytes = contents[1] == 'y';
                void *data;
                size_t n;

                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                r = read_array(m, contents[1], bytes ? 1 : sizeof(uint32_t), &data, &n);
                if (r < 0)
                        return r;
                if (bytes) {
                        p.type = UNIT_PROPERTY_BYTES;
                        p.bytes.data = data;
                        p.bytes.size = n;
                } else {
                        p.type = UNIT_PROPERTY_UINT32_ARRAY;
                        p.u32_array.items = data;
                        p.u32_array.n = n;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        goto fail;
        } else if (strcmp(contents, "as") == 0) {
                char **strv = NULL;

                r = sd_bus_message_enter_container(m, 'v', "as");
                if (r < 0)
                        return r;
                r = sd_bus_message_read_strv(m, &strv);
                if (r < 0)
                        return r;
                p.type = UNIT_PROPERTY_STRV;
                p.strv = strv;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        goto fail;
        } else {
                r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                return -EOPNOTSUPP;
        }

        p.name = strdup(name);
        if (!p.name) {
                r = -ENOMEM;
                goto fail;
        }
        r = list_put(l, &p);
fail:
        unit_property_done(&p);
        return r;
}

/* Appends printf output to a growing buffer. */
_printf_(3, 4)
static int buf_appendf(char **buf, size_t *len, const char *format, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        char *n;
        int k;

        va_start(ap, format);
        k = vasprintf(&s, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        n = realloc(*buf, *len + (size_t) k + 1);
        if (!n)
                return -ENOMEM;
        memcpy(n + *len, s, (size_t) k + 1);
        *buf = n;
        *len += (size_t) k;
        return 0;
}

int unit_property_list_format(const UnitPropertyList *l, char **ret) {
        _cleanup_free_ char *buf = strdup("");
        size_t len = 0;
        int r = 0;

        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; l && i < l->n_items; i++) {
                const UnitProperty *p = &l->items[i];

                r = buf_appendf(&buf, &len, "%s%s=", i > 0 ? " " : "", p->name);
                if (r < 0)
                        return r;
                switch (p->type) {
                case UNIT_PROPERTY_STRING:
                        r = buf_appendf(&buf, &len, "%s", p->string);
                        break;
                case UNIT_PROPERTY_BOOLEAN:
                        r = buf_appendf(&buf, &len, "%s", p->boolean ? "yes" : "no");
                        break;
                case UNIT_PROPERTY_UINT32:
                        r = buf_appendf(&buf, &len, "%" PRIu32, p->u32);
                        break;
                case UNIT_PROPERTY_INT32:
                        r = buf_appendf(&buf, &len, "%" PRIi32, p->i32);
                        break;
                case UNIT_PROPERTY_UINT64:
                        r = p->u64 == UINT64_MAX ? buf_appendf(&buf, &len, "infinity") :
                                                   buf_appendf(&buf, &len, "%" PRIu64, p->u64);
                        break;
                case UNIT_PROPERTY_INT64:
                        r = buf_appendf(&buf, &len, "%" PRIi64, p->i64);
                        break;
                case UNIT_PROPERTY_UINT32_ARRAY:
                        for (size_t j = 0; j < p->u32_array.n && r >= 0; j++)
                                r = buf_appendf(&buf, &len, "%s%" PRIu32, j > 0 ? "," : "",
                                                p->u32_array.items[j]);
                        break;
                case UNIT_PROPERTY_STRV:
                        for (char **s = p->strv; s && *s && r >= 0; s++)
                                r = buf_appendf(&buf, &len, "%s%s", s > p->strv ? "," : "", *s);
                        break;
                case UNIT_PROPERTY_BYTES:
                        for (size_t j = 0; j < p->bytes.size && r >= 0; j++)
                                r = buf_appendf(&buf, &len, "%02x", p->bytes.data[j]);
                        break;
                default:
                        r = -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(buf);
        return 0;
}

static bool is_name_char(char c) {
        return isalnum((unsigned char) c) || c == '_';
}

/* Whether word occurs in text with no name character on either side. */
static bool contains_word(const char *text, const char *word) {
        size_t n = strlen(word);

        for (const char *p = text; (p = strstr(p, word)); p++)
                if ((p == text || !is_name_char(p[-1])) && !is_name_char(p[n]))
                        return true;
        return false;
}

const char *unit_property_list_find_rejected(const UnitPropertyList *l, const sd_bus_error *error) {
        const char *best = NULL;

        if (!l || !error || !error->name || !error->message)
                return NULL;

        /* systemd answers PropertyReadOnly ("Cannot set property X, or unknown property.") for a
         * property it does not know; InvalidArgs counts only when it says so, since it is also the
         * answer for a bad value of a known property, which must not be silently dropped. */
        if (!sd_bus_error_has_name(error, SD_BUS_ERROR_PROPERTY_READ_ONLY) &&
            !sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_PROPERTY)) {
                if (!sd_bus_error_has_name(error, SD_BUS_ERROR_INVALID_ARGS))
                        return NULL;
                if (!strcasestr(error->message, "unknown"))
                        return NULL;
        }

        for (size_t i = 0; i < l->n_items; i++) {
                const char *name = l->items[i].name;

                if (contains_word(error->message, name) && (!best || strlen(name) > strlen(best)))
                        best = name;
        }
        return best;
}
