/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config-load.h"
#include "config.h"
#include "container-manager.h"
#include "exit-watch.h"
#include "hashmap.h"
#include "image-store.h"
#include "log.h"
#include "pod.h"
#include "pod-store.h"
#include "strv.h"

typedef struct RuntimeEntry {
        char *name;
        OciRuntime *runtime;
} RuntimeEntry;

static void on_exit_file(ExitWatch *w, const ContainerExit *e, void *userdata) {
        Manager *m = userdata;
        Container *c = container_get(m, e->id);
        Pod *p = NULL;

        /* Not in the store: the infra container of the pod of that id. */
        if (!c && m->pods && (p = pod_store_get(m->pods, e->id)))
                c = p->infra;
        if (!c)
                return;
        container_set_exited(c, e->exit_code, e->oom_killed, (int64_t) e->finished_at_nsec);
        if (c->infra)
                pod_infra_exited(c->pod);
        container_notify_exit(c);
}

static int image_in_use(const ImageRecord *image, void *userdata) {
        return manager_image_in_use(userdata, image->id);
}

int manager_start_containers(Manager *m) {
        int r;

        if (!m->containers_by_id) {
                r = hashmap_new(&m->containers_by_id);
                if (r >= 0)
                        r = hashmap_new(&m->containers_by_name);
                if (r >= 0)
                        r = hashmap_new(&m->runtimes);
                if (r < 0)
                        return log_oom();
        }
        /* RemoveImage (CRI and D-Bus) refuses images our containers use. */
        if (m->image_store)
                image_store_set_in_use_hook(m->image_store, image_in_use, m);
        r = exit_watch_new(m->event, m->config->container_exits_dir, on_exit_file, m, &m->exit_watch);
        if (r < 0)
                log_warning_errno(r, "Failed to watch %s, container exits are not noticed: %m",
                                  m->config->container_exits_dir);
        return 0;
}

void manager_free_containers(Manager *m) {
        size_t state = 0;
        void *v;

        while (hashmap_iterate(m->containers_by_id, &state, NULL, &v))
                container_unref(v);
        m->containers_by_id = hashmap_free(m->containers_by_id);
        m->containers_by_name = hashmap_free(m->containers_by_name);
        state = 0;
        while (hashmap_iterate(m->runtimes, &state, NULL, &v)) {
                RuntimeEntry *e = v;

                oci_runtime_free(e->runtime);
                free(e->name);
                free(e);
        }
        m->runtimes = hashmap_free(m->runtimes);
        m->exit_watch = exit_watch_free(m->exit_watch);
}

int container_store_add(Manager *m, Container *c) {
        int r;

        if (!m->containers_by_id)
                return -ENXIO;
        if (hashmap_get(m->containers_by_name, c->name))
                return -EEXIST;
        r = hashmap_put(m->containers_by_id, c->id, c);
        if (r < 0)
                return r;
        r = hashmap_put(m->containers_by_name, c->name, c);
        if (r < 0) {
                (void) hashmap_remove(m->containers_by_id, c->id);
                return r;
        }
        container_ref(c);
        return 0;
}

void container_store_remove(Manager *m, Container *c) {
        if (!m->containers_by_id || hashmap_get(m->containers_by_id, c->id) != c)
                return;
        (void) hashmap_remove(m->containers_by_id, c->id);
        if (hashmap_get(m->containers_by_name, c->name) == c)
                (void) hashmap_remove(m->containers_by_name, c->name);
        container_unref(c);
}

Container *container_get(Manager *m, const char *id) {
        return m->containers_by_id && id ? hashmap_get(m->containers_by_id, id) : NULL;
}

Container *container_get_by_name(Manager *m, const char *name) {
        return m->containers_by_name && name ? hashmap_get(m->containers_by_name, name) : NULL;
}

size_t container_count(Manager *m) {
        return m->containers_by_id ? hashmap_size(m->containers_by_id) : 0;
}

int container_find(Manager *m, const char *id_or_prefix, Container **ret) {
        Container *c = container_get(m, id_or_prefix), *found = NULL;
        size_t state = 0, n;
        void *v;

        if (c && container_is_visible(c)) {
                *ret = c;
                return 0;
        }
        if (!id_or_prefix || !*id_or_prefix || !m->containers_by_id)
                return -ENOENT;
        n = strlen(id_or_prefix);
        while (hashmap_iterate(m->containers_by_id, &state, NULL, &v)) {
                c = v;
                if (!container_is_visible(c) || strncmp(c->id, id_or_prefix, n) != 0)
                        continue;
                if (found)
                        return -ENOTUNIQ;
                found = c;
        }
        if (!found)
                return -ENOENT;
        *ret = found;
        return 0;
}

static int compare_created(const void *a, const void *b) {
        const Container *x = *(Container *const *) a, *y = *(Container *const *) b;

        return x->created_at < y->created_at ? -1 : x->created_at > y->created_at ? 1 : strcmp(x->id, y->id);
}

int container_list(Manager *m, Container ***ret, size_t *ret_n) {
        size_t state = 0, n = 0;
        Container **l;
        void *v;

        l = calloc(container_count(m) + 1, sizeof(Container *));
        if (!l)
                return -ENOMEM;
        while (m->containers_by_id && hashmap_iterate(m->containers_by_id, &state, NULL, &v))
                if (container_is_visible(v))
                        l[n++] = v;
        qsort(l, n, sizeof(Container *), compare_created);
        *ret = l;
        *ret_n = n;
        return 0;
}

bool manager_image_in_use(Manager *m, const char *image_id) {
        size_t state = 0;
        void *v;

        while (m->containers_by_id && hashmap_iterate(m->containers_by_id, &state, NULL, &v))
                if (strings_equal(((Container *) v)->image_id, image_id))
                        return true;
        return false;
}

