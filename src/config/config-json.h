/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "config.h"

/* The configuration as a JSON object of CRI-O's tables and keys (Status verbose info). The result
 * is malloc()ed. */
int config_to_json(const Config *c, char **ret);

/* CRI-O's GET /info answer: storage and cgroup facts cAdvisor reads. */
int config_info_to_json(const Config *c, char **ret);
