/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "container-manager.h"
#include "container-restore.h"
#include "container-rootfs.h"
#include "container-state-json.h"
#include "container-state.h"
#include "container-util.h"
#include "exit-watch.h"
#include "fileio.h"
#include "log.h"
#include "pod.h"
#include "pod-store.h"
#include "proc-util.h"
#include "strv.h"
#include "systemd-manager.h"

/* A record is a few kilobytes; anything far larger is not ours. */
#define CONTAINER_STATE_MAX_SIZE (4U * 1024U * 1024U)

/* What an unrecorded container left behind, undone step by step: its two scopes, then the state of
 * every runtime that may know it, then its files. */
typedef struct OrphanCleanup {
        Manager *manager;
        Container *shell;               /* id, layer_dir, rootfs and bundle_dir only, for the file removal */
        unsigned n_pending;
        SystemdRequest *requests[2];
        size_t runtime_index;
        OciOperation *delete;
        struct OrphanCleanup *prev, *next;
} OrphanCleanup;

static OrphanCleanup *orphans;

static void orphan_free(OrphanCleanup *o) {
        if (o->prev)
                o->prev->next = o->next;
        else if (orphans == o)
                orphans = o->next;
        if (o->next)
                o->next->prev = o->prev;
        for (size_t i = 0; i < ELEMENTSOF(o->requests); i++)
                systemd_request_free(o->requests[i]);
        oci_operation_free(o->delete);
        container_unref(o->shell);
        free(o);
}

static void orphan_finish(OrphanCleanup *o) {
        Container *c = o->shell;

        (void) container_rootfs_remove(c);
        if (o->manager->exit_watch)
                (void) exit_watch_forget(o->manager->exit_watch, c->id);
        log_struct(LOG_NOTICE, FIELDS(c->log_fields[0]),
                   "Cleaned up container %s, which an earlier crio left without a record.", c->id);
        orphan_free(o);
}

static void orphan_delete_next(OrphanCleanup *o);

static void on_orphan_deleted(OciOperation *op, int r, void *userdata) {
        OrphanCleanup *o = userdata;

        o->delete = oci_operation_free(o->delete);
        o->runtime_index++;
        orphan_delete_next(o);
}

/* "<runtime> delete --force" for each configured runtime: the record that named it is what is missing. */
static void orphan_delete_next(OrphanCleanup *o) {
        const Config *cfg = o->manager->config;

        while (o->runtime_index < cfg->n_runtimes) {
                OciRuntime *rt;

                if (manager_get_runtime(o->manager, cfg->runtimes[o->runtime_index]->name, &rt) >= 0 &&
                    oci_runtime_delete(rt, o->shell->id, /* force= */ true, on_orphan_deleted, o, &o->delete) >= 0)
                        return;
                o->runtime_index++;
        }
        orphan_finish(o);
}

static void on_orphan_unit_stopped(int r, const char *result, void *userdata) {
        OrphanCleanup *o = userdata;

        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Failed to stop a scope of orphaned container %s, ignoring: %m", o->shell->id);
        if (--o->n_pending == 0)
                orphan_delete_next(o);
}

/* Without systemd, conmon is reached through its pid file (the runtime's delete ends the container). */
static void orphan_kill_conmon(OrphanCleanup *o) {
        _cleanup_free_ char *path = NULL;
        pid_t pid;

        if (!o->shell->bundle_dir || conmon_pidfile_path(o->shell->bundle_dir, &path) < 0)
                return;
        if (container_read_pid_file(path, &pid) >= 0 && pid > 1)
                (void) kill(pid, SIGKILL);
}

