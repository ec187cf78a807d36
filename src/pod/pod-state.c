/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#include "config.h"
#include "container-state.h"
#include "fileio.h"
#include "log.h"
#include "pod-files.h"
#include "pod-slice.h"
#include "pod-state-json.h"
#include "pod-state.h"
#include "pod-store.h"

#define POD_STATE_MAX_SIZE (4U * 1024U * 1024U)
/* statfs()'s f_type of a pinned namespace. */
#define NSFS_MAGIC_NUMBER 0x6e736673

int pod_state_save(Pod *p) {
        _cleanup_free_ char *json = NULL, *path = NULL;
        int r;

        if (!p->run_dir || p->state == POD_STATE_CREATING)
                return 0;
        r = pod_state_to_json(p, container_state_boot_id(), &json);
        if (r < 0)
                return log_pod_errno(p, LOG_ERR, r, "Failed to serialize the record of pod %s: %m", p->id);
        if (asprintf(&path, "%s/" POD_STATE_FILE, p->run_dir) < 0)
                return log_oom();
        r = write_file_atomic_at(AT_FDCWD, path, json, strlen(json), 0600);
        if (r < 0)
                return log_pod_errno(p, LOG_ERR, r, "Failed to write %s: %m", path);
        return 0;
}

static bool namespace_pinned(const char *path) {
        struct statfs sfs;

        return path && statfs(path, &sfs) >= 0 && (unsigned long) sfs.f_type == NSFS_MAGIC_NUMBER;
}

/* 1 when restored, 0 when left to the stale cleanup, < 0 on allocation failure. */
static int restore_one(Manager *m, const char *id) {
        _cleanup_(pod_unrefp) Pod *p = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL, *boot_id = NULL;
        const char *boot = container_state_boot_id();
        size_t size;
        int r;

        if (asprintf(&path, "%s/%s/" POD_STATE_FILE, POD_RUN_DIR, id) < 0)
                return -ENOMEM;
        r = read_full_file_at(AT_FDCWD, path, POD_STATE_MAX_SIZE, 0, &text, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                log_warning_errno(r, "Failed to read %s, undoing pod %s: %m", path, id);
                return 0;
        }
        p = calloc(1, sizeof(Pod));
        if (!p)
                return -ENOMEM;
        p->n_ref = 1;
        p->manager = m;
        r = pod_state_from_json(text, size, p, &boot_id);
        if (r < 0 || !p->id || strcmp(p->id, id) != 0 || !p->name || p->state == POD_STATE_CREATING) {
                log_warning_errno(r < 0 ? r : EBADMSG, "Record %s is damaged, undoing pod %s: %m", path, id);
                return 0;
        }
        if (boot && boot_id && strcmp(boot, boot_id) != 0) {
                log_info("Pod %s was recorded in an earlier boot, undoing it.", id);
                return 0;
        }
        if (asprintf(&p->log_fields[0], "POD_ID=%s", p->id) < 0 ||
            asprintf(&p->log_fields[1], "POD_NAME=%s", p->config.name) < 0 ||
            asprintf(&p->log_fields[2], "POD_NAMESPACE=%s", p->config.namespace) < 0)
                return -ENOMEM;
        if (!p->run_dir && asprintf(&p->run_dir, "%s/%s", POD_RUN_DIR, id) < 0)
                return -ENOMEM;

        r = pod_store_add(m->pods, p);
        if (r < 0) {
                log_pod_errno(p, LOG_WARNING, r, "Pod %s (%s) cannot be restored, undoing it: %m", p->name, id);
                return 0;
        }
        /* A namespace whose pin is gone cannot hold containers any more. */
        if (p->state == POD_STATE_READY && ((p->netns_path && !namespace_pinned(p->netns_path)) ||
                                            (p->ipcns_path && !namespace_pinned(p->ipcns_path)) ||
                                            (p->utsns_path && !namespace_pinned(p->utsns_path)))) {
                log_pod(p, LOG_WARNING, "A namespace of pod %s (%s) is gone, the pod is not ready.", p->name, id);
                p->state = POD_STATE_NOTREADY;
                (void) pod_state_save(p);
        }
        if (p->slice && m->systemd) {
                r = pod_slice_watch(p);
                if (r < 0)
                        log_pod_errno(p, LOG_WARNING, r, "Failed to watch slice %s, ignoring: %m", p->slice);
        }
        log_pod(p, LOG_DEBUG, "Restored pod %s (%s), %s.", p->name, id, pod_state_to_string(p->state));
        return 1;
}

static bool is_pod_id(const char *s) {
        return strlen(s) == 64 && s[strspn(s, "0123456789abcdef")] == '\0';
}

int pod_restore_all(Manager *m) {
        struct dirent *de;
        DIR *d;
        int n = 0;

        d = opendir(POD_RUN_DIR);
        if (!d)
                return errno == ENOENT ? 0 : log_warning_errno(errno, "Failed to open %s: %m", POD_RUN_DIR);
        while ((de = readdir(d))) {
                int r;

                if (!is_pod_id(de->d_name) || pod_store_get(m->pods, de->d_name))
                        continue;
                r = restore_one(m, de->d_name);
                if (r < 0) {
                        closedir(d);
                        return log_oom();
                }
                n += r;
        }
        closedir(d);
        if (n > 0)
                log_info("Restored %d pod(s).", n);
        return n;
}

void pod_restore_finish(Manager *m) {
        _cleanup_free_ Pod **l = NULL;
        size_t n;

        if (pod_store_list(m->pods, &l, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                Pod *p = l[i];

                if (p->state != POD_STATE_READY || p->infra || !pod_needs_infra(p, m->config->drop_infra_ctr))
                        continue;
                log_pod(p, LOG_WARNING, "The infra container of pod %s (%s) is gone, the pod is not ready.", p->name,
                        p->id);
                p->state = POD_STATE_NOTREADY;
                (void) pod_state_save(p);
        }
}
