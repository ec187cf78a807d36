/* SPDX-License-Identifier: Apache-2.0 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "log.h"
#include "storage-units.h"
#include "unit-name.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define STOP_TIMEOUT_USEC (30ULL * 1000000ULL)

struct StorageUnits {
        sd_bus *bus;
        /* The job being waited for, and whether its JobRemoved came. */
        const char *job;
        bool job_done;
};

StorageUnits *storage_units_free(StorageUnits *u) {
        if (!u)
                return NULL;
        sd_bus_flush_close_unref(u->bus);
        return mfree(u);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        StorageUnits *u = userdata;
        const char *path = NULL;
        uint32_t id;

        if (sd_bus_message_read(m, "uo", &id, &path) >= 0 && u->job && strcmp(path, u->job) == 0)
                u->job_done = true;
        return 0;
}

int storage_units_open(StorageUnits **ret) {
        _cleanup_(storage_units_freep) StorageUnits *u = NULL;
        int r;

        u = calloc(1, sizeof(StorageUnits));
        if (!u)
                return -ENOMEM;
        r = sd_bus_open_system(&u->bus);
        if (r < 0)
                return log_debug_errno(r, "Failed to connect to the system bus: %m");
        /* systemd sends JobRemoved only to subscribers; the match is installed first. */
        r = sd_bus_match_signal(u->bus, NULL, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                on_job_removed, u);
        if (r < 0)
                return log_debug_errno(r, "Failed to watch systemd's JobRemoved: %m");
        r = sd_bus_call_method(u->bus, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe", NULL, NULL,
                               "");
        if (r < 0)
                return log_debug_errno(r, "Failed to subscribe to systemd: %m");
        *ret = TAKE_PTR(u);
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

static bool unit_unknown(const sd_bus_error *e) {
        return sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit") ||
               sd_bus_error_has_name(e, "org.freedesktop.systemd1.LoadFailed");
}

int storage_units_stop(StorageUnits *u, const char *unit, uint64_t timeout_usec) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *job = NULL;
        const char *path;
        uint64_t deadline;
        int r;

        if (!u)
                return 0;
        /* No grace period: what is wiped has no future, and a stop would wait out TimeoutStopSec=. */
        r = sd_bus_call_method(u->bus, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "KillUnit", &error, NULL,
                               "ssi", unit, "all", (int32_t) SIGKILL);
        if (r < 0 && unit_unknown(&error))
                return 0;
        sd_bus_error_free(&error);

        r = sd_bus_call_method(u->bus, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit", &error, &reply,
                               "ss", unit, "replace");
        if (r < 0) {
                if (unit_unknown(&error))
                        return 0;
                return log_warning_errno(r, "Failed to stop %s: %s", unit, error.message ?: strerror(-r));
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        job = strdup(path);
        if (!job)
                return -ENOMEM;

        u->job = job;
        u->job_done = false;
        deadline = now_usec() + (timeout_usec ?: STOP_TIMEOUT_USEC);
        while (!u->job_done) {
                uint64_t now = now_usec();

                r = sd_bus_process(u->bus, NULL);
                if (r < 0)
                        break;
                if (r > 0)
                        continue;
                if (now >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                r = sd_bus_wait(u->bus, deadline - now);
                if (r < 0)
                        break;
        }
        u->job = NULL;
        if (r < 0)
                return log_warning_errno(r, "Failed to wait for %s to stop: %m", unit);
        log_debug("Stopped %s.", unit);
        return 0;
}

int storage_units_stop_container(StorageUnits *u, const char *id) {
        static const char *const prefixes[] = { "crio", "crio-conmon" };
        int r = 0;

        for (size_t i = 0; u && i < ELEMENTSOF(prefixes); i++) {
                _cleanup_free_ char *unit = NULL;
                int k;

                k = unit_name_build(prefixes[i], id, ".scope", &unit);
                if (k >= 0)
                        k = storage_units_stop(u, unit, 0);
                if (k < 0 && r == 0)
                        r = k;
        }
        return r;
}
