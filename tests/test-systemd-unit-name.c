/* SPDX-License-Identifier: Apache-2.0 */

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "unit-name.h"

static void test_valid(void) {
        char longname[300];

        TAP_OK(unit_name_is_valid("crio-0123abcd.scope"), "scope name");
        TAP_OK(unit_name_is_valid("kubepods-burstable-pod1234_5678.slice"), "kubelet pod slice");
        TAP_OK(unit_name_is_valid("-.slice"), "root slice");
        TAP_OK(unit_name_is_valid("getty@tty1.service"), "instance");
        TAP_OK(unit_name_is_valid("getty@.service"), "template");
        TAP_OK(unit_name_is_valid("foo\\x2dbar.scope"), "escaped dash");
        TAP_OK(!unit_name_is_valid(NULL), "NULL");
        TAP_OK(!unit_name_is_valid(""), "empty");
        TAP_OK(!unit_name_is_valid(".slice"), "suffix only");
        TAP_OK(!unit_name_is_valid("foo"), "no suffix");
        TAP_OK(!unit_name_is_valid("foo.bar"), "unknown suffix");
        TAP_OK(!unit_name_is_valid("foo bar.scope"), "space");
        TAP_OK(!unit_name_is_valid("foo/bar.scope"), "slash");
        TAP_OK(!unit_name_is_valid("@foo.service"), "leading @");
        TAP_OK(!unit_name_is_valid("a@b@c.service"), "two @");
        TAP_OK(!unit_name_is_valid("caf\xc3\xa9.scope"), "non-ASCII");

        memset(longname, 'a', sizeof(longname));
        strcpy(longname + 255 - strlen(".scope"), ".scope");
        TAP_OK(unit_name_is_valid(longname), "255 characters");
        memset(longname, 'a', sizeof(longname));
        strcpy(longname + 256 - strlen(".scope"), ".scope");
        TAP_OK(!unit_name_is_valid(longname), "256 characters");

        TAP_IS_INT(unit_name_to_type("a.slice"), UNIT_SLICE, "slice type");
        TAP_IS_INT(unit_name_to_type("a.scope"), UNIT_SCOPE, "scope type");
        TAP_IS_INT(unit_name_to_type("a.service"), UNIT_SERVICE, "service type");
        TAP_IS_INT(unit_name_to_type("a b.scope"), _UNIT_TYPE_INVALID, "invalid has no type");
        for (UnitType t = 0; t < _UNIT_TYPE_MAX; t++)
                TAP_IS_INT(unit_type_from_string(unit_type_to_string(t)), t, "type %s round trip",
                           unit_type_to_string(t));
        TAP_OK(unit_type_to_string(_UNIT_TYPE_INVALID) == NULL, "invalid type has no name");
        TAP_IS_INT(unit_type_from_string("bogus"), _UNIT_TYPE_INVALID, "unknown type name");
}

