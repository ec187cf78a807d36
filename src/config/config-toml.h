/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdio.h>

#include "config.h"

/* The configuration as a crio.conf: every key with its documentation. With comment_defaults
 * (`crio config`), keys holding their default are commented out, as CRI-O prints them; without
 * (GET /config, as CRI-O answers it) every value is set. Either reads back to the same values. */
int config_write_toml(const Config *c, bool comment_defaults, FILE *f);
/* The uncommented form, malloc()ed. */
int config_to_toml(const Config *c, char **ret);
