/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Small helpers shared by the CNI files: versions and names. */

#include <stdbool.h>
#include <stddef.h>

#include "fileio.h"
#include "macro.h"
#include "strv.h"

/* Compares two CNI versions ("0.3.1", "1.0.0"); -EINVAL if either is not of the form X.Y.Z. */
int cni_version_compare(const char *a, const char *b, int *ret);
/* The versions whose configs and results we understand: 0.1.0 up to 1.1.0. */
bool cni_version_supported(const char *v) _pure_;

/* libcni's rules: network names and container IDs are a letter or digit, then letters, digits,
 * '_', '.', '-'; interface names are 1 to 15 characters without '/', ':' or white space. They are
 * also file name parts of the cache. */
bool cni_network_name_valid(const char *s) _pure_;
bool cni_container_id_valid(const char *s) _pure_;
bool cni_ifname_valid(const char *s) _pure_;
