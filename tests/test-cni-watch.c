/* SPDX-License-Identifier: Apache-2.0 */

#include <time.h>

#include "cni-test-util.h"
#include "cni-watch.h"
#include "tap.h"

static unsigned calls;
static bool last_ready;

static void on_change(CniWatch *w, bool ready, const char *reason, void *userdata) {
        calls++;
        last_ready = ready;
        TAP_OK(ready == !reason, "reason set exactly when not ready: %s", reason ?: "(ready)");
}

static void run_for(sd_event *e, unsigned ms) {
        struct timespec start, now;

        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                (void) sd_event_run(e, 10 * 1000);
                clock_gettime(CLOCK_MONOTONIC, &now);
                if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >= ms)
                        break;
        }
}

int main(void) {
        _cleanup_free_ char *top = cni_test_tmpdir(), *dir = NULL;
        sd_event *e = NULL;
        CniWatch *w = NULL;
        char path[4096];
        int r;

        TAP_OK(asprintf(&dir, "%s/net.d", top) > 0, "path");
        TAP_IS_INT(sd_event_new(&e), 0, "event loop");

        r = cni_watch_new(e, dir, NULL, NULL, on_change, NULL, &w);
        TAP_IS_INT(r, 0, "watch on a missing directory creates it");
        if (r < 0)
                return tap_done();
        TAP_OK(access(dir, F_OK) == 0, "directory exists");
        TAP_OK(!cni_watch_is_ready(w), "not ready without config");
        TAP_OK(cni_watch_get_reason(w) && strstr(cni_watch_get_reason(w), dir), "reason names the directory");
        TAP_OK(!cni_watch_get_network(w), "no network");
        TAP_IS_INT(calls, 0, "no callback from cni_watch_new()");

        /* A broken file: still not ready. */
        cni_test_write(dir, "10-broken.conflist", "{", 0644);
        run_for(e, 200);
        TAP_OK(!cni_watch_is_ready(w), "broken config: not ready");
        TAP_OK(strstr(cni_watch_get_reason(w), "1 invalid"), "reason counts it: %s", cni_watch_get_reason(w));

        cni_test_write(dir, "20-good.conflist",
                       "{\"cniVersion\":\"1.0.0\",\"name\":\"good\",\"plugins\":[{\"type\":\"bridge\"}]}", 0644);
        run_for(e, 200);
        TAP_OK(cni_watch_is_ready(w), "ready once a valid config appears");
        TAP_OK(last_ready, "callback said ready");
        TAP_OK(cni_watch_get_network(w) && strcmp(cni_watch_get_network(w)->name, "good") == 0, "the network");
        TAP_OK(!cni_watch_get_reason(w), "no reason when ready");

        /* Another file sorting first replaces the default. */
        cni_test_write(dir, "05-other.conf", "{\"cniVersion\":\"0.4.0\",\"name\":\"other\",\"type\":\"ptp\"}", 0644);
        run_for(e, 200);
        TAP_OK(cni_watch_get_network(w) && strcmp(cni_watch_get_network(w)->name, "other") == 0,
               "lexically first file becomes the default");

        {
                unsigned before = calls;

                /* A file that is no config does not change anything. */
                cni_test_write(dir, "notes.txt", "hello", 0644);
                run_for(e, 200);
                TAP_IS_INT(calls, before, "unrelated file: no callback");
        }

        snprintf(path, sizeof(path), "%s/05-other.conf", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/20-good.conflist", dir);
        unlink(path);
        run_for(e, 200);
        TAP_OK(!cni_watch_is_ready(w), "not ready after the configs are removed");
        TAP_OK(!last_ready, "callback said so");

        cni_watch_free(w);
        sd_event_unref(e);
        cni_test_rm_rf(top);
        return tap_done();
}
