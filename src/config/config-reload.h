/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "config.h"

/* Takes over from a freshly loaded configuration the keys CRI-O applies live (CONFIG_RELOAD rows:
 * log level and filter, pause image, seccomp/AppArmor profiles, decryption keys, pinned images,
 * gRPC limits...) and the runtime handlers with default_runtime. Other changes are logged as
 * waiting for a restart. Returns how many keys changed, or -ENOMEM (running is then untouched
 * for the key being copied). */
int config_reload_apply(Config *running, Config *fresh);
