/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Follows network_dir with inotify: the default network is reloaded whenever a file there changes,
 * and "network ready" (CRI Status's NetworkReady) reports whether a valid one exists. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "cni-config.h"
#include "macro.h"

typedef struct CniWatch CniWatch;

/* Called when readiness or the default network changed (not for every event). */
typedef void (*CniWatchHandler)(CniWatch *w, bool ready, const char *reason, void *userdata);

/* Loads the directory once right away (creating it if missing, as ocicni does) and then follows it.
 * default_name and plugin_dirs as for cni_network_load_dir(). handler may be NULL. */
int cni_watch_new(sd_event *event, const char *dir, const char *default_name, char *const *plugin_dirs,
                  CniWatchHandler handler, void *userdata, CniWatch **ret);
CniWatch *cni_watch_free(CniWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(CniWatch *, cni_watch_free);

bool cni_watch_is_ready(const CniWatch *w) _pure_;
/* Why the network is not ready; NULL when it is. */
const char *cni_watch_get_reason(const CniWatch *w) _pure_;
/* The default network (a reference the caller may take with cni_network_ref()), NULL if not ready. */
CniNetwork *cni_watch_get_network(const CniWatch *w) _pure_;
/* Reloads now, e.g. after a config reload changed the plugin directories. */
int cni_watch_reload(CniWatch *w);
