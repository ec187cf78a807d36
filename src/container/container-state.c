/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container-state.h"
#include "container-state-json.h"
#include "fileio.h"
#include "log.h"
#include "proc-util.h"

const char *container_state_boot_id(void) {
        static char *boot_id;

        /* Read once: the boot id cannot change under a running process. */
        if (!boot_id)
                (void) proc_boot_id(&boot_id);
        return boot_id;
}

int container_state_save(Container *c) {
        _cleanup_free_ char *json = NULL, *path = NULL;
        int r;

        if (!c->layer_dir || c->state == CONTAINER_STATE_CREATING)
                return 0;
        r = container_state_to_json(c, container_state_boot_id(), &json);
        if (r < 0)
                return log_container_errno(c, LOG_ERR, r, "Failed to serialize the record of container %s: %m",
                                           c->id);
        if (asprintf(&path, "%s/" CONTAINER_STATE_FILE, c->layer_dir) < 0)
                return log_oom();
        r = write_file_atomic_at(AT_FDCWD, path, json, strlen(json), 0600);
        if (r < 0)
                return log_container_errno(c, LOG_ERR, r, "Failed to write %s: %m", path);
        return 0;
}
