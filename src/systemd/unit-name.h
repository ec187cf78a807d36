/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* systemd unit names as crio uses them: validation of the names kubelet hands us, the cgroup path a
 * slice nests at (systemd expands "a-b-c.slice" into /a.slice/a-b.slice/a-b-c.slice), escaping of
 * free text into a name, and the D-Bus object path of a unit. */

#include <stdbool.h>

#include "macro.h"

/* systemd's limit, including the suffix. */
#define UNIT_NAME_MAX 255

typedef enum UnitType {
        UNIT_SERVICE,
        UNIT_SOCKET,
        UNIT_TARGET,
        UNIT_DEVICE,
        UNIT_MOUNT,
        UNIT_AUTOMOUNT,
        UNIT_SWAP,
        UNIT_TIMER,
        UNIT_PATH,
        UNIT_SLICE,
        UNIT_SCOPE,
        _UNIT_TYPE_MAX,
        _UNIT_TYPE_INVALID = -EINVAL,
} UnitType;

const char *unit_type_to_string(UnitType t) _const_;
UnitType unit_type_from_string(const char *s) _pure_;
/* The type of a name by its suffix, or -EINVAL when the name is not a valid unit name. */
UnitType unit_name_to_type(const char *name) _pure_;

/* A plain (non-template) or instance unit name: [a-zA-Z0-9:_.\-] plus one '@', a known type suffix,
 * at most UNIT_NAME_MAX characters. */
bool unit_name_is_valid(const char *name) _pure_;

/* A valid slice name whose dash-separated parts are all non-empty ("-.slice", the root, included). */
bool slice_name_is_valid(const char *name) _pure_;

/* "a-b.slice" -> "a.slice", "a.slice" -> "-.slice"; -ENXIO for the root slice itself. */
int slice_name_parent(const char *slice, char **ret);

/* The cgroup path of a slice below the root: "a-b.slice" -> "/a.slice/a-b.slice", "-.slice" -> "/". */
int slice_name_to_cgroup_path(const char *slice, char **ret);

/* The cgroup path of any unit placed in slice: "/a.slice/a-b.slice/crio-<id>.scope". */
int unit_cgroup_path(const char *slice, const char *unit, char **ret);

/* "<prefix>-<id><suffix>" checked for validity, e.g. unit_name_build("crio", id, ".scope"). */
int unit_name_build(const char *prefix, const char *id, const char *suffix, char **ret);

/* systemd's escaping of free text for use in a unit name: '/' becomes '-', characters outside
 * [a-zA-Z0-9:_.] and a leading '.' become "\xNN". */
int unit_name_escape(const char *s, char **ret);

/* "/org/freedesktop/systemd1/unit/<bus-escaped name>", what systemd computes for every unit. */
int unit_dbus_path_from_name(const char *name, char **ret);