static void test_slice(void) {
        char *s = NULL;

        TAP_OK(slice_name_is_valid("kubepods-burstable-pod123.slice"), "nested slice");
        TAP_OK(slice_name_is_valid("crio.slice"), "top slice");
        TAP_OK(slice_name_is_valid("-.slice"), "root slice");
        TAP_OK(!slice_name_is_valid("crio-.slice"), "trailing dash");
        TAP_OK(!slice_name_is_valid("-crio.slice"), "leading dash");
        TAP_OK(!slice_name_is_valid("a--b.slice"), "double dash");
        TAP_OK(!slice_name_is_valid("a.scope"), "scope is no slice");
        TAP_OK(!slice_name_is_valid("a@b.slice"), "no instances for slices");
        TAP_OK(!slice_name_is_valid("/kubepods"), "cgroupfs path");

        TAP_IS_INT(slice_name_parent("kubepods-burstable-pod123.slice", &s), 0, "parent of pod slice");
        TAP_IS_STR(s, "kubepods-burstable.slice", "parent name");
        free(s);
        TAP_IS_INT(slice_name_parent("crio.slice", &s), 0, "parent of top slice");
        TAP_IS_STR(s, "-.slice", "root is the parent");
        free(s);
        s = NULL;
        TAP_IS_INT(slice_name_parent("-.slice", &s), -ENXIO, "root has no parent");
        TAP_IS_INT(slice_name_parent("a--b.slice", &s), -EINVAL, "bad slice has no parent");
        TAP_OK(s == NULL, "untouched on failure");

        TAP_IS_INT(slice_name_to_cgroup_path("kubepods-burstable-pod123.slice", &s), 0, "pod slice path");
        TAP_IS_STR(s, "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice", "nested path");
        free(s);
        TAP_IS_INT(slice_name_to_cgroup_path("crio.slice", &s), 0, "top slice path");
        TAP_IS_STR(s, "/crio.slice", "top path");
        free(s);
        TAP_IS_INT(slice_name_to_cgroup_path("-.slice", &s), 0, "root path");
        TAP_IS_STR(s, "/", "root");
        free(s);
        TAP_IS_INT(slice_name_to_cgroup_path("a-b-c-d-e-f-g-h.slice", &s), 0, "deep path");
        TAP_IS_STR(s, "/a.slice/a-b.slice/a-b-c.slice/a-b-c-d.slice/a-b-c-d-e.slice/a-b-c-d-e-f.slice/"
                   "a-b-c-d-e-f-g.slice/a-b-c-d-e-f-g-h.slice", "every level");
        free(s);
        s = NULL;
        TAP_IS_INT(slice_name_to_cgroup_path("kubepods", &s), -EINVAL, "no suffix");

        TAP_IS_INT(unit_cgroup_path("crio-pod1.slice", "crio-abc.scope", &s), 0, "scope path");
        TAP_IS_STR(s, "/crio.slice/crio-pod1.slice/crio-abc.scope", "scope in nested slice");
        free(s);
        TAP_IS_INT(unit_cgroup_path("-.slice", "init.scope", &s), 0, "scope in root");
        TAP_IS_STR(s, "/init.scope", "no double slash");
        free(s);
        s = NULL;
        TAP_IS_INT(unit_cgroup_path("crio.slice", "bad name", &s), -EINVAL, "bad unit");
}

static void test_build_escape(void) {
        char *s = NULL;

        TAP_IS_INT(unit_name_build("crio", "0123abcd", ".scope", &s), 0, "build scope");
        TAP_IS_STR(s, "crio-0123abcd.scope", "scope name");
        free(s);
        TAP_IS_INT(unit_name_build("crio-conmon", "0123abcd", ".scope", &s), 0, "build conmon scope");
        TAP_IS_STR(s, "crio-conmon-0123abcd.scope", "conmon scope name");
        free(s);
        s = NULL;
        TAP_IS_INT(unit_name_build("crio", "a/b", ".scope", &s), -EINVAL, "slash refused");
        TAP_IS_INT(unit_name_build("crio", "a", ".nope", &s), -EINVAL, "bad suffix");
        TAP_IS_INT(unit_name_build("crio", "a", "scope", &s), -EINVAL, "suffix without dot");
        TAP_OK(s == NULL, "untouched");

        TAP_IS_INT(unit_name_escape("default/nginx-1", &s), 0, "escape");
        TAP_IS_STR(s, "default-nginx\\x2d1", "slash to dash, dash escaped");
        free(s);
        TAP_IS_INT(unit_name_escape(".hidden me", &s), 0, "escape leading dot and space");
        TAP_IS_STR(s, "\\x2ehidden\\x20me", "hex escapes");
        free(s);
        TAP_IS_INT(unit_name_escape("a.b:c_d", &s), 0, "escape nothing");
        TAP_IS_STR(s, "a.b:c_d", "unchanged");
        free(s);
        TAP_IS_INT(unit_name_escape("\xc3\xa9", &s), 0, "escape UTF-8");
        TAP_IS_STR(s, "\\xc3\\xa9", "byte by byte");
        free(s);

        TAP_IS_INT(unit_dbus_path_from_name("crio-abc.scope", &s), 0, "bus path");
        TAP_IS_STR(s, "/org/freedesktop/systemd1/unit/crio_2dabc_2escope", "systemd's path escaping");
        free(s);
        TAP_IS_INT(unit_dbus_path_from_name("-.slice", &s), 0, "root slice path");
        TAP_IS_STR(s, "/org/freedesktop/systemd1/unit/_2d_2eslice", "root slice escaped");
        free(s);
        s = NULL;
        TAP_IS_INT(unit_dbus_path_from_name("nope", &s), -EINVAL, "invalid name");
}

int main(void) {
        test_valid();
        test_slice();
        test_build_escape();
        return tap_done();
}
