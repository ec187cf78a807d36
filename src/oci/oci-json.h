/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared by the JSON layer of src/oci only (the *-json.c files): the one header with json-glib types. */

#include <json-glib/json-glib.h>

#include "seccomp-profile.h"

/* Writes the OCI linux.seccomp object of a resolved profile. */
void seccomp_profile_build_json(JsonBuilder *b, const SeccompProfile *p);