static int orphan_start(Manager *m, const char *id) {
        const Config *cfg = m->config;
        OrphanCleanup *o;
        Container *c;

        o = calloc(1, sizeof(OrphanCleanup));
        if (!o)
                return -ENOMEM;
        o->manager = m;
        o->shell = c = calloc(1, sizeof(Container));
        if (!c) {
                free(o);
                return -ENOMEM;
        }
        c->n_ref = 1;
        if (!(c->id = strdup(id)) || asprintf(&c->log_fields[0], "CONTAINER_ID=%s", id) < 0 ||
            asprintf(&c->layer_dir, "%s/%s/%s", cfg->root, CONTAINER_LAYERS_DIR, id) < 0 ||
            asprintf(&c->rootfs, "%s/merged", c->layer_dir) < 0 ||
            asprintf(&c->bundle_dir, "%s/%s/%s/userdata", cfg->runroot, CONTAINER_LAYERS_DIR, id) < 0 ||
            asprintf(&c->scope, "crio-%s.scope", id) < 0 || asprintf(&c->conmon_scope, "crio-conmon-%s.scope", id) < 0) {
                orphan_free(o);
                return -ENOMEM;
        }
        o->next = orphans;
        if (o->next)
                o->next->prev = o;
        orphans = o;

        /* The scopes first: stopping them ends conmon and the container's processes alike. */
        o->n_pending = 1;
        if (m->systemd) {
                const char *units[2] = { c->scope, c->conmon_scope };

                for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                        /* SIGKILL first: nobody waits for this container's graceful end, and a PID 1 that
                         * ignores SIGTERM would hold the stop job for the unit's whole stop timeout. */
                        (void) systemd_client_kill_unit(m->systemd, units[i], "all", SIGKILL, NULL, NULL, NULL);
                        if (systemd_client_stop_unit(m->systemd, units[i], NULL, on_orphan_unit_stopped, o,
                                                     &o->requests[i]) >= 0)
                                o->n_pending++;
                }
        } else
                orphan_kill_conmon(o);
        on_orphan_unit_stopped(0, NULL, o);
        return 0;
}

void container_restore_cancel(void) {
        /* What is not done yet stays on disk, without a record: the next start undoes it. */
        while (orphans)
                orphan_free(orphans);
}

static int on_pid_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Container *c = userdata;
        struct timespec ts;

        c->pid_watch = sd_event_source_disable_unref(c->pid_watch);
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        /* Nobody is left to tell the code: CRI-O reports such an exit as 255. */
        container_set_exited(c, 255, false, (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec);
        free(c->message);
        c->message = strdup("the container exited after its conmon was gone; its exit code is unknown");
        container_notify_exit(c);
        return 0;
}

