/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "pod-state-json.h"

int pod_state_to_json(const Pod *p, const char *boot_id, char **ret) {
        return -EOPNOTSUPP;
}

int pod_state_from_json(const char *json, size_t size, Pod *p, char **ret_boot_id) {
        return -EOPNOTSUPP;
}

void pod_state_done(Pod *p) {
}
