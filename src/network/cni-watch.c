/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "cni-util.h"
#include "cni-watch.h"
#include "log.h"

/* A file is usually written in several steps (create, write, close, or a rename): changes are
 * collected for this long before reloading, so readiness does not flap on a half-written file. */
#define CNI_WATCH_SETTLE_USEC (50 * 1000)

#define CNI_WATCH_MASK                                                                              \
        (IN_CREATE | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB |         \
         IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct CniWatch {
        sd_event *event;
        char *dir;
        char *default_name;
        char **plugin_dirs;
        sd_event_source *inotify_source;
        sd_event_source *settle_source;
        CniNetwork *network;
        char *reason;
        bool ready;
        bool loaded;
        CniWatchHandler handler;
        void *userdata;
};

CniWatch *cni_watch_free(CniWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->inotify_source);
        sd_event_source_disable_unref(w->settle_source);
        sd_event_unref(w->event);
        free(w->dir);
        free(w->default_name);
        strv_free(w->plugin_dirs);
        cni_network_unref(w->network);
        free(w->reason);
        return mfree(w);
}

bool cni_watch_is_ready(const CniWatch *w) {
        return w->ready;
}

const char *cni_watch_get_reason(const CniWatch *w) {
        return w->ready ? NULL : w->reason;
}

CniNetwork *cni_watch_get_network(const CniWatch *w) {
        return w->network;
}

static bool same_network(const CniNetwork *a, const CniNetwork *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a->json, b->json) == 0 && strcmp(a->path ?: "", b->path ?: "") == 0;
}

int cni_watch_reload(CniWatch *w) {
        _cleanup_(cni_network_unrefp) CniNetwork *net = NULL;
        _cleanup_free_ char *reason = NULL;
        bool changed;
        int r;

        r = cni_network_load_dir(w->dir, w->default_name, w->plugin_dirs, &net, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && !reason) {
                reason = strdup("CNI configuration could not be loaded");
                if (!reason)
                        return -ENOMEM;
        }

        changed = !w->loaded || w->ready != (r >= 0) || !same_network(w->network, net) ||
                  strcmp(w->reason ?: "", reason ?: "") != 0;
        w->loaded = true;
        w->ready = r >= 0;
        cni_network_unref(w->network);
        w->network = TAKE_PTR(net);
        free_and_replace(w->reason, reason);

        if (!changed)
                return 0;
        if (w->ready)
                log_info("CNI network \"%s\" from %s is ready.", w->network->name, w->network->path);
        else
                log_warning("CNI network not ready: %s", w->reason);
        if (w->handler)
                w->handler(w, w->ready, w->reason, w->userdata);
        return 1;
}

static int on_settled(sd_event_source *s, uint64_t usec, void *userdata) {
        CniWatch *w = userdata;
        int r;

        w->settle_source = sd_event_source_disable_unref(w->settle_source);
        r = cni_watch_reload(w);
        if (r < 0)
                log_warning_errno(r, "Failed to reload CNI configuration, ignoring: %m");
        return 0;
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        CniWatch *w = userdata;
        int r;

        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
                log_warning("CNI config directory %s went away; changes are no longer followed.", w->dir);

        if (w->settle_source)
                return 0;
        r = sd_event_add_time_relative(w->event, &w->settle_source, CLOCK_MONOTONIC, CNI_WATCH_SETTLE_USEC,
                                       /* accuracy= */ 0, on_settled, w);
        if (r < 0) {
                log_warning_errno(r, "Failed to schedule CNI config reload, reloading now: %m");
                (void) cni_watch_reload(w);
        }
        return 0;
}

int cni_watch_new(sd_event *event, const char *dir, const char *default_name, char *const *plugin_dirs,
                  CniWatchHandler handler, void *userdata, CniWatch **ret) {
        _cleanup_(cni_watch_freep) CniWatch *w = NULL;
        int r;

        w = calloc(1, sizeof(CniWatch));
        if (!w)
                return -ENOMEM;
        w->event = sd_event_ref(event);
        w->dir = strdup(dir);
        if (!w->dir)
                return -ENOMEM;
        if (default_name && default_name[0]) {
                w->default_name = strdup(default_name);
                if (!w->default_name)
                        return -ENOMEM;
        }
        if (plugin_dirs) {
                r = strv_copy(plugin_dirs, &w->plugin_dirs);
                if (r < 0)
                        return r;
        }

        r = mkdir_p(dir, 0755);
        if (r < 0)
                log_warning_errno(r, "Failed to create CNI config directory %s, ignoring: %m", dir);
        r = sd_event_add_inotify(event, &w->inotify_source, dir, CNI_WATCH_MASK, on_inotify, w);
        if (r < 0)
                return log_error_errno(r, "Failed to watch CNI config directory %s: %m", dir);

        r = cni_watch_reload(w);
        if (r < 0)
                return r;
        /* Set only now: the caller learns the first state from the getters, not from a callback
         * before this function even returned. */
        w->handler = handler;
        w->userdata = userdata;
        *ret = TAKE_PTR(w);
        return 0;
}