int manager_get_runtime(Manager *m, const char *handler, OciRuntime **ret) {
        _cleanup_free_ char *path = NULL, *root = NULL;
        RuntimeHandler *h;
        RuntimeEntry *e;
        int r;

        if (!m->runtimes)
                return -ENXIO;
        e = hashmap_get(m->runtimes, handler);
        if (e) {
                *ret = e->runtime;
                return 0;
        }
        h = config_find_runtime(m->config, handler);
        if (!h)
                return -ENOENT;
        if (h->runtime_path && *h->runtime_path)
                path = strdup(h->runtime_path);
        else {
                r = find_executable(handler, &path);
                if (r < 0)
                        return log_error_errno(r, "Runtime %s not found in $PATH: %m", handler);
        }
        /* CRI-O's default state directory is the runtime's own default, /run/<name>. */
        if (h->runtime_root && *h->runtime_root)
                root = strdup(h->runtime_root);
        else if (asprintf(&root, "/run/%s", handler) < 0)
                root = NULL;
        if (!path || !root)
                return -ENOMEM;

        e = calloc(1, sizeof(RuntimeEntry));
        if (!e)
                return -ENOMEM;
        e->name = strdup(handler);
        if (!e->name) {
                free(e);
                return -ENOMEM;
        }
        r = oci_runtime_new(m->event, path, root, strings_equal(m->config->cgroup_manager, "systemd"), &e->runtime);
        if (r >= 0)
                r = hashmap_put(m->runtimes, e->name, e);
        if (r < 0) {
                oci_runtime_free(e->runtime);
                free(e->name);
                free(e);
                return r;
        }
        *ret = e->runtime;
        return 0;
}

int manager_conmon_config(Manager *m, const char *handler, ConmonConfig *ret, const char **ret_monitor_cgroup) {
        const Config *cfg = m->config;
        RuntimeHandler *h = config_find_runtime(cfg, handler);
        OciRuntime *rt;
        const char *cgroup;
        int r;

        if (!h)
                return -ENOENT;
        r = manager_get_runtime(m, handler, &rt);
        if (r < 0)
                return r;
        /* The deprecated [crio.runtime] conmon keys win over the handler's, as in CRI-O. */
        cgroup = cfg->conmon_cgroup && *cfg->conmon_cgroup ? cfg->conmon_cgroup :
                 h->monitor_cgroup && *h->monitor_cgroup ? h->monitor_cgroup : "system.slice";
        *ret = (ConmonConfig) {
                .conmon_path = cfg->conmon && *cfg->conmon ? cfg->conmon :
                               h->monitor_path && *h->monitor_path ? h->monitor_path : NULL,
                .runtime_path = oci_runtime_get_path(rt),
                .runtime_root = oci_runtime_get_root(rt),
                .systemd_cgroup = oci_runtime_get_systemd_cgroup(rt),
                .exits_dir = cfg->container_exits_dir,
                .socket_dir = cfg->container_attach_socket_dir,
                .log_level = cfg->log_level,
                .log_size_max = cfg->log_size_max,
                .log_to_journald = cfg->log_to_journald,
                .no_pivot = cfg->no_pivot,
                .no_sync_log = h->no_sync_log,
                .env = !strv_isempty(cfg->conmon_env) ? cfg->conmon_env :
                       !strv_isempty(h->monitor_env) ? h->monitor_env : NULL,
                .create_timeout_usec = (uint64_t) MAX(h->container_create_timeout, (int64_t) 30) * 1000000ULL,
        };
        if (ret_monitor_cgroup)
                *ret_monitor_cgroup = cgroup;
        return 0;
}

/* Stopping and removing the containers of a pod. */

typedef struct PodContainersOp {
        Pod *pod;
        size_t n_pending;
        int error;
        void (*callback)(Pod *p, int r, void *userdata);
        void *userdata;
} PodContainersOp;

static void pod_containers_op_done(PodContainersOp *op) {
        if (--op->n_pending > 0)
                return;
        op->callback(op->pod, op->error, op->userdata);
        pod_unref(op->pod);
        free(op);
}

static void on_container_done(Container *c, int r, const char *error, void *userdata) {
        PodContainersOp *op = userdata;

        if (r < 0 && op->error >= 0) {
                log_container_errno(c, LOG_WARNING, r, "Failed to stop container %s: %s", c->id,
                                    error ?: strerror(-r));
                op->error = r;
        }
        pod_containers_op_done(op);
}

int pod_containers_stop(Pod *p, bool remove, void (*callback)(Pod *p, int r, void *userdata), void *userdata) {
        Manager *m = p->manager;
        _cleanup_free_ Container **l = NULL;
        PodContainersOp *op;
        size_t n;
        int r;

        r = container_list(m, &l, &n);
        if (r < 0)
                return r;
        op = calloc(1, sizeof(PodContainersOp));
        if (!op)
                return -ENOMEM;
        op->pod = pod_ref(p);
        op->callback = callback;
        op->userdata = userdata;
        /* Counted up front, so operations that end at once cannot finish early. */
        op->n_pending = 1;
        for (size_t i = 0; i < n; i++) {
                if (l[i]->pod != p)
                        continue;
                op->n_pending++;
                /* A pod stop gives its containers no grace period beyond kubelet's own stops. */
                r = remove ? container_remove(l[i], on_container_done, op) :
                             container_terminate(l[i], 0, on_container_done, op);
                if (r < 0) {
                        op->n_pending--;
                        if (op->error >= 0)
                                op->error = r;
                }
        }
        pod_containers_op_done(op);
        return 0;
}
