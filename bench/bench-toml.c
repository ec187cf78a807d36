/* SPDX-License-Identifier: Apache-2.0 */

/* Times toml_parse() on a generated CRI-O-like config of about 1 MiB: many runtime handler tables with
 * paths, string lists and inline tables, as a large crio.conf.d drop-in set would look when merged.
 * Prints the best of N runs. Usage: bench-toml [runs] [size-in-KiB] */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "toml.h"

static double now_ms(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *generate(size_t target, size_t *ret_size, unsigned *ret_keys) {
        char *text = NULL;
        size_t size = 0;
        unsigned keys = 0;
        FILE *f;

        f = open_memstream(&text, &size);
        if (!f)
                return NULL;

        fputs("# Generated benchmark config\n"
              "[crio]\n"
              "root = \"/var/lib/containers/storage\"\n"
              "runroot = \"/run/containers/storage\"\n"
              "storage_driver = \"overlay\"\n"
              "log_dir = \"/var/log/crio/pods\"\n"
              "\n[crio.api]\n"
              "listen = \"/var/run/crio/crio.sock\"\n"
              "grpc_max_send_msg_size = 83886080\n"
              "\n[crio.runtime]\n"
              "default_runtime = \"crun\"\n"
              "cgroup_manager = \"systemd\"\n"
              "default_capabilities = [\"CHOWN\", \"DAC_OVERRIDE\", \"FSETID\", \"FOWNER\", \"SETGID\", \"SETUID\"]\n",
              f);
        keys += 10;

        for (unsigned i = 0; (fflush(f), size) < target; i++) {
                fprintf(f, "\n[crio.runtime.runtimes.handler-%u]\n"
                        "runtime_path = \"/usr/libexec/crio/handler-%u/bin/runtime\"\n"
                        "runtime_type = \"oci\"\n"
                        "runtime_root = \"/run/handler-%u\"\n"
                        "runtime_config_path = ''\n"
                        "monitor_path = \"/usr/libexec/crio/conmon\"\n"
                        "monitor_cgroup = \"system.slice\"\n"
                        "monitor_env = [\n"
                        "\t\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
                        "\t\"HANDLER=%u\",  # per handler\n"
                        "]\n"
                        "privileged_without_host_devices = %s\n"
                        "container_min_memory = \"12MiB\"\n"
                        "stream_websockets = false\n"
                        "platform_runtime_paths = { \"linux/amd64\" = \"/usr/bin/runtime\", \"linux/arm64\" = \"/usr/bin/runtime-arm\" }\n"
                        "allowed_annotations = [\"io.kubernetes.cri-o.Devices\", \"io.kubernetes.cri-o.ShmSize\", "
                        "\"io.containers.trace-syscall\"]\n"
                        "default_annotations.\"run.oci.keep_original_groups\" = \"1\"\n"
                        "pids_limit = %u\n"
                        "ctr_stop_timeout = 30\n"
                        "cpu_quota = 1.5e5\n"
                        "created = 2024-01-%02uT10:00:00Z\n",
                        i, i, i, i, i % 2 ? "true" : "false", 1024 + i, i % 28 + 1);
                keys += 22;
        }

        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        *ret_size = size;
        *ret_keys = keys;
        return text;
}

int main(int argc, char **argv) {
        unsigned runs = argc > 1 ? (unsigned) atoi(argv[1]) : 20, keys;
        size_t target = (argc > 2 ? (size_t) atoi(argv[2]) : 1024) * 1024, size;
        double best = 1e9, best_cpu = 1e9, total = 0;
        _cleanup_free_ char *text = NULL;

        text = generate(target, &size, &keys);
        if (!text) {
                fprintf(stderr, "Failed to generate the config\n");
                return 1;
        }

        for (unsigned i = 0; i < MAX(runs, 1u); i++) {
                TomlValue *v = NULL;
                TomlError e;
                double start, start_cpu, ms;
                int r;

                /* CPU time too: on a busy machine the wall clock mostly measures the neighbours. */
                start = now_ms(CLOCK_MONOTONIC);
                start_cpu = now_ms(CLOCK_THREAD_CPUTIME_ID);
                r = toml_parse(text, size, "bench.toml", &v, &e);
                ms = now_ms(CLOCK_MONOTONIC) - start;
                best_cpu = MIN(best_cpu, now_ms(CLOCK_THREAD_CPUTIME_ID) - start_cpu);
                if (r < 0) {
                        char buf[512];

                        fprintf(stderr, "%s\n", toml_error_format(&e, buf, sizeof(buf)));
                        return 1;
                }
                toml_value_free(v);
                best = MIN(best, ms);
                total += ms;
        }

        printf("toml_parse: %zu bytes (%.2f MiB), ~%u keys, %u runs: best %.3f ms (CPU %.3f ms), mean %.3f ms, "
               "%.0f MiB/s\n",
               size, size / 1048576.0, keys, MAX(runs, 1u), best, best_cpu, total / MAX(runs, 1u),
               size / 1048576.0 / (best / 1e3));
        return 0;
}
