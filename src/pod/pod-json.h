/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A pod as JSON: the "info" of a verbose PodSandboxStatus. */

#include "pod.h"

int pod_info_to_json(const Pod *p, char **ret);
