/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdio.h>

#include "config.h"

/* The configuration as a commented crio.conf (GET /config and `crio config`): every key with its
 * documentation; keys holding their default are commented out, so the file reads back to the
 * same values. malloc()ed. */
int config_to_toml(const Config *c, char **ret);
int config_write_toml(const Config *c, FILE *f);
