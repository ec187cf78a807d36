/* SPDX-License-Identifier: Apache-2.0 */

/* A C client of org.crio1 for bench/bench-dbus-containers.py: calls GetManagedObjects at /org/crio1
 * N times back to back on one system bus connection (after a few warm-up calls) and reads every value
 * of each reply, as a consumer would ("read"), or only receives it ("receive": sd-bus checks the
 * header, the body is left unread), which is the wait crio and the bus daemon impose on any client.
 * Beside python3-dbus, whose decoding into Python objects costs more than crio and the bus daemon
 * together. Prints a summary line (with the client's own CPU time per call), then every latency (ms)
 * on one line after "ms:". Usage: bench-dbus-client [calls] [read|receive] */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "macro.h"

static double now_ms(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Reads everything from the current position to the end of the current container. */
static int read_all(sd_bus_message *m, size_t *n_values) {
        const char *contents;
        char type;
        int r;

        while ((r = sd_bus_message_peek_type(m, &type, &contents)) > 0) {
                if (IN_SET(type, SD_BUS_TYPE_ARRAY, SD_BUS_TYPE_VARIANT, SD_BUS_TYPE_STRUCT,
                           SD_BUS_TYPE_DICT_ENTRY)) {
                        r = sd_bus_message_enter_container(m, type, contents);
                        if (r < 0)
                                return r;
                        r = read_all(m, n_values);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                } else {
                        union {
                                uint64_t u64;
                                double d;
                                const char *s;
                                int i;
                        } v;

                        r = sd_bus_message_read_basic(m, type, &v);
                        if (r < 0)
                                return r;
                        (*n_values)++;
                }
        }
        return r;
}

static int call(sd_bus *bus, bool read_values, size_t *ret_objects, size_t *ret_values) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        size_t objects = 0, values = 0;
        int r;

        r = sd_bus_call_method(bus, "org.crio1", "/org/crio1", "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", &error, &reply, NULL);
        if (r < 0) {
                fprintf(stderr, "GetManagedObjects: %s\n", error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        r = read_values ? sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "{oa{sa{sv}}}") : 0;
        while (read_values && r >= 0 &&
               (r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_DICT_ENTRY, "oa{sa{sv}}")) > 0) {
                objects++;
                r = read_all(reply, &values);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        sd_bus_message_unref(reply);
        if (r < 0) {
                fprintf(stderr, "Failed to read the reply: %s\n", strerror(-r));
                return r;
        }
        *ret_objects = objects;
        *ret_values = values;
        return 0;
}

static int compare_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

int main(int argc, char *argv[]) {
        int n = argc > 1 ? atoi(argv[1]) : 200;
        bool read_values = argc <= 2 || strcmp(argv[2], "receive") != 0;
        size_t objects = 0, values = 0;
        sd_bus *bus = NULL;
        double *lat, sum = 0, cpu;
        int r;

        if (n < 1)
                n = 1;
        lat = calloc(n, sizeof(double));
        if (!lat)
                return 1;
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "Failed to connect to the system bus: %s\n", strerror(-r));
                return 1;
        }
        for (int i = 0; i < 20 && r >= 0; i++)
                r = call(bus, read_values, &objects, &values);
        cpu = now_ms(CLOCK_PROCESS_CPUTIME_ID);
        for (int i = 0; i < n && r >= 0; i++) {
                double t = now_ms(CLOCK_MONOTONIC);

                r = call(bus, read_values, &objects, &values);
                lat[i] = now_ms(CLOCK_MONOTONIC) - t;
                sum += lat[i];
        }
        cpu = (now_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu) / n;
        sd_bus_flush_close_unref(bus);
        if (r < 0) {
                free(lat);
                return 1;
        }
        qsort(lat, n, sizeof(double), compare_double);
        printf("objects=%zu values=%zu n=%d p50=%.3f p99=%.3f mean=%.3f cpu=%.3f\nms:", objects, values, n,
               lat[n / 2], lat[MIN(n - 1, (int) (0.99 * n))], sum / n, cpu);
        for (int i = 0; i < n; i++)
                printf(" %.3f", lat[i]);
        putchar('\n');
        free(lat);
        return 0;
}
