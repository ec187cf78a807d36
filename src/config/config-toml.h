/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "config.h"

/* The configuration as a crio.conf TOML file (GET /config and `crio config`). malloc()ed. */
int config_to_toml(const Config *c, char **ret);
