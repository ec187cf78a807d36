/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "unit-name.h"

static const char *const unit_type_table[_UNIT_TYPE_MAX] = {
        [UNIT_SERVICE] = "service",
        [UNIT_SOCKET] = "socket",
        [UNIT_TARGET] = "target",
        [UNIT_DEVICE] = "device",
        [UNIT_MOUNT] = "mount",
        [UNIT_AUTOMOUNT] = "automount",
        [UNIT_SWAP] = "swap",
        [UNIT_TIMER] = "timer",
        [UNIT_PATH] = "path",
        [UNIT_SLICE] = "slice",
        [UNIT_SCOPE] = "scope",
};

const char *unit_type_to_string(UnitType t) {
        if (t < 0 || t >= _UNIT_TYPE_MAX)
                return NULL;
        return unit_type_table[t];
}

UnitType unit_type_from_string(const char *s) {
        if (!s)
                return _UNIT_TYPE_INVALID;
        for (UnitType t = 0; t < _UNIT_TYPE_MAX; t++)
                if (strcmp(unit_type_table[t], s) == 0)
                        return t;
        return _UNIT_TYPE_INVALID;
}

static bool char_is_unit_valid(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                strchr(":-_.\\", c);
}

bool unit_name_is_valid(const char *name) {
        const char *dot, *at = NULL;
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > UNIT_NAME_MAX)
                return false;

        dot = strrchr(name, '.');
        if (!dot || dot == name)
                return false;
        if (unit_type_from_string(dot + 1) < 0)
                return false;

        for (const char *p = name; p < dot; p++) {
                if (*p == '@') {
                        /* One '@', not first: "foo@.service" is a template, "foo@x.service" an instance. */
                        if (at || p == name)
                                return false;
                        at = p;
                        continue;
                }
                if (!char_is_unit_valid(*p))
                        return false;
        }
        return true;
}

UnitType unit_name_to_type(const char *name) {
        if (!unit_name_is_valid(name))
                return _UNIT_TYPE_INVALID;
        return unit_type_from_string(strrchr(name, '.') + 1);
}

static const char *slice_suffix_start(const char *name) {
        size_t n;

        if (!name)
                return NULL;
        n = strlen(name);
        if (n < strlen(".slice") || strcmp(name + n - strlen(".slice"), ".slice") != 0)
                return NULL;
        return name + n - strlen(".slice");
}

bool slice_name_is_valid(const char *name) {
        const char *end;

        if (!unit_name_is_valid(name) || strchr(name, '@'))
                return false;
        end = slice_suffix_start(name);
        if (!end)
                return false;
        if (strcmp(name, "-.slice") == 0)
                return true;

        /* Every dash separates two non-empty parts, as systemd requires for nesting. */
        if (name[0] == '-' || end[-1] == '-')
                return false;
        for (const char *p = name; p < end; p++)
                if (p[0] == '-' && p[1] == '-')
                        return false;
        return true;
}

int slice_name_parent(const char *slice, char **ret) {
        const char *dash;
        char *p;

        if (!slice_name_is_valid(slice) || !ret)
                return -EINVAL;
        if (strcmp(slice, "-.slice") == 0)
                return -ENXIO;

        dash = strrchr(slice, '-');
        if (!dash)
                p = strdup("-.slice");
        else if (asprintf(&p, "%.*s.slice", (int) (dash - slice), slice) < 0)
                p = NULL;
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int slice_name_to_cgroup_path(const char *slice, char **ret) {
        _cleanup_free_ char *path = NULL;
        const char *end;
        size_t n = 0, allocated;
        char *q;

        if (!slice_name_is_valid(slice) || !ret)
                return -EINVAL;
        if (strcmp(slice, "-.slice") == 0) {
                path = strdup("/");
                if (!path)
                        return -ENOMEM;
                *ret = TAKE_PTR(path);
                return 0;
        }

        end = slice_suffix_start(slice);
        /* Each part k contributes "/" + prefix-up-to-k + ".slice"; bounded by parts * (len + 7). */
        for (const char *p = slice; p < end; p++)
                if (*p == '-')
                        n++;
        allocated = (n + 1) * (strlen(slice) + 2) + 1;
        path = malloc(allocated);
        if (!path)
                return -ENOMEM;

        q = path;
        for (const char *p = slice;; p++)
                if (p == end || *p == '-') {
                        q += sprintf(q, "/%.*s.slice", (int) (p - slice), slice);
                        if (p == end)
                                break;
                }

        *ret = TAKE_PTR(path);
        return 0;
}

int unit_cgroup_path(const char *slice, const char *unit, char **ret) {
        _cleanup_free_ char *parent = NULL;
        char *p;
        int r;

        if (!unit_name_is_valid(unit) || !ret)
                return -EINVAL;
        r = slice_name_to_cgroup_path(slice, &parent);
        if (r < 0)
                return r;
        if (asprintf(&p, "%s%s%s", parent, strcmp(parent, "/") == 0 ? "" : "/", unit) < 0)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int unit_name_build(const char *prefix, const char *id, const char *suffix, char **ret) {
        char *n;

        if (!prefix || !id || !suffix || suffix[0] != '.' || !ret)
                return -EINVAL;
        if (asprintf(&n, "%s-%s%s", prefix, id, suffix) < 0)
                return -ENOMEM;
        if (!unit_name_is_valid(n)) {
                free(n);
                return -EINVAL;
        }
        *ret = n;
        return 0;
}

int unit_name_escape(const char *s, char **ret) {
        static const char hex[] = "0123456789abcdef";
        char *e, *q;

        if (!s || !ret)
                return -EINVAL;
        e = malloc(strlen(s) * 4 + 1);
        if (!e)
                return -ENOMEM;

        q = e;
        for (const char *p = s; *p; p++) {
                char c = *p;

                if (c == '/')
                        *q++ = '-';
                else if (c == '-' || c == '\\' || !char_is_unit_valid(c) || (p == s && c == '.')) {
                        *q++ = '\\';
                        *q++ = 'x';
                        *q++ = hex[(unsigned char) c >> 4];
                        *q++ = hex[(unsigned char) c & 15];
                } else
                        *q++ = c;
        }
        *q = '\0';
        *ret = e;
        return 0;
}

int unit_dbus_path_from_name(const char *name, char **ret) {
        if (!unit_name_is_valid(name) || !ret)
                return -EINVAL;
        return sd_bus_path_encode("/org/freedesktop/systemd1/unit", name, ret);
}
