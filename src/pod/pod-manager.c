/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "cni-exec.h"
#include "cni-watch.h"
#include "config.h"
#include "log.h"
#include "strv.h"
#include "pod-manager.h"
#include "pod-network.h"
#include "pod-operation.h"
#include "pod-store.h"
#include "systemd-manager.h"

static void on_network_ready(CniWatch *w, bool ready, const char *reason, void *userdata) {
        if (ready)
                log_info("CNI network %s is ready.", cni_watch_get_network(w)->name);
        else
                log_info("CNI network is not ready: %s", reason ?: "unknown reason");
}

int manager_start_pods(Manager *m) {
        _cleanup_strv_free_ char **plugin_dirs = NULL;
        int r;

        if (!m->pods) {
                r = pod_store_new(&m->pods);
                if (r < 0)
                        return log_oom();
        }

        r = systemd_client_new(m->event, &m->systemd);
        if (r < 0)
                log_warning_errno(r, "Failed to connect to systemd, pods cannot be run: %m");

        /* The deprecated plugin_dir adds to plugin_dirs. */
        r = strv_copy(m->config->plugin_dirs, &plugin_dirs);
        if (r >= 0 && m->config->plugin_dir && *m->config->plugin_dir &&
            !strv_contains(plugin_dirs, m->config->plugin_dir))
                r = strv_push(&plugin_dirs, m->config->plugin_dir);
        if (r < 0)
                return log_oom();

        r = cni_exec_new(m->event, plugin_dirs, POD_CNI_CACHE_DIR, &m->cni_exec);
        if (r < 0)
                return log_error_errno(r, "Failed to set up CNI: %m");
        r = cni_watch_new(m->event, m->config->network_dir, m->config->cni_default_network, plugin_dirs,
                          on_network_ready, m, &m->cni_watch);
        if (r < 0)
                log_warning_errno(r, "Failed to watch %s, the network stays not ready: %m", m->config->network_dir);
        return 0;
}

void manager_free_pods(Manager *m) {
        size_t state = 0;
        void *v;

        /* Operations under way end here without their callbacks: they hold CNI and systemd calls,
         * which go before the services. */
        if (m->pods)
                while (hashmap_iterate(m->pods->by_id, &state, NULL, &v)) {
                        Pod *p = v;

                        p->slice_watch = unit_watch_free(p->slice_watch);
                        while (p->queue) {
                                PodOperation *op = p->queue;

                                p->queue = op->next;
                                op->next = NULL;
                                op->callback = NULL;
                                op->error = -ECANCELED;
                                /* Not current: free it the short way. */
                                pod_operation_finish(op, -ECANCELED);
                        }
                        if (p->operation) {
                                p->operation->callback = NULL;
                                pod_operation_finish(p->operation, -ECANCELED);
                        }
                }
        m->pods = pod_store_free(m->pods);
        pod_cleanup_stale_cancel();
        m->cni_watch = cni_watch_free(m->cni_watch);
        m->cni_exec = cni_exec_free(m->cni_exec);
        m->systemd = systemd_client_free(m->systemd);
}
