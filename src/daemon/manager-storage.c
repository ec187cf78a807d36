/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"
#include "manager-storage.h"
#include "storage-check.h"
#include "storage-version.h"
#include "storage-wipe.h"

int manager_wipe_if_needed(Manager *m) {
        StorageWipeInputs in;
        StorageWipePlan plan;
        int r;

        /* As CRI-O orders it: the repair when the storage is opened, the wipe after. */
        r = storage_repair_at_start(m->config);
        if (r < 0)
                return log_error_errno(r, "Failed to repair the storage after an unclean shutdown: %m");

        storage_wipe_inputs_read(m->config, /* force= */ false, &in);
        storage_wipe_plan_daemon(&in, &plan);
        if (!plan.containers)
                return 0;
        log_info("%s: wiping containers and pods%s.", plan.images ? "crio was upgraded" : "The node rebooted",
                 plan.images ? " and their images" : "");
        r = storage_wipe_execute(m->config, &plan);
        if (r < 0)
                /* What is left is read back as any container found at start would be. */
                log_warning_errno(r, "Failed to wipe everything that is stale, continuing: %m");
        return 0;
}

int manager_storage_started(Manager *m) {
        return storage_mark_started(m->config);
}

int manager_storage_stopped(Manager *m) {
        return storage_mark_clean_shutdown(m->config);
}