/* conmon is gone but the container still runs: its exit is seen through a pidfd instead. */
static int watch_pid(Container *c) {
        _cleanup_close_ int fd = -EBADF;
        int r;

#ifdef SYS_pidfd_open
        fd = (int) syscall(SYS_pidfd_open, c->pid, 0);
#else
        errno = ENOSYS;
#endif
        if (fd < 0)
                return -errno;
        /* The pid could have been reused between the check and the open. */
        if (!proc_pid_is(c->pid, c->pid_starttime))
                return -ESRCH;
        r = sd_event_add_io(c->manager->event, &c->pid_watch, fd, EPOLLIN, on_pid_exit, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_io_fd_own(c->pid_watch, true);
        TAKE_FD(fd);
        return 0;
}

static void reconcile(Container *c) {
        Manager *m = c->manager;
        uint64_t finished = 0;
        bool oom = false;
        struct timespec ts;
        int code, r;

        if (!IN_SET(c->state, CONTAINER_STATE_CREATED, CONTAINER_STATE_RUNNING))
                return;
        if (m->exit_watch) {
                r = exit_watch_add(m->exit_watch, c->id, c->bundle_dir);
                if (r < 0)
                        log_container_errno(c, LOG_WARNING, r, "Failed to watch the exit of %s, ignoring: %m", c->id);
                /* Exited while crio was down: the code and time conmon wrote. */
                if (exit_watch_read(m->exit_watch, c->id, &code, &oom, &finished) >= 0) {
                        container_set_exited(c, code, oom, (int64_t) finished);
                        return;
                }
        }
        if (c->conmon_pid > 0 && proc_pid_is(c->conmon_pid, c->conmon_starttime))
                return;
        if (c->state == CONTAINER_STATE_RUNNING && c->pid > 0 && proc_pid_is(c->pid, c->pid_starttime)) {
                log_container(c, LOG_WARNING, "The conmon of container %s (%s) is gone, but the container still "
                              "runs; following it without conmon.", c->name, c->id);
                r = watch_pid(c);
                if (r >= 0)
                        return;
                log_container_errno(c, LOG_WARNING, r, "Failed to watch process %d of container %s: %m",
                                    (int) c->pid, c->id);
        }
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        container_set_exited(c, 255, false, (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec);
        free(c->message);
        c->message = strdup("conmon and the container were gone when crio started, without an exit file");
}

/* 1 when restored, 0 when the directory is an orphan to undo, < 0 on allocation failure. */
static int restore_one(Manager *m, const char *id) {
        _cleanup_(container_unrefp) Container *c = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL, *pod_id = NULL, *boot_id = NULL;
        const char *boot = container_state_boot_id();
        size_t size;
        Pod *p;
        int r;

        if (asprintf(&path, "%s/%s/%s/" CONTAINER_STATE_FILE, m->config->root, CONTAINER_LAYERS_DIR, id) < 0)
                return -ENOMEM;
        r = read_full_file_at(AT_FDCWD, path, CONTAINER_STATE_MAX_SIZE, 0, &text, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                log_warning_errno(r, "Failed to read %s, undoing container %s: %m", path, id);
                return 0;
        }
        c = calloc(1, sizeof(Container));
        if (!c)
                return -ENOMEM;
        c->n_ref = 1;
        c->manager = m;
        r = container_state_from_json(text, size, c, &pod_id, &boot_id);
        if (r < 0 || !c->id || strcmp(c->id, id) != 0) {
                log_warning_errno(r < 0 ? r : EBADMSG, "Record %s is damaged, undoing container %s: %m", path, id);
                return 0;
        }
        if (boot && boot_id && strcmp(boot, boot_id) != 0) {
                log_info("Container %s was recorded in an earlier boot, undoing it.", id);
                return 0;
        }
        p = pod_id ? pod_store_get(m->pods, pod_id) : NULL;
        if (!p) {
                log_info("The pod of container %s is gone, undoing the container.", id);
                return 0;
        }
        c->pod = pod_ref(p);
        if (asprintf(&c->log_fields[0], "CONTAINER_ID=%s", c->id) < 0 ||
            asprintf(&c->log_fields[1], "CONTAINER_NAME=%s", c->name) < 0 ||
            asprintf(&c->log_fields[2], "POD_ID=%s", p->id) < 0)
                return -ENOMEM;
        if (!c->scope && asprintf(&c->scope, "crio-%s.scope", c->id) < 0)
                return -ENOMEM;
        if (!c->conmon_scope && asprintf(&c->conmon_scope, "crio-conmon-%s.scope", c->id) < 0)
                return -ENOMEM;
        r = manager_get_runtime(m, c->runtime_handler ?: m->config->default_runtime, &c->runtime);
        if (r < 0)
                log_container_errno(c, LOG_WARNING, r, "Runtime handler %s of container %s cannot be used: %m",
                                    c->runtime_handler ?: "(none)", c->id);

        if (c->infra) {
                if (p->infra || strcmp(c->id, p->id) != 0)
                        return 0;
                p->infra = container_ref(c);
        } else {
                r = container_store_add(m, c);
                if (r < 0) {
                        log_container_errno(c, LOG_WARNING, r, "Container %s (%s) cannot be restored, undoing it: %m",
                                            c->name, c->id);
                        return 0;
                }
        }
        reconcile(c);
        if (c->infra && c->state == CONTAINER_STATE_EXITED)
                pod_infra_exited(p);
        log_container(c, LOG_DEBUG, "Restored container %s (%s), %s.", c->name, c->id,
                      container_state_to_string(c->state));
        return 1;
}

static int collect_ids(const char *parent, char ***ids) {
        _cleanup_free_ char *dir = NULL;
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (asprintf(&dir, "%s/%s", parent, CONTAINER_LAYERS_DIR) < 0)
                return -ENOMEM;
        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : log_warning_errno(errno, "Failed to open %s: %m", dir);
        while ((de = readdir(d)))
                if (container_id_valid(de->d_name) && !strv_contains(*ids, de->d_name)) {
                        r = strv_push(ids, de->d_name);
                        if (r < 0)
                                break;
                }
        closedir(d);
        return r;
}

int container_restore_all(Manager *m) {
        _cleanup_strv_free_ char **ids = NULL;
        int r, n = 0, n_orphans = 0;

        /* Both homes of a container: a create cut off early may have made only one of them. */
        r = collect_ids(m->config->root, &ids);
        if (r >= 0)
                r = collect_ids(m->config->runroot, &ids);
        if (r < 0)
                return log_oom();

        for (char **id = ids; id && *id; id++) {
                r = restore_one(m, *id);
                if (r < 0)
                        return log_oom();
                if (r > 0) {
                        n++;
                        continue;
                }
                r = orphan_start(m, *id);
                if (r < 0)
                        return log_oom();
                n_orphans++;
        }
        if (n > 0 || n_orphans > 0)
                log_info("Restored %d container(s); cleaning up %d left without a record.", n, n_orphans);
        return n;
}
