/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "container-state-json.h"

int container_state_to_json(const Container *c, const char *boot_id, char **ret) {
        return -EOPNOTSUPP;
}

int container_state_from_json(const char *json, size_t size, Container *c, char **ret_pod_id,
                              char **ret_boot_id) {
        return -EOPNOTSUPP;
}

void container_state_done(Container *c) {
}
