/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cni-exec.h"
#include "fileio.h"
#include "config.h"
#include "log.h"
#include "pod-files.h"
#include "pod-manager.h"
#include "pod-namespaces.h"
#include "pod-network.h"
#include "pod-slice.h"
#include "pod-store.h"
#include "systemd-manager.h"

/* A pod directory in POD_RUN_DIR that start-up did not restore (pod-state.c) is one no client can
 * reach any more: a run crio died in (no pod.json yet), or a record from an earlier boot or beyond
 * repair. Each is undone from its step record: network (DEL from the CNI cache), pins, /dev/shm, the
 * slice if crio made it, and last the directory. */
typedef struct StaleCleanup {
        Manager *manager;
        char *id;
        char *dir;
        char *slice;
        bool slice_created;
        char *network;
        CniOperation *cni_operation;
        struct StaleCleanup *prev, *next;
} StaleCleanup;

/* Cleanups waiting for their DEL, so that a crio stopping meanwhile can end them first. */
static StaleCleanup *stale_cleanups;

static void stale_cleanup_free(StaleCleanup *c) {
        if (c->prev)
                c->prev->next = c->next;
        else if (stale_cleanups == c)
                stale_cleanups = c->next;
        if (c->next)
                c->next->prev = c->prev;
        cni_operation_free(c->cni_operation);
        free(c->id);
        free(c->dir);
        free(c->slice);
        free(c->network);
        free(c);
}

static bool is_pod_id(const char *s) {
        return strlen(s) == 64 && s[strspn(s, "0123456789abcdef")] == '\0';
}

static int read_record(StaleCleanup *c) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_free_ char *own = NULL;
        size_t size;
        int r;

        if (asprintf(&path, "%s/" POD_RECORD_FILE, c->dir) < 0)
                return -ENOMEM;
        r = read_full_file_at(AT_FDCWD, path, 64 * 1024, 0, &text, &size);
        if (r < 0)
                return r;
        for (char *line = text, *next; line && *line; line = next) {
                char *eq;

                next = strchr(line, '\n');
                if (!next)
                        break; /* an unfinished last line */
                *next++ = '\0';
                eq = strchr(line, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                if (strcmp(line, "slice") == 0) {
                        free(c->slice);
                        c->slice = strdup(eq + 1);
                } else if (strcmp(line, "slice_created") == 0)
                        c->slice_created = true;
                else if (strcmp(line, "network") == 0) {
                        free(c->network);
                        c->network = strdup(eq + 1);
                }
        }
        if (c->slice && pod_slice_name(NULL, c->id, &own) >= 0 && strcmp(own, c->slice) == 0)
                c->slice_created = true;
        return 0;
}

static void stale_finish(StaleCleanup *c) {
        Manager *m = c->manager;
        _cleanup_free_ char *field = NULL;

        for (PodNamespaceType t = 0; t < _POD_NAMESPACE_TYPE_MAX; t++) {
                _cleanup_free_ char *pin = NULL;

                if (pod_namespace_path(m->config->namespaces_dir, t, c->id, &pin) >= 0)
                        (void) pod_namespace_unpin(pin);
        }
        if (c->slice && c->slice_created && m->systemd) {
                /* Nothing in it is waited for: SIGKILL, so the stop does not hang on a process ignoring SIGTERM. */
                (void) systemd_client_kill_unit(m->systemd, c->slice, "all", SIGKILL, NULL, NULL, NULL);
                (void) systemd_client_stop_unit(m->systemd, c->slice, NULL, NULL, NULL, NULL);
        }
        (void) pod_files_remove_dir(c->dir);
        if (asprintf(&field, "POD_ID=%s", c->id) < 0)
                field = NULL;
        log_struct(LOG_NOTICE, FIELDS(field ?: "POD_ID="),
                   "Cleaned up pod %s left by an earlier crio%s%s.", c->id,
                   c->slice_created ? ", stopped slice " : "", c->slice_created ? c->slice : "");
        stale_cleanup_free(c);
}

static void on_stale_network_deleted(CniOperation *op, int r, void *userdata) {
        StaleCleanup *c = userdata;

        if (r < 0)
                log_warning_errno(r, "Failed to tear down the network of stale pod %s, ignoring: %s", c->id,
                                  cni_operation_get_error_message(op) ?: strerror(-r));
        c->cni_operation = cni_operation_free(c->cni_operation);
        stale_finish(c);
}

int pod_cleanup_stale(Manager *m) {
        DIR *d;
        struct dirent *de;
        int n = 0;

        d = opendir(POD_RUN_DIR);
        if (!d)
                return errno == ENOENT ? 0 : log_warning_errno(errno, "Failed to open %s: %m", POD_RUN_DIR);
        while ((de = readdir(d))) {
                StaleCleanup *c;
                int r;

                if (!is_pod_id(de->d_name) || pod_store_get(m->pods, de->d_name))
                        continue;
                c = calloc(1, sizeof(StaleCleanup));
                if (!c)
                        break;
                c->manager = m;
                c->id = strdup(de->d_name);
                if (!c->id || asprintf(&c->dir, "%s/%s", POD_RUN_DIR, de->d_name) < 0) {
                        stale_cleanup_free(c);
                        break;
                }
                (void) read_record(c);
                n++;
                if (c->network && m->cni_exec) {
                        _cleanup_free_ char *netns = NULL;

                        (void) pod_namespace_path(m->config->namespaces_dir, POD_NAMESPACE_NET, c->id, &netns);
                        r = pod_network_del_by_id(m, c->network, c->id, netns, on_stale_network_deleted, c,
                                                  &c->cni_operation);
                        if (r >= 0) {
                                c->next = stale_cleanups;
                                if (c->next)
                                        c->next->prev = c;
                                stale_cleanups = c;
                                continue;
                        }
                        log_warning_errno(r, "Failed to tear down the network of stale pod %s, ignoring: %m", c->id);
                }
                stale_finish(c);
        }
        closedir(d);
        if (n > 0)
                log_info("Cleaning up %d pod(s) left by an earlier crio.", n);
        return n;
}

void pod_cleanup_stale_cancel(void) {
        /* The directories stay: the next start tries again. */
        while (stale_cleanups)
                stale_cleanup_free(stale_cleanups);
}
